"""``fewlabels demo``: the whole pipeline on a built-in dataset, end to end.

1. load a built-in dataset and draw a small, stratified label budget;
2. embed the pool and the test split with a frozen encoder (cached on disk);
3. learn from the few labels (``Auto`` picks the learner) beside zero-shot from the class
   names and descriptions (when the encoder has a text side), nearest class mean on the same
   few labels and on all labels; each with accuracy, balanced accuracy and macro-F1 on the
   test split, beside what always answering the majority class scores;
4. play a few simulated active-learning rounds from a cold start, against random selection;
5. distil the teacher (encoder + learner) into a small student on the raw inputs, export it to
   ONNX and compare accuracy and speed on the test split.
"""

from __future__ import annotations

import tempfile
import time
import warnings
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
    """What the demo measured (on the held-out test split).

    ``scores`` maps each classifier of step 2 (``"zero-shot"`` when the encoder has a text
    side, ``"auto"``, ``"nearest class mean"``, ``"nearest class mean, all labels"``) to its
    ``accuracy``, ``balanced_accuracy`` (mean recall over classes), ``macro_f1`` and
    ``top_pred_share`` (share of its predictions in its most predicted class);
    ``majority_rate`` and ``majority_macro_f1`` are what always answering the test split's
    most frequent class scores.
    """

    dataset: str
    encoder: str
    per_class: int
    n_labels: int
    accuracy_few: float
    accuracy_all: float
    accuracy_auto: float = float("nan")
    chosen: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    scores: dict[str, dict[str, float]] = field(default_factory=dict)
    majority_rate: float = float("nan")
    majority_macro_f1: float = float("nan")


