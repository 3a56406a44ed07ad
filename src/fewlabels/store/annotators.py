"""Annotator names: the ``who`` recorded with each label, checked at the edge."""

from __future__ import annotations

import unicodedata
from typing import Any

from fewlabels.errors import FewlabelsError

#: The longest annotator name (``who``) accepted from a page or the command line.
MAX_ANNOTATOR = 64


def check_annotator(name: Any) -> str:
    """Check an annotator name (the ``who`` recorded with each label) and return it stripped.

    Raises
    ------
    FewlabelsError
        When it is not a string, is empty, is longer than :data:`MAX_ANNOTATOR` characters or
        holds control characters (Unicode category Cc: C0, DEL, C1).
    """
    if not isinstance(name, str):
        raise FewlabelsError(
            f"Expected an annotator name (a string), but got {type(name).__name__} {name!r}."
        )
    value = name.strip()
    if not value:
        raise FewlabelsError(
            "Expected an annotator name, but it is empty. Pass your name, e.g. --annotator ana."
        )
    if len(value) > MAX_ANNOTATOR:
        raise FewlabelsError(
            f"Expected an annotator name of at most {MAX_ANNOTATOR} characters, but got "
            f"{len(value)} ({value[:20]!r}...). Use a shorter name."
        )
    if any(unicodedata.category(c) == "Cc" for c in value):  # C0, DEL and C1 controls
        raise FewlabelsError(
            f"Expected an annotator name without control characters, but got {value!r}."
        )
    return value
