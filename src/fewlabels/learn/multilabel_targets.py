"""Multi-label targets at the estimator edge: label collections or an indicator matrix with a
row of ``-1`` for an unlabelled row, encoded once into an indicator and the label values; and
back to label sets."""

from __future__ import annotations

from typing import Any

import numpy as np

from fewlabels._validation import _preview
from fewlabels.errors import FewlabelsError, InputTypeError
from fewlabels.typing import UNLABELED

_COLLECTIONS = (list, tuple, set, frozenset, np.ndarray)


def _is_indicator(y: Any) -> bool:
    """Whether ``y`` is a 2-d matrix (an indicator) rather than one collection per row.

    An array of 2 dimensions is; a list of equal-length lists of integers or booleans is too
    (pass sets of integer labels as tuples of different lengths, or as an object array).
    """
    if isinstance(y, np.ndarray):
        return y.ndim == 2
    try:
        arr = np.asarray(y)
    except ValueError:  # ragged: one collection per row
        return False
    return arr.ndim == 2 and arr.dtype.kind in "iub"


def encode_label_targets(y: Any, *, learner: str = "OneVsRest") -> tuple[np.ndarray, np.ndarray]:
    """Multi-label targets as an indicator matrix with rows of -1 for unlabelled rows.

    Parameters
    ----------
    y : array-like of shape (n_samples, n_labels), or sequence of length n_samples
        A 0/1 (or bool) indicator matrix with whole rows of ``-1`` for unlabelled rows, or
        one collection of labels per row (``None`` for an unlabelled row, an empty list for
        the empty set).
    learner : str
        Named in error messages.

    Returns
    -------
    Y : ndarray of shape (n_samples, n_labels), int8
        1/0 on labelled rows, -1 on whole unlabelled rows.
    classes : ndarray of shape (n_labels,)
        ``arange(n_labels)`` for an indicator ``y``; else the sorted distinct labels.
    """
    if _is_indicator(y):
        Y = np.asarray(y)
        if Y.size and not (np.issubdtype(Y.dtype, np.integer) or Y.dtype == bool):
            raise InputTypeError(
                f"{learner} expected a 0/1 label indicator matrix (rows of -1 for unlabelled "
                f"rows), but got dtype {Y.dtype}. Pass integers, or one list of labels per row."
            )
        Y = Y.astype(np.int64)
        bad = np.flatnonzero(~np.isin(Y, (UNLABELED, 0, 1)).all(axis=1))
        unl = Y == UNLABELED
        mixed = np.flatnonzero(unl.any(axis=1) & ~unl.all(axis=1))
        if bad.size or mixed.size:
            rows = np.union1d(bad, mixed)
            raise FewlabelsError(
                f"{learner} expected each row of the indicator y to be all 0/1 (a labelled row, "
                f"its set possibly empty) or all -1 (an unlabelled row), but {rows.size} row(s) "
                f"are neither, e.g. rows {_preview(rows.tolist())}. Mark an unlabelled row "
                "with a whole row of -1."
            )
        return Y.astype(np.int8), np.arange(Y.shape[1])
    rows_in = list(y)
    scalars = [
        i for i, r in enumerate(rows_in) if r is not None and not isinstance(r, _COLLECTIONS)
    ]
    if scalars:
        raise FewlabelsError(
            f"{learner} expected one collection of labels per row (a list, possibly empty; "
            f"None for an unlabelled row), but rows {_preview(scalars)} hold single values, "
            f"e.g. {rows_in[scalars[0]]!r}. Wrap a single label in a list, or pass a 0/1 "
            "indicator matrix."
        )
    sets = [None if r is None else list(np.asarray(r, dtype=object).ravel()) for r in rows_in]
    values = {v for s in sets if s is not None for v in s}
    try:
        classes = np.asarray(sorted(values), dtype=object)
    except TypeError:
        raise FewlabelsError(
            f"{learner} expected labels of one kind (all strings or all numbers), but they "
            f"mix types: {_preview(sorted({type(v).__name__ for v in values}))}."
        ) from None
    if classes.size and all(isinstance(v, str) for v in values):
        classes = classes.astype(str).astype(object)
    index = {v: k for k, v in enumerate(classes.tolist())}
    Y = np.zeros((len(sets), classes.size), dtype=np.int8)
    for i, s in enumerate(sets):
        if s is None:
            Y[i] = UNLABELED
        else:
            Y[i, [index[v] for v in s]] = 1
    return Y, classes


def indicator_to_sets(Y: np.ndarray, classes: Any) -> list[tuple[Any, ...] | None]:
    """Rows of an indicator matrix as label sets (``None`` for a row of -1).

    Parameters
    ----------
    Y : ndarray of shape (n_samples, n_labels)
    classes : array-like of shape (n_labels,)

    Returns
    -------
    list of (tuple or None), one per row, labels in the order of ``classes``
    """
    names = np.asarray(classes, dtype=object)
    return [
        None if (len(row) and (row == UNLABELED).all()) else tuple(names[row == 1].tolist())
        for row in np.asarray(Y)
    ]
