#!/usr/bin/python3
"""Turns one bench/run's per-benchmark JSON files into bench/results/<stamp>.json and a markdown table.

Ratios: training "x faster" = their median fit seconds / ours; scoring = our median rows/s / theirs.
Targets (issue "Speed"): training <= 1/10 of LinkedIn's time, scoring >= 10x LinkedIn's throughput.
"""
import argparse
import glob
import json
import os
import platform

import latency_sweep
import serve_latency


def jmh_to_result(path):
    runs = json.load(open(path))
    out = {"impl": "raw_scorer", "threads": 1, "unit": "rows/s"}
    for r in runs:
        name = r["benchmark"].rsplit(".", 1)[1]
        out[name + "_rows_per_s"] = r["primaryMetric"]["score"]
        out[name + "_error"] = r["primaryMetric"]["scoreError"]
        out["jmh"] = f"{r['forks']} fork, {r['warmupIterations']}x{r['warmupTime']} warm-up, " \
                     f"{r['measurementIterations']}x{r['measurementTime']} measured, {r['threads']} thread"
    return out


def fmt(x, digits=1):
    return "n/a" if x is None else f"{x:,.{digits}f}"


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def markdown(res, stamp, args, tables=None):
    ours, li, sk = res.get("fraudlake"), res.get("linkedin"), res.get("sklearn")
    rows_n = next((r["rows"] for r in (ours, li, sk) if r), None)
    forests = any(res.get(k) for k in ("fraudlake", "fraudlake_eif", "linkedin", "sklearn"))
    lines = [f"## Benchmarks, run {stamp}", "", f"Host: {os.cpu_count()} cores, {platform.machine()}; {args}.", ""]
    if forests:
        lines += ["### Isolation Forest speed", "",
                  f"{fmt(rows_n, 0) if rows_n else '?'} rows x 8 features, 200 trees, 256 samples/tree, "
                  f"contamination 0.035. Medians of the timed rounds after the warm-up rounds.", "",
                  "| implementation | engine | train s | score rows/s | train speed-up vs LinkedIn | score speed-up vs LinkedIn "
                  "| train speed-up vs sklearn | score speed-up vs sklearn | ROC AUC | flagged |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]

    def row(label, r, train_key="train_s_median"):
        if not r:
            return
        train, rps = r.get(train_key), r.get("score_rows_per_s")
        cells = [label, r.get("engine", ""), fmt(train, 2), fmt(rps, 0)]
        for other in (li, sk):
            o_train = other.get("train_s_median") if other else None
            o_rps = other.get("score_rows_per_s") if other else None
            t = ratio(o_train, train)
            s = ratio(rps, o_rps)
            cells += [f"{t:.2f}x" if t else "n/a", f"{s:.2f}x" if s else "n/a"]
        cells += [fmt(r.get("roc_auc"), 4), fmt(100 * r["flagged_fraction"], 2) + "%" if "flagged_fraction" in r else "n/a"]
        lines.append("| " + " | ".join(cells) + " |")

    row("FraudLake (ours)", ours)
    row("FraudLake Extended IF (ours, fully extended)", res.get("fraudlake_eif"))
    row("LinkedIn isolation-forest", li)
    row("scikit-learn (n_jobs=-1)", sk)
    if forests:
        lines.append("")
    if sk:
        lines.append(f"scikit-learn's train s is fit(contamination=0.035): tree building "
                     f"({fmt(sk.get('train_trees_s_median'), 2)} s with n_jobs=-1, "
                     f"{fmt(sk.get('n_jobs_1_train_trees_s_median'), 2)} s with n_jobs=1) plus the "
                     f"score_samples pass over the training set that places the threshold. Its "
                     f"score_samples runs on one core whatever n_jobs is; the Spark runs use every core.")
        lines.append("")
    odds_runs = [(label, res.get(key)) for key, label in
                  (("fraudlake", "Isolation Forest"), ("fraudlake_eif", "Extended IF (fully extended)")) if res.get(key)]
    odds_sets = sorted({k[len("odds_"):-len("_auroc")] for _, r in odds_runs for k in r
                        if k.startswith("odds_") and k.endswith("_auroc")})
    if odds_sets:
        lines.append("ODDS data sets (100 trees, 256 samples/tree, seed 1; data/odds):")
        lines.append("")
        lines.append("| forest | " + " | ".join(f"{n} AUROC | {n} AUPRC" for n in odds_sets) + " |")
        lines.append("|---|" + "---:|---:|" * len(odds_sets))
        for label, r in odds_runs:
            lines.append(f"| {label} | " + " | ".join(
                f"{fmt(r.get(f'odds_{n}_auroc'), 4)} | {fmt(r.get(f'odds_{n}_auprc'), 4)}" for n in odds_sets) + " |")
        lines.append("")
    raw = res.get("raw_scorer")
    if raw:
        lines.append("| raw scorer (JMH, 1 thread, no Spark) | rows/s | vs our Spark scoring |")
        lines.append("|---|---:|---:|")
        for key, label in (("batch", "score(double[][], double[])"), ("single", "score(double[]) per row")):
            v = raw.get(key + "_rows_per_s")
            if v is not None:
                per_core = ratio(ours.get("score_rows_per_s"), ours.get("cores")) if ours else None
                lines.append(f"| {label} | {fmt(v, 0)} +- {fmt(raw.get(key + '_error'), 0)} | "
                             + (f"Spark path per core is {100 * per_core / v:.1f}% of this |" if per_core else "n/a |"))
        lines.append("")
    if ours and li:
        t = ratio(li["train_s_median"], ours["train_s_median"])
        s = ratio(ours["score_rows_per_s"], li["score_rows_per_s"])
        lines.append(f"Targets: training <= 1/10 of LinkedIn's time: {t:.1f}x faster, "
                     f"{'MET' if t >= 10 else 'MISSED'}; scoring >= 10x LinkedIn's throughput: {s:.1f}x, "
                     f"{'MET' if s >= 10 else 'MISSED'}.")
        lines.append("")
    for sweep in ("latency_sweep", "source_sweep"):
        if sweep in res:
            lines.append(latency_sweep.markdown(res[sweep]))
    if "serve_latency" in res:
        lines.append(serve_latency.markdown(res["serve_latency"]))
    others = {k: v for k, v in res.items()
              if k not in ("fraudlake", "fraudlake_eif", "linkedin", "sklearn", "raw_scorer", "latency_sweep", "source_sweep",
                        "serve_latency")}
    for name, r in sorted(others.items()):
        lines.append(f"### {name}")
        lines.append("")
        # A benchmark may write its own summary table beside its result (<name>.md): it goes first.
        if tables and name in tables:
            lines.append(tables[name].rstrip("\n"))
            lines.append("")
        lines.append("| metric | value |")
        lines.append("|---|---|")
        for k, v in r.items():
            lines.append(f"| {k} | {fmt(v, 3) if isinstance(v, float) else v} |")
        lines.append("")
    lines.append("Load average before each benchmark (1/5/15 min): " + ", ".join(
        f"{k} {v['load_before']}" for k, v in res.items() if "load_before" in v) + ".")
    return "\n".join(lines) + "\n"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--jmh")
    p.add_argument("--run-dir")
    p.add_argument("--stamp")
    p.add_argument("--json")
    p.add_argument("--markdown")
    p.add_argument("--args", default="")
    a = p.parse_args()
    if a.jmh:
        print(json.dumps(jmh_to_result(a.jmh)))
        return
    res = {}
    tables = {}
    for f in sorted(glob.glob(os.path.join(a.run_dir, "*.json"))):
        if f.endswith(".jmh.json"):
            continue
        name = os.path.basename(f)[:-len(".json")]
        res[name] = json.load(open(f))
        load = os.path.join(a.run_dir, name + ".load")
        if os.path.exists(load):
            res[name]["load_before"] = open(load).read().strip()
        table = os.path.join(a.run_dir, name + ".md")
        if os.path.exists(table):
            tables[name] = open(table).read()
    with open(a.json, "w") as f:
        json.dump({"stamp": a.stamp, "args": a.args, "cores": os.cpu_count(), "results": res}, f, indent=2)
    with open(a.markdown, "w") as f:
        f.write(markdown(res, a.stamp, a.args, tables))


if __name__ == "__main__":
    main()
