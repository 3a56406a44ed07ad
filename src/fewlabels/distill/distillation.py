"""``distill``: train a small student on a teacher's soft labels over the whole pool."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from fewlabels.data.dataset import Dataset, MultiLabelDataset
from fewlabels.distill.config import DistillConfig
from fewlabels.distill.students import check_student_kind, list_students, make_student
from fewlabels.distill.teacher import Teacher, check_soft_labels, override_with_human
from fewlabels.distill.weighting import trust_weights
from fewlabels.errors import FewlabelsError, InputTypeError
from fewlabels.typing import UNLABELED

__all__ = ["distill", "list_students", "make_student"]


def check_has_human_labels(dataset: Any) -> None:
    """Refuse training on labelled rows only when there are none."""
    if int((dataset.labels != UNLABELED).sum()) == 0:
        raise FewlabelsError(
            "Expected some human-labelled rows for labelled_only=True, but every row is "
            "unlabelled. Label a few rows per class first."
        )


def _config(config: DistillConfig | Mapping[str, Any] | None, student: Any) -> DistillConfig:
    """The config to train with: given, read from a mapping, the student's own, or the default."""
    if config is None:
        own = None if isinstance(student, str) else getattr(student, "config", None)
        return own if isinstance(own, DistillConfig) else DistillConfig()
    if isinstance(config, DistillConfig):
        return config
    if isinstance(config, Mapping):
        return DistillConfig.from_dict(config, source="config")
    raise InputTypeError(
        f"Expected config to be a DistillConfig or a dict of its settings, but got "
        f"{type(config).__name__}. Build one with fewlabels.distill.DistillConfig(epochs=...)."
    )


def _check_dataset(dataset: Any) -> None:
    if not hasattr(dataset, "modality") or not hasattr(dataset, "inputs"):
        raise InputTypeError(
            f"Expected a fewlabels Dataset to distil on, but got {type(dataset).__name__}. "
            "Load one with fewlabels.load_builtin, from_folder or from_table."
        )


def _new_student(
    student: Any, modality: str, config: DistillConfig, params: dict[str, Any] | None
) -> Any:
    """An unfitted student trained with ``config``; a given one is cloned, never changed."""
    if isinstance(student, str):
        return make_student(student, modality, config=config, **(params or {}))
    from sklearn.base import clone

    check_student_kind(getattr(student, "kind", type(student).__name__), modality)
    return clone(student).set_params(config=config, **(params or {}))


def distill(
    teacher: Teacher | np.ndarray,
    dataset: Dataset | MultiLabelDataset,
    *,
    student: Any = "auto",
    config: DistillConfig | Mapping[str, Any] | None = None,
    student_params: dict[str, Any] | None = None,
    multilabel: bool | None = None,
    thresholds: Any = "teacher",
) -> Any:
    """Distil a teacher into a small student over the raw inputs of ``dataset``.

    Parameters
    ----------
    teacher : Teacher or ndarray of shape (n_samples, n_classes)
        A fitted teacher (encoder + learner), or its probabilities on ``dataset`` rows.
    dataset : Dataset or MultiLabelDataset
        The pool; its labels (``-1`` = unlabelled) are the human labels, which override the
        teacher and also get a cross-entropy term (label sets, rows of -1 unlabelled, for a
        MultiLabelDataset).
    student : {"auto", "text-ngram", "cnn", "mlp"} or a Student
        ``"auto"`` picks by modality. A Student is cloned (``sklearn.base.clone``) and the
        clone trained: the one given is left as it was.
    config : DistillConfig or dict, optional
        Which teacher rows to use and how (``weighting``, ``drop_fraction``,
        ``labelled_only``) and how to train. Default: the given Student's ``config``, else
        ``DistillConfig()``. A dict goes through :meth:`DistillConfig.from_dict` (unknown
        keys are an error). Never modified.
    student_params : dict, optional
        Parameters of the student (e.g. ``{"flip": True}`` for photos).
    multilabel : bool, optional
        Multi-label distillation (default: when ``dataset`` is a
        :class:`~fewlabels.data.MultiLabelDataset`). The teacher is then a multi-label one
        (a Teacher over :class:`fewlabels.learn.OneVsRest`, or per-label probabilities of
        shape (n_samples, n_labels)), human label sets override it, and the student has a
        per-label sigmoid head trained with binary cross-entropy on the soft targets.
        ``True`` with a single-label dataset or teacher is refused.
    thresholds : "teacher", float or array-like of shape (n_labels,)
        Multi-label only: the student's per-label thresholds (``proba >= threshold`` takes a
        label). ``"teacher"``: the Teacher's ``OneVsRest.thresholds_`` (chosen on held-out
        labels), 0.5 for given probabilities.

    Returns
    -------
    Student
        Fitted; ``config_`` is the config it was trained with, ``teacher_`` names the teacher
        and ``n_dropped_`` counts dropped rows. ``student.export(path)`` writes the ONNX file.
    """

    cfg = _config(config, student)
    _check_dataset(dataset)
    if _is_multilabel(dataset, teacher, multilabel) or isinstance(dataset, MultiLabelDataset):
        return _distill_multilabel(teacher, dataset, cfg, student, student_params, thresholds)
    if isinstance(teacher, Teacher):
        from fewlabels.distill.multilabel import check_multilabel_teacher

        check_multilabel_teacher(teacher.learner, multilabel=False)
    if not (isinstance(thresholds, str) and thresholds == "teacher"):
        raise FewlabelsError(
            "Expected thresholds only for multi-label distillation (a single-label student "
            f"takes the most probable class), but got thresholds={thresholds!r}."
        )
    model = _new_student(student, dataset.modality, cfg, student_params)
    model.check_inputs(dataset.inputs)  # cheap (image headers), before the teacher's work

    if isinstance(teacher, Teacher):
        soft = teacher.soft_labels(dataset)
        pool, teacher_proba, targets = soft.dataset, soft.teacher_proba, soft.proba
        teacher_name = teacher.name
    else:
        teacher_proba = check_soft_labels(teacher, len(dataset), dataset.n_classes)
        pool, targets = dataset, override_with_human(teacher_proba, dataset.labels)
        teacher_name = "given probabilities"
    human = pool.labels != UNLABELED
    if cfg.labelled_only:
        check_has_human_labels(pool)
        pool, targets = pool.subset(np.flatnonzero(human)), targets[human]
        teacher_proba, human = teacher_proba[human], human[human]
    weights = trust_weights(
        teacher_proba,
        human_mask=human,
        weighting=cfg.weighting,
        drop_fraction=cfg.drop_fraction,
    )
    model.fit(pool.inputs, targets, labels=pool.labels, sample_weight=weights, classes=pool.classes)
    model.teacher_ = "none (labelled rows only)" if cfg.labelled_only else teacher_name
    model.n_dropped_ = int((weights == 0).sum())
    return model


