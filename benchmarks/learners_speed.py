"""Fit time of every learner on 100,000 x 384 synthetic embeddings, and peak memory.

The data: 100,000 rows around 20 random cluster centres in 384 dimensions (a noisy
mixture, L2-normalised), 1 % of the rows labelled (50 per class). Each learner is fitted
in its own subprocess, so that its peak resident memory (``ru_maxrss``) is its own; the
baseline (Python, numpy, torch, faiss and the data, no fit) is measured the same way.

Usage::

    python benchmarks/learners_speed.py [--n 100000] [--dim 384]

Prints a table and writes ``benchmarks/results/learners_speed.csv``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).parent / "results" / "learners_speed.csv"
LEARNERS = [
    "baseline",
    "ncm",
    "knn",
    "linear",
    "label-spreading",
    "self-training",
    "consistency",
    "zero-shot",
    "auto",
]
TARGETS = {"consistency": 120.0}


def make_data(
    n: int, dim: int, n_classes: int = 20, labelled: float = 0.01, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Clustered unit vectors, their true classes, the 1 % labels, and the centres."""
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((n_classes, dim)).astype(np.float32)
    centers /= np.linalg.norm(centers, axis=1, keepdims=True)
    y_true = rng.integers(0, n_classes, n)
    X = centers[y_true] + 1.5 / np.sqrt(dim) * rng.standard_normal((n, dim)).astype(np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    y = np.full(n, -1)
    per_class = max(1, round(labelled * n / n_classes))
    for c in range(n_classes):
        y[rng.choice(np.flatnonzero(y_true == c), per_class, replace=False)] = c
    return X, y_true, y, centers


class _CentresTextSide:
    """A stand-in text side for ZeroShot: the prompt of class c embeds near centre c."""

    modality = "text"
    name = "synthetic"

    def __init__(self, centers: np.ndarray) -> None:
        self.centers = centers

    def encode_text(self, prompts: list[str]) -> np.ndarray:
        return np.stack(
            [self.centers[int(p.split("class")[-1].split()[0].strip(".") or 0)] for p in prompts]
        )


def run_one(name: str, n: int, dim: int) -> dict[str, float]:
    """Fit one learner in this process; report seconds and peak memory."""
    from fewlabels.learn import ZeroShot, get_learner

    X, y_true, y, centers = make_data(n, dim)
    fit_s = predict_s = acc = float("nan")
    if name != "baseline":
        if name == "zero-shot":
            model = ZeroShot(
                encoder=_CentresTextSide(centers),
                class_names=[f"class{c}" for c in range(len(centers))],
                templates=["{}"],
            )
            y_fit = np.full(n, -1)
        else:
            model = get_learner(name)
            y_fit = y
        t0 = time.perf_counter()
        model.fit(X, y_fit)
        fit_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        pred = model.predict(X[:10_000])
        predict_s = time.perf_counter() - t0
        acc = float(np.mean(pred == y_true[:10_000]))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB -> GiB
    return {
        "fit_seconds": fit_s,
        "predict_10k_seconds": predict_s,
        "accuracy": acc,
        "peak_rss_gib": peak,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--learners", nargs="+", default=LEARNERS)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.n, args.dim)))
        return
    rows = []
    load_before = os.getloadavg()
    for name in args.learners:
        out = subprocess.run(
            [sys.executable, __file__, "--one", name, "--n", str(args.n), "--dim", str(args.dim)],
            check=True,
            capture_output=True,
            text=True,
        )
        res = json.loads(out.stdout.strip().splitlines()[-1])
        res.update(learner=name, n=args.n, dim=args.dim, load_1min=round(os.getloadavg()[0], 2))
        rows.append(res)
        target = TARGETS.get(name, 30.0)
        print(
            f"{name:16s} fit {res['fit_seconds']:7.2f} s (target <= {target:.0f} s)  "
            f"predict 10k {res['predict_10k_seconds']:6.2f} s  acc {res['accuracy']:.3f}  "
            f"peak {res['peak_rss_gib']:.2f} GiB  load {res['load_1min']}",
            flush=True,
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fields = [
        "learner",
        "n",
        "dim",
        "fit_seconds",
        "predict_10k_seconds",
        "accuracy",
        "peak_rss_gib",
        "load_1min",
    ]
    # Rows of learners not run this time are kept from an earlier run of the same size.
    kept: list[dict[str, object]] = []
    if args.out.exists():
        with args.out.open() as fh:
            kept = [
                dict(r)
                for r in csv.DictReader(fh)
                if r["learner"] not in args.learners
                and r["n"] == str(args.n)
                and r["dim"] == str(args.dim)
            ]
    new = [
        {k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items() if k in fields}
        for r in rows
    ]
    order = {name: i for i, name in enumerate(LEARNERS)}
    merged = sorted(kept + new, key=lambda r: order.get(str(r["learner"]), len(order)))
    with args.out.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(merged)
    print(
        f"\nmachine: {platform.platform()}, {os.cpu_count()} cores; load average before "
        f"{tuple(round(v, 2) for v in load_before)}, after "
        f"{tuple(round(v, 2) for v in os.getloadavg())}"
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
