#!/usr/bin/python3
"""scikit-learn's IsolationForest on the benchmark CSV, with the protocol the Spark runners use:
`warmup` untimed rounds, then `reps` timed rounds of fit and of score over every row; medians reported.

sklearn's fit(contamination=0.035) is two steps: build the trees, then score_samples over the whole
training set to place the threshold (offset_). Each round runs those steps itself so both are timed
without scoring the million rows twice: `train_trees_s` is the tree building (what fit costs with
contamination='auto'), `score_s` is score_samples over all rows, and `train_s` = trees + scoring pass +
percentile is what fit(contamination=0.035) costs, the same work the Spark estimators' fit does.

score_samples in this scikit-learn (Debian's 1.2) runs on one core whatever n_jobs is; n_jobs only
spreads tree building. The ratio in bench/run uses n_jobs=-1 (all cores, like local[*]).
Prints one JSON object on stdout.
"""
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np
import sklearn
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score

CONTAMINATION = 0.035


def load(csv):
    # loadtxt on a million rows takes tens of seconds; the binary copy makes reruns start at once.
    cache = os.path.splitext(csv)[0] + ".npy"
    if os.path.exists(cache) and os.path.getmtime(cache) >= os.path.getmtime(csv):
        data = np.load(cache)
    else:
        data = np.loadtxt(csv, delimiter=",", skiprows=1)
        np.save(cache, data)
    return np.ascontiguousarray(data[:, :-1]), data[:, -1]


def forest(n_jobs):
    return IsolationForest(n_estimators=200, max_samples=256, max_features=1.0, bootstrap=False,
                           contamination="auto", random_state=42, n_jobs=n_jobs)


def measure(x, n_jobs, warmup, reps, score):
    trees, scoring, threshold, s = [], [], [], None
    for rnd in range(warmup + reps):
        t0 = time.perf_counter()
        model = forest(n_jobs).fit(x)
        t1 = time.perf_counter()
        if score:
            s = model.score_samples(x)
            t2 = time.perf_counter()
            np.percentile(s, 100.0 * CONTAMINATION)
            t3 = time.perf_counter()
        else:
            t2 = t3 = t1
        timed = rnd >= warmup
        print(f"n_jobs={n_jobs} {'timed' if timed else 'warm-up'} round {rnd}: "
              f"trees {t1 - t0:.2f} s, score {t2 - t1:.2f} s", file=sys.stderr)
        if timed:
            trees.append(t1 - t0)
            scoring.append(t2 - t1)
            threshold.append(t3 - t2)
    return trees, scoring, threshold, s


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--csv", required=True)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--out")
    a = p.parse_args()

    x, y = load(a.csv)
    rows = x.shape[0]
    result = {"impl": "sklearn", "engine": f"scikit-learn {sklearn.__version__}, numpy {np.__version__}",
              "cores": os.cpu_count(), "rows": rows, "trees": 200, "max_samples": 256,
              "warmup": a.warmup, "reps": a.reps, "ratio_uses_n_jobs": -1}

    trees, scoring, threshold, s = measure(x, -1, a.warmup, a.reps, score=True)
    train = [t + s + q for t, s, q in zip(trees, scoring, threshold)]
    result.update({
        "train_s": train, "score_s": scoring, "train_trees_s": trees,
        "train_s_median": statistics.median(train),
        "train_trees_s_median": statistics.median(trees),
        "score_s_median": statistics.median(scoring),
        "score_rows_per_s": rows / statistics.median(scoring),
    })
    # One core only changes tree building (scoring ignores n_jobs here), so only that is repeated.
    trees1, _, _, _ = measure(x, 1, a.warmup, a.reps, score=False)
    result["n_jobs_1_train_trees_s_median"] = statistics.median(trees1)

    # The last timed round's scores: no extra pass needed for the sanity figures.
    result["roc_auc"] = roc_auc_score(y, -s)
    result["flagged_fraction"] = float(np.mean(s < np.percentile(s, 100.0 * CONTAMINATION)))

    line = json.dumps(result)
    print(line)
    if a.out:
        with open(a.out, "w") as f:
            f.write(line + "\n")


if __name__ == "__main__":
    main()
