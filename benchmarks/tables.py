"""Trees inside self-training on tables, against logistic regression on the labelled rows.

On the built-in tables ``breast_cancer`` (2 classes), ``wine`` (3) and ``default`` (2, 3 %
positive), at 1, 4 and 16 labels per class (``budget_split``, seeds 0-2), every method gets
the same labelled ids of the training pool and is scored on the fixed test split:

* ``logreg-balanced``: ``LogisticRegression(class_weight="balanced")`` on the labelled rows
  of the ``tabular`` encoder's embeddings (the peer that led on these tables);
* ``hgb-sklearn-defaults``: ``HistGradientBoostingClassifier()`` on the labelled rows (its
  ``min_samples_leaf=20`` makes no split on a few labels);
* ``trees:<setting>``: :class:`fewlabels.learn.TreeSelfTraining` on the embeddings, with
  the settings in ``SETTINGS`` (``r0``: no self-training rounds, plain small-data HGB);
* ``trees-raw:<setting>``: the same on the raw DataFrame (native categories, no encoder).

Accuracy, balanced accuracy and macro-F1 are averaged over the seeds, with the
majority-class rate of the test split beside them. Run with ``OMP_NUM_THREADS=1``::

    OMP_NUM_THREADS=1 python benchmarks/tables.py

Prints a table and writes ``benchmarks/results/tables.json`` (machine, load averages).
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

RESULTS = Path(__file__).parent / "results" / "tables.json"
DATASETS = ("breast_cancer", "wine", "default")
BUDGETS = (1, 4, 16)
SEEDS = (0, 1, 2)

#: TreeSelfTraining settings compared (keyword arguments).
SETTINGS: dict[str, dict[str, Any]] = {
    "r0": {"max_rounds": 0},
    "default": {},
    "iter100-leaf2": {"max_iter": 100, "max_leaf_nodes": 15, "min_samples_leaf": 2},
    "iter20": {"max_iter": 20},
    "thr0.9": {"criterion": "threshold", "threshold": 0.9},
    "balanced": {"class_weight": "balanced"},
}
RAW_SETTINGS = ("r0", "default")


class _Labelled:
    """Fit ``estimator`` on the rows whose label is not -1."""

    def __init__(self, estimator: Any) -> None:
        self.estimator = estimator

    def fit(self, X: Any, y: np.ndarray) -> _Labelled:
        keep = np.flatnonzero(y != -1)
        rows = X.iloc[keep] if hasattr(X, "iloc") else X[keep]
        self.estimator.fit(rows, y[keep])
        return self

    def predict(self, X: Any) -> np.ndarray:
        return np.asarray(self.estimator.predict(X))


def _methods() -> dict[str, tuple[str, Any]]:
    from fewlabels.learn.trees import TreeSelfTraining

    out: dict[str, tuple[str, Any]] = {
        "logreg-balanced": (
            "emb",
            lambda: _Labelled(LogisticRegression(class_weight="balanced", max_iter=1000)),
        ),
        "hgb-sklearn-defaults": ("emb", lambda: _Labelled(HistGradientBoostingClassifier())),
    }
    for name, kw in SETTINGS.items():
        out[f"trees:{name}"] = ("emb", lambda kw=kw: TreeSelfTraining(**kw))
    for name in RAW_SETTINGS:
        kw = SETTINGS[name]
        out[f"trees-raw:{name}"] = ("raw", lambda kw=kw: TreeSelfTraining(**kw))
    return out


def main() -> None:
    from fewlabels import budget_split, load_builtin
    from fewlabels.bench.session import machine_info
    from fewlabels.encode.tabular import TabularEncoder

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    started = time.perf_counter()
    info = machine_info()
    methods = _methods()
    cells = []
    for ds_name in args.datasets:
        splits = load_builtin(ds_name)
        enc = TabularEncoder().fit(splits.train.inputs)
        inputs = {
            "emb": (enc.encode(splits.train.inputs), enc.encode(splits.test.inputs)),
            "raw": (splits.train.inputs, splits.test.inputs),
        }
        y_test = splits.test.labels
        majority = float(np.bincount(y_test).max() / y_test.size)
        for k in BUDGETS:
            for method, (kind, make) in methods.items():
                X_train, X_test = inputs[kind]
                scores: dict[str, list[float]] = {"accuracy": [], "balanced": [], "f1": []}
                t0 = time.perf_counter()
                for seed in SEEDS:
                    y = budget_split(splits.train, per_class=k, seed=seed).apply(splits.train)
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        pred = make().fit(X_train, y.labels).predict(X_test)
                    scores["accuracy"].append(accuracy_score(y_test, pred))
                    scores["balanced"].append(balanced_accuracy_score(y_test, pred))
                    scores["f1"].append(f1_score(y_test, pred, average="macro"))
                cell = {
                    "dataset": ds_name,
                    "per_class": k,
                    "method": method,
                    "accuracy": round(float(np.mean(scores["accuracy"])), 4),
                    "balanced_accuracy": round(float(np.mean(scores["balanced"])), 4),
                    "macro_f1": round(float(np.mean(scores["f1"])), 4),
                    "majority_rate": round(majority, 4),
                    "seconds_per_fit": round((time.perf_counter() - t0) / len(SEEDS), 3),
                }
                cells.append(cell)
                print(
                    f"{ds_name:14s} {k:3d}/class {method:24s} acc {cell['accuracy']:.3f}  "
                    f"bal {cell['balanced_accuracy']:.3f}  F1 {cell['macro_f1']:.3f}  "
                    f"(majority {majority:.3f}, {cell['seconds_per_fit']:.2f} s/fit)",
                    flush=True,
                )
    out = {
        "what": __doc__.split("\n\n")[0],
        "machine": info,
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "seeds": list(SEEDS),
        "settings": SETTINGS,
        "seconds": round(time.perf_counter() - started, 1),
        "cells": cells,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {args.out} in {out['seconds']} s")


if __name__ == "__main__":
    main()
