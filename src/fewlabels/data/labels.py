"""Label values read from files and folders, turned into class codes and names."""

from __future__ import annotations

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
