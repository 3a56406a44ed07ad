"""Accuracy of every fewlabels learner against its peers, by label budget.

For each dataset and encoder, the training pool is embedded once (through the embedding
cache); for each budget (labels per class) and seed a stratified ``budget_split`` of the
training pool keeps those labels and sets the others to -1; every method is fitted on the
whole pool (transductive) and scored on the held-out test split.

``zero-shot`` runs only where the encoder has a text side (finefoods / MiniLM): the
dataset's class names through the default text templates, with the budget's labels in its
training-free cache.

Peers (as in ``fewlabels.bench.peers``): scikit-learn ``LabelSpreading(kernel="knn")``,
``SelfTrainingClassifier(LogisticRegression())``, logistic regression on the labelled rows
alone, and the ceiling (logistic regression on every training label).

Usage::

    python benchmarks/learners_accuracy.py --datasets digits:pixels mnist5k:pixels \
        --budgets 1 2 4 8 16 --seeds 0 1 2 3 4

Writes ``benchmarks/results/learners_accuracy.csv`` (one row per cell, resumable: cells
already in the file are skipped) and prints the summary table.
"""

from __future__ import annotations

import argparse
import csv
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.semi_supervised import LabelSpreading as SkLabelSpreading
from sklearn.semi_supervised import SelfTrainingClassifier

from fewlabels.data import budget_split, load_builtin
from fewlabels.encode import embed, get_encoder, has_text_side
from fewlabels.learn import ZeroShot, get_learner

RESULTS = Path(__file__).parent / "results" / "learners_accuracy.csv"
FIELDS = [
    "dataset",
    "encoder",
    "budget",
    "seed",
    "method",
    "kind",
    "accuracy",
    "macro_f1",
    "fit_seconds",
    "chosen",
]
FEWLABELS = [
    "ncm",
    "knn",
    "linear",
    "label-spreading",
    "self-training",
    "consistency",
    "zero-shot",
    "auto",
]
PEERS = ["sk-label-spreading", "sk-self-training", "lr-labelled"]


class _LabelledOnly(ClassifierMixin, BaseEstimator):
    """Logistic regression on the labelled rows alone."""

    def fit(self, X: np.ndarray, y: np.ndarray) -> _LabelledOnly:
        keep = y != -1
        self.model_ = LogisticRegression(max_iter=1000).fit(X[keep], y[keep])
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.model_.predict(X)


def _method(name: str, seed: int) -> Any:
    if name == "sk-label-spreading":
        return SkLabelSpreading(kernel="knn")
    if name == "sk-self-training":
        return SelfTrainingClassifier(LogisticRegression(max_iter=1000))
    if name == "lr-labelled":
        return _LabelledOnly()
    params: dict[str, Any] = {}
    if name in ("consistency", "auto"):
        params["random_state"] = seed
    return get_learner(name, **params)


def _load(dataset: str, encoder: str) -> tuple[np.ndarray, Any, np.ndarray, np.ndarray, Any]:
    splits = load_builtin(dataset)
    enc = get_encoder(encoder)
    fit = getattr(enc, "fit", None)
    if callable(fit) and not getattr(enc, "is_fitted", True):
        fit(splits.train.inputs)
    tr = embed(splits.train, enc, progress=False)
    te = embed(splits.test, enc, progress=False)
    return np.asarray(tr.X), tr.dataset, np.asarray(te.X), te.dataset.labels, enc


def _done(path: Path) -> set[tuple[str, ...]]:
    if not path.exists():
        return set()
    with path.open() as fh:
        return {
            (r["dataset"], r["encoder"], r["budget"], r["seed"], r["method"])
            for r in csv.DictReader(fh)
        }


