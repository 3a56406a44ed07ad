"""The approximate kNN graph on a real pool: Fashion-MNIST, its recall and what it costs label spreading.

The pool: all 70,000 Fashion-MNIST images (the ``fashion-mnist`` built-in: 60,000 training
images as the transductive pool, scored on them), as PCA-reduced pixel features (128-d, fitted
on the pool, centred and L2-normalised; no encoder download, no labels used), 1 % labelled
(stratified, seed 0). Label spreading runs twice on the same rows and labels:

- ``inverted file``: the default above ``EXACT_UP_TO`` rows (``fewlabels.learn.ivf_graph``),
  its recall@10 against exact search recorded as ``graph_recall_``;
- ``exact``: the same learner with ``EXACT_UP_TO`` raised above the pool, flat search.

Both report time, accuracy and macro-F1 on the unlabelled rows (majority rate beside), and how
many rows get the same label from both graphs.

Usage::

    python benchmarks/scaling_real.py

Writes ``benchmarks/results/scaling_real.json``.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from pathlib import Path

import numpy as np
from sklearn.decomposition import PCA
from sklearn.metrics import f1_score

RESULTS = Path(__file__).parent / "results"


def _features() -> tuple[np.ndarray, np.ndarray]:
    from fewlabels.data import load_builtin

    train = load_builtin("fashion-mnist").train
    X = np.asarray(train.inputs, dtype=np.float32).reshape(len(train.labels), -1) / 255.0
    Z = PCA(n_components=128, random_state=0).fit_transform(X).astype(np.float32)
    Z /= np.linalg.norm(Z, axis=1, keepdims=True)
    return Z, np.asarray(train.labels)


def _fit(Z: np.ndarray, y: np.ndarray, *, exact: bool) -> tuple[np.ndarray, float, float | None]:
    import importlib

    from fewlabels.learn import LabelSpreading

    # the modules, not the function of that name that fewlabels.learn exports; label
    # spreading keeps its own copy of the threshold
    modules = [
        importlib.import_module(m)
        for m in ("fewlabels.learn.knn_graph", "fewlabels.learn.label_spreading")
    ]
    saved = [m.EXACT_UP_TO for m in modules]
    if exact:
        for m in modules:
            m.EXACT_UP_TO = 10**9
    try:
        start = time.perf_counter()
        model = LabelSpreading().fit(Z, y)
        seconds = time.perf_counter() - start
    finally:
        for m, value in zip(modules, saved, strict=True):
            m.EXACT_UP_TO = value
    return np.asarray(model.transduction_), seconds, getattr(model, "graph_recall_", None)


def main() -> None:
    load_before = os.getloadavg()
    Z, y_true = _features()
    rng = np.random.default_rng(0)
    y = np.full(y_true.shape, -1)
    for c in np.unique(y_true):
        rows = np.flatnonzero(y_true == c)
        y[rng.choice(rows, size=max(1, len(rows) // 100), replace=False)] = c
    unl = y == -1
    majority = float(np.bincount(y_true[unl]).max() / unl.sum())
    runs = {}
    preds = {}
    for name, exact in (("inverted file", False), ("exact", True)):
        pred, seconds, recall = _fit(Z, y, exact=exact)
        preds[name] = pred
        runs[name] = {
            "seconds": round(seconds, 2),
            "graph_recall": recall,
            "accuracy": float(np.mean(pred[unl] == y_true[unl])),
            "macro_f1": float(f1_score(y_true[unl], pred[unl], average="macro")),
        }
        print(name, runs[name], flush=True)
    same = float(np.mean(preds["inverted file"][unl] == preds["exact"][unl]))
    out = {
        "benchmark": "scaling_real",
        "data": "fashion-mnist train (60,000 x 128 PCA of pixels), 1 % labelled, seed 0",
        "n": len(y),
        "n_labelled": int((~unl).sum()),
        "majority_rate": majority,
        "runs": runs,
        "same_label_share": same,
        "commit": subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip(),
        "machine": {"platform": platform.platform(), "cores": os.cpu_count()},
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "scaling_real.json").write_text(json.dumps(out, indent=1) + "\n")
    print(f"same label on {100 * same:.2f} % of the unlabelled rows; majority {majority:.3f}")
    print(f"wrote {RESULTS / 'scaling_real.json'}")


if __name__ == "__main__":
    main()
