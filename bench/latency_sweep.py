#!/usr/bin/python3
"""The latency sweeps of bench/run: pipeline_latency runs of two variants at rising rates, side by side.
`--only latency_sweep`: this tree's `run` ("new") and an older tree's ("old"), each with its own
PipelineLatencyBenchmark; `--only source_sweep`: this tree's `run` reading landing files ("files") and a
Kafka topic ("kafka").

bench/run runs the JVMs; this script judges each run and gathers them:

  latency_sweep.py verdict RUN.json [--p95-limit 5]
      prints "pass" or "stop: <why>" for one run (missing events, p95 over the limit, or no result)
  latency_sweep.py collect --dir DIR --out FILE [--title T] [--markdown FILE] [--p95-limit 5] [--rates "2000 4000"]
      DIR holds, per run, <variant>-<rate>.json (the driver's result), .log (its stderr), .load (load average
      before it) and .status ("ok" or "failed rc=N"), and engines.json (what bench/run knows of each variant, in order);
      writes one JSON object and prints (and writes) the markdown summary.

Per run the table shows the driver's figures for the measured phase (end-to-end latency p50/p95/max,
missing events, micro-batches with input while measured events were in flight, their trigger time), and,
from the driver's stderr (both drivers print the same "progress" line per micro-batch with input), the
micro-batches of the whole run: how many had input, how many ran without input (batch ids with no progress
line: Spark runs such a batch only to move a watermark on), rows per batch and the trigger time per batch.
"""
import argparse
import json
import os
import re
import sys

PROGRESS = re.compile(r"^progress (\S+) batch (\d+): (\d+) rows, \{(.*)\}\s*$")


