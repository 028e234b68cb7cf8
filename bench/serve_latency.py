#!/usr/bin/python3
"""Gathers the serve_latency benchmark of bench/run (`--only serve_latency`) and renders its tables.

  serve_latency.py collect --dir DIR --out FILE [--markdown FILE]
      DIR holds one <target>.json per target (written by io.fraudlake.bench.ServeLatencyBenchmark),
      <target>.load (load average before it) and skipped.json ({"target group": "why"}, optional);
      writes one JSON object and the markdown summary.

Targets bench/run measures: `constant` (the JDK HTTP server answering a fixed reply: the ceiling of the
load generator and that HTTP layer together), `fraudlake_transactions` and `fraudlake_predict`
(./fraudlake serve), `peer_w1` and `peer_w2` (bench/fastapi_peer.py under uvicorn with 1 and 2 workers).

Per target: "sustained" is the highest rate of the unbroken run of steps, from the lowest, that kept up
with p99 under the limit (10 ms); "kept up" is the highest rate served at all (no errors, no backlog over
the bound, at least 95% of the rate achieved, p99 under 1 s). Ratios divide FraudLake's figure by the
best peer's (more uvicorn workers may do better on 2 cores, so the best of both is the fair divisor).
"""
import argparse
import glob
import json
import os

FRAUDLAKE = ("fraudlake_transactions", "fraudlake_predict")
PEERS = ("peer_w1", "peer_w2")
ORDER = ("constant",) + FRAUDLAKE + PEERS
RATIO_GOAL = 20.0
P99_GOAL_RATE = 2000.0
P99_GOAL_MS = 5.0


def step_at(target, rate):
    for s in target.get("steps", []):
        if s["rate"] == rate:
            return s
    return None


def best(targets, names, key):
    values = [(targets[n][key], n) for n in names if n in targets and targets[n].get(key) is not None]
    return max(values) if values else (None, None)


def ratio(a, b):
    return None if a is None or not b else a / b


def collect(directory):
    targets = {}
    for f in sorted(glob.glob(os.path.join(directory, "*.json"))):
        name = os.path.basename(f)[:-len(".json")]
        if name == "skipped":
            continue
        targets[name] = json.load(open(f))
        load = os.path.join(directory, name + ".load")
        if os.path.exists(load):
            targets[name]["load_before_server"] = open(load).read().strip()
    skipped_path = os.path.join(directory, "skipped.json")
    skipped = json.load(open(skipped_path)) if os.path.exists(skipped_path) else {}
    out = {"impl": "serve_latency", "targets": targets, "skipped": skipped}

    peer_sustained, peer_sustained_name = best(targets, PEERS, "sustained_rate_p99_under_limit")
    peer_kept, peer_kept_name = best(targets, PEERS, "highest_kept_up_rate")
    out["peer_sustained_rate"] = peer_sustained
    out["peer_sustained_target"] = peer_sustained_name
    out["peer_kept_up_rate"] = peer_kept
    out["peer_kept_up_target"] = peer_kept_name
    for name in FRAUDLAKE:
        t = targets.get(name)
        if not t:
            continue
        ours, kept = t.get("sustained_rate_p99_under_limit"), t.get("highest_kept_up_rate")
        s = step_at(t, P99_GOAL_RATE)
        p99 = s["p99_ms"] if s and s.get("kept_up") else None
        r_limit = ratio(ours, peer_sustained)
        r_strict = ratio(ours, peer_kept)
        # With a peer that never gets p99 under the limit, ours-under-the-limit against its best throughput
        # at any latency is the conservative ratio: it favours the peer.
        judged = r_limit if r_limit is not None else r_strict
        out[name] = {
            "sustained_rate": ours,
            "kept_up_rate": kept,
            "ratio_sustained_vs_peer_sustained": r_limit,
            "ratio_kept_up_vs_peer_kept_up": ratio(kept, peer_kept),
            "ratio_sustained_vs_peer_kept_up": r_strict,
            "ratio_goal_met": None if judged is None else judged >= RATIO_GOAL,
            "p99_ms_at_2000": p99,
            "p99_goal_met": None if p99 is None else p99 < P99_GOAL_MS,
        }
    return out


def fmt(x, digits=1):
    return "n/a" if x is None else f"{x:,.{digits}f}"


