"""Label values read from files and folders, turned into class codes and names."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from fewlabels._validation import _preview
from fewlabels.errors import FewlabelsError
from fewlabels.typing import UNLABELED


def as_written(value: Any) -> str | None:
    """A cell of an id or label column as text, or None when the cell is missing.

    Strings are kept exactly (``"007"`` stays ``"007"``). Numbers come from a format that
    stores numbers (JSONL, Parquet, a DataFrame): whole numbers print without a decimal part,
    since pandas turns an integer column with a missing cell into floats (``7.0`` -> ``"7"``),
    and other floats print in their shortest form (``1.5``).
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        f = float(value)
        if math.isnan(f):
            return None
        return str(int(f)) if f.is_integer() else repr(f)
    return str(value)


def check_dataset_classes(classes: Sequence[Any]) -> tuple[str, ...]:
    """Return class names as a tuple of str, refusing duplicates.

    Any number of classes is allowed, none included: a pool that nobody has labelled yet has
    no classes, and a table whose labelled rows are all one class has one. What a learner or
    a workspace needs (two or more) is checked there.
    """
    if isinstance(classes, str):
        raise FewlabelsError(
            f"Expected the class names as a list of str, but got the single str {classes!r}. "
            "Pass a list, e.g. ['cat', 'dog']."
        )
    names = tuple(str(c) for c in classes)
    if len(set(names)) != len(names):
        seen: set[str] = set()
        dup = [c for c in names if c in seen or seen.add(c)]  # type: ignore[func-returns-value]
        raise FewlabelsError(f"Expected distinct class names, but these repeat: {_preview(dup)}.")
    return names


