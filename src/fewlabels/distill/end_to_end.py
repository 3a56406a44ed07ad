"""Distillation end to end: from a built-in dataset (with a test split) or a workspace.

This file runs past 400 lines: the two end-to-end runs (a built-in dataset with its test
split, and a workspace) share their steps here; multi-label runs are in
``multilabel_report.py``.
"""

from __future__ import annotations

import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fewlabels.data.dataset import Dataset
from fewlabels.distill.comparison import Comparison, compare
from fewlabels.distill.config import DistillConfig
from fewlabels.distill.distillation import distill
from fewlabels.distill.holdout import HeldOut, Stages, holdout_rows
from fewlabels.distill.multilabel_report import MultiLabelComparison
from fewlabels.distill.teacher import Teacher
from fewlabels.typing import UNLABELED


@dataclass
class DistillReport:
    """What an end-to-end distillation did.

    Attributes
    ----------
    student : Student
        The fitted student.
    path : Path
        Its ONNX export.
    teacher : Teacher
    n_pool, n_labelled : int
        Rows distilled on, and how many had a human label.
    pool_agreement : float
        Share of pool rows where student and teacher agree (top-1).
    comparison : Comparison or None
        Test-split accuracy and speed (built-in datasets only).
    seconds : float
        Wall time of fitting the teacher, distilling and exporting.
    held_out : HeldOut or None
        Student and teacher accuracy on human labels hidden from both (workspaces with at
        least two labels per class; ``DistillConfig.holdout_fraction``).
    collapse_warnings : list of str
        One message per model (teacher, student) whose predictions over the pool give one
        class (almost) everything although the labels hold more
        (:func:`fewlabels.learn.imbalance.collapse_message`); each is also warned as a
        :class:`~fewlabels.learn.imbalance.CollapseWarning`.
    multilabel : bool
        Whether teacher and student predict label sets. Then ``pool_agreement`` is the
        micro-F1 of the student's sets against the teacher's over the pool, ``n_labelled``
        the rows with a human label set, and ``comparison`` None.
    pool_scores : dict or None
        Multi-label only: ``micro_f1`` and ``macro_f1`` of the student against the teacher
        over the pool.
    multilabel_comparison : MultiLabelComparison or None
        Multi-label built-in datasets only: micro/macro-F1 and speed on the test split.
    """

    student: Any
    path: Path
    teacher: Teacher
    n_pool: int
    n_labelled: int
    pool_agreement: float
    comparison: Comparison | None
    seconds: float
    held_out: HeldOut | None = None
    collapse_warnings: list[str] = field(default_factory=list)
    multilabel: bool = False
    pool_scores: dict[str, float] | None = None
    multilabel_comparison: MultiLabelComparison | None = None


def default_teacher_encoder(dataset: Dataset) -> str:
    """The teacher's encoder when none is named: :func:`fewlabels.encode.default_encoder`."""
    from fewlabels.encode.default import default_encoder

    return default_encoder(dataset)


def teacher_learner(name: str) -> Any:
    """A new learner by fewlabels registry name (``"auto"``, ``"linear"``...)."""
    from fewlabels.learn.registry import get_learner

    return get_learner(name)


def collapse_warnings(
    teacher_codes: np.ndarray,
    student_codes: np.ndarray,
    labels: np.ndarray,
    classes: Any,
    *,
    teacher: str,
) -> list[str]:
    """The collapse messages of a teacher and a student from their predictions over the pool.

    Parameters
    ----------
    teacher_codes, student_codes : ndarray of shape (n_pool,)
        Their top-1 class codes over the (readable) pool rows.
    labels : ndarray of shape (n_labelled,)
        Codes of the human labels (their shares: a collapse the labels show is not one).
    classes : sequence of length n_classes
        Class names, for the messages.
    teacher : str
        The teacher's name.

    Returns
    -------
    list of str
        Zero, one or two messages (teacher first).
    """
    from fewlabels.learn.imbalance import collapse_message, predicted_shares

    k = len(classes)
    labelled = predicted_shares(np.asarray(labels), k)
    out = []
    for who, codes in ((f"the teacher {teacher}", teacher_codes), ("the student", student_codes)):
        msg = collapse_message(
            predicted_shares(np.asarray(codes), k), classes, labelled_shares=labelled, who=who
        )
        if msg is not None:
            out.append(msg)
    return out