def markdown(res):
    targets = res.get("targets", {})
    names = [n for n in ORDER if n in targets] + sorted(n for n in targets if n not in ORDER)
    lines = ["## Online scoring latency (serve_latency)", ""]
    first = next((targets[n] for n in names), None)
    if first:
        lines.append(f"Open loop, one event per request over loopback, {first['connections']} keep-alive connections, "
                     f"latency from each request's scheduled send time; steps of {first['step_seconds']} s or "
                     f"{first['step_requests']:,} requests; a step is abandoned when a request waits over "
                     f"{first['backlog_ms']} ms for a free connection. Sustained = highest rate, in an unbroken run "
                     f"from the lowest, kept up with p99 < {fmt(first['p99_limit_ms'], 0)} ms; kept up = no errors, no "
                     f"abandon, >= 95% of the rate achieved, p99 < {fmt(first['keepup_p99_ms'], 0)} ms. "
                     f"{first['cores']} cores shared by server and generator.")
        lines.append("")
    for group, why in res.get("skipped", {}).items():
        lines.append(f"**{group} not measured**: {why}")
        lines.append("")
    lines += ["| target | server | sustained req/s (p99 < limit) | kept up req/s | p99 ms at 2,000 req/s | "
              "server CPU us/req at kept up | load before |",
              "|---|---|---:|---:|---:|---:|---|"]
    for n in names:
        t = targets[n]
        s2000 = step_at(t, P99_GOAL_RATE)
        kept = t.get("highest_kept_up_rate")
        sk = step_at(t, kept) if kept is not None else None
        lines.append(f"| {n} | {t.get('server', '')} | {fmt(t.get('sustained_rate_p99_under_limit'), 0)} | {fmt(kept, 0)} | "
                     f"{fmt(s2000['p99_ms'], 2) if s2000 else 'n/a'} | "
                     f"{fmt(sk.get('server_cpu_us_per_request')) if sk else 'n/a'} | {t.get('load_before', '')} |")
    lines.append("")
    for n in FRAUDLAKE:
        r = res.get(n)
        if not r:
            continue
        judged = r["ratio_sustained_vs_peer_sustained"]
        basis = "both with p99 under the limit"
        if judged is None:
            judged = r["ratio_sustained_vs_peer_kept_up"]
            basis = "ours with p99 under the limit against the peer's kept-up rate at any p99 (the peer never got p99 under the limit)"
        lines.append(f"- {n}: {fmt(judged)}x the best peer ({res.get('peer_sustained_target') or res.get('peer_kept_up_target')}), "
                     f"{basis}: goal >= {RATIO_GOAL:g}x {'MET' if r['ratio_goal_met'] else 'MISSED' if r['ratio_goal_met'] is not None else 'n/a'}; "
                     f"kept-up ratio {fmt(r['ratio_kept_up_vs_peer_kept_up'])}x; p99 at 2,000 req/s {fmt(r['p99_ms_at_2000'], 2)} ms: "
                     f"goal < {P99_GOAL_MS:g} ms {'MET' if r['p99_goal_met'] else 'MISSED' if r['p99_goal_met'] is not None else 'n/a'}.")
    if any(res.get(n) for n in FRAUDLAKE):
        lines.append("")
    lines += ["| target | rate | achieved | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | service p99 ms | errors | "
              "generator us/req | server us/req | kept up |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for n in names:
        for s in targets[n].get("steps", []):
            kept = "yes" if s["kept_up"] else ("abandoned" if s["abandoned"] else "no")
            lines.append(f"| {n} | {fmt(s['rate'], 0)} | {fmt(s['achieved_rate'], 0)} | {fmt(s['p50_ms'], 2)} | "
                         f"{fmt(s['p90_ms'], 2)} | {fmt(s['p99_ms'], 2)} | {fmt(s['p999_ms'], 2)} | {fmt(s['max_ms'], 2)} | "
                         f"{fmt(s['service_p99_ms'], 2)} | {s['errors']:,} | {fmt(s['generator_cpu_us_per_request'])} | "
                         f"{fmt(s['server_cpu_us_per_request'])} | {kept} |")
    lines.append("")
    return "\n".join(lines) + "\n"


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("collect")
    c.add_argument("--dir", required=True)
    c.add_argument("--out", required=True)
    c.add_argument("--markdown")
    a = p.parse_args()
    res = collect(a.dir)
    with open(a.out, "w") as f:
        json.dump(res, f, indent=2)
    text = markdown(res)
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write(text)
    print(text)


if __name__ == "__main__":
    main()
