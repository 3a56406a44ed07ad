"""Every input check of fewlabels and its message, in one place.

Public entry points call these once; private helpers assume valid input.
Each message says what was expected, what arrived and how to fix it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from fewlabels.errors import FewlabelsError, InputTypeError, MissingFileError, MissingKeyError
from fewlabels.typing import UNLABELED


def _preview(items: Iterable[Any], limit: int = 10) -> str:
    """Format up to ``limit`` items for an error message."""
    items = list(items)
    shown = ", ".join(repr(i) for i in items[:limit])
    more = f", ... ({len(items) - limit} more)" if len(items) > limit else ""
    return f"[{shown}{more}]"


def check_unique_ids(ids: Sequence[str]) -> np.ndarray:
    """Return ``ids`` as an array of str, refusing duplicates and empty datasets."""
    arr = np.asarray([str(i) for i in ids], dtype=object)
    if arr.size == 0:
        raise FewlabelsError(
            "Expected a dataset with at least one item, but it is empty. "
            "Check the path, the folder layout or the table you passed."
        )
    uniq, counts = np.unique(arr.astype(str), return_counts=True)
    dup = uniq[counts > 1]
    if dup.size:
        raise FewlabelsError(
            f"Expected unique ids, but {dup.size} id(s) occur more than once: "
            f"{_preview(dup.tolist())}. "
            "Give every item its own id (or leave the id column out to number rows)."
        )
    return arr


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


def encode_labels(
    raw: Sequence[Any], classes: Sequence[str] | None
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Map raw label values (blank or None = unlabelled) to integer codes.

    Parameters
    ----------
    raw : sequence of length n_samples
        Label values; ``None``, ``NaN`` and ``""`` mean unlabelled.
    classes : sequence of str or None
        The allowed class names in order; inferred (sorted) when None.

    Returns
    -------
    labels : ndarray of shape (n_samples,)
        Integer codes into ``classes``, -1 for unlabelled.
    classes : tuple of str
    """
    values: list[str | None] = []
    for v in raw:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            values.append(None)
            continue
        s = str(v).strip()
        if isinstance(v, (float, np.floating)) and float(v).is_integer():
            s = str(int(v))
        values.append(s if s else None)
    present = sorted({v for v in values if v is not None})
    if classes is None:
        if len(present) < 2:
            raise FewlabelsError(
                f"Expected labels of at least 2 classes to infer the class names from, but found "
                f"{len(present)} distinct label(s) {present}. Pass the class names "
                "(classes=[...], or --classes a,b,c)."
            )
        names = check_class_names(present)
    else:
        names = check_class_names(classes)
        unknown = sorted(set(present) - set(names))
        if unknown:
            raise FewlabelsError(
                f"Expected labels among the classes {list(names)}, but found unknown label(s) "
                f"{_preview(unknown)}. Add them to the classes or fix the labels."
            )
    index = {c: i for i, c in enumerate(names)}
    labels = np.array([UNLABELED if v is None else index[v] for v in values], dtype=np.int64)
    return labels, names


def check_label_codes(labels: Any, n_samples: int, n_classes: int) -> np.ndarray:
    """Check integer label codes in ``[-1, n_classes)`` of length ``n_samples``."""
    y = np.asarray(labels)
    if y.shape != (n_samples,):
        raise FewlabelsError(
            f"Expected labels of shape ({n_samples},), one per item, but got shape {y.shape}."
        )
    if y.size and not np.issubdtype(y.dtype, np.integer):
        raise InputTypeError(
            f"Expected integer label codes (-1 = unlabelled), but got dtype {y.dtype}. "
            "Map class names to codes with fewlabels.data.encode_labels."
        )
    bad = np.unique(y[(y < UNLABELED) | (y >= n_classes)])
    if bad.size:
        raise FewlabelsError(
            f"Expected label codes in [-1, {n_classes - 1}] for {n_classes} classes, "
            f"but found {_preview(bad.tolist())}."
        )
    return y.astype(np.int64)


def check_columns(present: Sequence[str], wanted: Sequence[str], *, role: str) -> None:
    """Refuse a table that lacks a column the caller named."""
    missing = [c for c in wanted if c not in present]
    if missing:
        raise MissingKeyError(
            f"Expected {role} column(s) {missing} in the table, but it has only the columns "
            f"{list(present)}. Pass the right column name."
        )


