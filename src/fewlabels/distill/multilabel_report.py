"""Multi-label distillation end to end: a built-in multi-label dataset (``movielens-genres``),
a one-vs-rest teacher, the student, and micro/macro-F1 of both against the true label sets
and of the student against the teacher, with their throughput.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from fewlabels.data.dataset import MultiLabelDataset
from fewlabels.distill.comparison import timed
from fewlabels.distill.config import DistillConfig
from fewlabels.distill.multilabel import label_indicator, per_label_budget
from fewlabels.distill.teacher import Teacher
from fewlabels.errors import FewlabelsError

__all__ = [
    "MultiLabelComparison",
    "compare_multilabel",
    "distill_multilabel_builtin",
    "multilabel_teacher_learner",
    "set_scores",
]


def set_scores(truth: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """``{"micro_f1", "macro_f1"}`` of a 0/1 indicator against another
    (:func:`fewlabels.learn.multilabel_scores`)."""
    from fewlabels.learn.multilabel_metrics import multilabel_scores

    s = multilabel_scores(truth, pred)
    return {"micro_f1": s.micro_f1, "macro_f1": s.macro_f1}


@dataclass
class MultiLabelComparison:
    """Teacher and exported student on a fully labelled multi-label test split.

    Micro- and macro-F1 of each against the true label sets; of the student against the
    teacher's sets (``agreement_*``); a trivial reference (every row gets the most frequent
    label of the test split); items per second from raw inputs (the teacher encodes with no
    cache and runs its learner; the student runs its ONNX export, preprocessing included).
    """

    n_test: int
    n_labels: int
    teacher_micro_f1: float
    teacher_macro_f1: float
    student_micro_f1: float
    student_macro_f1: float
    agreement_micro_f1: float
    agreement_macro_f1: float
    top_label_micro_f1: float
    top_label_macro_f1: float
    empty_share: float
    teacher_items_per_s: float
    student_items_per_s: float

    @property
    def speedup(self) -> float:
        """Student throughput over teacher throughput."""
        return self.student_items_per_s / max(self.teacher_items_per_s, 1e-12)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "speedup": self.speedup}


def compare_multilabel(
    teacher: Teacher, student: Any, test: MultiLabelDataset, *, repeats: int = 1
) -> MultiLabelComparison:
    """Measure a multi-label teacher and its exported student on ``test`` (fully labelled).

    Parameters
    ----------
    teacher : Teacher
        Fitted, over a multi-label learner (its ``thresholds_`` make its sets).
    student : ExportedStudent
        A multi-label export (:func:`fewlabels.distill.load_student`).
    test : MultiLabelDataset
        Every row labelled (an empty set counts as labelled).
    """
    k = test.n_classes
    truth = test.label_sets.astype(np.int64)
    if (truth < 0).any():
        raise FewlabelsError(
            "Expected a fully labelled test split (every row a label set, possibly empty), but "
            f"{int((truth < 0).all(axis=1).sum())} row(s) are unlabelled."
        )
    t_proba, t_time = timed(lambda: teacher.predict_proba(test.inputs, k), repeats=repeats)
    s_proba, s_time = timed(lambda: student.predict_proba(test.inputs), repeats=repeats)
    cuts = teacher.thresholds
    t_pred = label_indicator(t_proba, cuts if cuts is not None else np.full(k, 0.5))
    s_pred = label_indicator(s_proba, student.thresholds)
    top = np.zeros_like(truth)
    top[:, int(truth.sum(axis=0).argmax())] = 1
    t_s, s_s = set_scores(truth, t_pred), set_scores(truth, s_pred)
    agree, base = set_scores(t_pred, s_pred), set_scores(truth, top)
    n = len(test)
    return MultiLabelComparison(
        n_test=n,
        n_labels=k,
        teacher_micro_f1=t_s["micro_f1"],
        teacher_macro_f1=t_s["macro_f1"],
        student_micro_f1=s_s["micro_f1"],
        student_macro_f1=s_s["macro_f1"],
        agreement_micro_f1=agree["micro_f1"],
        agreement_macro_f1=agree["macro_f1"],
        top_label_micro_f1=base["micro_f1"],
        top_label_macro_f1=base["macro_f1"],
        empty_share=float((truth.sum(axis=1) == 0).mean()),
        teacher_items_per_s=n / t_time,
        student_items_per_s=n / s_time,
    )


def multilabel_teacher_learner(name: str) -> Any:
    """The one-vs-rest teacher for a learner name: ``"auto"`` is ``OneVsRest(base="linear")``
    at ``C=10`` (LinearProbe's default, without its search over C, run per label and fold);
    a name in :data:`fewlabels.learn.multilabel.BASES` is ``OneVsRest(base=name)``."""
    from fewlabels.learn.multilabel import BASES, OneVsRest
    from fewlabels.learn.registry import MULTILABEL_LEARNERS

    if name == "auto":
        return OneVsRest(base="linear", n_folds=3, base_params={"C": 10.0})
    if name in MULTILABEL_LEARNERS.names():
        return MULTILABEL_LEARNERS.create(name)
    if name not in BASES:
        names = ["auto", *MULTILABEL_LEARNERS.names(), *BASES]
        raise FewlabelsError(
            f"Expected a learner for a multi-label teacher among {names} (one-vs-rest over "
            f"it, per-label thresholds), but got {name!r}."
        )
    return OneVsRest(base=name, n_folds=3)


def distill_multilabel_builtin(
    name: str,
    *,
    per_label: int = 10,
    encoder: str | None = None,
    learner: str = "auto",
    student: str = "auto",
    out: str | os.PathLike[str] = "student.onnx",
    seed: int = 0,
    config: DistillConfig | None = None,
    student_params: dict[str, Any] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    progress: bool = True,
    threads: int | None = None,
) -> Any:
    """Label ``per_label`` rows holding each label of a built-in multi-label train split, fit
    a one-vs-rest teacher, distil, export, and compare both on the test split.

    ``threads`` sets the student's onnxruntime threads for the timing (its default when
    None); ``per_label`` is the CLI's ``--per-class``.

    Returns
    -------
    DistillReport
        With ``multilabel=True``, ``pool_agreement`` the micro-F1 of the student's sets
        against the teacher's over the pool, ``pool_scores`` both F1, and
        ``multilabel_comparison`` a :class:`MultiLabelComparison`.
    """
    from fewlabels.data.builtin import load_multilabel_builtin
    from fewlabels.distill.distillation import distill
    from fewlabels.distill.end_to_end import DistillReport, default_teacher_encoder
    from fewlabels.distill.holdout import Stages
    from fewlabels.distill.predict import load_student
    from fewlabels.distill.students import check_student_kind

    start = time.perf_counter()
    cfg = config or DistillConfig(random_state=seed, progress=progress)
    say = Stages(cfg.progress)
    model_learner = multilabel_teacher_learner(learner)  # refused before any loading
    splits = load_multilabel_builtin(name)
    kind = check_student_kind(student, splits.train.modality)
    Y = splits.train.label_sets
    rows = per_label_budget(Y, per_label, seed=seed)
    hidden = np.full_like(Y, -1)
    hidden[rows] = Y[rows]
    pool = splits.train.with_label_sets(hidden)
    teacher = Teacher(
        encoder or default_teacher_encoder(pool.pool()),
        model_learner,
        cache_dir=cache_dir,
        progress=progress,
    )
    say(f"fitting the teacher {teacher.name} on {len(pool)} rows ({rows.size} label sets)")
    teacher.fit(pool)
    say("the teacher labels the pool, then the student trains")
    model = distill(teacher, pool, student=kind, config=cfg, student_params=student_params)
    soft = teacher.soft_labels(pool)
    k = pool.n_classes
    cuts = teacher.thresholds if teacher.thresholds is not None else np.full(k, 0.5)
    t_sets = label_indicator(soft.teacher_proba, cuts)
    s_sets = model.predict(soft.dataset.inputs)
    pool_scores = set_scores(t_sets, s_sets)
    path = model.export(
        out,
        extra={"teacher": teacher.name, "dataset": name, "per_label": per_label, "seed": seed},
    )
    say(f"wrote {path}")
    seconds = time.perf_counter() - start
    comparison = compare_multilabel(teacher, load_student(path, threads=threads), splits.test)
    return DistillReport(
        model,
        path,
        teacher,
        len(pool),
        int(rows.size),
        pool_scores["micro_f1"],
        None,
        seconds,
        multilabel=True,
        pool_scores=pool_scores,
        multilabel_comparison=comparison,
    )


def holdout_label_sets(labelled: np.ndarray, *, fraction: float, random_state: int) -> np.ndarray:
    """Positions of labelled rows to hide from teacher and student, to score both on.

    ``round(fraction * n)`` of the ``n`` labelled rows, at least 1, chosen at random (seeded);
    none when ``fraction`` is 0 or fewer than 5 rows are labelled (too few to spare).

    Parameters
    ----------
    labelled : ndarray of int
        Positions of the rows with a label set.
    fraction : float in [0, 0.5]
    random_state : int

    Returns
    -------
    ndarray of int64, sorted
    """
    rows = np.asarray(labelled, dtype=np.int64)
    if fraction <= 0 or rows.size < 5:
        return np.zeros(0, dtype=np.int64)
    k = max(1, round(fraction * rows.size))
    pick = np.random.default_rng(random_state).choice(rows, size=k, replace=False)
    return np.sort(pick).astype(np.int64)


def distill_multilabel_workspace(
    workspace: Any,
    *,
    out: str | os.PathLike[str] | None = None,
    student: str = "auto",
    config: DistillConfig | None = None,
    student_params: dict[str, Any] | None = None,
    progress: bool = True,
) -> Any:
    """Distil a multi-label workspace (``task = "multilabel"``): its label sets are the human
    labels, its learner (one-vs-rest) and encoder the teacher.

    ``config.holdout_fraction`` of the labelled items (when at least 5 are) are hidden from
    teacher and student and both are scored on them (``DistillReport.pool_scores`` gains
    ``held_out_*`` micro/macro-F1 and ``held_out_n``); the exported student is trained
    without them.

    Returns
    -------
    DistillReport
    """
    from pathlib import Path

    from fewlabels.distill.distillation import distill
    from fewlabels.distill.end_to_end import DistillReport
    from fewlabels.distill.holdout import Stages
    from fewlabels.distill.students import check_student_kind

    start = time.perf_counter()
    ws_cfg = workspace.config
    cfg = config or DistillConfig(random_state=int(getattr(ws_cfg, "seed", 0)), progress=progress)
    say = Stages(cfg.progress)
    base = workspace.dataset()
    sets = MultiLabelDataset(
        ids=base.ids,
        inputs=base.inputs,
        label_sets=workspace.label_indicator(list(base.ids)),
        classes=tuple(ws_cfg.classes),
        modality=base.modality,
        name=base.name,
    )
    kind = check_student_kind(student, sets.modality)
    params = dict(student_params or {})
    text_column = getattr(getattr(ws_cfg, "data", None), "text", None)
    if sets.modality == "text" and text_column and "text_column" not in params:
        params["text_column"] = text_column
    fingerprint = workspace.store.pool_fingerprint()
    teacher = Teacher(
        ws_cfg.encoder,
        multilabel_teacher_learner(ws_cfg.learner),
        cache_dir=Path(workspace.root) / "cache",
        progress=progress,
    )
    hidden = holdout_label_sets(
        np.flatnonzero(sets.labeled_mask),
        fraction=cfg.holdout_fraction,
        random_state=cfg.random_state,
    )
    train = sets
    if hidden.size:
        Y = sets.label_sets.copy()
        Y[hidden] = -1
        train = sets.with_label_sets(Y)
        say(f"holding out {hidden.size} label set(s) from teacher and student, to score both")
    say(f"fitting the teacher {teacher.name} on {len(train)} rows")
    teacher.fit(train)
    say("the teacher labels the pool, then the student trains")
    model = distill(teacher, train, student=kind, config=cfg, student_params=params)
    soft = teacher.soft_labels(train)
    k = train.n_classes
    cuts = teacher.thresholds if teacher.thresholds is not None else np.full(k, 0.5)
    t_sets = label_indicator(soft.teacher_proba, cuts)
    s_sets = model.predict(soft.dataset.inputs)
    scores: dict[str, float] = set_scores(t_sets, s_sets)
    if hidden.size:
        kept = np.isin(soft.dataset.ids, sets.ids[hidden])
        truth = sets.subset(sets.positions(list(soft.dataset.ids[kept]))).label_sets
        if kept.any():
            for who, pred in (("teacher", t_sets[kept]), ("student", s_sets[kept])):
                got = set_scores(truth.astype(np.int64), pred)
                scores[f"held_out_{who}_micro_f1"] = got["micro_f1"]
                scores[f"held_out_{who}_macro_f1"] = got["macro_f1"]
            scores["held_out_n"] = float(kept.sum())
    target = out if out is not None else Path(workspace.root) / "models" / "student.onnx"
    path = model.export(
        target,
        extra={
            "teacher": teacher.name,
            "workspace": str(Path(workspace.root).resolve()),
            "pool_fingerprint": fingerprint,
        },
    )
    say(f"wrote {path}")
    return DistillReport(
        model,
        path,
        teacher,
        len(sets),
        int(train.labeled_mask.sum()),
        scores["micro_f1"],
        None,
        time.perf_counter() - start,
        multilabel=True,
        pool_scores=scores,
    )
