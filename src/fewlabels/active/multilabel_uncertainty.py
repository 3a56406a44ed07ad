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

from fewlabels.active.base import Strategy
from fewlabels.active.dedup import DEFAULT_DEDUP_THRESHOLD
from fewlabels.active.uncertainty import _Uncertainty
from fewlabels.errors import FewlabelsError
from fewlabels.typing import BoolArray, FloatArray

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


class MultiLabelUncertainty(_Uncertainty):
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

    def __init__(
        self,
        *,
        reduce: str = "mean",
        dedup_threshold: float | None = DEFAULT_DEDUP_THRESHOLD,
        cold_start: Strategy | None = None,
    ) -> None:
        super().__init__(dedup_threshold=dedup_threshold, cold_start=cold_start)
        self.reduce = reduce

    def _check(
        self, X: Any, proba: Any, labeled_mask: Any
    ) -> tuple[FloatArray, FloatArray | None, BoolArray]:
        if self.reduce not in REDUCTIONS:
            raise FewlabelsError(
                f"MultiLabelUncertainty expected reduce in {list(REDUCTIONS)}, but got "
                f"{self.reduce!r}."
            )
        return super()._check(X, proba, labeled_mask)

    def _check_proba(self, proba: Any, n_samples: int) -> FloatArray:
        return check_label_proba(proba, n_samples)

    def _uncertainty(self, proba: FloatArray) -> FloatArray:
        return label_uncertainty_scores(proba, reduce=self.reduce)
