"""Multi-label learners on MovieLens genres: micro- and macro-F1 at 4 and 16 labels per genre.

``movielens-genres`` (a film's title and year -> its set of 19 genres, the fixed test split),
embedded with the packaged MiniLM through the default embedding cache (the titles of the
single-label ``movielens-genre`` are the same texts, so most are cached already). For each
budget (4 and 16 examples per genre) and seed (0, 1, 2), ``per_label`` random training films
with each genre are labelled (their whole genre set becomes known); the learners fit on the
pool with the other films unlabelled:

- ``OneVsRest(base=...)`` for ``linear`` (``C=10``, LinearProbe's default without its
  search over C), ``ncm``, ``knn`` and ``label-spreading``, with per-label thresholds
  chosen on 3-fold cross-fitted held-out labels (``threshold="auto"``);
- the peer: scikit-learn's ``OneVsRestClassifier(LogisticRegression())`` on the labelled
  rows, threshold 0.5.

Micro- and macro-F1 on the test films (``fewlabels.learn.multilabel_scores``), mean and
standard deviation over seeds, the wall time of each fit and the load average.

Usage::

    python benchmarks/multilabel.py [--budgets 4 16] [--seeds 0 1 2]

Prints a table and writes ``benchmarks/results/multilabel.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

RESULTS = Path(__file__).parent / "results" / "multilabel.json"
BASES = ("linear", "ncm", "knn", "label-spreading")


def sample_per_label(Y: np.ndarray, per_label: int, seed: int) -> np.ndarray:
    """Rows to label: ``per_label`` random rows with each label (fewer when rarer), united."""
    rng = np.random.default_rng(seed)
    chosen: set[int] = set()
    for k in rng.permutation(Y.shape[1]):
        rows = [r for r in rng.permutation(np.flatnonzero(Y[:, k] == 1)) if r not in chosen]
        chosen.update(int(r) for r in rows[:per_label])
    return np.array(sorted(chosen), dtype=np.int64)


def main() -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    from fewlabels import embed, get_encoder
    from fewlabels.data import load_multilabel_builtin
    from fewlabels.learn import OneVsRest, multilabel_scores

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budgets", nargs="+", type=int, default=[4, 16])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    warnings.filterwarnings("ignore")
    load_before = os.getloadavg()
    start = time.perf_counter()
    train, test = load_multilabel_builtin("movielens-genres")
    enc = get_encoder("minilm", device="cpu")
    X = np.asarray(embed(train.pool(), enc, progress=False).X)
    X_test = np.asarray(embed(test.pool(), enc, progress=False).X)
    embed_s = time.perf_counter() - start
    Y, Y_test = train.label_sets, test.label_sets
    runs: list[dict[str, Any]] = []
    for per_label in args.budgets:
        for seed in args.seeds:
            lab = sample_per_label(Y, per_label, seed)
            y = np.full_like(Y, -1)
            y[lab] = Y[lab]
            methods: dict[str, Any] = {
                # LinearProbe at its own default C (10): its per-fit search over C, run per
                # label and fold, would take most of the time budget.
                f"ovr-{b}": OneVsRest(
                    base=b, n_folds=3, base_params={"C": 10.0} if b == "linear" else None
                )
                for b in BASES
            }
            for name, model in methods.items():
                t0 = time.perf_counter()
                model.fit(X, y)
                pred = model.predict(X_test)
                s = multilabel_scores(Y_test, pred)
                runs.append(
                    {
                        "method": name,
                        "per_label": per_label,
                        "seed": seed,
                        "n_labelled": int(lab.size),
                        "micro_f1": round(s.micro_f1, 4),
                        "macro_f1": round(s.macro_f1, 4),
                        "thresholds_chosen": int(model.threshold_chosen_.sum()),
                        "fit_s": round(time.perf_counter() - t0, 2),
                    }
                )
            t0 = time.perf_counter()
            keep = Y[lab].sum(axis=0) > 0  # sklearn needs each label seen; others predict 0
            peer = OneVsRestClassifier(LogisticRegression(max_iter=1000))
            peer.fit(X[lab], Y[lab])
            pred = peer.predict(X_test)
            s = multilabel_scores(Y_test, pred)
            runs.append(
                {
                    "method": "sklearn-ovr-logreg",
                    "per_label": per_label,
                    "seed": seed,
                    "n_labelled": int(lab.size),
                    "micro_f1": round(s.micro_f1, 4),
                    "macro_f1": round(s.macro_f1, 4),
                    "labels_seen": int(keep.sum()),
                    "fit_s": round(time.perf_counter() - t0, 2),
                }
            )
            print(f"per_label={per_label} seed={seed} labelled={lab.size} done", flush=True)
            write(args, runs, train, test, embed_s, start, load_before, final=False)
    write(args, runs, train, test, embed_s, start, load_before, final=True)


def write(
    args: Any,
    runs: list[dict[str, Any]],
    train: Any,
    test: Any,
    embed_s: float,
    start: float,
    load_before: tuple[float, ...],
    *,
    final: bool,
) -> None:
    """Summarise the runs so far and write the results file (after every seed, so that a
    stopped run keeps what it measured)."""
    summary: list[dict[str, Any]] = []
    for per_label in args.budgets:
        for method in [*(f"ovr-{b}" for b in BASES), "sklearn-ovr-logreg"]:
            rs = [r for r in runs if r["method"] == method and r["per_label"] == per_label]
            if not rs:
                continue
            micro = np.array([r["micro_f1"] for r in rs])
            macro = np.array([r["macro_f1"] for r in rs])
            summary.append(
                {
                    "method": method,
                    "per_label": per_label,
                    "micro_f1": round(float(micro.mean()), 4),
                    "micro_f1_sd": round(float(micro.std()), 4),
                    "macro_f1": round(float(macro.mean()), 4),
                    "macro_f1_sd": round(float(macro.std()), 4),
                    "fit_s": round(float(np.mean([r["fit_s"] for r in rs])), 2),
                }
            )
    if not final:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"partial": True, "summary": summary, "runs": runs}) + "\n")
        return
    print(f"{'method':22} {'per label':>9} {'micro-F1':>14} {'macro-F1':>14} {'fit s':>7}")
    for r in summary:
        print(
            f"{r['method']:22} {r['per_label']:>9} {r['micro_f1']:.3f} ± {r['micro_f1_sd']:.3f}"
            f"  {r['macro_f1']:.3f} ± {r['macro_f1_sd']:.3f} {r['fit_s']:>7}"
        )
    out = {
        "dataset": "movielens-genres",
        "encoder": "minilm",
        "n_train": len(train),
        "n_test": len(test),
        "n_labels": len(train.classes),
        "budgets": args.budgets,
        "seeds": args.seeds,
        "summary": summary,
        "runs": runs,
        "embed_s": round(embed_s, 1),
        "total_s": round(time.perf_counter() - start, 1),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