def _is_multilabel(dataset: Any, teacher: Any, multilabel: bool | None) -> bool:
    """Whether to distil label sets; refuse a flag that the data contradicts."""
    sets = isinstance(dataset, MultiLabelDataset)
    if multilabel is None:
        return sets
    if not isinstance(multilabel, bool):
        raise InputTypeError(
            f"Expected multilabel to be True, False or None, but got {multilabel!r}."
        )
    if multilabel and not sets:
        who = (
            f"the teacher's learner {type(teacher.learner).__name__} predicts one class per item "
            "and "
            if isinstance(teacher, Teacher) and not teacher.multilabel
            else ""
        )
        raise FewlabelsError(
            f"Expected a MultiLabelDataset (a set of labels per item) for multilabel=True, but "
            f"{who}the dataset {getattr(dataset, 'name', '?')!r} has one label per item. Load "
            "label sets (fewlabels.data.load_multilabel_builtin, a label column of lists), or "
            "drop multilabel=True."
        )
    if not multilabel and sets:
        raise FewlabelsError(
            "Expected a single-label Dataset for multilabel=False, but got a MultiLabelDataset. "
            "Leave multilabel unset to distil its label sets."
        )
    return multilabel


def _distill_multilabel(
    teacher: Any,
    dataset: Any,
    cfg: DistillConfig,
    student: Any,
    student_params: dict[str, Any] | None,
    thresholds: Any,
) -> Any:
    """The multi-label branch of :func:`distill` (see there)."""
    from fewlabels.distill.multilabel import (
        check_multilabel_targets,
        check_multilabel_teacher,
        override_with_label_sets,
    )

    if cfg.weighting != "none" or cfg.drop_fraction > 0:
        raise FewlabelsError(
            f"Expected weighting='none' and drop_fraction=0 for multi-label distillation (the "
            f"confidence weights rank one distribution per row, not per-label probabilities), "
            f"but got weighting={cfg.weighting!r}, drop_fraction={cfg.drop_fraction!r}."
        )
    model = _new_student(student, dataset.modality, cfg, student_params)
    model.check_inputs(dataset.inputs)
    if isinstance(teacher, Teacher):
        check_multilabel_teacher(teacher.learner, multilabel=True)
        soft = teacher.soft_labels(dataset)
        pool, targets = soft.dataset, soft.proba
        teacher_name = teacher.name
        own = teacher.thresholds
    else:
        teacher_proba = check_multilabel_targets(teacher, len(dataset), dataset.n_classes)
        pool, targets = dataset, override_with_label_sets(teacher_proba, dataset.label_sets)
        teacher_name = "given probabilities"
        own = None
    if isinstance(thresholds, str):
        if thresholds != "teacher":
            raise FewlabelsError(
                f"Expected thresholds 'teacher', a number or one number per label, but got "
                f"{thresholds!r}."
            )
        thresholds = own
    label_sets = pool.label_sets
    if cfg.labelled_only:
        keep = np.flatnonzero(pool.labeled_mask)
        if keep.size == 0:
            raise FewlabelsError(
                "Expected some human label sets for labelled_only=True, but every row is "
                "unlabelled. Label a few rows first."
            )
        pool, targets, label_sets = pool.subset(keep), targets[keep], label_sets[keep]
    model.fit(
        pool.inputs,
        targets,
        labels=label_sets,
        classes=pool.classes,
        multilabel=True,
        thresholds=thresholds,
    )
    model.teacher_ = "none (labelled rows only)" if cfg.labelled_only else teacher_name
    model.n_dropped_ = 0
    return model