def score_predictions(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> dict[str, float]:
    """Accuracy, balanced accuracy, macro-F1 and the top predicted share of class codes.

    Parameters
    ----------
    y_true, y_pred : ndarray of shape (n_test,)
        Class codes ``0 .. n_classes - 1``; assumes valid input.
    n_classes : int

    Returns
    -------
    dict of str to float
    """
    from sklearn.metrics import f1_score, recall_score

    present = np.unique(y_true)
    return {
        "accuracy": float(np.mean(y_pred == y_true)),
        "balanced_accuracy": float(
            recall_score(y_true, y_pred, labels=present, average="macro", zero_division=0)
        ),
        "macro_f1": float(
            f1_score(y_true, y_pred, labels=np.arange(n_classes), average="macro", zero_division=0)
        ),
        "top_pred_share": float(np.bincount(y_pred, minlength=n_classes).max() / y_pred.size),
    }


def _judged(name: str, scores: dict[str, float], majority: float, majority_f1: float) -> str:
    """``name`` with the report's marks: ``(≤ majority)``, ``(collapsed)``."""
    from fewlabels.bench.report.aggregate import AT_MAJORITY, COLLAPSE_SHARE, COLLAPSED, at_majority

    marks = []
    if at_majority(scores["accuracy"], scores["macro_f1"], majority, majority_f1):
        marks.append(AT_MAJORITY)
    if scores["top_pred_share"] >= COLLAPSE_SHARE - 1e-12:
        marks.append(COLLAPSED)
    return f"{name} ({', '.join(marks)})" if marks else name


def _zero_shot_codes(
    enc: Any, dataset: str, classes: tuple[str, ...], X_pool: np.ndarray, X_test: np.ndarray
) -> np.ndarray:
    """ZeroShot's test predictions as class codes, from the names and built-in descriptions."""
    from fewlabels.data.builtin import builtin_descriptions
    from fewlabels.learn import ZeroShot

    model = ZeroShot(
        encoder=enc, class_names=list(classes), descriptions=builtin_descriptions(dataset)
    )
    model.fit(X_pool, np.full(X_pool.shape[0], -1))  # no labels: names and descriptions only
    pred = np.asarray(model.predict(X_test))
    if pred.dtype.kind in "iu":  # numeric y: classes_ are the positions in class_names
        return pred.astype(np.int64)
    index = {name: i for i, name in enumerate(classes)}
    return np.array([index[str(c)] for c in pred], dtype=np.int64)


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
    from fewlabels.bench.report.aggregate import majority_macro_f1
    from fewlabels.encode.base import has_text_side

    k = train.n_classes
    y_test = np.asarray(y_test, dtype=np.int64)
    majority = float(np.bincount(y_test, minlength=k).max() / y_test.size)
    majority_f1 = majority_macro_f1(majority, k)
    n_few = len(split.labeled_ids)
    rows: list[tuple[str, str, int]] = []  # key, label, labels
    scores: dict[str, dict[str, float]] = {}
    if has_text_side(enc):
        codes = _zero_shot_codes(enc, dataset, tuple(splits.train.classes), X_pool, X_test)
        scores["zero-shot"] = score_predictions(y_test, codes, k)
        rows.append(("zero-shot", "zero-shot", 0))
    t0 = time.perf_counter()
    text: dict[str, Any] = {}
    if has_text_side(enc):
        from fewlabels.data.builtin import builtin_descriptions

        # Zero-shot joins Auto's candidates (names and the built-in descriptions).
        text = {
            "encoder": enc,
            "class_names": list(splits.train.classes),
            "descriptions": builtin_descriptions(dataset) or None,
        }
    auto = Auto(random_state=seed, **text).fit(X_pool, y_few)
    auto_s = time.perf_counter() - t0
    scores["auto"] = score_predictions(y_test, np.asarray(auto.predict(X_test), dtype=np.int64), k)
    rows.append(("auto", "Auto", n_few))
    for key, y_fit in (("nearest class mean", y_few), ("nearest class mean, all labels", y_all)):
        pred = np.asarray(NearestClassMean().fit(X_pool, y_fit).predict(X_test), dtype=np.int64)
        scores[key] = score_predictions(y_test, pred, k)
        rows.append((key, key, int((np.asarray(y_fit) != -1).sum())))
    table = Table("classifier", "labels", "test accuracy", "balanced accuracy", "macro-F1")
    for key, label, n_labels in rows:
        sc = scores[key]
        table.add_row(
            _judged(label, sc, majority, majority_f1),
            str(n_labels),
            f"{sc['accuracy']:.3f}",
            f"{sc['balanced_accuracy']:.3f}",
            f"{sc['macro_f1']:.3f}",
        )
    out.print(table)
    out.print(f"Auto chose [bold]{escape(str(auto.chosen_))}[/] ({auto_s:.1f} s)")
    if "zero-shot" in scores:
        out.print("zero-shot: ZeroShot from the class names and descriptions, no labels")
    out.print(
        f"majority class: {100 * majority:.1f}% of the test split; always answering it scores "
        f"balanced accuracy {100 / k:.1f}% and macro-F1 {100 * majority_f1:.1f}% "
        "(≤ majority: within 1 point of either; collapsed: 95% or more of the answers in one "
        "class)",
        highlight=False,
    )
    result = DemoResult(
        dataset,
        enc_name,
        per_class,
        n_few,
        scores["nearest class mean"]["accuracy"],
        scores["nearest class mean, all labels"]["accuracy"],
        scores["auto"]["accuracy"],
        str(auto.chosen_),
        scores=scores,
        majority_rate=majority,
        majority_macro_f1=majority_f1,
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
        from fewlabels.learn.imbalance import CollapseWarning

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CollapseWarning)  # printed below, from the report
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
        table = Table(
            "model",
            "test accuracy",
            "balanced accuracy",
            "macro-F1",
            "items/s (raw input, CPU)",
        )
        table.add_row(
            f"teacher: {escape(report.teacher.name)}",
            f"{cmp.teacher_accuracy:.3f}",
            f"{cmp.teacher_balanced_accuracy:.3f}",
            f"{cmp.teacher_macro_f1:.3f}",
            f"{cmp.teacher_items_per_s:,.0f}",
        )
        table.add_row(
            f"student: {escape(report.path.name)}",
            f"{cmp.student_accuracy:.3f}",
            f"{cmp.student_balanced_accuracy:.3f}",
            f"{cmp.student_macro_f1:.3f}",
            f"{cmp.student_items_per_s:,.0f}",
        )
        out.print(table)
        for msg in report.collapse_warnings:
            out.print(f"[yellow]warning:[/] {escape(msg)}", highlight=False)
        out.print(
            f"student keeps {cmp.accuracy_ratio:.1%} of the teacher's accuracy at "
            f"{cmp.speedup:.1f}x its speed; predict with: fewlabels predict {report.path} "
            "DATA"
        )
        result.extra["distill"] = cmp.to_dict()
    return result