def encode_labels(
    raw: Sequence[Any], classes: Sequence[str] | None
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Map raw label values (blank or None = unlabelled) to integer codes.

    Parameters
    ----------
    raw : sequence of length n_samples
        Label values; ``None``, ``NaN`` and ``""`` mean unlabelled. Strings are kept as
        written (``"007"`` and ``"7"`` are two classes); a whole float ``7.0`` is ``"7"``.
    classes : sequence of str or None
        The allowed class names in order; inferred (the sorted distinct labels, possibly none
        or one) when None.

    Returns
    -------
    labels : ndarray of shape (n_samples,)
        Integer codes into ``classes``, -1 for unlabelled.
    classes : tuple of str
    """
    values: list[str | None] = []
    for v in raw:
        s = as_written(v)
        s = s.strip() if s is not None else None
        values.append(s or None)
    present = sorted({v for v in values if v is not None})
    if classes is None:
        names = check_dataset_classes(present)
    else:
        names = check_dataset_classes(classes)
        unknown = sorted(set(present) - set(names))
        if unknown:
            raise FewlabelsError(
                f"Expected labels among the classes {list(names)}, but found unknown label(s) "
                f"{_preview(unknown)}. Add them to the classes or fix the labels."
            )
    index = {c: i for i, c in enumerate(names)}
    labels = np.array([UNLABELED if v is None else index[v] for v in values], dtype=np.int64)
    return labels, names


def _is_blank(value: Any) -> bool:
    """A missing cell (None, NaN, NA) or a blank string."""
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple, set, frozenset, np.ndarray)):
        return False
    return as_written(value) is None


def _as_collection(value: Any) -> list[Any] | None:
    """A list, tuple, set or array cell as a list; a JSON list in a string too; else None."""
    if isinstance(value, (list, tuple, set, frozenset)):
        return sorted(value, key=str) if isinstance(value, (set, frozenset)) else list(value)
    if isinstance(value, np.ndarray):
        return value.ravel().tolist()
    if isinstance(value, str) and value.strip().startswith("["):
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            return None
        return parsed if isinstance(parsed, list) else None
    return None


def parse_label_sets(
    raw: Sequence[Any], *, sep: str | None = None, column: str = "label"
) -> list[tuple[str, ...] | None]:
    """Turn the cells of a multi-label column into label sets (None = unlabelled).

    A cell is a list (or tuple, set, array; a JSON list such as ``["a", "b"]`` or ``[]`` in a
    text cell), or, when ``sep`` is given, a string of labels joined by ``sep``
    (``"Comedy|Drama"``). A blank or missing cell is an unlabelled item; ``[]`` is a labelled
    item with the empty set. Labels are kept as written and stripped; repeats collapse.

    Parameters
    ----------
    raw : sequence of length n_samples
    sep : str, optional
        The separator of labels in a string cell.
    column : str
        Named in error messages.

    Returns
    -------
    list of (tuple of str or None)

    Raises
    ------
    FewlabelsError
        A column that mixes list cells and string cells (the rows of each are named), or
        string cells without ``sep``.
    """
    lists: list[int] = []  # rows holding a list (or tuple, set, array) cell
    texts: list[int] = []  # rows holding a string cell (a JSON list, or labels joined by sep)
    scalars: list[int] = []  # rows holding one value that is no set
    out: list[tuple[str, ...] | None] = []
    for row, value in enumerate(raw, start=1):
        if _is_blank(value):
            out.append(None)
            continue
        items = _as_collection(value)
        if isinstance(value, str):
            texts.append(row)
            if items is None and sep is not None:
                items = value.split(sep)
        elif items is not None:
            lists.append(row)
        if items is None:
            scalars.append(row)
            items = [value]
        names: list[str] = []
        for item in items:
            s = as_written(item)
            s = s.strip() if s is not None else None
            if s and s not in names:
                names.append(s)
        out.append(tuple(names))
    if lists and (texts or scalars):
        raise FewlabelsError(
            f"Expected the multi-label column {column!r} to hold a list of labels in every "
            f"labelled row, but it mixes lists (rows {_preview(lists)}) with single values "
            f"(rows {_preview(sorted(set(texts) | set(scalars)))}; 1 = the first data row). "
            'Write every cell as a list, e.g. ["a"] for one label.'
        )
    if scalars:
        raise FewlabelsError(
            f"Expected lists of labels in the multi-label column {column!r}, but rows "
            f"{_preview(scalars)} hold single values (1 = the first data row). Write lists, or "
            "pass the separator that joins the labels in a cell, e.g. sep='|' (--sep '|')."
        )
    return out


def encode_label_sets(
    sets: Sequence[Sequence[str] | None], classes: Sequence[str] | None
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Map label sets (None = unlabelled) to an indicator matrix.

    Parameters
    ----------
    sets : sequence of length n_samples
        Each item's labels (a sequence of str, possibly empty) or None when unlabelled.
    classes : sequence of str or None
        The allowed class names in order; the sorted distinct labels when None.

    Returns
    -------
    label_sets : ndarray of shape (n_samples, n_classes), int8
        ``1`` where an item has a class, ``0`` elsewhere; rows of ``-1`` for unlabelled items.
    classes : tuple of str

    Raises
    ------
    FewlabelsError
        A label outside ``classes`` (the rows that hold it are named).
    """
    present = sorted({lab for s in sets if s is not None for lab in s})
    if classes is None:
        names = check_dataset_classes(present)
    else:
        names = check_dataset_classes(classes)
        unknown = sorted(set(present) - set(names))
        if unknown:
            rows = [k + 1 for k, s in enumerate(sets) if s is not None and set(s) - set(names)]
            raise FewlabelsError(
                f"Expected every label in a set to be one of the classes {list(names)}, but "
                f"found unknown label(s) {_preview(unknown)} in rows {_preview(rows)} (1 = the "
                "first data row). Add them to the classes or fix the labels."
            )
    index = {c: i for i, c in enumerate(names)}
    Y = np.zeros((len(sets), len(names)), dtype=np.int8)
    for i, s in enumerate(sets):
        if s is None:
            Y[i] = UNLABELED
        else:
            Y[i, [index[lab] for lab in s]] = 1
    return Y, names
