"""Image body adaptation (``simclr-image``) against frozen EfficientNet-Lite0.

For mnist5k and fashion5k (built-ins): the training split is the pool (or a seeded sample of
``--pool`` rows) and the whole test split (or a seeded ``--test`` sample) is scored. SimCLR
adapts the last blocks of EfficientNet-Lite0 on a bounded sample of the pool
(``--adapt-rows``, 2,000) and never on the test split (its rows digest is checked), once per
(dataset, seed); the learners (label-spreading, linear) are then fitted at 1, 4 and 16 labels
per class (budget split seeded like the adaptation) on:

* ``frozen@96``: the packaged network at the adaptation's input size (``epochs=0``: the same
  code path, no step taken), the fair baseline for the adaptation;
* ``adapted@96``: the SimCLR-adapted network;
* ``frozen@224``: the packaged encoder as fewlabels uses it (with ``--full-size``; about 4x
  the embedding time of 96 px), to show what the smaller input size costs.

Time and peak memory (process max RSS, which only grows; and its growth during the
adaptation) of each adaptation are recorded.

Usage::

    flock /tmp/fewlabels-heavy.lock python benchmarks/adapt_images.py --full-size --seeds 0 1 2
    python benchmarks/adapt_images.py --smoke            # tiny, writes nothing

Writes ``benchmarks/results/adapt_images.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

from fewlabels.adapt import adapt
from fewlabels.data import load_builtin
from fewlabels.data.budget import budget_split
from fewlabels.encode import get_encoder
from fewlabels.encode.fingerprint import combine, fingerprints
from fewlabels.learn.registry import LEARNERS

RESULTS = Path(__file__).parent / "results" / "adapt_images.json"
LEARNER_NAMES = ("label-spreading", "linear")
BUDGETS = (1, 4, 16)


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _scores(
    X_pool: np.ndarray, labels: np.ndarray, X_test: np.ndarray, y_test: np.ndarray
) -> dict[str, Any]:
    out = {}
    for name in LEARNER_NAMES:
        model = LEARNERS.create(name).fit(X_pool, labels)
        pred = np.asarray(model.predict(X_test))
        out[name] = {
            "accuracy": round(float(accuracy_score(y_test, pred)), 4),
            "macro_f1": round(float(f1_score(y_test, pred, average="macro")), 4),
        }
    return out


def _embed(encoder: Any, dataset: Any) -> tuple[np.ndarray, float]:
    t0 = time.perf_counter()
    X = np.asarray(encoder.encode(dataset.inputs), dtype=np.float32)
    return X, time.perf_counter() - t0


def _adapted(
    pool: Any, test: Any, base: Any, settings: dict[str, Any], *, seed: int, progress: bool
) -> dict[str, Any]:
    """Adapt on ``pool`` only (checked by its rows digest) and embed pool and test."""
    rss_before = _rss_mib()
    t0 = time.perf_counter()
    enc = adapt(
        pool, base, method="simclr-image", seed=seed, device="cpu", progress=progress, **settings
    )
    seconds = time.perf_counter() - t0
    assert enc.meta.rows["digest"] == combine(fingerprints(pool))  # the pool, never test
    X_pool, t_pool = _embed(enc, pool)
    X_test, t_test = _embed(enc, test)
    return {
        "X_pool": X_pool,
        "X_test": X_test,
        "record": {
            "seed": seed,
            "adapt_seconds": round(seconds, 1),
            "peak_rss_mib": round(_rss_mib(), 0),
            "rss_growth_mib": round(_rss_mib() - rss_before, 0),
            "embed_images_per_second": round((len(pool) + len(test)) / (t_pool + t_test), 1),
            "training": enc.meta.training,
        },
    }


def _dataset_run(name: str, args: argparse.Namespace, base: Any) -> dict[str, Any]:
    splits = load_builtin(name)
    rng = np.random.default_rng(0)
    pool = splits.train
    if args.pool is not None:
        pool = pool.subset(np.sort(rng.permutation(len(pool))[: args.pool]))
    test = splits.test
    if args.test is not None:  # a seeded sample: the split is ordered by class
        test = test.subset(np.sort(rng.permutation(len(test))[: args.test]))
    y_test = np.asarray(test.labels)
    majority = float(np.bincount(y_test).max() / y_test.size)
    size = args.image_size
    settings = {
        "epochs": args.epochs,
        "image_size": size,
        "rows_per_epoch": args.rows_per_epoch,
        "max_rows": args.adapt_rows,
        "flip": name == "fashion5k",
    }
    # the frozen network at the adaptation's size: epochs=0, the same code path, no step
    frozen = _adapted(pool, test, base, {**settings, "epochs": 0}, seed=0, progress=False)
    fixed: dict[str, dict[str, Any]] = {f"frozen@{size}": frozen}
    if args.full_size:
        X_pool, t_pool = _embed(base, pool)
        X_test, t_test = _embed(base, test)
        fixed["frozen@224"] = {
            "X_pool": X_pool,
            "X_test": X_test,
            "record": {
                "embed_images_per_second": round((len(pool) + len(test)) / (t_pool + t_test), 1)
            },
        }
    records: dict[str, Any] = {k: v["record"] for k, v in fixed.items()}
    records[f"adapted@{size}"] = []
    cells = []
    for seed in args.seeds:
        adapted = _adapted(pool, test, base, settings, seed=seed, progress=args.progress)
        records[f"adapted@{size}"].append(adapted["record"])
        encoders = {**fixed, f"adapted@{size}": adapted}
        for per_class in BUDGETS:
            if per_class > min(pool.class_counts().values()):
                continue  # only in --smoke, whose pool is too small
            split = budget_split(pool, per_class=per_class, seed=seed)
            labels = split.apply(pool).labels
            cell: dict[str, Any] = {"per_class": per_class, "seed": seed}
            for side, e in encoders.items():
                cell[side] = _scores(e["X_pool"], labels, e["X_test"], y_test)
            cells.append(cell)
    return {
        "dataset": name,
        "n_pool": len(pool),
        "n_test": len(test),
        "majority_rate": round(majority, 4),
        "settings": settings,
        "encoders": records,
        "cells": cells,
        "summary": _summary(cells),
    }


def _summary(cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mean accuracy and macro-F1 over seeds, per budget, learner and encoder."""
    out = []
    sides = [s for s in cells[0] if "@" in s]
    for per_class in sorted({c["per_class"] for c in cells}):
        group = [c for c in cells if c["per_class"] == per_class]
        for learner in LEARNER_NAMES:
            row: dict[str, Any] = {
                "per_class": per_class,
                "learner": learner,
                "n_seeds": len(group),
            }
            for side in sides:
                for m in ("accuracy", "macro_f1"):
                    row[f"{side} {m}"] = round(
                        float(np.mean([c[side][learner][m] for c in group])), 4
                    )
            out.append(row)
    return out