def check_budget(
    per_class: int | None, fraction: float | None, class_counts: dict[str, int]
) -> None:
    """Check a label budget against the labelled rows each class has."""
    if (per_class is None) == (fraction is None):
        raise FewlabelsError(
            "Expected exactly one of per_class=k or fraction=f, but got "
            f"per_class={per_class!r} and fraction={fraction!r}."
        )
    if per_class is not None:
        if int(per_class) != per_class or per_class < 1:
            raise FewlabelsError(
                f"Expected per_class to be a whole number >= 1, but got {per_class!r}."
            )
        short = {c: n for c, n in class_counts.items() if n < per_class}
        if short:
            raise FewlabelsError(
                f"Expected at least {per_class} labelled rows in every class for per_class="
                f"{per_class}, but these classes have fewer: {short}. "
                f"Lower per_class to at most {min(class_counts.values())} or use fraction=."
            )
    if fraction is not None and not 0.0 < fraction <= 1.0:
        raise FewlabelsError(f"Expected fraction in (0, 1], but got {fraction!r}.")


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


def check_X_y(
    X: Any, y: Any, *, require_labels: bool = True, learner: str = "This learner"
) -> tuple[np.ndarray, np.ndarray]:
    """Check embeddings and labels (``-1`` = unlabelled) for a learner's ``fit``.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), float32
    y : ndarray of shape (n_samples,), int64
    """
    arr = check_embeddings(X)
    lab = np.asarray(y)
    if lab.ndim != 1 or lab.shape[0] != arr.shape[0]:
        raise FewlabelsError(
            f"Expected X and y of the same length, but X has {arr.shape[0]} rows and y has "
            f"shape {lab.shape}. Pass one label per row (-1 for unlabelled)."
        )
    if lab.size and not np.issubdtype(lab.dtype, np.integer):
        if (
            np.issubdtype(lab.dtype, np.floating)
            and np.all(np.isfinite(lab))
            and np.all(lab == np.round(lab))
        ):
            lab = lab.astype(np.int64)
        else:
            raise InputTypeError(
                f"Expected integer labels with -1 for unlabelled rows, but got dtype {lab.dtype}. "
                "Encode class names as integers first (sklearn.preprocessing.LabelEncoder)."
            )
    lab = lab.astype(np.int64)
    if (lab < UNLABELED).any():
        raise FewlabelsError(
            f"Expected labels >= -1 (-1 = unlabelled), but got {np.unique(lab[lab < -1]).tolist()}."
        )
    labelled = lab[lab != UNLABELED]
    if require_labels and labelled.size == 0:
        raise FewlabelsError(
            f"{learner} needs labelled rows, but every label in y is -1 (unlabelled). "
            "Label a few rows per class, or use fewlabels.learn.ZeroShot, which needs none."
        )
    if require_labels and np.unique(labelled).size < 2:
        raise FewlabelsError(
            f"Expected labelled rows of at least 2 classes, but all labelled rows are class "
            f"{np.unique(labelled).tolist()}. Label at least one row of another class."
        )
    return arr, lab


# --- learn ---


def check_class_codes(y: np.ndarray, *, learner: str = "This learner") -> np.ndarray:
    """Return the class codes of the labelled rows, refusing a class with no labelled row.

    Labels are codes ``0 .. K-1`` into a Dataset's classes. The class set is inferred as
    ``0 .. max(y)``; a code in between with no labelled row (labels {0, 2}: class 1) is an
    error, since a learner cannot model a class it never saw.

    Parameters
    ----------
    y : ndarray of shape (n_samples,), int64, ``-1`` = unlabelled (already checked)

    Returns
    -------
    ndarray of shape (n_classes,), the codes ``0 .. max(y)``
    """
    present = np.unique(y[y != UNLABELED])
    n_classes = int(present.max()) + 1 if present.size else 0
    missing = np.setdiff1d(np.arange(n_classes), present)
    if missing.size:
        raise FewlabelsError(
            f"{learner} needs at least one labelled row in every class, but class code(s) "
            f"{_preview(missing.tolist())} have none (labelled codes: "
            f"{_preview(present.tolist())}). "
            "Label a row of each missing class, or re-encode the labels as codes 0..K-1 of "
            "the classes you have."
        )
    return np.arange(n_classes, dtype=np.int64)


