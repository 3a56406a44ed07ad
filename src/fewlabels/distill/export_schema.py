"""The schema of a fewlabels export's metadata, checked before anything reads it.

An export's metadata comes from a file, so it may have been edited, damaged or written by
something else. :func:`check_metadata` checks every key that prediction reads (types, ranges
and how they fit together) and raises :class:`NotAStudentError` with one sentence naming the
file and what is wrong, so that a tampered file never reaches ``IndexError``, ``TypeError``
or ``KeyError`` deeper down. Keys that prediction never reads (``training``, ``versions``,
``teacher``...) are only required to be JSON. ``pool_fingerprint`` (32 hex digits) and
``workspace`` (a path) are optional: a student distilled from a workspace records the pool it
was trained on, so that a forget or a grown pool shows it is stale.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from fewlabels.errors import FewlabelsError

__all__ = ["NotAStudentError", "check_metadata", "parse_metadata"]

#: The student kind each modality's export must name.
KINDS = {"text": "text-ngram", "image": "cnn", "tabular": "mlp"}
#: The values of the optional ``task`` key (absent = ``"single"``).
TASKS = ("single", "multilabel")
INPUT_NAMES = {"text": ["indices", "values"], "image": ["pixels"], "tabular": ["features"]}
_MAX_JSON = 50_000_000  # characters: far above any real export's metadata


class NotAStudentError(FewlabelsError):
    """The file is not a fewlabels student export (or its metadata is damaged)."""


class _Bad(Exception):
    """One thing wrong with the metadata (internal; becomes a NotAStudentError)."""


def _kind(v: Any) -> str:
    text = json.dumps(v)[:40] if _jsonable(v) else repr(v)[:40]
    return f"{type(v).__name__} {text}"


def _jsonable(v: Any) -> bool:
    try:
        json.dumps(v)
    except (TypeError, ValueError, RecursionError):
        return False
    return True


def _get(d: dict[str, Any], key: str, where: str) -> Any:
    if key not in d:
        raise _Bad(f"it has no {where}{key!r} key")
    return d[key]


def _int(d: dict[str, Any], key: str, where: str, *, low: int = 1) -> int:
    v = _get(d, key, where)
    if isinstance(v, bool) or not isinstance(v, int) or v < low:
        raise _Bad(f"{where}{key!r} must be a whole number >= {low}, but it is {_kind(v)}")
    return v


def _numbers(d: dict[str, Any], key: str, where: str, n: int, *, positive: bool = False) -> None:
    v = _get(d, key, where)
    ok = isinstance(v, list) and len(v) == n
    ok = ok and all(
        isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in v
    )
    if ok and positive:
        ok = all(x > 0 for x in v)
    if not ok:
        sign = "positive " if positive else ""
        raise _Bad(
            f"{where}{key!r} must be a list of {n} finite {sign}numbers, but it is {_kind(v)}"
        )


def _strings(v: Any, what: str, *, low: int = 0, unique: bool = False) -> list[str]:
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v) or len(v) < low:
        raise _Bad(f"{what} must be a list of at least {low} strings, but it is {_kind(v)}")
    if unique and len(set(v)) != len(v):
        raise _Bad(f"{what} must not repeat a name, but it is {_kind(v)}")
    return v


def _check_image(spec: dict[str, Any]) -> None:
    w = "input."
    for key in ("height", "width"):
        _int(spec, key, w)
    channels = _int(spec, "channels", w)
    if channels not in (1, 3):
        raise _Bad(f"input.'channels' must be 1 or 3, but it is {channels}")
    _numbers(spec, "mean", w, channels)
    _numbers(spec, "std", w, channels, positive=True)


def _check_tabular(spec: dict[str, Any]) -> None:
    w = "input."
    numeric = _strings(_get(spec, "numeric", w), "input.'numeric'", unique=True)
    _numbers(spec, "means", w, len(numeric))
    _numbers(spec, "stds", w, len(numeric), positive=True)
    cats = _get(spec, "categories", w)
    ok = isinstance(cats, list) and all(
        isinstance(c, list) and len(c) == 2 and isinstance(c[0], str) for c in cats
    )
    if not ok:
        raise _Bad(
            f"input.'categories' must be a list of [column, values], but it is {_kind(cats)}"
        )
    for col, values in cats:
        _strings(values, f"the categories of column {col!r}", unique=True)
    if not numeric and not cats:
        raise _Bad("input has no feature columns")


def _check_text(spec: dict[str, Any]) -> None:
    from fewlabels.distill.text_input import HASHING

    w = "input."
    if spec.get("hashing") != HASHING:
        raise _Bad(
            f"input.'hashing' must be {HASHING!r} (this version's text hashing), but it is "
            f"{_kind(spec.get('hashing'))}; re-export the student with this version of fewlabels"
        )
    for key in ("word_ngrams", "char_ngrams"):
        v = _get(spec, key, w)
        ok = isinstance(v, list) and len(v) == 2
        ok = ok and all(isinstance(x, int) and not isinstance(x, bool) and x >= 1 for x in v)
        if not ok or v[0] > v[1]:
            raise _Bad(
                f"input.{key!r} must be [low, high] with 1 <= low <= high, but it is {_kind(v)}"
            )
    for key in ("word_buckets", "char_buckets"):
        _int(spec, key, w)
    if not isinstance(_get(spec, "lowercase", w), bool):
        raise _Bad(f"input.'lowercase' must be true or false, but it is {_kind(spec['lowercase'])}")
    col = spec.get("text_column")
    if col is not None and not isinstance(col, str):
        raise _Bad(f"input.'text_column' must be a string or null, but it is {_kind(col)}")
    known = {"hashing", "word_ngrams", "char_ngrams", "word_buckets", "char_buckets"}
    extra = sorted(set(spec) - known - {"lowercase", "text_column"})
    if extra:
        raise _Bad(f"input has unknown text settings {extra}")


def _check(meta: Any) -> None:
    if not isinstance(meta, dict):
        raise _Bad(f"it must be a JSON object, but it is {_kind(meta)}")
    modality = _get(meta, "modality", "")
    if not isinstance(modality, str) or modality not in KINDS:
        raise _Bad(f"'modality' must be one of {sorted(KINDS)}, but it is {_kind(modality)}")
    kind = _get(meta, "student", "")
    if kind != KINDS[modality]:
        raise _Bad(
            f"'student' must be {KINDS[modality]!r} for a {modality} student, but it is "
            f"{_kind(kind)}"
        )
    classes = _strings(_get(meta, "classes", ""), "'classes'", low=2, unique=True)
    _check_task(meta, len(classes))
    inputs = _get(meta, "inputs", "")
    if inputs != INPUT_NAMES[modality]:
        raise _Bad(
            f"'inputs' must be {INPUT_NAMES[modality]} for a {modality} student, but it is "
            f"{_kind(inputs)}"
        )
    spec = _get(meta, "input", "")
    if not isinstance(spec, dict):
        raise _Bad(f"'input' must be a JSON object, but it is {_kind(spec)}")
    {"image": _check_image, "tabular": _check_tabular, "text": _check_text}[modality](spec)
    _check_provenance(meta)


def _check_task(meta: dict[str, Any], n_classes: int) -> None:
    """The optional ``task`` (``"single"``, the default, or ``"multilabel"``) and, for a
    multi-label student, its ``thresholds``: one number in [0, 1] per class."""
    task = meta.get("task", "single")
    if task not in TASKS:
        raise _Bad(f"'task' must be one of {list(TASKS)} or absent, but it is {_kind(task)}")
    if task == "single":
        if "thresholds" in meta:
            raise _Bad("'thresholds' belong to a multi-label student, but 'task' is 'single'")
        return
    _numbers(meta, "thresholds", "", n_classes)
    if not all(0.0 <= x <= 1.0 for x in meta["thresholds"]):
        raise _Bad(f"'thresholds' must lie in [0, 1], but it is {_kind(meta['thresholds'])}")
    bad = [c for c in meta["classes"] if "|" in c]
    if bad:
        raise _Bad(f"multi-label 'classes' must not hold '|', but {bad[:3]} do")


def _check_provenance(meta: dict[str, Any]) -> None:
    """The optional keys that say which pool a student was trained on (read by
    :func:`fewlabels.distill.predict.pool_staleness`)."""
    fp = meta.get("pool_fingerprint")
    if fp is not None and not (isinstance(fp, str) and re.fullmatch(r"[0-9a-f]{32}", fp)):
        raise _Bad(f"'pool_fingerprint' must be 32 hex digits or absent, but it is {_kind(fp)}")
    ws = meta.get("workspace")
    if ws is not None and not isinstance(ws, str):
        raise _Bad(f"'workspace' must be a folder path (a string) or absent, but it is {_kind(ws)}")


def parse_metadata(text: str, path: str) -> dict[str, Any]:
    """The checked metadata of the export at ``path`` from its JSON ``text``.

    Raises
    ------
    NotAStudentError
        Naming ``path`` and the first thing wrong with the metadata.
    """
    if len(text) > _MAX_JSON:
        raise _error(path, f"it is {len(text):,} characters long, far more than an export's")
    try:
        meta = json.loads(text)
    except RecursionError:
        raise _error(path, "it is nested too deeply to be an export's") from None
    except ValueError as exc:
        raise _error(path, f"it is not valid JSON ({exc})") from None
    return check_metadata(meta, path)


def check_metadata(meta: Any, path: str) -> dict[str, Any]:
    """``meta`` if it is a valid fewlabels export's metadata, else :class:`NotAStudentError`."""
    try:
        _check(meta)
    except _Bad as exc:
        raise _error(path, str(exc)) from None
    except RecursionError:
        raise _error(path, "it is nested too deeply to be an export's") from None
    return dict(meta)


def _error(path: str, what: str) -> NotAStudentError:
    return NotAStudentError(
        f"Expected a fewlabels student export, but the metadata of {path!r} is damaged or "
        f"foreign: {what}. Export the student again (`fewlabels distill`)."
    )