def percentile(values, q):
    """Nearest rank, as the Java driver computes it."""
    if not values:
        return None
    s = sorted(values)
    rank = -(-q * len(s) // 1)  # ceil
    return s[max(0, int(rank) - 1)]


def verdict(result, limit):
    if result is None:
        return "stop: no result"
    missing = result.get("measured_missing")
    p95 = result.get("measured_end_to_end_p95_s")
    if missing is None or p95 is None:
        return "stop: no measured latency in the result"
    if missing > 0:
        return f"stop: {missing} measured events missing from gold"
    if p95 >= limit:
        return f"stop: p95 {p95:.2f} s >= {limit:g} s"
    return "pass"


def progress_batches(log_path):
    """Every 'progress' line of a driver's stderr: (batch id, rows, {duration name: ms})."""
    batches = []
    if not os.path.exists(log_path):
        return batches
    with open(log_path, errors="replace") as f:
        for line in f:
            m = PROGRESS.match(line)
            if not m:
                continue
            durations = {}
            for part in m.group(4).split(","):
                if "=" in part:
                    k, v = part.split("=", 1)
                    try:
                        durations[k.strip()] = int(v.strip())
                    except ValueError:
                        pass
            batches.append((int(m.group(2)), int(m.group(3)), durations))
    return batches


def failure(log_path):
    """The first line of the log that says why the run failed (the driver's exception, or Spark's cause)."""
    if not os.path.exists(log_path):
        return None
    keep = None
    with open(log_path, errors="replace") as f:
        lines = f.readlines()
    for pattern in ("Caused by: ", "Exception in thread \"main\"", "ERROR "):
        for line in lines:
            if pattern in line:
                keep = line.strip()
                break
        if keep:
            break
    return keep[:400] if keep else None


def run_summary(directory, engine, rate, limit):
    base = os.path.join(directory, f"{engine}-{rate}")
    if not os.path.exists(base + ".status"):
        return None
    status = open(base + ".status").read().strip()
    result = json.load(open(base + ".json")) if os.path.exists(base + ".json") else None
    out = {"status": status}
    if os.path.exists(base + ".load"):
        out["load_before"] = open(base + ".load").read().strip()
    if result:
        for key, name in (("measured_events", "events"), ("measured_missing", "missing"),
                          ("measured_end_to_end_p50_s", "p50_s"), ("measured_end_to_end_p95_s", "p95_s"),
                          ("measured_end_to_end_max_s", "max_s"),
                          ("measured_rename_to_bronze_p95_s", "rename_to_bronze_p95_s"),
                          ("measured_bronze_to_silver_p95_s", "bronze_to_silver_p95_s"),
                          ("measured_silver_to_gold_p95_s", "silver_to_gold_p95_s"),
                          ("measured_lateness_wait_p95_s", "lateness_wait_p95_s"),
                          ("warmup_missing", "warmup_missing"), ("warmup_end_to_end_p95_s", "warmup_p95_s"),
                          ("run_batches", "measured_batches"), ("run_trigger_p50_s", "measured_trigger_p50_s"),
                          ("run_trigger_p95_s", "measured_trigger_p95_s"),
                          ("run_foreach_batch_p50_s", "measured_foreach_batch_p50_s"),
                          ("codegen_compilations", "codegen_compilations"), ("load_after", "load_after")):
            if key in result:
                out[name] = result[key]
    batches = progress_batches(base + ".log")
    if batches:
        ids = {b[0] for b in batches}
        triggers = [b[2].get("triggerExecution", 0) / 1000.0 for b in batches]
        adds = [b[2].get("addBatch", 0) / 1000.0 for b in batches]
        out["batches_with_input"] = len(batches)
        # Batch ids below the last one with input that printed nothing ran without input: Spark runs such
        # a batch only when a stateful operator's watermark moved (the driver records batches with input).
        out["batches_without_input"] = max(ids) + 1 - len(ids)
        out["rows_per_batch_mean"] = sum(b[1] for b in batches) / len(batches)
        out["rows_per_batch_max"] = max(b[1] for b in batches)
        out["first_batch_trigger_s"] = triggers[0]
        later = triggers[1:] or triggers
        out["trigger_p50_s"] = percentile(later, 0.5)
        out["trigger_p95_s"] = percentile(later, 0.95)
        out["trigger_max_s"] = max(later)
        out["add_batch_p50_s"] = percentile(adds[1:] or adds, 0.5)
    out["verdict"] = verdict(result, limit) if status == "ok" else f"stop: run {status}"
    if status != "ok" or not result:
        out["error"] = failure(base + ".log")
    return out


def collect(directory, rates, limit, title):
    engines = json.load(open(os.path.join(directory, "engines.json")))
    runs = {}
    order = []
    settings = None
    for name in sorted(os.listdir(directory)):
        m = re.match(r"^(\w+)-(\d+)\.status$", name)
        if m:
            order.append((os.path.getmtime(os.path.join(directory, name)), m.group(1), int(m.group(2))))
    order.sort()
    for _, engine, rate in order:
        s = run_summary(directory, engine, rate, limit)
        runs.setdefault(engine, {})[str(rate)] = s
        res_path = os.path.join(directory, f"{engine}-{rate}.json")
        if settings is None and os.path.exists(res_path):
            r = json.load(open(res_path))
            settings = {k: r.get(k) for k in ("file_every_ms", "cards", "trigger", "lateness_s")}
    highest = {}
    for engine in engines:
        passing = [int(r) for r, s in runs.get(engine, {}).items() if s and s["verdict"] == "pass"]
        # The highest rate of the unbroken run of passes from the lowest rate up.
        best = None
        for rate in rates:
            s = runs.get(engine, {}).get(str(rate))
            if s is None or s["verdict"] != "pass":
                break
            best = rate
        highest[engine] = best
        engines[engine]["passing_rates"] = sorted(passing)
    return {
        "impl": "latency_sweep",
        "title": title,
        "p95_limit_s": limit,
        "rates": rates,
        "settings": settings,
        "engines": engines,
        "order": [[e, r] for _, e, r in order],
        "runs": runs,
        "highest_rate_p95_under_limit": highest,
    }


def fmt(x, digits=2):
    return "-" if x is None else f"{x:,.{digits}f}"


def markdown(res):
    limit = res["p95_limit_s"]
    engines = res["engines"]
    names = list(engines)
    s = res.get("settings") or {}
    lines = [f"### {res.get('title') or 'latency sweep'}", ""]
    for e in names:
        info = engines[e]
        lines.append(f"- **{e}**: engine `{info.get('engine_commit', '?')}` (last change to lib, jobs, conf or the poms), "
                     f"tree `{info.get('commit', '?')}` at {info.get('root', '?')}, "
                     f"driver options {('`' + info['options'] + '`') if info.get('options') else '(none)'}")
    lines.append(f"- same PipelineLatencyBenchmark source in both trees: {res.get('driver_identical', '?')}")
    lines.append(f"- settings: trigger {s.get('trigger')}, lateness {s.get('lateness_s')} s, cards {s.get('cards')}, "
                 f"one file every {s.get('file_every_ms')} ms; conf {res.get('conf', '?')}; "
                 f"options {res.get('latency_args') or '(defaults)'}")
    lines.append(f"- run order: {', '.join(f'{e} {r}' for e, r in res['order'])}")
    lines.append("")
    lines.append("| rate ev/s | variant | p50 s | p95 s | max s | missing | batches (with / without input) "
                 "| rows/batch | trigger p50 / p95 / max s | first batch s | load before → after | verdict |")
    lines.append("|---:|---|---:|---:|---:|---:|---|---:|---|---:|---|---|")
    for rate in res["rates"]:
        for e in names:
            r = res["runs"].get(e, {}).get(str(rate))
            if r is None:
                continue
            batches = f"{r.get('batches_with_input', '-')} / {r.get('batches_without_input', '-')}"
            trig = f"{fmt(r.get('trigger_p50_s'))} / {fmt(r.get('trigger_p95_s'))} / {fmt(r.get('trigger_max_s'))}"
            lines.append(f"| {rate:,} | {e} | {fmt(r.get('p50_s'))} | {fmt(r.get('p95_s'))} | {fmt(r.get('max_s'))} | "
                         f"{r.get('missing', '-')} | {batches} | {fmt(r.get('rows_per_batch_mean'), 0)} | {trig} | "
                         f"{fmt(r.get('first_batch_trigger_s'))} | {r.get('load_before', '?')} → {r.get('load_after', '?')} | "
                         f"{r['verdict']} |")
    lines.append("")
    for e in names:
        best = res["highest_rate_p95_under_limit"].get(e)
        by_rate = res["runs"].get(e, {})
        figures = []
        for rate in (2000, 8000):
            r = by_rate.get(str(rate))
            figures.append(f"p95 at {rate:,} ev/s " + (fmt(r.get("p95_s")) + " s" if r and r.get("p95_s") is not None
                                                        else "not measured" if r is None else "n/a (" + r["verdict"] + ")"))
        lines.append(f"- **{e}**: highest rate with p95 under {limit:g} s: "
                     f"{f'{best:,} ev/s' if best else 'none'}; " + "; ".join(figures) + ".")
    errors = [(e, rate, r["error"]) for e in names for rate, r in res["runs"].get(e, {}).items() if r.get("error")]
    if errors:
        lines.append("")
        for e, rate, err in errors:
            lines.append(f"- {e} at {int(rate):,} ev/s failed: `{err}`")
    lines.append("")
    lines.append("Trigger times are Spark's per-batch `triggerExecution` over the whole run, first batch apart; "
                 "batches without input ran only to move the watermark on (the driver does not record them).")
    return "\n".join(lines) + "\n"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    v = sub.add_parser("verdict")
    v.add_argument("result")
    v.add_argument("--p95-limit", type=float, default=5.0)
    c = sub.add_parser("collect")
    c.add_argument("--dir", required=True)
    c.add_argument("--out", required=True)
    c.add_argument("--markdown")
    c.add_argument("--title", default=None)
    c.add_argument("--p95-limit", type=float, default=5.0)
    c.add_argument("--rates", default="2000 4000 8000 12000 16000 24000")
    c.add_argument("--conf", default=None)
    c.add_argument("--latency-args", default="")
    c.add_argument("--driver-identical", default=None)
    a = p.parse_args()
    if a.cmd == "verdict":
        result = json.load(open(a.result)) if os.path.exists(a.result) else None
        print(verdict(result, a.p95_limit))
        return
    res = collect(a.dir, [int(r) for r in a.rates.split()], a.p95_limit, a.title)
    res["conf"] = a.conf
    res["latency_args"] = a.latency_args
    res["driver_identical"] = a.driver_identical
    with open(a.out, "w") as f:
        json.dump(res, f, indent=2)
    md = markdown(res)
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write(md)
    sys.stdout.write(md)


if __name__ == "__main__":
    main()
