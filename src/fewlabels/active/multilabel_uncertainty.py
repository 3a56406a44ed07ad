"""Uncertainty sampling for multi-label tasks: how unsure the model is, label by label.

A multi-label model gives each row one probability per label, ``P[i, k] = P(row i has label
k)``, and the columns need not sum to 1. A label's uncertainty is ``min(p, 1 - p)`` (0 when
sure, 0.5 at a coin flip), the binary least-confidence of binary relevance (Brinker, 2006,
"On Active Learning in Multi-label Classification"); a row's score is its mean over the
labels (``reduce="mean"``: unsure about many labels) or its maximum (``"max"``: unsure about
at least one). Before any model exists the strategy falls back to TypiClust.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fewlabels._validation import check_embeddings, check_unit_interval
from fewlabels.active.base import Strategy, check_labeled_mask
from fewlabels.active.dedup import DEFAULT_DEDUP_THRESHOLD
from fewlabels.active.typiclust import TypiClust
from fewlabels.errors import FewlabelsError
from fewlabels.typing import BoolArray, FloatArray, IntArray

__all__ = ["MultiLabelUncertainty", "check_label_proba", "label_uncertainty_scores"]

REDUCTIONS = ("mean", "max")


def check_label_proba(proba: Any, n_samples: int) -> np.ndarray:
    """Per-label probabilities of every pool row: shape (n_samples, n_labels), in [0, 1].

    Unlike a class distribution, a row need not sum to 1.
    """
    P = np.asarray(proba, dtype=np.float64)
    if P.ndim != 2 or P.shape[0] != n_samples or P.shape[1] < 1:
        raise FewlabelsError(
            f"Expected per-label probabilities of shape ({n_samples}, n_labels), one row per "
            f"pool row, but got shape {P.shape}. Pass model.predict_proba(X) of a multi-label "
            "learner (fewlabels.learn.OneVsRest)."
        )
    bad = np.flatnonzero(~(np.isfinite(P) & (P >= 0) & (P <= 1)).all(axis=1))
    if bad.size:
        raise FewlabelsError(
            f"Expected per-label probabilities in [0, 1], but {bad.size} row(s) hold other "
            f"values, e.g. row {int(bad[0])}: {P[bad[0]].tolist()[:6]}."
        )
    return P


def label_uncertainty_scores(proba: FloatArray, *, reduce: str = "mean") -> FloatArray:
    """Each row's uncertainty over its labels.

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_labels)
        Per-label probabilities (assumed valid).
    reduce : {"mean", "max"}, default "mean"
        How the labels' ``min(p, 1 - p)`` combine.

    Returns
    -------
    ndarray of shape (n_samples,)
        In ``[0, 0.5]``; higher means less sure.
    """
    P = np.asarray(proba, dtype=np.float64)
    per_label = np.minimum(P, 1.0 - P)
    return per_label.max(axis=1) if reduce == "max" else per_label.mean(axis=1)


class MultiLabelUncertainty(Strategy):
    """Select the rows whose labels the multi-label model is least sure of.

    Score: :func:`label_uncertainty_scores`; ``proba`` holds per-label probabilities
    (rows need not sum to 1). Cold start (``proba=None``): TypiClust (or ``cold_start``).

    Parameters
    ----------
    reduce : {"mean", "max"}, default "mean"
    dedup_threshold : float or None, default=0.99
    cold_start : Strategy or None
    """

    name = "multilabel-uncertainty"
    uses_proba = True

    def __init__(
        self,
        *,
        reduce: str = "mean",
        dedup_threshold: float | None = DEFAULT_DEDUP_THRESHOLD,
        cold_start: Strategy | None = None,
    ) -> None:
        super().__init__(dedup_threshold=dedup_threshold)
        self.reduce = reduce
        self.cold_start = cold_start

    def _fallback(self) -> Strategy:
        return self.cold_start if self.cold_start is not None else TypiClust()

    def _check(
        self, X: Any, proba: Any, labeled_mask: Any
    ) -> tuple[FloatArray, FloatArray | None, BoolArray]:
        if self.reduce not in REDUCTIONS:
            raise FewlabelsError(
                f"MultiLabelUncertainty expected reduce in {list(REDUCTIONS)}, but got "
                f"{self.reduce!r}."
            )
        Xc = check_embeddings(X)
        mask = check_labeled_mask(labeled_mask, Xc.shape[0])
        P = None if proba is None else check_label_proba(proba, Xc.shape[0])
        if self.dedup_threshold is not None:
            check_unit_interval(self.dedup_threshold, name="dedup_threshold", low=-1.0)
        return Xc, P, mask

    def _score(
        self, X: FloatArray, proba: FloatArray | None, labeled_mask: BoolArray
    ) -> FloatArray:
        if proba is None:
            return self._fallback()._score(X, None, labeled_mask)
        return label_uncertainty_scores(proba, reduce=self.reduce)

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
