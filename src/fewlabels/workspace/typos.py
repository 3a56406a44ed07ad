"""Classes that look like typos of another class: a one-item ``postive`` beside ``positive``.

A table's label column decides a workspace's classes, so one mistyped label silently makes a
class of its own. :func:`likely_typos` finds the small classes whose names are close to a
bigger class's name; ``init`` and ``status`` print them.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["LikelyTypo", "likely_typos"]


@dataclass(frozen=True)
class LikelyTypo:
    """A small class whose name is close to another, bigger class's name.

    Attributes
    ----------
    name : str
        The small class.
    n_items : int
        Its labelled items.
    close_to : str
        The bigger class it is probably a typo of.
    close_to_items : int
        That class's labelled items.
    """

    name: str
    n_items: int
    close_to: str
    close_to_items: int

    def message(self) -> str:
        """One sentence for people."""
        return (
            f"class {self.name!r} has {self.n_items} item(s) and is close to {self.close_to!r} "
            f"({self.close_to_items} item(s)): a typo?"
        )


def likely_typos(
    counts: Mapping[str, int], *, max_items: int = 2, cutoff: float = 0.8
) -> list[LikelyTypo]:
    """The classes with 1 to ``max_items`` items whose names are close to a bigger class's.

    Names are compared case-insensitively with :func:`difflib.get_close_matches` (a ratio of
    at least ``cutoff``: ``postive`` and ``positive`` score 0.93, ``Positive`` and ``positive``
    1.0, ``cat`` and ``car`` 0.67). Only a class with more items counts as the original.

    Parameters
    ----------
    counts : mapping of str to int
        Labelled items per class (e.g. :meth:`fewlabels.store.LabelStore.label_counts`).
    max_items : int, default 2
    cutoff : float, default 0.8

    Returns
    -------
    list of LikelyTypo
        In the order of ``counts``; empty when nothing looks like a typo.
    """
    out = []
    for name, n in counts.items():
        if not 1 <= n <= max_items:
            continue
        bigger = {str(c).lower(): c for c, m in counts.items() if m > n and c != name}
        match = difflib.get_close_matches(str(name).lower(), list(bigger), n=1, cutoff=cutoff)
        if match:
            other = bigger[match[0]]
            out.append(LikelyTypo(str(name), int(n), str(other), int(counts[other])))
    return out