def run(
    datasets: list[str],
    budgets: list[int],
    seeds: list[int],
    methods: list[str],
    out: Path,
    log: Callable[[str], None] = print,
) -> None:
    """Fill ``out`` with every missing cell."""
    out.parent.mkdir(parents=True, exist_ok=True)
    done = _done(out)
    new = not out.exists()
    with out.open("a", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS)
        if new:
            writer.writeheader()
        for spec in datasets:
            dataset, encoder = spec.split(":", 1)
            Xtr, train, Xte, yte, enc = _load(dataset, encoder)
            cells: list[tuple[int, int, str]] = [
                (b, s, m) for b in budgets for s in seeds for m in methods
            ]
            cells.append((0, 0, "ceiling"))
            for budget, seed, method in cells:
                key = (dataset, encoder, str(budget), str(seed), method)
                if key in done:
                    continue
                if method == "zero-shot" and not has_text_side(enc):
                    continue  # class names need an encoder with a text side
                if method == "ceiling":
                    y = train.labels
                    model: Any = LogisticRegression(max_iter=1000)
                else:
                    y = budget_split(train, per_class=budget, seed=seed).apply(train).labels
                    model = (
                        ZeroShot(encoder=enc, class_names=list(train.classes))
                        if method == "zero-shot"
                        else clone(_method(method, seed))
                    )
                t0 = time.perf_counter()
                model.fit(Xtr, y)
                secs = time.perf_counter() - t0
                pred = model.predict(Xte)
                row = {
                    "dataset": dataset,
                    "encoder": encoder,
                    "budget": budget,
                    "seed": seed,
                    "method": method,
                    "kind": "fewlabels" if method in FEWLABELS else "peer",
                    "accuracy": round(float(np.mean(pred == yte)), 5),
                    "macro_f1": round(float(f1_score(yte, pred, average="macro")), 5),
                    "fit_seconds": round(secs, 3),
                    "chosen": getattr(model, "chosen_", ""),
                }
                writer.writerow(row)
                fh.flush()
                log(
                    f"{dataset}:{encoder} k={budget} seed={seed} {method:20s} "
                    f"acc={row['accuracy']:.4f} ({secs:.2f}s) {row['chosen']}"
                )


def summary(path: Path) -> str:
    """Markdown table: mean accuracy (%) per dataset, encoder, budget and method."""
    import pandas as pd

    df = pd.read_csv(path)
    lines = []
    for (dataset, encoder), part in df.groupby(["dataset", "encoder"], sort=False):
        ceil = part[part.method == "ceiling"].accuracy.mean() * 100
        part = part[part.method != "ceiling"]
        table = (
            part.pivot_table(index="method", columns="budget", values="accuracy", aggfunc="mean")
            * 100
        )
        seeds = part.groupby("budget").seed.nunique().to_dict()
        order = [m for m in FEWLABELS + PEERS if m in table.index]
        table = table.loc[order]
        budgets = list(table.columns)
        lines.append(
            f"\n{dataset} / {encoder} (ceiling, LR on all labels: {ceil:.1f}; "
            f"seeds per budget: {seeds})\n"
        )
        lines.append("| method | " + " | ".join(f"{b}/class" for b in budgets) + " |")
        lines.append("|---|" + "---|" * len(budgets))
        for m in order:
            lines.append(f"| {m} | " + " | ".join(f"{table.loc[m, b]:.1f}" for b in budgets) + " |")
        ours = table.loc[[m for m in order if m in FEWLABELS and m != "auto"]]
        peers = table.loc[[m for m in order if m in PEERS]]
        if len(peers):
            margin = ours.max() - peers.max()
            lines.append(
                "| best fewlabels - best peer | "
                + " | ".join(f"{margin[b]:+.1f}" for b in budgets)
                + " |"
            )
        if "auto" in table.index:
            gap = table.loc["auto"] - ours.max()
            lines.append(
                "| auto - best fewlabels | " + " | ".join(f"{gap[b]:+.1f}" for b in budgets) + " |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--datasets",
        nargs="+",
        default=[
            "digits:pixels",
            "mnist5k:pixels",
            "mnist5k:efficientnet-lite0",
            "finefoods:minilm",
        ],
    )
    parser.add_argument("--budgets", nargs="+", type=int, default=[1, 2, 4, 8, 16])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--methods", nargs="+", default=FEWLABELS + PEERS)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--summary-only", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if not args.summary_only:
        run(args.datasets, args.budgets, args.seeds, args.methods, args.out)
    print(summary(args.out))


if __name__ == "__main__":
    main()
