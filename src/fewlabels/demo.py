"""``fewlabels demo``: the whole pipeline on a built-in dataset, end to end.

1. load a built-in dataset and draw a small, stratified label budget;
2. embed the pool and the test split with a frozen encoder (cached on disk);
3. learn from the few labels (``Auto`` picks the learner) beside nearest class mean on the
   same few labels and on all labels;
4. play a few simulated active-learning rounds from a cold start, against random selection;
5. distil the teacher (encoder + learner) into a small student on the raw inputs, export it to
   ONNX and compare accuracy and speed on the test split.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from fewlabels.data import budget_split, load_builtin
from fewlabels.encode import default_encoder, embed, get_encoder

#: The demo's own choice where it departs from :func:`fewlabels.encode.default_encoder`:
#: mnist5k's 28x28 digits are in-memory images (``pixels`` by default), but the demo shows
#: what a pretrained CNN adds on real digits.
DEMO_ENCODERS = {"mnist5k": "efficientnet-lite0"}


@dataclass
class DemoResult:
    """What the demo measured (accuracies on the held-out test split)."""

    dataset: str
    encoder: str
    per_class: int
    n_labels: int
    accuracy_few: float
    accuracy_all: float
    accuracy_auto: float = float("nan")
    chosen: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def run_demo(
    *,
    dataset: str = "mnist5k",
    encoder: str | None = None,
    per_class: int = 10,
    seed: int = 0,
    rounds: int = 5,
    strategy: str = "typiclust",
    distill: bool = True,
    distill_epochs: int = 15,
    cache_dir: str | None = None,
    out_dir: str | None = None,
    console: Console | None = None,
) -> DemoResult:
    """Run the demo, print each step, and return the numbers.

    Parameters
    ----------
    dataset : str
        A built-in dataset (``fewlabels datasets``).
    encoder : str, optional
        By default :data:`DEMO_ENCODERS` for the dataset, else
        :func:`fewlabels.encode.default_encoder` of its pool.
    per_class : int
        Labels per class of the budget.
    rounds : int
        Simulated active-learning rounds (0 skips the step).
    strategy : str
        The active-learning strategy compared with random selection.
    distill : bool
        Distil, export and compare a student at the end.
    distill_epochs : int
        Most epochs of the student's training (early stopping may end it sooner).
    out_dir : str, optional
        Where the student's ONNX file goes (a temporary folder by default).
    """
    from fewlabels.learn import Auto, NearestClassMean

    out = console or Console()
    splits = load_builtin(dataset)
    enc_name = encoder or DEMO_ENCODERS.get(dataset) or default_encoder(splits.train)
    split = budget_split(splits.train, per_class=per_class, seed=seed)
    train = split.apply(splits.train)
    out.rule(f"fewlabels demo: {dataset}")
    out.print(
        f"{len(splits.train)} pool items, {len(splits.test)} held-out test items, "
        f"{train.n_classes} classes; budget {per_class} label(s) per class = "
        f"[bold]{len(split.labeled_ids)} labels[/]; encoder [bold]{escape(enc_name)}[/]"
    )

    out.rule("1. embed (cached)")
    enc = get_encoder(enc_name)
    t0 = time.perf_counter()
    pool = embed(train, enc, cache_dir=cache_dir)
    test = embed(splits.test, enc, cache_dir=cache_dir)
    out.print(
        f"{pool.X.shape[0] + test.X.shape[0]} items -> {pool.X.shape[1]}-d in "
        f"{time.perf_counter() - t0:.1f} s"
    )
    X_pool, X_test = np.asarray(pool.X), np.asarray(test.X)
    y_few, y_test = pool.dataset.labels, test.dataset.labels
    y_all = splits.train.labels[splits.train.positions(list(pool.dataset.ids))]

    out.rule("2. learn from few labels")
    t0 = time.perf_counter()
    auto = Auto(random_state=seed).fit(X_pool, y_few)
    auto_s = time.perf_counter() - t0
    acc_auto = float((auto.predict(X_test) == y_test).mean())
    acc_few = float((NearestClassMean().fit(X_pool, y_few).predict(X_test) == y_test).mean())
    acc_all = float((NearestClassMean().fit(X_pool, y_all).predict(X_test) == y_test).mean())
    table = Table("classifier", "labels", "test accuracy")
    table.add_row(
        f"Auto (chose [bold]{auto.chosen_}[/], {auto_s:.1f} s)",
        str(len(split.labeled_ids)),
        f"{acc_auto:.3f}",
    )
    table.add_row("nearest class mean", str(len(split.labeled_ids)), f"{acc_few:.3f}")
    table.add_row("nearest class mean, all labels", str(len(y_all)), f"{acc_all:.3f}")
    out.print(table)
    result = DemoResult(
        dataset,
        enc_name,
        per_class,
        len(split.labeled_ids),
        acc_few,
        acc_all,
        acc_auto,
        str(auto.chosen_),
    )

    if rounds > 0:
        from fewlabels.active.demo import demo_active

        out.rule(f"3. ask for the right labels: {strategy} vs random, simulated oracle")
        curves = demo_active(
            dataset,
            encoder=enc_name,
            strategy=strategy,
            rounds=rounds,
            seed=seed,
            cache_dir=cache_dir,
        )
        out.print(curves.format(), markup=False, highlight=False)
        result.extra["active"] = curves.table()

    if distill:
        from fewlabels.distill import distill_builtin

        out.rule("4. distil into a small student, export to ONNX")
        folder = Path(out_dir) if out_dir else Path(tempfile.mkdtemp(prefix="fewlabels-demo-"))
        folder.mkdir(parents=True, exist_ok=True)
        from fewlabels.distill import TrainConfig

        report = distill_builtin(
            dataset,
            per_class=per_class,
            encoder=enc_name,
            seed=seed,
            out=folder / f"{dataset}-student.onnx",
            cache_dir=cache_dir,
            config=TrainConfig(epochs=distill_epochs, random_state=seed),
        )
        cmp = report.comparison
        assert cmp is not None
        table = Table("model", "test accuracy", "items/s (raw input, CPU)")
        table.add_row(
            f"teacher: {report.teacher.name}",
            f"{cmp.teacher_accuracy:.3f}",
            f"{cmp.teacher_items_per_s:,.0f}",
        )
        table.add_row(
            f"student: {report.path.name}",
            f"{cmp.student_accuracy:.3f}",
            f"{cmp.student_items_per_s:,.0f}",
        )
        out.print(table)
        out.print(
            f"student keeps {cmp.accuracy_ratio:.1%} of the teacher's accuracy at "
            f"{cmp.speedup:.1f}x its speed; predict with: fewlabels predict {report.path} "
            "DATA"
        )
        result.extra["distill"] = cmp.to_dict()
    return result
