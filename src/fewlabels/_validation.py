"""Every input check of fewlabels and its message, in one place.

Public entry points call these once; private helpers assume valid input.
Each message says what was expected, what arrived and how to fix it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from fewlabels.errors import FewlabelsError, InputTypeError

#: The package's folder: frames whose file lies under it are fewlabels' own.
_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def user_stacklevel() -> int:
    """The ``stacklevel`` at which a warning points at the first caller outside fewlabels.

    Call it as ``warnings.warn(msg, stacklevel=user_stacklevel())`` from the function that
    warns: a fixed number would point at fewlabels' own code whenever the warning is reached
    through a different number of internal calls (``fit`` -> ``_validate_fit`` -> ...).

    Returns
    -------
    int
        1 when the warning function itself lies outside the package (a test calling a
        helper directly), else one more per enclosing fewlabels frame.
    """
    frame = sys._getframe(1)  # the function that warns
    level = 1
    while frame.f_back is not None and os.path.abspath(frame.f_code.co_filename).startswith(
        _PACKAGE
    ):
        frame = frame.f_back
        level += 1
    return level


def _preview(items: Iterable[Any], limit: int = 10) -> str:
    """Format up to ``limit`` items for an error message."""
    items = list(items)
    shown = ", ".join(repr(i) for i in items[:limit])
    more = f", ... ({len(items) - limit} more)" if len(items) > limit else ""
    return f"[{shown}{more}]"


def check_class_names(classes: Sequence[str]) -> tuple[str, ...]:
    """Return class names as a tuple of str, refusing duplicates and fewer than 2 classes."""
    names = tuple(str(c) for c in classes)
    if len(set(names)) != len(names):
        seen: set[str] = set()
        dup = [c for c in names if c in seen or seen.add(c)]  # type: ignore[func-returns-value]
        raise FewlabelsError(f"Expected distinct class names, but these repeat: {_preview(dup)}.")
    if len(names) < 2:
        raise FewlabelsError(
            f"Expected at least 2 classes, but got {len(names)}: {list(names)}. "
            "A classifier needs two or more classes to choose between."
        )
    return names


def check_embeddings(X: Any, *, name: str = "X") -> np.ndarray:
    """Return a finite 2-d float array, or explain what is wrong with it.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    """
    arr = np.asarray(X)
    if arr.ndim != 2:
        raise FewlabelsError(
            f"Expected {name} as a 2-d array of shape (n_samples, n_features), "
            f"but got {arr.ndim} dimension(s) with shape {arr.shape}."
        )
    if arr.shape[0] == 0:
        raise FewlabelsError(f"Expected {name} with at least one row, but it has 0 rows.")
    if not np.issubdtype(arr.dtype, np.number):
        raise InputTypeError(f"Expected numeric {name}, but got dtype {arr.dtype}.")
    arr = arr.astype(np.float32, copy=False)
    finite = np.isfinite(arr)
    if not finite.all():
        rows = np.flatnonzero(~finite.all(axis=1))
        raise FewlabelsError(
            f"Expected finite values in {name}, but {rows.size} row(s) hold NaN or infinity, "
            f"e.g. rows {rows[:10].tolist()}. Re-embed those items or drop them."
        )
    return arr


def check_param(
    name: str,
    value: Any,
    *,
    low: float,
    high: float,
    learner: str,
    low_open: bool = False,
    high_open: bool = False,
) -> None:
    """Refuse a numeric hyper-parameter outside ``[low, high]`` (ends open where asked)."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if ok:
        v = float(value)
        ok = (v > low if low_open else v >= low) and (v < high if high_open else v <= high)
    if not ok:
        lo = "(" if low_open else "["
        hi = ")" if high_open else "]"
        raise FewlabelsError(
            f"{learner} expected {name} in {lo}{low}, {high}{hi}, but got {value!r}."
        )


def check_choice(name: str, value: Any, choices: Sequence[str], *, learner: str) -> str:
    """Refuse an option that is not one of ``choices``; return it.

    Parameters
    ----------
    name : str
        The option's name, e.g. ``"scoring"``.
    value : object
    choices : sequence of str
    learner : str
        Who expected it, e.g. ``"Auto"``.
    """
    if not isinstance(value, str) or value not in choices:
        raise FewlabelsError(
            f"{learner} expected {name} to be one of {', '.join(map(repr, choices))}, but got "
            f"{value!r}."
        )
    return value


def check_batch_size(n: Any, *, name: str = "n", what: str = "how many rows to select") -> int:
    """Return a batch size (or another count) as an int >= 1."""
    return check_count(n, name=name, low=1, what=what)


def check_known_keys(
    given: Iterable[Any], known: Sequence[str], *, where: str, what: str = "key"
) -> None:
    """Refuse keys a config does not know: a typo is an error, never a silent new option.

    Parameters
    ----------
    given : iterable
        The keys found (a TOML table, a dict of settings).
    known : sequence of str
        The keys allowed there.
    where : str
        Where they were found, e.g. ``"[data] of fewlabels.toml"``.
    what : str
        What a key is called there (``"key"``, ``"distill setting"``).
    """
    unknown = sorted(str(k) for k in given if k not in known)
    if unknown:
        raise FewlabelsError(
            f"Unknown {what}(s) {unknown} in {where}. Allowed {what}s: {', '.join(known)}. "
            "Fix the spelling or remove them."
        )


def check_unit_interval(value: Any, *, name: str, low: float = 0.0, high: float = 1.0) -> float:
    """Return a float in ``(low, high]``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise InputTypeError(f"Expected {name} as a number in ({low}, {high}], but got {value!r}.")
    v = float(value)
    if not low < v <= high:
        raise FewlabelsError(f"Expected {name} in ({low}, {high}], but got {v!r}.")
    return v


def check_count(
    value: Any,
    *,
    name: str,
    low: int = 0,
    high: int | None = None,
    what: str = "",
    owner: str = "",
    hint: str = "",
) -> int:
    """Return a whole number in ``[low, high]`` (``high`` None = no upper bound).

    The one check of "a whole number >= 1" and its kin; ``owner`` names who expected it
    (``"KNN"``), ``hint`` says how to fix it.
    """
    ok = not isinstance(value, bool) and isinstance(value, (int, np.integer))
    if not ok or value < low or (high is not None and value > high):
        span = f"[{low}, {high}]" if high is not None else f">= {low}"
        why = f" ({what})" if what else ""
        who = f"{owner} expected" if owner else "Expected"
        raise FewlabelsError(
            f"{who} {name} to be a whole number {span}{why}, but got {value!r}."
            + (f" {hint}" if hint else "")
        )
    return int(value)


# --- distill (DistillConfig validates itself: fewlabels/distill/config.py) ---