def _run(
    pool: Dataset,
    teacher: Teacher,
    out: str | os.PathLike[str],
    *,
    student: str,
    config: DistillConfig | None,
    student_params: dict[str, Any] | None,
    extra: dict[str, Any],
    fit_teacher: bool = True,
    hold_out: bool = False,
) -> tuple[Any, Path, float, HeldOut | None, list[str]]:
    """Check, fit the teacher, distil, score, and only then export (no file when one fails)."""
    from fewlabels.distill.students import check_student_kind, make_student

    cfg = config or DistillConfig()
    say = Stages(cfg.progress)
    kind = check_student_kind(student, pool.modality)  # before the costly part
    make_student(kind, pool.modality, config=cfg, **(student_params or {})).check_inputs(
        pool.inputs
    )
    hidden = (
        holdout_rows(pool.labels, fraction=cfg.holdout_fraction, random_state=cfg.random_state)
        if hold_out
        else np.zeros(0, dtype=np.int64)
    )
    train_pool = pool
    if hidden.size:
        labels = pool.labels.copy()
        labels[hidden] = UNLABELED
        train_pool = pool.with_labels(labels)
        say(f"holding out {hidden.size} human label(s) from teacher and student, to score both")
    if fit_teacher:
        say(f"fitting the teacher {teacher.name} on {len(train_pool)} rows")
        teacher.fit(train_pool)
    say("the teacher labels the pool, then the student trains")
    model = distill(
        teacher,
        train_pool,
        student=kind,
        config=cfg,
        student_params=student_params,
    )
    say(f"scoring the student ({model.best_epoch_} epoch(s) kept: {model.stop_reason_})")
    soft = teacher.soft_labels(train_pool)
    student_codes = model.predict_proba(soft.dataset.inputs).argmax(1)
    teacher_codes = soft.teacher_proba.argmax(1)
    agreement = float((student_codes == teacher_codes).mean())
    human = soft.dataset.labels
    collapsed = collapse_warnings(
        teacher_codes,
        student_codes,
        human[human != UNLABELED],
        list(pool.classes),
        teacher=teacher.name,
    )
    if collapsed:
        from fewlabels.learn.imbalance import CollapseWarning

        for msg in collapsed:
            warnings.warn(msg, CollapseWarning, stacklevel=3)
    held_out = None
    if hidden.size:
        kept = np.isin(soft.dataset.ids, pool.ids[hidden])
        truth = pool.subset(hidden)
        order = {i: c for i, c in zip(truth.ids.tolist(), truth.labels.tolist(), strict=True)}
        codes = np.array([order[i] for i in soft.dataset.ids[kept].tolist()], dtype=np.int64)
        if codes.size:
            held_out = HeldOut.score(student_codes[kept], teacher_codes[kept], codes)
    path = model.export(out, extra={"teacher": teacher.name, **extra})
    say(f"wrote {path}")
    return model, path, agreement, held_out, collapsed


def distill_and_compare(
    teacher: Teacher,
    pool: Dataset,
    test: Dataset,
    *,
    out: str | os.PathLike[str] = "student.onnx",
    student: str = "auto",
    config: DistillConfig | None = None,
    student_params: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
    fit_teacher: bool = True,
    threads: int | None = None,
) -> DistillReport:
    """Distil ``teacher`` over ``pool``, export, and compare both on ``test``.

    Parameters
    ----------
    teacher : Teacher
        Fitted here on ``pool`` when ``fit_teacher`` (else it must be fitted already).
    pool : Dataset
        Train rows; labels (-1 = unlabelled) are the human labels.
    test : Dataset
        Held-out rows, all labelled.
    out : path-like
        Where to write the ONNX export.
    threads : int, optional
        onnxruntime threads for the student's timing (its default when None).
    student, config, student_params
        As in :func:`fewlabels.distill.distill`.

    Returns
    -------
    DistillReport
        With ``comparison`` (accuracy and items/s of teacher and student on ``test``).
    """
    from fewlabels.distill.predict import load_student

    start = time.perf_counter()
    model, path, agreement, _, collapsed = _run(
        pool,
        teacher,
        out,
        student=student,
        config=config,
        student_params=student_params,
        extra=extra or {},
        fit_teacher=fit_teacher,
    )
    seconds = time.perf_counter() - start
    comparison = compare(teacher, load_student(path, threads=threads), test)
    return DistillReport(
        model,
        path,
        teacher,
        len(pool),
        int(pool.labeled_mask.sum()),
        agreement,
        comparison,
        seconds,
        collapse_warnings=collapsed,
    )


