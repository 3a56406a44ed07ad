"""The label audit: does it find flipped labels, does fixing them help, and what does it cost.

1. digits (pixels), mnist5k (EfficientNet-Lite0) and finefoods (minilm; embeddings from the
   default cache), 16 labels per
   class, 3 seeds, 5 / 10 / 20 % of the labelled rows flipped to another class at random:
   precision and recall of the audit's top-k (k = the number of flips) and of cleanlab's
   ``find_label_issues`` on the same cross-fitted probabilities; the test accuracy of the
   default learner (``auto``) on the noisy labels and after the flagged labels are fixed
   (an oracle gives their true label, as a reviewer would), and on the clean labels.
2. A 100,000-row synthetic pool (384-d clusters, 1,600 labels in 16 classes): time and
   peak traced memory (tracemalloc) of ``audit_labels`` with the default audit learner, with
   outliers and near-duplicates.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/audit.py [--quick]

Writes ``benchmarks/results/audit.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).parent
RESULTS = HERE / "results" / "audit.json"
RATES = (0.05, 0.10, 0.20)
PER_CLASS = 16
DATASETS = (("digits", "pixels"), ("mnist5k", "efficientnet-lite0"), ("finefoods", "minilm"))


def _embedded(name: str, encoder: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from fewlabels import load_builtin
    from fewlabels.encode import embed, get_encoder

    splits = load_builtin(name)
    enc = get_encoder(encoder)
    tr = embed(splits.train, enc, progress=False)
    te = embed(splits.test, enc, progress=False)
    return (
        np.asarray(tr.X),
        np.asarray(tr.dataset.labels),
        np.asarray(te.X),
        np.asarray(te.dataset.labels),
    )


def _test_accuracy(
    X: np.ndarray, y: np.ndarray, Xt: np.ndarray, yt: np.ndarray, seed: int
) -> float:
    from fewlabels.learn import get_learner

    model = get_learner("auto", random_state=seed).fit(X, y)
    return float(np.mean(model.predict(Xt) == yt))


def _one(
    X: np.ndarray,
    y_true: np.ndarray,
    Xt: np.ndarray,
    yt: np.ndarray,
    *,
    rate: float,
    seed: int,
    learner: str,
    clean_acc: float,
    lab: np.ndarray,
) -> dict[str, Any]:
    import cleanlab.filter

    from fewlabels.audit import crossfit_proba, rank_label_issues

    K = int(y_true.max()) + 1
    rng = np.random.default_rng(1000 + seed)
    n_flip = max(1, round(rate * lab.size))
    flips = rng.choice(lab, n_flip, replace=False)
    y = np.full(len(X), -1)
    y[lab] = y_true[lab]
    y[flips] = (y_true[flips] + rng.integers(1, K, n_flip)) % K
    t0 = time.perf_counter()
    fit = crossfit_proba(X, y, learner=learner, n_classes=K, random_state=seed)
    rows = fit.labelled
    issues = rank_label_issues(fit.proba[rows], y[rows])
    audit_s = time.perf_counter() - t0
    truth = set(flips.tolist())
    top = set(rows[issues.top(n_flip)].tolist())
    flagged = set(rows[issues.flagged].tolist())
    cl = cleanlab.filter.find_label_issues(y[rows], fit.proba[rows], n_jobs=1)
    cl_set = set(rows[np.asarray(cl, dtype=bool)].tolist())
    fixed = y.copy()
    to_fix = np.array(sorted(flagged), dtype=np.int64)
    fixed[to_fix] = y_true[to_fix]
    return {
        "rate": rate,
        "seed": seed,
        "n_labelled": int(lab.size),
        "n_flipped": int(n_flip),
        "audit_topk_precision": len(top & truth) / n_flip,
        "audit_topk_recall": len(top & truth) / n_flip,
        "audit_flagged": len(flagged),
        "audit_flagged_precision": len(flagged & truth) / max(1, len(flagged)),
        "audit_flagged_recall": len(flagged & truth) / n_flip,
        "cleanlab_flagged": len(cl_set),
        "cleanlab_precision": len(cl_set & truth) / max(1, len(cl_set)),
        "cleanlab_recall": len(cl_set & truth) / n_flip,
        "accuracy_clean": clean_acc,
        "accuracy_noisy": _test_accuracy(X, y, Xt, yt, seed),
        "accuracy_fixed": _test_accuracy(X, fixed, Xt, yt, seed),
        "audit_seconds": audit_s,
    }


def flips_benchmark(seeds: int, learner: str) -> list[dict[str, Any]]:
    out = []
    for name, encoder in DATASETS:
        X, y_true, Xt, yt = _embedded(name, encoder)
        K = int(y_true.max()) + 1
        for seed in range(seeds):
            rng = np.random.default_rng(seed)
            lab = np.sort(
                np.concatenate(
                    [
                        rng.choice(np.flatnonzero(y_true == c), PER_CLASS, replace=False)
                        for c in range(K)
                    ]
                )
            )
            clean = np.full(len(X), -1)
            clean[lab] = y_true[lab]
            clean_acc = _test_accuracy(X, clean, Xt, yt, seed)
            for rate in RATES:
                row = _one(
                    X,
                    y_true,
                    Xt,
                    yt,
                    rate=rate,
                    seed=seed,
                    learner=learner,
                    clean_acc=clean_acc,
                    lab=lab,
                )
                row.update(dataset=name, encoder=encoder, learner=learner)
                print(
                    json.dumps(
                        {k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items()}
                    ),
                    flush=True,
                )
                out.append(row)
    return out


def summary(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keys = [
        "audit_topk_precision",
        "audit_flagged_precision",
        "audit_flagged_recall",
        "cleanlab_precision",
        "cleanlab_recall",
        "accuracy_clean",
        "accuracy_noisy",
        "accuracy_fixed",
    ]
    out = []
    for name, _ in DATASETS:
        for rate in RATES:
            cell = [r for r in rows if r["dataset"] == name and r["rate"] == rate]
            if cell:
                out.append(
                    {"dataset": name, "rate": rate, "n_seeds": len(cell)}
                    | {k: round(float(np.mean([r[k] for r in cell])), 4) for k in keys}
                )
    return out


def big_pool(
    n: int = 100_000, dim: int = 384, n_classes: int = 16, per_class: int = 100
) -> dict[str, Any]:
    from fewlabels.audit import audit_labels
    from fewlabels.workspace.audit import AUDIT_LEARNER

    rng = np.random.default_rng(0)
    centers = rng.normal(size=(n_classes, dim)).astype(np.float32)
    y_true = rng.integers(0, n_classes, n)
    X = centers[y_true] + 2.0 * rng.normal(size=(n, dim)).astype(np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    y = np.full(n, -1)
    lab = np.concatenate(
        [
            rng.choice(np.flatnonzero(y_true == c), per_class, replace=False)
            for c in range(n_classes)
        ]
    )
    y[lab] = y_true[lab]
    flips = rng.choice(lab, lab.size // 10, replace=False)
    y[flips] = (y[flips] + 1) % n_classes
    result: dict[str, Any] = {
        "n": n,
        "dim": dim,
        "n_labelled": int(lab.size),
        "n_flipped": int(flips.size),
    }
    for label, kw in (("labels_and_outliers", {}), ("with_near_duplicates", {"duplicates": True})):
        tracemalloc.start()
        t0 = time.perf_counter()
        audit = audit_labels(
            X, y, classes=[str(c) for c in range(n_classes)], learner=AUDIT_LEARNER, **kw
        )
        secs = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        top = {int(r.item_id) for r in audit.rows[: flips.size]}
        result[label] = {
            "learner": AUDIT_LEARNER,
            "seconds": round(secs, 2),
            "peak_traced_mb": round(peak / 2**20, 1),
            "topk_precision": len(top & set(flips.tolist())) / flips.size,
            "n_flagged": audit.n_flagged,
            "n_outliers": len(audit.outliers),
            "n_duplicate_pairs": len(audit.duplicates),
        }
        print(label, json.dumps(result[label]), flush=True)
    result["input_mb"] = round(X.nbytes / 2**20, 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 seed, no big pool")
    parser.add_argument("--learner", default=None, help="audit learner (default AUDIT_LEARNER)")
    args = parser.parse_args()
    from fewlabels.workspace.audit import AUDIT_LEARNER

    learner = args.learner or AUDIT_LEARNER
    t0 = time.perf_counter()
    rows = flips_benchmark(1 if args.quick else 3, learner)
    big = None if args.quick else big_pool()
    result = {
        "benchmark": "audit",
        "per_class": PER_CLASS,
        "learner": learner,
        "accuracy_learner": "auto",
        "summary": summary(rows),
        "big_pool": big,
        "runs": rows,
        "seconds_total": round(time.perf_counter() - t0, 1),
        "load_average_at_end": [round(v, 2) for v in os.getloadavg()],
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
    }
    if not args.quick:
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {RESULTS}")
    print(json.dumps(result["summary"], indent=1))
    print("load average", os.getloadavg(), "total s", result["seconds_total"])


if __name__ == "__main__":
    main()
