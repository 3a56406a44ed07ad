"""Labels at the estimator edge: the user's own values in, integer codes inside.

Learners take any labels, as scikit-learn's classifiers do: integers (``1 .. 10`` too),
strings, booleans. ``classes_`` holds the user's values, sorted; inside, a learner works on
codes ``0 .. K-1`` into ``classes_`` and ``-1`` for unlabelled rows.

The unlabelled marker is ``-1`` for numeric labels (``NaN`` too, for floats) and ``None``
(or ``NaN``, ``pandas.NA``, or the integer ``-1``) for object labels such as strings.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.exceptions import DataConversionWarning
from sklearn.utils.multiclass import type_of_target

from fewlabels._validation import _preview, user_stacklevel
from fewlabels.errors import FewlabelsError
from fewlabels.typing import UNLABELED

__all__ = ["align_proba", "decode_targets", "encode_targets", "unlabeled_mask"]


def _is_missing(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, (float, np.floating)) and np.isnan(v):
        return True
    if isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) and v == -1:
        return True
    try:
        import pandas as pd

        return v is pd.NA or v is pd.NaT
    except ImportError:  # pragma: no cover - pandas is a core dependency
        return False


def unlabeled_mask(y: np.ndarray) -> np.ndarray:
    """Which entries of ``y`` mark an unlabelled row.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)

    Returns
    -------
    ndarray of bool, shape (n_samples,)
    """
    if y.dtype == object:
        return np.fromiter((_is_missing(v) for v in y), dtype=bool, count=y.size)
    if np.issubdtype(y.dtype, np.floating):
        return np.isnan(y) | (y == UNLABELED)
    if np.issubdtype(y.dtype, np.integer):
        return y == UNLABELED
    return np.zeros(y.shape, dtype=bool)  # bool and str arrays have no marker


def encode_targets(y: Any, *, learner: str = "This learner") -> tuple[np.ndarray, np.ndarray]:
    """Split labels into integer codes and the sorted class values.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Labels of any type; ``-1`` (numbers) or ``None`` (objects) mark unlabelled rows.
    learner : str
        Named in error messages.

    Returns
    -------
    codes : ndarray of shape (n_samples,), int64
        Index into ``classes``; ``-1`` for unlabelled rows.
    classes : ndarray of shape (n_classes,)
        The distinct labelled values, sorted (empty when nothing is labelled).
    """
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        warnings.warn(
            "A column-vector y was passed when a 1d array was expected: it is read as y.ravel().",
            DataConversionWarning,
            stacklevel=user_stacklevel(),
        )
        arr = arr.ravel()
    if arr.ndim != 1:
        raise FewlabelsError(
            f"{learner} expected y as a 1-d array of labels, one per row, but got shape "
            f"{arr.shape}. For several labels per row, use a multi-label learner."
        )
    missing = unlabeled_mask(arr)
    labelled = arr[~missing]
    codes = np.full(arr.shape, UNLABELED, dtype=np.int64)
    if labelled.size == 0:
        return codes, labelled[:0]
    if labelled.dtype == object and all(isinstance(v, (bool, np.bool_)) for v in labelled):
        # Booleans beside None (an object array): scikit-learn reads them as "unknown".
        labelled = labelled.astype(bool)
    elif labelled.dtype == object and all(
        isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in labelled
    ):
        # Integers beside None: scikit-learn reads an object array of numbers as "unknown".
        labelled = labelled.astype(np.int64)
    try:
        kind = type_of_target(labelled)
    except TypeError:  # values that do not compare: mixed types
        kind = "unknown"
    if kind not in ("binary", "multiclass"):
        example = _preview(sorted({repr(v) for v in labelled.tolist()})[:5], limit=5)
        why = {
            "continuous": "they are continuous numbers (a regression target)",
            "unknown": "they mix types (e.g. strings and numbers)",
        }.get(kind, f"they are {kind!r}")
        raise FewlabelsError(
            f"Unknown label type: {learner} expected class labels (integers, strings or "
            "booleans; -1 or None "
            f"for unlabelled rows), but {why}: {example}. Make every label one class value "
            "of one type, e.g. y.astype(str)."
        )
    # Values that do not compare (mixed types) were refused above: type_of_target sorts them.
    classes = np.unique(labelled)
    codes[~missing] = np.searchsorted(classes, labelled)
    return codes, classes


def decode_targets(codes: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """The inverse of :func:`encode_targets`: labels in the user's values.

    Parameters
    ----------
    codes : ndarray of shape (n_samples,), int64, ``-1`` for unlabelled rows
    classes : ndarray of shape (n_classes,)

    Returns
    -------
    ndarray of shape (n_samples,)
        ``classes[codes]``, with ``-1`` for unlabelled rows when the classes are numbers
        and ``None`` otherwise (an object array).
    """
    unl = codes == UNLABELED
    if np.issubdtype(classes.dtype, np.number):  # bool is not a np.number
        out = np.full(codes.shape, UNLABELED, dtype=np.result_type(classes.dtype, np.int64))
    else:
        out = np.full(codes.shape, None, dtype=object)
    out[~unl] = classes[codes[~unl]]
    return out


def align_proba(proba: Any, columns: Any, classes: Any) -> np.ndarray:
    """Place probability columns, in ``columns`` order, at their place in ``classes``.

    A learner fitted on a subset of the classes (round one of an active-learning loop)
    predicts only those; this spreads its columns over every class, with 0 for the
    others. Assumes every value of ``columns`` is in ``classes``.

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_columns)
        ``model.predict_proba(X)``.
    columns : ndarray of shape (n_columns,)
        ``model.classes_``.
    classes : ndarray of shape (n_classes,)
        Every class, in the order wanted.

    Returns
    -------
    ndarray of shape (n_samples, n_classes), float64
    """
    p = np.asarray(proba, dtype=np.float64)
    cols = np.asarray(columns)
    full_classes = np.asarray(classes)
    if cols.shape == full_classes.shape and np.array_equal(cols, full_classes):
        return p
    index = {v: i for i, v in enumerate(full_classes.tolist())}
    try:
        where = np.array([index[v] for v in cols.tolist()], dtype=np.int64)
    except KeyError as exc:
        raise FewlabelsError(
            f"Expected the model's classes {_preview(cols.tolist())} among "
            f"{_preview(full_classes.tolist())}, but {exc.args[0]!r} is not."
        ) from None
    out = np.zeros((p.shape[0], full_classes.size), dtype=np.float64)
    out[:, where] = p
    return out