def _table(results: list[dict[str, Any]]) -> str:
    sides = [k[: -len(" accuracy")] for k in results[0]["summary"][0] if k.endswith(" accuracy")]
    lines = [
        "| dataset | labels/class | learner | " + " | ".join(f"{s} acc / F1" for s in sides) + " |",
        "|" + " --- |" * (3 + len(sides)),
    ]
    for r in results:
        for row in r["summary"]:
            vals = " | ".join(
                f"{row[s + ' accuracy']:.3f} / {row[s + ' macro_f1']:.3f}" for s in sides
            )
            lines.append(f"| {r['dataset']} | {row['per_class']} | {row['learner']} | {vals} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", nargs="+", default=["mnist5k", "fashion5k"])
    parser.add_argument("--pool", type=int, default=None, help="N training rows, seeded (all)")
    parser.add_argument("--adapt-rows", type=int, default=2000, help="images SimCLR samples")
    parser.add_argument("--test", type=int, default=None, help="N test rows, seeded (all)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rows-per-epoch", type=int, default=512)
    parser.add_argument("--image-size", type=int, default=96)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--full-size", action="store_true", help="also frozen@224")
    parser.add_argument("--progress", action="store_true")
    parser.add_argument("--smoke", action="store_true", help="tiny run, nothing written")
    args = parser.parse_args()
    if args.smoke:
        args.datasets, args.pool, args.test, args.epochs, args.rows_per_epoch = (
            ["mnist5k"],
            200,
            100,
            1,
            64,
        )
        args.adapt_rows = 200
    load_before = os.getloadavg()
    base = get_encoder("efficientnet-lite0", device="cpu")
    t0 = time.perf_counter()
    results = [_dataset_run(name, args, base) for name in args.datasets]
    out = {
        "benchmark": "adapt_images",
        "commit": subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip(),
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(),
            "torch_threads": __import__("torch").get_num_threads(),
        },
        "load_before": [round(v, 2) for v in load_before],
        "load_after": [round(v, 2) for v in os.getloadavg()],
        "seconds": round(time.perf_counter() - t0, 1),
        "settings": {k: v for k, v in vars(args).items() if k != "progress"},
        "learners": list(LEARNER_NAMES),
        "results": results,
    }
    print(_table(results))
    for r in results:
        print(r["dataset"], "majority", r["majority_rate"], json.dumps(r["encoders"])[:600])
    print("load", out["load_before"], "->", out["load_after"], "seconds", out["seconds"])
    if not args.smoke:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(out, indent=1), encoding="utf-8")
        print("wrote", RESULTS)


if __name__ == "__main__":
    main()
