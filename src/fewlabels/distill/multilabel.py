"""Multi-label distillation: the checks and rules shared by the student, the export and
``predict``, in numpy only (no torch, so that :mod:`fewlabels.distill.predict` can use them).

A multi-label teacher (:class:`fewlabels.learn.OneVsRest`, or per-label probabilities) gives
one probability per label; rows need not sum to 1. The student has one sigmoid output per
label, trained with binary cross-entropy on the teacher's soft targets
(:func:`fewlabels.distill.losses.sigmoid_distillation_loss`), and a row has a label when its
probability reaches that label's threshold, ``proba >= threshold``: the rule of
``OneVsRest.predict``, so that a threshold exactly at a probability takes the label. The
thresholds are carried from the teacher (its ``thresholds_``, chosen on held-out labels)
into the student and the ONNX export's metadata.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from fewlabels._validation import _preview
from fewlabels.errors import FewlabelsError, InputTypeError
from fewlabels.typing import UNLABELED

__all__ = [
    "DEFAULT_THRESHOLD",
    "SEPARATOR",
    "check_label_set_rows",
    "check_multilabel_classes",
    "check_multilabel_targets",
    "check_multilabel_teacher",
    "check_thresholds",
    "indicator_sets",
    "is_multilabel_learner",
    "label_indicator",
    "override_with_label_sets",
    "per_label_budget",
]

#: The threshold of a label when neither the teacher nor the caller gives one.
DEFAULT_THRESHOLD = 0.5
#: What joins a label set in one CSV cell (``"Action|Comedy"``); a class name may not hold it.
SEPARATOR = "|"


def is_multilabel_learner(learner: Any) -> bool:
    """Whether ``learner`` predicts label sets: its class tag ``multilabel`` (a tag, not an
    ``isinstance``: :class:`fewlabels.learn.OneVsRest` sets it)."""
    return bool(getattr(type(learner), "multilabel", False))


def check_multilabel_teacher(learner: Any, *, multilabel: bool) -> None:
    """Refuse a teacher whose kind (one class, or a set per item) is not the data's.

    Parameters
    ----------
    learner : estimator
        The teacher's learner.
    multilabel : bool
        Whether the data (or the caller's flag) is multi-label.
    """
    name = type(learner).__name__
    if multilabel and not is_multilabel_learner(learner):
        raise FewlabelsError(
            f"Expected a multi-label teacher for multi-label distillation (a learner that "
            f"gives one probability per label, e.g. fewlabels.learn.OneVsRest), but its "
            f"learner {name} predicts one class per item. Use "
            "Teacher(encoder, OneVsRest(base='linear')), or drop multilabel=True."
        )
    if not multilabel and is_multilabel_learner(learner):
        raise FewlabelsError(
            f"Expected a single-label teacher for this single-label dataset, but its learner "
            f"{name} predicts label sets. Distil it on a MultiLabelDataset (label sets, e.g. "
            "fewlabels.data.load_multilabel_builtin('movielens-genres')), or use a "
            "single-label learner."
        )


def check_multilabel_targets(proba: Any, n_samples: int, n_labels: int | None) -> np.ndarray:
    """Per-label teacher probabilities of shape (n_samples, n_labels), each in [0, 1].

    Parameters
    ----------
    proba : array-like
    n_samples : int
    n_labels : int or None
        Expected labels (None: any number >= 1).

    Returns
    -------
    ndarray of shape (n_samples, n_labels), float32
    """
    try:
        p = np.asarray(proba, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputTypeError(
            f"Expected per-label teacher probabilities (numbers), but got {type(proba).__name__}."
        ) from None
    k = p.shape[1] if p.ndim == 2 else -1
    if p.ndim != 2 or p.shape[0] != n_samples or k < 1 or (n_labels is not None and k != n_labels):
        want = "n_labels" if n_labels is None else str(n_labels)
        raise FewlabelsError(
            f"Expected per-label teacher probabilities of shape ({n_samples}, {want}), one row "
            f"per item and one column per label, but got shape {p.shape}. Pass "
            "OneVsRest.predict_proba(X) on the same rows, or a fewlabels.distill.Teacher."
        )
    bad = np.flatnonzero(~(np.isfinite(p) & (p >= -1e-6) & (p <= 1 + 1e-6)).all(axis=1))
    if bad.size:
        raise FewlabelsError(
            f"Expected per-label probabilities in [0, 1], but {bad.size} row(s) hold values "
            f"outside it (or not finite), e.g. rows {_preview(bad.tolist())}. Pass "
            "probabilities (a sigmoid of the scores), not logits."
        )
    return np.clip(p, 0.0, 1.0).astype(np.float32)


def check_label_set_rows(labels: Any, n_samples: int, n_labels: int) -> np.ndarray:
    """Human label sets as an indicator of shape (n_samples, n_labels): 0/1 on labelled rows
    (a row of zeros is the empty set), a whole row of -1 on unlabelled rows.

    Returns
    -------
    ndarray of shape (n_samples, n_labels), int8
    """
    Y = np.asarray(labels)
    if Y.shape != (n_samples, n_labels) or not (
        Y.size == 0 or np.issubdtype(Y.dtype, np.integer) or Y.dtype == bool
    ):
        raise FewlabelsError(
            f"Expected human label sets as an integer indicator of shape ({n_samples}, "
            f"{n_labels}) (rows of -1 for unlabelled items), but got shape {Y.shape} of dtype "
            f"{Y.dtype}. Pass MultiLabelDataset.label_sets."
        )
    Y = Y.astype(np.int64)
    unl = Y == UNLABELED
    bad = np.flatnonzero(
        ~np.isin(Y, (UNLABELED, 0, 1)).all(axis=1) | (unl.any(axis=1) & ~unl.all(axis=1))
    )
    if bad.size:
        raise FewlabelsError(
            f"Expected each row of the label sets to be all 0/1 (a labelled item, its set "
            f"possibly empty) or all -1 (unlabelled), but rows {_preview(bad.tolist())} are "
            "neither."
        )
    return Y.astype(np.int8)


def check_thresholds(thresholds: Any, n_labels: int) -> np.ndarray:
    """One threshold per label, each in [0, 1] (a row has a label when ``proba >= t``).

    Parameters
    ----------
    thresholds : float or array-like of shape (n_labels,) or None
        None gives :data:`DEFAULT_THRESHOLD` for every label; a number, that for every label.
    n_labels : int

    Returns
    -------
    ndarray of shape (n_labels,), float64
    """
    if thresholds is None:
        return np.full(n_labels, DEFAULT_THRESHOLD)
    if isinstance(thresholds, (bool, np.bool_)) or isinstance(thresholds, str):
        raise InputTypeError(
            f"Expected thresholds to be numbers in [0, 1], one per label, but got {thresholds!r}."
        )
    try:
        t = np.asarray(thresholds, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputTypeError(
            f"Expected thresholds to be numbers in [0, 1], one per label, but got "
            f"{type(thresholds).__name__}."
        ) from None
    if t.ndim == 0:
        t = np.full(n_labels, float(t))
    if t.shape != (n_labels,):
        raise FewlabelsError(
            f"Expected {n_labels} thresholds (one per label), but got {t.size} (shape "
            f"{t.shape}). Pass the teacher's OneVsRest.thresholds_, or one number for all labels."
        )
    if not (np.isfinite(t) & (t >= 0.0) & (t <= 1.0)).all():
        raise FewlabelsError(
            f"Expected thresholds in [0, 1], but got {_preview(t.tolist())}. A row has a "
            "label when its probability is >= the label's threshold."
        )
    return t


def check_multilabel_classes(classes: Sequence[str]) -> tuple[str, ...]:
    """Refuse a label name that holds :data:`SEPARATOR` (a CSV cell joins a set with it)."""
    names = tuple(classes)
    bad = [c for c in names if SEPARATOR in c]
    if bad:
        raise FewlabelsError(
            f"Expected multi-label class names without {SEPARATOR!r} (predictions join a label "
            f"set with it in CSV), but got {_preview(bad)}. Rename those labels."
        )
    return names


def override_with_label_sets(proba: np.ndarray, label_sets: np.ndarray) -> np.ndarray:
    """Per-label teacher probabilities with human-labelled rows replaced by their 0/1 sets.

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_labels)
    label_sets : ndarray of shape (n_samples, n_labels)
        0/1 on labelled rows, rows of -1 on unlabelled ones.

    Returns
    -------
    ndarray of shape (n_samples, n_labels), float32 (a copy)
    """
    out = np.array(proba, dtype=np.float32, copy=True)
    Y = np.asarray(label_sets)
    rows = ~(Y == UNLABELED).all(axis=1) if Y.shape[1] else np.zeros(len(Y), dtype=bool)
    out[rows] = Y[rows].astype(np.float32)
    return out


def label_indicator(proba: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """The label indicator: ``proba >= thresholds`` (``OneVsRest.predict``'s rule).

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_labels)
    thresholds : ndarray of shape (n_labels,)

    Returns
    -------
    ndarray of shape (n_samples, n_labels), int64 (0/1)
    """
    return (np.asarray(proba) >= np.asarray(thresholds)[None, :]).astype(np.int64)


def indicator_sets(indicator: np.ndarray, classes: Sequence[str]) -> list[list[str]]:
    """Rows of a 0/1 indicator as lists of class names, in class order (empty lists kept)."""
    names = np.asarray(list(classes), dtype=object)
    return [names[row == 1].tolist() for row in np.asarray(indicator)]


def per_label_budget(label_sets: np.ndarray, per_label: int, *, seed: int) -> np.ndarray:
    """Rows to label: ``per_label`` random rows holding each label (fewer when rarer), united.

    The labels are visited in a seeded random order and a row already chosen is not chosen
    again (the multi-label twin of a per-class budget; as ``benchmarks/multilabel.py`` does).

    Parameters
    ----------
    label_sets : ndarray of shape (n_samples, n_labels), 0/1
    per_label : int >= 1
    seed : int

    Returns
    -------
    ndarray of int64, sorted positions
    """
    if isinstance(per_label, bool) or not isinstance(per_label, (int, np.integer)) or per_label < 1:
        raise FewlabelsError(
            f"Expected per_label to be a whole number >= 1, but got {per_label!r}."
        )
    Y = np.asarray(label_sets)
    rng = np.random.default_rng(seed)
    chosen: set[int] = set()
    for k in rng.permutation(Y.shape[1]):
        rows = [int(r) for r in rng.permutation(np.flatnonzero(Y[:, k] == 1)) if r not in chosen]
        chosen.update(rows[:per_label])
    return np.array(sorted(chosen), dtype=np.int64)
