"""class_weight=None against class_weight="balanced", per learner, on imbalanced and balanced data.

What: the learners ``linear``, ``label-spreading``, ``knn``, ``ncm`` and ``self-training``,
each fitted with ``class_weight=None`` and with ``class_weight="balanced"``, on

* ``default`` with the ``tabular`` encoder (8,000 training rows, 3.3 % ``Yes``),
* ``finefoods`` with ``minilm`` (4,000 reviews, 35 % ``other``; the default embedding cache,
  so a second run encodes nothing),
* ``digits`` with ``pixels`` (10 balanced classes: the control, where "balanced" should cost
  nothing).

How: the whole training split is the pool; ``n`` labels (40 and 120) are drawn two ways:

* ``per-class``: ``budget_split(train, per_class=n // K, seed=s)`` (what a benchmark does),
* ``random``: ``n`` rows drawn uniformly from the pool (what a user who labels random items
  gets: on ``default`` about 1 or 4 ``Yes``). A draw that holds a single class is redrawn
  (the learners need two classes); the redraws are counted.

Seeds 0, 1, 2. Every model is fitted on the pool with the other labels hidden (-1) and scored
on the held-out test split: accuracy, balanced accuracy and macro-F1 (over every class,
so a class never predicted counts 0).

Usage::

    OMP_NUM_THREADS=1 python benchmarks/class_weight.py

Prints one table per dataset and draw (mean over seeds and both ``n``; per ``n`` in the JSON)
and writes ``benchmarks/results/class_weight.json``: the machine, the load average
(``os.getloadavg()``) before and after, the wall time, and every cell.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

from fewlabels.data import budget_split, load_builtin
from fewlabels.encode import embed, get_encoder
from fewlabels.learn import get_learner

RESULTS = Path(__file__).parent / "results" / "class_weight.json"
DATASETS = [("default", "tabular"), ("finefoods", "minilm"), ("digits", "pixels")]
LEARNERS = ["linear", "label-spreading", "knn", "ncm", "self-training"]
WEIGHTS: list[str | None] = [None, "balanced"]
DRAWS = ["per-class", "random"]
BUDGETS = [40, 120]
SEEDS = [0, 1, 2]


def _load(dataset: str, encoder: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    splits = load_builtin(dataset)
    enc = get_encoder(encoder)
    fit = getattr(enc, "fit", None)
    if callable(fit) and not getattr(enc, "is_fitted", True):
        fit(splits.train.inputs)  # the tabular encoder: label-free statistics of the pool
    tr = embed(splits.train, enc, progress=False)
    te = embed(splits.test, enc, progress=False)
    return (
        np.asarray(tr.X),
        np.asarray(tr.dataset.labels),
        np.asarray(te.X),
        np.asarray(te.dataset.labels),
    )


def _labels(train: Any, y_all: np.ndarray, draw: str, n: int, seed: int) -> tuple[np.ndarray, int]:
    """The pool's labels with all but ``n`` hidden, and how many random draws were redone."""
    if draw == "per-class":
        k = n // train.n_classes
        return budget_split(train, per_class=k, seed=seed).apply(train).labels, 0
    rng = np.random.default_rng([seed, n, 7])
    for redraws in range(1000):
        rows = rng.choice(len(y_all), size=n, replace=False)
        if np.unique(y_all[rows]).size >= 2:
            y = np.full(len(y_all), -1, dtype=np.int64)
            y[rows] = y_all[rows]
            return y, redraws
    raise RuntimeError("no draw with two classes")  # pragma: no cover


