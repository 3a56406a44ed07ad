"""``distill``: train a small student on a teacher's soft labels over the whole pool."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from fewlabels.data.dataset import Dataset
from fewlabels.distill.teacher import Teacher, override_with_human
from fewlabels.distill.trainer import TrainConfig
from fewlabels.distill.weighting import Weighting, trust_weights
from fewlabels.typing import UNLABELED

#: Student kinds by name: (modality, class path).
STUDENTS: dict[str, tuple[str, str]] = {
    "text-ngram": ("text", "fewlabels.distill.text_student:TextStudent"),
    "cnn": ("image", "fewlabels.distill.image_student:ImageStudent"),
    "mlp": ("tabular", "fewlabels.distill.tabular_student:TabularStudent"),
}
#: The student ``"auto"`` picks for each modality.
AUTO_STUDENT = {"text": "text-ngram", "image": "cnn", "tabular": "mlp"}


def list_students() -> list[str]:
    """Student kinds: ``"text-ngram"``, ``"cnn"``, ``"mlp"``."""
    return list(STUDENTS)


def make_student(kind: str, modality: str, **params: Any) -> Any:
    """Build an unfitted student of ``kind`` (or ``"auto"``) for data of ``modality``.

    Raises
    ------
    ValueError
        For an unknown kind or one that does not fit the modality.
    """
    import importlib

    from fewlabels._validation import check_student_kind

    name = check_student_kind(kind, modality, STUDENTS, AUTO_STUDENT)
    module, cls = STUDENTS[name][1].split(":")
    return getattr(importlib.import_module(module), cls)(**params)


def distill(
    teacher: Teacher | np.ndarray,
    dataset: Dataset,
    *,
    student: Any = "auto",
    weighting: Weighting = "none",
    drop_fraction: float = 0.0,
    labelled_only: bool = False,
    temperature: float | None = None,
    random_state: int | None = None,
    device: str | None = None,
    progress: bool | None = None,
    config: TrainConfig | None = None,
    student_params: dict[str, Any] | None = None,
) -> Any:
    """Distil a teacher into a small student over the raw inputs of ``dataset``.

    Parameters
    ----------
    teacher : Teacher or ndarray of shape (n_samples, n_classes)
        A fitted teacher (encoder + learner), or its probabilities on ``dataset`` rows.
    dataset : Dataset
        The pool; its labels (``-1`` = unlabelled) are the human labels, which override the
        teacher and also get a cross-entropy term.
    student : {"auto", "text-ngram", "cnn", "mlp"} or a Student
        ``"auto"`` picks by modality.
    weighting : {"none", "max", "margin", "entropy"}
        Weight teacher rows by the teacher's confidence (Robust Active Distillation).
    drop_fraction : float in [0, 1)
        Drop this share of the least confident teacher rows.
    labelled_only : bool
        Train on the human-labelled rows only (ignores the teacher; a baseline that shows
        the gain from the unlabelled pool).
    temperature, random_state, device, progress : optional
        Override these fields of ``config``.
    config : TrainConfig, optional
    student_params : dict, optional
        Parameters of the student (e.g. ``{"flip": True}`` for photos).

    Returns
    -------
    Student
        Fitted; ``teacher_`` names the teacher and ``n_dropped_`` counts dropped rows.
        ``student.export(path)`` writes the ONNX file.
    """
    from fewlabels._validation import check_distill_options, check_soft_labels

    check_distill_options(dataset, drop_fraction=drop_fraction, weighting=weighting)
    overrides: dict[str, Any] = {
        k: v
        for k, v in {
            "temperature": temperature,
            "random_state": random_state,
            "device": device,
            "progress": progress,
        }.items()
        if v is not None
    }
    cfg = dataclasses.replace(config or TrainConfig(), **overrides)
    model = (
        make_student(student, dataset.modality, **(student_params or {}))
        if isinstance(student, str)
        else student
    )
    from fewlabels._validation import check_student_kind

    check_student_kind(
        getattr(model, "kind", type(model).__name__), dataset.modality, STUDENTS, AUTO_STUDENT
    )
    model.config = cfg

    if isinstance(teacher, Teacher):
        soft = teacher.soft_labels(dataset)
        pool, teacher_proba, targets = soft.dataset, soft.teacher_proba, soft.proba
        teacher_name = teacher.name
    else:
        teacher_proba = check_soft_labels(teacher, len(dataset), dataset.n_classes)
        pool, targets = dataset, override_with_human(teacher_proba, dataset.labels)
        teacher_name = "given probabilities"
    human = pool.labels != UNLABELED
    if labelled_only:
        from fewlabels._validation import check_has_human_labels

        check_has_human_labels(pool)
        pool, targets = pool.subset(np.flatnonzero(human)), targets[human]
        teacher_proba, human = teacher_proba[human], human[human]
    weights = trust_weights(
        teacher_proba, human_mask=human, weighting=weighting, drop_fraction=drop_fraction
    )
    model.fit(pool.inputs, targets, labels=pool.labels, sample_weight=weights, classes=pool.classes)
    model.teacher_ = "none (labelled rows only)" if labelled_only else teacher_name
    model.n_dropped_ = int((weights == 0).sum())
    return model
