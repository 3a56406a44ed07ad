"""Agreement between annotators: Cohen's and Fleiss' kappa on items labelled more than once.

Pure functions on vote tables; the workspace gets the votes from the store
(:meth:`fewlabels.store.LabelStore.votes`). Cohen's kappa (Cohen, 1960, "A coefficient of
agreement for nominal scales") when exactly two annotators labelled the shared items, Fleiss'
kappa (Fleiss, 1971, "Measuring nominal scale agreement among many raters") otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from fewlabels.errors import FewlabelsError

__all__ = ["Agreement", "agreement", "fleiss_kappa", "pick_second_opinions"]


def fleiss_kappa(counts: np.ndarray) -> float | None:
    """Fleiss' kappa of a table of rating counts.

    Parameters
    ----------
    counts : array-like of shape (n_items, n_categories)
        ``counts[i, j]``: how many raters put item ``i`` in category ``j``. Items may have
        different numbers of raters (the per-item agreement then uses each item's own count),
        but every item needs at least two.

    Returns
    -------
    float or None
        ``(P - Pe) / (1 - Pe)``, with ``P`` the mean per-item agreement and ``Pe`` the
        agreement expected by chance from the category shares; None when ``Pe`` is 1 (every
        rating in one category: chance explains everything, kappa is undefined).

    Raises
    ------
    FewlabelsError
        When the table is not 2-D, holds negative counts, or an item has fewer than 2 ratings.
    """
    table = np.asarray(counts, dtype=float)
    if table.ndim != 2 or table.shape[0] == 0:
        raise FewlabelsError(
            f"Expected a 2-D table of counts (items x categories) with at least one item, but "
            f"got shape {table.shape}."
        )
    if (table < 0).any():
        raise FewlabelsError("Expected non-negative rating counts, but the table holds some < 0.")
    n = table.sum(axis=1)
    if (n < 2).any():
        raise FewlabelsError(
            f"Expected at least 2 ratings per item, but {int((n < 2).sum())} item(s) have fewer. "
            "Keep only items labelled by two or more annotators."
        )
    per_item = ((table**2).sum(axis=1) - n) / (n * (n - 1))
    p_bar = float(per_item.mean())
    shares = table.sum(axis=0) / n.sum()
    p_e = float((shares**2).sum())
    if np.isclose(p_e, 1.0):
        return None
    return (p_bar - p_e) / (1.0 - p_e)


@dataclass(frozen=True)
class Agreement:
    """How far annotators agree on the items two or more of them labelled.

    Attributes
    ----------
    method : {"cohen", "fleiss"}
        Cohen's kappa when exactly two annotators share the items, else Fleiss' kappa.
    kappa : float or None
        None when undefined (every label the same class).
    n_items : int
        Items labelled by two or more annotators.
    annotators : tuple of str
        Who labelled them.
    conflict_ids : tuple of str
        The items whose annotators disagree.
    """

    method: str
    kappa: float | None
    n_items: int
    annotators: tuple[str, ...]
    conflict_ids: tuple[str, ...] = field(default_factory=tuple)

    @property
    def n_conflicts(self) -> int:
        return len(self.conflict_ids)

    def message(self) -> str:
        """One line: ``agreement of 2 annotators on 12 item(s): Cohen's kappa 0.81; 1 conflict``."""
        name = "Cohen's" if self.method == "cohen" else "Fleiss'"
        k = "n/a (one class only)" if self.kappa is None else f"{self.kappa:.3f}"
        return (
            f"agreement of {len(self.annotators)} annotators on {self.n_items} item(s): "
            f"{name} kappa {k}; {self.n_conflicts} conflicting item(s)"
            + (" wait for review (the page's /review)" if self.n_conflicts else "")
        )


def agreement(votes: Mapping[str, Mapping[str, str]]) -> Agreement | None:
    """Agreement on the items with votes from two or more annotators.

    Parameters
    ----------
    votes : mapping of item id to (mapping of annotator to label)

    Returns
    -------
    Agreement or None
        None when no item has two annotators.
    """
    shared = {i: dict(v) for i, v in votes.items() if len(v) >= 2}
    if not shared:
        return None
    annotators = tuple(sorted({w for v in shared.values() for w in v}))
    conflicts = tuple(i for i, v in shared.items() if len(set(v.values())) > 1)
    if len(annotators) == 2:
        a, b = annotators
        left = [v[a] for v in shared.values()]
        right = [v[b] for v in shared.values()]
        kappa = _cohen(left, right)
        return Agreement("cohen", kappa, len(shared), annotators, conflicts)
    categories = sorted({lab for v in shared.values() for lab in v.values()})
    index = {c: k for k, c in enumerate(categories)}
    table = np.zeros((len(shared), len(categories)))
    for row, v in enumerate(shared.values()):
        for lab in v.values():
            table[row, index[lab]] += 1
    return Agreement("fleiss", fleiss_kappa(table), len(shared), annotators, conflicts)


def _cohen(left: Sequence[str], right: Sequence[str]) -> float | None:
    """Cohen's kappa (scikit-learn's), None when undefined (both always chose one class)."""
    from sklearn.metrics import cohen_kappa_score

    if len(set(left) | set(right)) < 2:
        return None
    return float(cohen_kappa_score(list(left), list(right)))


def pick_second_opinions(
    votes: Mapping[str, Mapping[str, str]],
    *,
    candidates: Sequence[str],
    k: int,
    random_state: int = 0,
) -> list[str]:
    """Up to ``k`` items for a second annotator: labelled by exactly one annotator so far.

    Parameters
    ----------
    votes : mapping of item id to (mapping of annotator to label)
    candidates : sequence of str
        The ids allowed (the pool without excluded items), in pool order.
    k : int
    random_state : int, default 0
        Seeds the draw among the eligible items (the same seed gives the same items).

    Returns
    -------
    list of str
        In pool order.
    """
    eligible = [i for i in candidates if len(votes.get(i, {})) == 1]
    if k <= 0 or not eligible:
        return []
    rng = np.random.default_rng(random_state)
    take = rng.choice(len(eligible), size=min(k, len(eligible)), replace=False)
    return [eligible[t] for t in sorted(take)]