def run(seeds: list[int], budgets: list[int], learners: list[str]) -> dict[str, Any]:
    """Every cell; returns the JSON document."""
    load_before = os.getloadavg()
    t_start = time.perf_counter()
    cells: list[dict[str, Any]] = []
    for dataset, encoder in DATASETS:
        Xtr, ytr, Xte, yte = _load(dataset, encoder)
        train = load_builtin(dataset).train
        classes = np.arange(train.n_classes)
        for draw in DRAWS:
            for n in budgets:
                for seed in seeds:
                    y, redraws = _labels(train, ytr, draw, n, seed)
                    lab = y[y >= 0]
                    for name in learners:
                        for cw in WEIGHTS:
                            model = get_learner(name, class_weight=cw)
                            t0 = time.perf_counter()
                            model.fit(Xtr, y)
                            secs = time.perf_counter() - t0
                            pred = model.predict(Xte)
                            cells.append(
                                {
                                    "dataset": dataset,
                                    "encoder": encoder,
                                    "draw": draw,
                                    "n_labels": n,
                                    "seed": seed,
                                    "redraws": redraws,
                                    "labelled_minority": int(np.bincount(lab).min()),
                                    "learner": name,
                                    "class_weight": cw,
                                    "accuracy": round(float(accuracy_score(yte, pred)), 5),
                                    "balanced_accuracy": round(
                                        float(balanced_accuracy_score(yte, pred)), 5
                                    ),
                                    "macro_f1": round(
                                        float(
                                            f1_score(
                                                yte,
                                                pred,
                                                labels=classes,
                                                average="macro",
                                                zero_division=0,
                                            )
                                        ),
                                        5,
                                    ),
                                    "max_pred_share": round(
                                        float(np.bincount(pred).max() / len(pred)), 4
                                    ),
                                    "fit_seconds": round(secs, 3),
                                }
                            )
            print(f"done {dataset} {draw} ({time.perf_counter() - t_start:.0f} s)", flush=True)
    return {
        "benchmark": "class_weight",
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        },
        "loadavg_before": [round(v, 2) for v in load_before],
        "loadavg_after": [round(v, 2) for v in os.getloadavg()],
        "wall_seconds": round(time.perf_counter() - t_start, 1),
        "seeds": seeds,
        "budgets": budgets,
        "cells": cells,
    }


def table(doc: dict[str, Any]) -> str:
    """Markdown: mean accuracy / balanced accuracy / macro-F1 (%) per learner and weight."""
    import pandas as pd

    df = pd.DataFrame(doc["cells"])
    df["class_weight"] = df["class_weight"].fillna("None")
    lines = []
    for (dataset, draw), part in df.groupby(["dataset", "draw"], sort=False):
        lines.append(
            f"\n{dataset} / {draw} draw (mean over n={doc['budgets']} and seeds {doc['seeds']}; "
            "acc / bal-acc / macro-F1, %)\n"
        )
        lines.append("| learner | None | balanced | delta bal-acc | delta macro-F1 |")
        lines.append("|---|---|---|---|---|")
        means = part.groupby(["learner", "class_weight"])[
            ["accuracy", "balanced_accuracy", "macro_f1"]
        ].mean()
        for name in LEARNERS:
            if (name, "None") not in means.index:
                continue
            a, b = means.loc[(name, "None")] * 100, means.loc[(name, "balanced")] * 100
            lines.append(
                f"| {name} | {a.accuracy:.1f} / {a.balanced_accuracy:.1f} / {a.macro_f1:.1f} | "
                f"{b.accuracy:.1f} / {b.balanced_accuracy:.1f} / {b.macro_f1:.1f} | "
                f"{b.balanced_accuracy - a.balanced_accuracy:+.1f} | "
                f"{b.macro_f1 - a.macro_f1:+.1f} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", nargs="+", type=int, default=SEEDS)
    parser.add_argument("--budgets", nargs="+", type=int, default=BUDGETS)
    parser.add_argument("--learners", nargs="+", default=LEARNERS)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--table-only", action="store_true", help="print the saved table")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.table_only:
        doc = json.loads(args.out.read_text())
    else:
        doc = run(args.seeds, args.budgets, args.learners)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(doc, indent=1))
    print(table(doc))
    print(f"\nwall {doc['wall_seconds']} s, load average before {doc['loadavg_before']}")


if __name__ == "__main__":
    main()
