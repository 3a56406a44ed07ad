"""Uncertainty sampling: least confidence, margin and entropy.

Scores come from the current learner's predicted probabilities (Settles, "Active
Learning Literature Survey", 2009, section 3.1; Scheffer et al. 2001 for the margin).
Before any model exists (``proba=None``, the cold start) there is no uncertainty to
measure: the strategies then fall back to TypiClust (:mod:`fewlabels.active.typiclust`),
which picks typical points of the pool's densest regions.
"""

from __future__ import annotations

import numpy as np

from fewlabels.active.base import Strategy
from fewlabels.active.dedup import DEFAULT_DEDUP_THRESHOLD
from fewlabels.active.typiclust import TypiClust
from fewlabels.typing import BoolArray, FloatArray, IntArray


def least_confidence_scores(proba: FloatArray) -> FloatArray:
    """One minus the top class probability.

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_classes)
        Rows of class probabilities.

    Returns
    -------
    ndarray of shape (n_samples,)
        In ``[0, 1 - 1/n_classes]``; higher means less confident.
    """
    P = np.asarray(proba, dtype=np.float64)
    return 1.0 - P.max(axis=1)


def margin_scores(proba: FloatArray) -> FloatArray:
    """One minus the gap between the two most probable classes.

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_classes)

    Returns
    -------
    ndarray of shape (n_samples,)
        In ``[0, 1]``; 1 when the top two classes tie. With a single column the
        second probability counts as 0.
    """
    P = np.asarray(proba, dtype=np.float64)
    if P.shape[1] < 2:
        return 1.0 - P[:, 0]
    top2 = np.partition(P, P.shape[1] - 2, axis=1)[:, -2:]
    return 1.0 - (top2[:, 1] - top2[:, 0])


def entropy_scores(proba: FloatArray) -> FloatArray:
    """Shannon entropy of each row (natural log, ``0 log 0 = 0``).

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_classes)

    Returns
    -------
    ndarray of shape (n_samples,)
        In ``[0, log(n_classes)]``.
    """
    P = np.asarray(proba, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(P > 0, P * np.log(np.where(P > 0, P, 1.0)), 0.0)
    return -terms.sum(axis=1)


class _Uncertainty(Strategy):
    """Shared body: rank by an uncertainty score; TypiClust when ``proba`` is None.

    Parameters
    ----------
    dedup_threshold : float or None, default=0.99
        See :class:`fewlabels.active.base.Strategy`.
    cold_start : Strategy or None
        What selects and scores while ``proba`` is None; default :class:`TypiClust`.
    """

    uses_proba = True

    def __init__(
        self,
        *,
        dedup_threshold: float | None = DEFAULT_DEDUP_THRESHOLD,
        cold_start: Strategy | None = None,
    ) -> None:
        super().__init__(dedup_threshold=dedup_threshold)
        self.cold_start = cold_start

    def _fallback(self) -> Strategy:
        return self.cold_start if self.cold_start is not None else TypiClust()

    def _score(
        self, X: FloatArray, proba: FloatArray | None, labeled_mask: BoolArray
    ) -> FloatArray:
        if proba is None:
            return self._fallback()._score(X, None, labeled_mask)
        return self._uncertainty(proba)

    def _uncertainty(self, proba: FloatArray) -> FloatArray:
        """Scores from probabilities; assumes valid input."""
        raise NotImplementedError

    def _select(
        self,
        X: FloatArray,
        proba: FloatArray | None,
        labeled_mask: BoolArray,
        n: int,
        rng: np.random.Generator,
    ) -> IntArray:
        if proba is None:
            return self._fallback()._select(X, None, labeled_mask, n, rng)
        return super()._select(X, proba, labeled_mask, n, rng)


class LeastConfidence(_Uncertainty):
    """Select the rows whose top predicted class is least probable.

    Score: :func:`least_confidence_scores`. Cold start (``proba=None``): falls back to
    TypiClust (or ``cold_start``) for both ``score`` and ``select``.

    Parameters
    ----------
    dedup_threshold : float or None, default=0.99
    cold_start : Strategy or None
    """

    name = "least-confidence"

    def _uncertainty(self, proba: FloatArray) -> FloatArray:
        return least_confidence_scores(proba)


class Margin(_Uncertainty):
    """Select the rows with the smallest gap between the two most probable classes.

    Score: :func:`margin_scores`. Cold start (``proba=None``): falls back to TypiClust
    (or ``cold_start``) for both ``score`` and ``select``.

    Parameters
    ----------
    dedup_threshold : float or None, default=0.99
    cold_start : Strategy or None
    """

    name = "margin"

    def _uncertainty(self, proba: FloatArray) -> FloatArray:
        return margin_scores(proba)


class Entropy(_Uncertainty):
    """Select the rows whose predicted class distribution has the highest entropy.

    Score: :func:`entropy_scores`. Cold start (``proba=None``): falls back to TypiClust
    (or ``cold_start``) for both ``score`` and ``select``.

    Parameters
    ----------
    dedup_threshold : float or None, default=0.99
    cold_start : Strategy or None
    """

    name = "entropy"

    def _uncertainty(self, proba: FloatArray) -> FloatArray:
        return entropy_scores(proba)
