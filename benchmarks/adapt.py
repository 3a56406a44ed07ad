"""Adapted encoders against frozen ones: head adaptation on text, SCARF on tables.

* finefoods (MiniLM, embeddings from fewlabels.embed's default cache), 4 and 16 labels per
  class, seeds 0-2: each zero-shot-free learner (ncm, knn, linear, label-spreading) on the
  head-adapted encoder and on the frozen one (accuracy, macro-F1), with the adaptation's time
  and peak memory. The "best learner" is the one with the highest mean macro-F1 on the
  adapted encoder, compared with the same learner on the frozen one (every learner is
  recorded too: picking the best on the test split flatters both sides alike).
* tables (breast_cancer, wine, default), 4 labels per class, seeds 0-2: SCARF against
  ``tabular``, same learners.

No test row reaches an adaptation: it sees the training split only (its rows digest is
checked against the training rows below), and the test rows are only transformed.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/adapt.py [--quick]

Writes ``benchmarks/results/adapt.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

from fewlabels.adapt import adapt
from fewlabels.data import load_builtin
from fewlabels.data.budget import budget_split
from fewlabels.encode import embed, get_encoder
from fewlabels.encode.fingerprint import combine, fingerprints
from fewlabels.learn.registry import LEARNERS

RESULTS = Path(__file__).parent / "results" / "adapt.json"
LEARNER_NAMES = ("ncm", "knn", "linear", "label-spreading")
SEEDS = (0, 1, 2)


def _scores(
    X_pool: np.ndarray, labels: np.ndarray, X_test: np.ndarray, y_test: np.ndarray
) -> dict[str, Any]:
    out = {}
    for name in LEARNER_NAMES:
        model = LEARNERS.create(name).fit(X_pool, labels)
        pred = np.asarray(model.predict(X_test))
        out[name] = {
            "accuracy": float(accuracy_score(y_test, pred)),
            "macro_f1": float(f1_score(y_test, pred, average="macro")),
        }
    return out


def adapt_on_train(
    train_emb: Any, encoder: Any, *, method: str, labels: Any, seed: int, **kw: Any
) -> tuple[Any, float, float]:
    """Adapt on the training pool only; return (adapted, seconds, tracemalloc peak MiB)."""
    tracemalloc.start()
    t0 = time.perf_counter()
    adapted = adapt(train_emb, encoder, method=method, labels=labels, seed=seed, **kw)
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return adapted, seconds, peak


def _cell(
    train: Any,
    test: Any,
    encoder: Any,
    *,
    method: str,
    per_class: int,
    seed: int,
    use_labels: bool,
    **settings: Any,
) -> dict[str, Any]:
    """One (dataset, budget, seed) cell: adapt on ``train`` only, score both on ``test``."""
    train_emb = embed(train, encoder, progress=False)
    test_X = np.asarray(embed(test, encoder, progress=False).X)
    split = budget_split(train, per_class=per_class, seed=seed)
    labels = split.apply(train).labels
    adapted, seconds, peak = adapt_on_train(
        train_emb,
        encoder,
        method=method,
        labels=labels if use_labels else None,
        seed=seed,
        **settings,
    )
    assert adapted.meta.rows["digest"] == combine(fingerprints(train_emb.dataset))
    X_pool = np.asarray(train_emb.X)
    return {
        "seed": seed,
        "per_class": per_class,
        "adapt_seconds": round(seconds, 2),
        "adapt_peak_python_mib": round(peak, 1),
        "n_pseudo": adapted.meta.labels.get("n_pseudo", 0),
        "frozen": _scores(X_pool, labels, test_X, test.labels),
        "adapted": _scores(
            adapted.transform(X_pool), labels, adapted.transform(test_X), test.labels
        ),
    }


def _summary(cells: list[dict[str, Any]]) -> dict[str, Any]:
    by = {}
    for side in ("frozen", "adapted"):
        by[side] = {
            name: {
                m: round(100 * float(np.mean([c[side][name][m] for c in cells])), 2)
                for m in ("accuracy", "macro_f1")
            }
            for name in LEARNER_NAMES
        }
    best = max(LEARNER_NAMES, key=lambda n: by["adapted"][n]["macro_f1"])
    return {
        "best_learner_on_adapted": best,
        "adapted": by["adapted"][best],
        "frozen_same_learner": by["frozen"][best],
        "delta_macro_f1_points": round(
            by["adapted"][best]["macro_f1"] - by["frozen"][best]["macro_f1"], 2
        ),
        "best_frozen_learner": max(LEARNER_NAMES, key=lambda n: by["frozen"][n]["macro_f1"]),
        "all_learners": by,
        "adapt_seconds_mean": round(float(np.mean([c["adapt_seconds"] for c in cells])), 2),
        "adapt_peak_python_mib_max": max(c["adapt_peak_python_mib"] for c in cells),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one seed, for a smoke run")
    args = parser.parse_args()
    seeds = SEEDS[:1] if args.quick else SEEDS
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    out: dict[str, Any] = {"text": {}, "tables": {}}
    bundle = load_builtin("finefoods")
    minilm = get_encoder("minilm", device="cpu")
    for per_class in (4, 16):
        cells = [
            _cell(
                bundle.train,
                bundle.test,
                minilm,
                method="head",
                per_class=per_class,
                seed=s,
                use_labels=True,
            )
            for s in seeds
        ]
        out["text"][f"finefoods/{per_class}"] = {"summary": _summary(cells), "cells": cells}
        print(
            f"finefoods {per_class}/class:",
            json.dumps(out["text"][f"finefoods/{per_class}"]["summary"])[:400],
        )
    for name in ("breast_cancer", "wine", "default"):
        b = load_builtin(name)
        cells = []
        for s in seeds:
            tab = get_encoder("tabular")  # fitted on the training rows by embed
            cells.append(
                _cell(b.train, b.test, tab, method="scarf", per_class=4, seed=s, use_labels=False)
            )
        out["tables"][f"{name}/4"] = {"summary": _summary(cells), "cells": cells}
        print(f"{name} 4/class:", json.dumps(out["tables"][f"{name}/4"]["summary"])[:400])
    out["machine"] = {
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "load_average_before": [round(v, 2) for v in load_before],
        "load_average_after": [round(v, 2) for v in os.getloadavg()],
        "process_max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "total_seconds": round(time.perf_counter() - t0, 1),
        "seeds": list(seeds),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=1))
    print(json.dumps(out["machine"]))


if __name__ == "__main__":
    main()