def check_predict_X(X: Any, n_features: int, *, learner: str = "This learner") -> np.ndarray:
    """Check rows passed to ``predict``/``predict_proba`` against the fitted width."""
    arr = check_embeddings(X)
    if arr.shape[1] != n_features:
        raise FewlabelsError(
            f"{learner} was fitted on {n_features} features, but X has {arr.shape[1]}. "
            "Embed the new rows with the same encoder as the training rows."
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


# --- active ---


def check_labeled_mask(labeled_mask: Any, n_samples: int) -> np.ndarray:
    """Return a boolean mask of shape ``(n_samples,)`` marking the labelled rows.

    Accepts a boolean mask, or integer positions of the labelled rows.
    """
    mask = np.asarray(labeled_mask)
    if mask.dtype == np.bool_:
        if mask.shape != (n_samples,):
            raise FewlabelsError(
                f"Expected labeled_mask as a boolean array of shape ({n_samples},), one entry "
                f"per row of X, but got shape {mask.shape}."
            )
        return mask
    if mask.size and not np.issubdtype(mask.dtype, np.integer):
        raise InputTypeError(
            f"Expected labeled_mask as a boolean array of shape ({n_samples},) (or integer "
            f"positions of the labelled rows), but got dtype {mask.dtype}."
        )
    pos = mask.astype(np.int64).ravel()
    bad = pos[(pos < 0) | (pos >= n_samples)]
    if bad.size:
        raise FewlabelsError(
            f"Expected labelled positions in [0, {n_samples - 1}], "
            f"but got {_preview(bad.tolist())}."
        )
    out = np.zeros(n_samples, dtype=bool)
    out[pos] = True
    return out


def check_pool_proba(proba: Any, n_samples: int, *, name: str = "proba") -> np.ndarray:
    """Return predicted probabilities of shape ``(n_samples, n_classes)`` as float64.

    Rows must be finite, non-negative and sum to 1 (within 1e-3).
    """
    arr = np.asarray(proba)
    if arr.ndim != 2 or arr.shape[0] != n_samples or arr.shape[1] < 1:
        raise FewlabelsError(
            f"Expected {name} of shape ({n_samples}, n_classes), one row of class "
            f"probabilities per row of X, but got shape {arr.shape}. Pass "
            "learner.predict_proba(X) for the whole pool, or None before any model exists."
        )
    if not np.issubdtype(arr.dtype, np.number):
        raise InputTypeError(f"Expected numeric {name}, but got dtype {arr.dtype}.")
    arr = arr.astype(np.float64, copy=False)
    if not np.isfinite(arr).all() or (arr < -1e-9).any():
        raise FewlabelsError(f"Expected finite, non-negative probabilities in {name}.")
    sums = arr.sum(axis=1)
    off = np.flatnonzero(np.abs(sums - 1.0) > 1e-3)
    if off.size:
        raise FewlabelsError(
            f"Expected each row of {name} to sum to 1, but {off.size} row(s) do not, e.g. row "
            f"{int(off[0])} sums to {sums[off[0]]:.4g}. Pass probabilities "
            "(predict_proba), not decision scores."
        )
    return arr


def check_batch_size(n: Any, *, name: str = "n", what: str = "how many rows to select") -> int:
    """Return a batch size (or another count) as an int >= 1."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise FewlabelsError(f"Expected {name} to be a whole number >= 1 ({what}), but got {n!r}.")
    return int(n)


def check_pool_not_exhausted(labeled_mask: np.ndarray) -> int:
    """Return how many rows are unlabelled; refuse a pool where every row is labelled."""
    n_free = int((~labeled_mask).sum())
    if n_free == 0:
        raise FewlabelsError(
            f"Expected unlabelled rows to select from, but all {labeled_mask.size} rows are "
            "already labelled: the pool is exhausted. Add unlabelled items or stop the loop."
        )
    return n_free


def check_unit_interval(value: Any, *, name: str, low: float = 0.0, high: float = 1.0) -> float:
    """Return a float in ``(low, high]``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise InputTypeError(f"Expected {name} as a number in ({low}, {high}], but got {value!r}.")
    v = float(value)
    if not low < v <= high:
        raise FewlabelsError(f"Expected {name} in ({low}, {high}], but got {v!r}.")
    return v


def check_true_labels(y: Any, n_rows: int, *, name: str, x_name: str) -> np.ndarray:
    """Return the true class codes of a fully labelled split (simulations), as int64."""
    arr = np.asarray(y)
    if arr.ndim != 1 or arr.shape[0] != n_rows:
        raise FewlabelsError(
            f"Expected {name} of shape ({n_rows},), one label per row of {x_name}, but got "
            f"shape {arr.shape}."
        )
    negative = int((arr < 0).sum()) if np.issubdtype(arr.dtype, np.number) else 0
    if not np.issubdtype(arr.dtype, np.integer) or negative:
        detail = f" with {negative} negative value(s)" if negative else ""
        raise FewlabelsError(
            f"Expected {name} as non-negative integer class codes (a fully labelled split), "
            f"but got dtype {arr.dtype}{detail}. Simulate on load_builtin(...).train / .test "
            "labels."
        )
    return arr.astype(np.int64)


def check_count(
    value: Any, *, name: str, low: int = 0, high: int | None = None, what: str = ""
) -> int:
    """Return a whole number in ``[low, high]`` (``high`` None = no upper bound)."""
    ok = not isinstance(value, bool) and isinstance(value, (int, np.integer))
    if not ok or value < low or (high is not None and value > high):
        span = f"[{low}, {high}]" if high is not None else f">= {low}"
        why = f" ({what})" if what else ""
        raise FewlabelsError(
            f"Expected {name}{why} to be a whole number {span}, but got {value!r}."
        )
    return int(value)


# --- encoders ---


def check_encoder_int(
    value: Any, *, encoder: str, name: str = "batch_size", what: str = "items per forward pass"
) -> int:
    """Return an encoder's integer option (batch size, sequence length) as an int >= 1."""
    is_int = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    if not is_int or value < 1:
        raise FewlabelsError(
            f"{encoder} expected {name} as a whole number >= 1 ({what}), "
            f"but got {value!r}. Leave it out for the default."
        )
    return int(value)


def check_texts(inputs: Any, *, encoder: str) -> list[str]:
    """Return texts as a list of str; refuse a bare string and non-text items."""
    if isinstance(inputs, (str, bytes)):
        raise InputTypeError(
            f"{encoder} expected a list of texts, but got a single string {inputs[:40]!r}. "
            "Wrap it in a list: encode([text])."
        )
    try:
        texts = list(inputs)
    except TypeError:
        raise InputTypeError(
            f"{encoder} expected a list of texts, but got {type(inputs).__name__}."
        ) from None
    for k, t in enumerate(texts):
        if not isinstance(t, str):
            raise InputTypeError(
                f"{encoder} expected every input to be a str, but position {k} holds "
                f"{type(t).__name__} {t!r:.60}. Convert the column to text "
                "(or drop missing values)."
            )
    return texts


def check_images(inputs: Any, *, encoder: str) -> list[Any] | np.ndarray:
    """Return images as a list of paths or an ndarray of shape (n, height, width[, channels])."""
    if isinstance(inputs, (str, bytes)):
        raise InputTypeError(
            f"{encoder} expected a list of image paths or an array of images, but got a single "
            f"string {inputs[:60]!r}. Wrap it in a list: encode([path])."
        )
    if isinstance(inputs, np.ndarray):
        ok_channels = inputs.ndim == 3 or (inputs.ndim == 4 and inputs.shape[-1] in (1, 3, 4))
        if inputs.dtype == object and inputs.ndim == 1:
            return list(inputs)
        if not ok_channels:
            raise FewlabelsError(
                f"{encoder} expected an image array of shape (n, height, width) or "
                f"(n, height, width, channels) with 1, 3 or 4 channels, but got shape "
                f"{inputs.shape}. Stack images along the first axis, channels last."
            )
        return inputs
    try:
        return list(inputs)
    except TypeError:
        raise InputTypeError(
            f"{encoder} expected a list of image paths or an array of images, but got "
            f"{type(inputs).__name__}."
        ) from None


def check_model_source(model_id_or_path: Any, *, encoder: str) -> str:
    """Return a model folder or hub id as str; refuse a path-like name that is no folder."""
    import os

    source = str(model_id_or_path)
    looks_like_path = source.startswith(("/", "./", "../", "~", ".\\")) or os.path.isabs(source)
    if looks_like_path and not os.path.isdir(os.path.expanduser(source)):
        what = "a file, not a folder" if os.path.isfile(os.path.expanduser(source)) else "missing"
        raise MissingFileError(
            f"{encoder} expected a model folder (save_pretrained output) or a hub id such as "
            f"'org/model', but the path {source!r} is {what}. Check the path."
        )
    return source


# --- store ---
def check_round_size(n: Any) -> int:
    """Check how many items a round of suggestions asks for."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise FewlabelsError(
            f"Expected the number of items to suggest as a whole number >= 1, but got {n!r}. "
            "Pass e.g. -n 20."
        )
    return int(n)


# --- distill (DistillConfig validates itself: fewlabels/distill/config.py) ---
def check_soft_labels(proba: Any, n_samples: int, n_classes: int) -> np.ndarray:
    """Teacher probabilities of shape (n_samples, n_classes), finite, rows summing to 1."""
    p = np.asarray(proba, dtype=np.float64)
    if p.shape != (n_samples, n_classes):
        raise FewlabelsError(
            f"Expected teacher probabilities of shape ({n_samples}, {n_classes}), one row per "
            f"item and one column per class, but got shape {p.shape}. Pass "
            "learner.predict_proba(X) on the same rows, or a fewlabels.distill.Teacher."
        )
    if not np.isfinite(p).all() or (p < -1e-6).any():
        raise FewlabelsError(
            "Expected finite, non-negative teacher probabilities, but some are not."
        )
    sums = p.sum(axis=1)
    bad = np.flatnonzero(np.abs(sums - 1.0) > 1e-3)
    if bad.size:
        raise FewlabelsError(
            f"Expected teacher probability rows that sum to 1, but {bad.size} row(s) do not, e.g. "
            f"row {int(bad[0])} sums to {sums[bad[0]]:.4f}. Pass probabilities, not logits."
        )
    return np.clip(p, 0.0, None).astype(np.float32)


def check_teacher_fitted(learner: Any) -> None:
    """Refuse a teacher whose learner is not fitted or has no ``predict_proba``."""
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    name = type(learner).__name__
    if not callable(getattr(learner, "predict_proba", None)):
        raise InputTypeError(
            f"Expected a teacher learner with predict_proba (probabilities to distil), but "
            f"{name} has none. Use a fewlabels learner or a probabilistic classifier."
        )
    try:
        check_is_fitted(learner)
    except NotFittedError:
        raise FewlabelsError(
            f"Expected a fitted teacher, but its learner {name} is not fitted. Fit it first "
            "(Teacher(encoder, learner).fit(dataset), or learner.fit(X, y) on embeddings)."
        ) from None


def check_has_human_labels(dataset: Any) -> None:
    """Refuse training on labelled rows only when there are none."""
    if int((dataset.labels != UNLABELED).sum()) == 0:
        raise FewlabelsError(
            "Expected some human-labelled rows for labelled_only=True, but every row is "
            "unlabelled. Label a few rows per class first."
        )


def check_student_fit(
    inputs: Any,
    targets: Any,
    labels: Any,
    sample_weight: Any,
    classes: Any,
    *,
    modality: str,
    student: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[str, ...]]:
    """Check a student's ``fit`` arguments; return targets, labels, weights and class names."""
    import pandas as pd

    kinds = {
        "text": "a list of texts",
        "image": "an array of images (n, height, width[, channels]) or a list of image paths",
        "tabular": "a DataFrame of feature columns",
    }
    ok = {
        "text": isinstance(inputs, (list, tuple)) and all(isinstance(t, str) for t in inputs[:100]),
        "image": (isinstance(inputs, np.ndarray) and inputs.ndim in (3, 4))
        or (isinstance(inputs, (list, tuple)) and all(isinstance(t, str) for t in inputs[:100])),
        "tabular": isinstance(inputs, pd.DataFrame),
    }[modality]
    if not ok:
        what = type(inputs).__name__ + (
            f" of shape {inputs.shape}" if hasattr(inputs, "shape") else ""
        )
        raise InputTypeError(f"{student} expected {kinds[modality]}, but got {what}.")
    n = len(inputs)
    t = np.asarray(targets, dtype=np.float64)
    if t.ndim != 2 or t.shape[0] != n or t.shape[1] < 2:
        raise FewlabelsError(
            f"Expected targets of shape ({n}, n_classes) with n_classes >= 2 (teacher "
            f"probabilities, one row per input), but got shape {t.shape}."
        )
    t = check_soft_labels(t, n, t.shape[1])
    k = t.shape[1]
    y = np.full(n, UNLABELED, dtype=np.int64) if labels is None else check_label_codes(labels, n, k)
    w = (
        np.ones(n, dtype=np.float32)
        if sample_weight is None
        else np.asarray(sample_weight, np.float32)
    )
    if w.shape != (n,) or not np.isfinite(w).all() or (w < 0).any():
        raise FewlabelsError(f"Expected sample_weight of shape ({n},) with finite values >= 0.")
    if not (w > 0).any():
        raise FewlabelsError("Expected some rows with sample_weight > 0, but every weight is 0.")
    names = tuple(str(i) for i in range(k)) if classes is None else check_class_names(classes)
    if len(names) != k:
        raise FewlabelsError(
            f"Expected {k} class names (one per target column), but got {len(names)}."
        )
    return t, y, w, names