def distill_builtin(
    name: str,
    *,
    per_class: int = 10,
    encoder: str | None = None,
    learner: str = "auto",
    student: str = "auto",
    out: str | os.PathLike[str] = "student.onnx",
    seed: int = 0,
    config: DistillConfig | None = None,
    student_params: dict[str, Any] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    progress: bool = True,
    resize: bool = False,
) -> DistillReport:
    """Label ``per_class`` rows of a built-in train split, fit a teacher, distil, compare on test.

    Parameters
    ----------
    name : str
        A built-in dataset (``fewlabels.data.list_builtin``).
    per_class : int
        Human labels per class (a stratified, seeded budget split).
    encoder, learner : str
        The teacher; the encoder defaults by modality (:func:`default_teacher_encoder`).
    student, config, student_params
        As in :func:`fewlabels.distill.distill`.
    out : path-like
        Where to write the ONNX export.

    A multi-label dataset (``movielens-genres``) goes to
    :func:`fewlabels.distill.multilabel_report.distill_multilabel_builtin`: ``per_class``
    rows holding each label are labelled (their whole sets), the teacher is one-vs-rest
    over ``learner`` and the report gives micro/macro-F1.
    """
    from fewlabels.data import budget_split, load_builtin
    from fewlabels.data.builtin import list_multilabel_builtin

    if name in {info.name for info in list_multilabel_builtin()}:
        from fewlabels.distill.multilabel_report import distill_multilabel_builtin

        return distill_multilabel_builtin(
            name,
            per_label=per_class,
            encoder=encoder,
            learner=learner,
            student=student,
            out=out,
            seed=seed,
            config=config,
            student_params=student_params,
            cache_dir=cache_dir,
            progress=progress,
        )
    splits = load_builtin(name)
    pool = budget_split(splits.train, per_class=per_class, seed=seed).apply(splits.train)
    teacher = Teacher(
        encoder or default_teacher_encoder(pool),
        teacher_learner(learner),
        cache_dir=cache_dir,
        progress=progress,
    )
    return distill_and_compare(
        teacher,
        pool,
        splits.test,
        out=out,
        student=student,
        config=config or DistillConfig(random_state=seed, progress=progress),
        student_params=(
            {**(student_params or {}), "resize": True}
            if resize and pool.modality == "image"
            else student_params
        ),
        extra={"dataset": name, "per_class": per_class, "seed": seed},
    )


def distill_workspace(
    workspace: Any,
    *,
    out: str | os.PathLike[str] | None = None,
    student: str = "auto",
    config: DistillConfig | None = None,
    student_params: dict[str, Any] | None = None,
    progress: bool = True,
    resize: bool = False,
) -> DistillReport:
    """Distil a workspace's model: its current labels are the human labels.

    Parameters
    ----------
    workspace : fewlabels.workspace.Workspace
        Its encoder and learner (``fewlabels.toml``) make the teacher; embeddings come from
        its cache folder.
    out : path-like, optional
        Default ``<workspace>/models/student.onnx``.
    resize : bool
        Image workspaces: resize image files of other sizes to the most common size (and
        convert colour to grey for a grey student); without it mixed sizes are refused
        before the teacher is fitted.

    A multi-label workspace (``task = "multilabel"``) goes to
    :func:`fewlabels.distill.multilabel_report.distill_multilabel_workspace` (its label sets,
    a one-vs-rest teacher, a per-label sigmoid student).

    When every class has at least two human labels, ``config.holdout_fraction`` of them
    (at least one per class) are hidden from the teacher and the student, and both are
    scored on them (``DistillReport.held_out``); the exported student is trained without
    them. Image files are checked (sizes, from their headers) before the teacher is fitted.
    """
    start = time.perf_counter()
    ws_cfg = workspace.config
    if getattr(ws_cfg, "task", "single") == "multilabel":
        from fewlabels.distill.multilabel_report import distill_multilabel_workspace

        return distill_multilabel_workspace(
            workspace,
            out=out,
            student=student,
            config=config,
            student_params=student_params,
            progress=progress,
        )
    pool = workspace.dataset()
    fingerprint = workspace.store.pool_fingerprint()  # recorded: a later forget shows it stale
    teacher = Teacher(
        ws_cfg.encoder,
        teacher_learner(ws_cfg.learner),
        cache_dir=Path(workspace.root) / "cache",
        progress=progress,
    )
    params = dict(student_params or {})
    if resize and pool.modality == "image":
        params.setdefault("resize", True)
    text_column = getattr(ws_cfg.data, "text", None)
    if pool.modality == "text" and text_column and "text_column" not in params:
        params["text_column"] = text_column
    cfg = config or DistillConfig(random_state=int(getattr(ws_cfg, "seed", 0)), progress=progress)
    target = out if out is not None else Path(workspace.root) / "models" / "student.onnx"
    model, path, agreement, held_out, collapsed = _run(
        pool,
        teacher,
        target,
        student=student,
        config=cfg,
        student_params=params,
        extra={
            "workspace": str(Path(workspace.root).resolve()),
            "pool_fingerprint": fingerprint,
        },
        hold_out=True,
    )
    return DistillReport(
        model,
        path,
        teacher,
        len(pool),
        int(pool.labeled_mask.sum()),
        agreement,
        None,
        time.perf_counter() - start,
        held_out,
        collapsed,
    )
