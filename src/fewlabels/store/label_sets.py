"""Label sets of a multi-label store: one JSON list per history row, in class order."""

from __future__ import annotations

import json
from collections.abc import Sequence

from fewlabels.errors import FewlabelsError


def encode_label_set(labels: Sequence[str], classes: Sequence[str] | None) -> str:
    """A label set as the text a multi-label store keeps: a JSON list in class order.

    One history row holds an item's whole set, so that its latest row is its current set,
    an undo restores the previous set in one step and ``[]`` (the empty set) differs from
    no label at all (NULL).

    Parameters
    ----------
    labels : sequence of str
        The set (repeats collapse).
    classes : sequence of str or None
        The store's classes; the set is written in their order (sorted when None).

    Raises
    ------
    FewlabelsError
        A label outside ``classes``.
    """
    if isinstance(labels, str):
        raise FewlabelsError(
            f"Expected a label set (a list of class names) for a multi-label store, but got "
            f"the single str {labels!r}. Pass a list, e.g. [{labels!r}] or [] for none."
        )
    names = [str(v) for v in labels]
    if classes is None:
        return json.dumps(sorted(set(names)), ensure_ascii=False)
    unknown = sorted(set(names) - set(classes))
    if unknown:
        raise FewlabelsError(
            f"Expected every label of the set among the classes {list(classes)}, but got "
            f"{unknown}. Fix the labels, or pick them from the classes."
        )
    return json.dumps([c for c in classes if c in set(names)], ensure_ascii=False)


def decode_label_set(text: str) -> tuple[str, ...]:
    """The label set kept as ``text`` by :func:`encode_label_set` (a JSON list of str).

    Raises
    ------
    FewlabelsError
        Text that is not a JSON list of strings.
    """
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, TypeError):
        value = None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise FewlabelsError(
            f"Expected a label set written as a JSON list of class names (e.g. "
            f'["a", "b"], or [] for the empty set), but got {text!r}.'
        )
    return tuple(value)
