"""Class-balanced selection: keep rare predicted classes represented.

After PCB (Bang, Kwon, Kim and Kim, "Active Prompt Learning in Vision Language
Models", CVPR 2024): uncertainty alone keeps drawing from the classes the learner
confuses most and starves rare classes. PCB first ranks by an acquisition score, then
fills the batch class by class using the predicted labels: the class with the fewest
labelled-or-chosen items so far gets the next pick, its most uncertain unlabelled
item predicted as that class.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from fewlabels._validation import _preview
from fewlabels.active.base import Strategy
from fewlabels.active.dedup import DEFAULT_DEDUP_THRESHOLD, reaches, unit_rows
from fewlabels.active.typiclust import TypiClust
from fewlabels.active.uncertainty import entropy_scores, least_confidence_scores, margin_scores
from fewlabels.errors import FewlabelsError
from fewlabels.typing import BoolArray, FloatArray, IntArray

_BASE_SCORES = {
    "entropy": entropy_scores,
    "margin": margin_scores,
    "least-confidence": least_confidence_scores,
}


def class_balanced_select(
    scores: FloatArray,
    predicted: IntArray,
    labeled_mask: BoolArray,
    n: int,
    *,
    n_classes: int,
    rng: np.random.Generator,
    X: FloatArray | None = None,
    dedup_threshold: float | None = None,
) -> IntArray:
    """Fill a batch class by class, the least represented predicted class first.

    After PCB (Bang et al., CVPR 2024). Class counts start from the predicted classes
    of the labelled rows; each step takes the class with the smallest count (ties
    broken at random) that still has unlabelled candidates, and picks its
    highest-scored unlabelled row predicted as that class. With ``X`` and
    ``dedup_threshold`` given, a candidate whose cosine similarity to a picked row
    reaches the threshold (float64, :func:`~fewlabels.active.dedup.reaches`) is skipped
    (and only used if nothing else is left).
    Assumes valid input.

    Parameters
    ----------
    scores : ndarray of shape (n_samples,)
        Acquisition scores, higher is more wanted.
    predicted : ndarray of shape (n_samples,)
        Predicted class codes in ``[0, n_classes)``.
    labeled_mask : ndarray of shape (n_samples,), bool
    n : int
        At most the number of unlabelled rows.
    n_classes : int
    rng : numpy Generator
        Breaks ties between classes and between equal scores.
    X : ndarray of shape (n_samples, n_features), optional
    dedup_threshold : float or None

    Returns
    -------
    ndarray of shape (n,), int64
    """
    counts = np.bincount(predicted[labeled_mask], minlength=n_classes).astype(np.int64)
    free = np.flatnonzero(~labeled_mask)
    order = free[np.lexsort((rng.random(free.size), -scores[free]))]
    queues = {c: list(order[predicted[order] == c]) for c in range(n_classes)}
    heads = dict.fromkeys(range(n_classes), 0)
    check = X is not None and dedup_threshold is not None
    kept_units: list[np.ndarray] = []
    picked: list[int] = []
    skipped: list[int] = []
    class_tiebreak = rng.random(n_classes)
    while len(picked) < n:
        live = [c for c in range(n_classes) if heads[c] < len(queues[c])]
        if not live:
            break
        c = min(live, key=lambda j: (counts[j], class_tiebreak[j]))
        pos = int(queues[c][heads[c]])
        heads[c] += 1
        if check:
            u = unit_rows(X[pos])  # type: ignore[index]
            if kept_units and reaches(float(np.max(np.asarray(kept_units) @ u)), dedup_threshold):  # type: ignore[arg-type]
                skipped.append(pos)
                continue
            kept_units.append(u)
        picked.append(pos)
        counts[c] += 1
    if len(picked) < n:
        picked.extend(skipped[: n - len(picked)])
    return np.asarray(picked, dtype=np.int64)


class ClassBalanced(Strategy):
    """Uncertainty ranking filled class by class over predicted labels (after PCB).

    Bang et al., "Active Prompt Learning in Vision Language Models", CVPR 2024.
    ``score`` is the base uncertainty score; ``select`` runs
    :func:`class_balanced_select` with the classes predicted from ``proba`` (labelled
    rows count by their predicted class, which a learner fitted on them nearly always
    gets right). Cold start (``proba=None``): falls back to TypiClust for both
    ``score`` and ``select``.

    Parameters
    ----------
    base : {"entropy", "margin", "least-confidence"}, default="entropy"
        The uncertainty score that ranks items within a class.
    dedup_threshold : float or None, default=0.99
        See :class:`fewlabels.active.base.Strategy`.
    """

    name = "class-balanced"
    uses_proba = True

    def __init__(
        self, *, base: str = "entropy", dedup_threshold: float | None = DEFAULT_DEDUP_THRESHOLD
    ) -> None:
        super().__init__(dedup_threshold=dedup_threshold)
        self.base = base

    def _base_fn(self) -> Callable[[FloatArray], FloatArray]:
        if self.base not in _BASE_SCORES:
            raise FewlabelsError(
                f"Expected base in {_preview(sorted(_BASE_SCORES))} for the class-balanced "
                f"strategy, but got {self.base!r}."
            )
        return _BASE_SCORES[self.base]

    def _score(
        self, X: FloatArray, proba: FloatArray | None, labeled_mask: BoolArray
    ) -> FloatArray:
        fn = self._base_fn()
        if proba is None:
            return TypiClust()._score(X, None, labeled_mask)
        return np.asarray(fn(proba), dtype=np.float64)

    def _select(
        self,
        X: FloatArray,
        proba: FloatArray | None,
        labeled_mask: BoolArray,
        n: int,
        rng: np.random.Generator,
    ) -> IntArray:
        self._base_fn()
        if proba is None:
            return TypiClust()._select(X, None, labeled_mask, n, rng)
        return class_balanced_select(
            self._score(X, proba, labeled_mask),
            np.argmax(proba, axis=1),
            labeled_mask,
            n,
            n_classes=proba.shape[1],
            rng=rng,
            X=X,
            dedup_threshold=self.dedup_threshold,
        )
