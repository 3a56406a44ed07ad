"""``fewlabels demo``: the whole pipeline on a built-in dataset, end to end.

Steps: load a built-in dataset, draw a small label budget, embed (cached), learn from the few
labels, compare with the same learner on all labels.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from fewlabels.data import budget_split, load_builtin
from fewlabels.encode import embed, get_encoder

#: The encoder the demo uses for each built-in dataset unless told otherwise.
DEFAULT_ENCODERS = {
    "digits": "pixels",
    "mnist5k": "pixels",
    "mnist5k-folder": "efficientnet-lite0",
    "finefoods": "minilm",
    "breast_cancer": "tabular",
    "wine": "tabular",
    "default": "tabular",
}


@dataclass
class DemoResult:
    """What the demo measured."""

    dataset: str
    encoder: str
    per_class: int
    n_labels: int
    accuracy_few: float
    accuracy_all: float
    extra: dict[str, Any] = field(default_factory=dict)


def run_demo(
    *,
    dataset: str = "digits",
    encoder: str | None = None,
    per_class: int = 4,
    seed: int = 0,
    cache_dir: str | None = None,
    console: Console | None = None,
) -> DemoResult:
    """Run the demo and print what happens; return the numbers."""
    from fewlabels.learn.nearest_class_mean import NearestClassMean

    out = console or Console()
    enc_name = encoder or DEFAULT_ENCODERS.get(dataset, "pixels")
    splits = load_builtin(dataset)
    split = budget_split(splits.train, per_class=per_class, seed=seed)
    train = split.apply(splits.train)
    out.print(
        f"[bold]fewlabels demo[/]: {dataset} ({len(splits.train)} train, {len(splits.test)} test, "
        f"{train.n_classes} classes), encoder {enc_name}, {per_class} label(s) per class "
        f"= {len(split.labeled_ids)} labels"
    )
    enc = get_encoder(enc_name)
    t0 = time.perf_counter()
    pool = embed(train, enc, cache_dir=cache_dir)
    test = embed(splits.test, enc, cache_dir=cache_dir)
    out.print(f"embedded in {time.perf_counter() - t0:.1f} s ({pool.X.shape[1]}-d)")
    X_pool, X_test = np.asarray(pool.X), np.asarray(test.X)
    y_test = test.dataset.labels

    few = NearestClassMean().fit(X_pool, pool.dataset.labels)
    acc_few = float((few.predict(X_test) == y_test).mean())
    full = NearestClassMean().fit(
        X_pool, splits.train.subset(splits.train.positions(list(pool.dataset.ids))).labels
    )
    acc_all = float((full.predict(X_test) == y_test).mean())

    table = Table("classifier", "labels", "test accuracy")
    table.add_row(
        f"nearest class mean, {per_class}/class", str(len(split.labeled_ids)), f"{acc_few:.3f}"
    )
    table.add_row("nearest class mean, all labels", str(len(splits.train)), f"{acc_all:.3f}")
    out.print(table)
    return DemoResult(dataset, enc_name, per_class, len(split.labeled_ids), acc_few, acc_all)
