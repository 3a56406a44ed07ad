"""Uncertainty and diversity together: BADGE.

Ash, Zhang, Krishnamurthy, Langford and Agarwal, "Deep Batch Active Learning by
Diverse, Uncertain Gradient Lower Bounds", ICLR 2020. Each item is represented by the
gradient of the cross-entropy loss at its predicted label with respect to the last
linear layer, ``g = (p - onehot(argmax p)) ⊗ x``: its norm grows with uncertainty, its
direction carries the item's features. k-means++ seeding over these vectors picks a
batch that is both uncertain and diverse.

Here the "last layer input" is the embedding itself, and the outer products are never
built: ``||g_i - g_j||² = |a_i|²|x_i|² + |a_j|²|x_j|² - 2 (a_i·a_j)(x_i·x_j)`` with
``a = p - onehot(argmax p)``, so each k-means++ step costs O(n (n_classes + dim)).
"""

from __future__ import annotations

import numpy as np

from fewlabels.active.base import Strategy
from fewlabels.active.dedup import reaches, unit_rows
from fewlabels.active.typiclust import TypiClust
from fewlabels.typing import BoolArray, FloatArray, IntArray


def gradient_factors(proba: FloatArray) -> FloatArray:
    """The class factor ``a = p - onehot(argmax p)`` of BADGE's gradient embedding.

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_classes)

    Returns
    -------
    ndarray of shape (n_samples, n_classes)
    """
    A = np.array(proba, dtype=np.float64)
    A[np.arange(A.shape[0]), np.argmax(A, axis=1)] -= 1.0
    return A


def gradient_norms(X: FloatArray, proba: FloatArray) -> FloatArray:
    """Norm of each row's gradient embedding, ``|p - onehot(argmax p)| * |x|``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    proba : ndarray of shape (n_samples, n_classes)

    Returns
    -------
    ndarray of shape (n_samples,), float64
    """
    A = gradient_factors(proba)
    return np.linalg.norm(A, axis=1) * np.linalg.norm(np.asarray(X, dtype=np.float64), axis=1)


def badge_select(
    X: FloatArray,
    proba: FloatArray,
    labeled_mask: BoolArray,
    n: int,
    *,
    rng: np.random.Generator,
    dedup_threshold: float | None = None,
) -> IntArray:
    """k-means++ seeding over gradient embeddings of the unlabelled rows.

    Ash et al. (ICLR 2020), algorithm 1: the first centre is the row with the largest
    gradient norm; each next centre is drawn with probability proportional to its
    squared distance to the nearest centre (D² sampling). Rows whose cosine similarity
    (in ``X``, float64: :func:`~fewlabels.active.dedup.reaches`) to a chosen centre reaches
    ``dedup_threshold`` are dropped from the draw while others remain. When every remaining distance is 0 (all predictions
    certain), the draw is uniform. Assumes valid input.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    proba : ndarray of shape (n_samples, n_classes)
    labeled_mask : ndarray of shape (n_samples,), bool
    n : int
        At most the number of unlabelled rows.
    rng : numpy Generator
    dedup_threshold : float or None

    Returns
    -------
    ndarray of shape (n,), int64
    """
    free = np.flatnonzero(~labeled_mask)
    Xf = np.asarray(X, dtype=np.float64)[free]
    A = gradient_factors(np.asarray(proba)[free])
    a2 = np.einsum("ij,ij->i", A, A)
    x2 = np.einsum("ij,ij->i", Xf, Xf)
    g2 = a2 * x2
    U = unit_rows(Xf) if dedup_threshold is not None else None
    available = np.ones(free.size, dtype=bool)
    near_dup = np.zeros(free.size, dtype=bool)
    dist2 = np.full(free.size, np.inf)
    picked: list[int] = []
    for step in range(n):
        if step == 0:
            c = int(np.argmax(np.where(available, g2, -np.inf)))
        else:
            pool = available & ~near_dup
            if not pool.any():
                pool = available
            w = np.where(pool, np.maximum(dist2, 0.0), 0.0)
            total = w.sum()
            if total > 0 and np.isfinite(total):
                c = int(rng.choice(free.size, p=w / total))
            else:
                c = int(rng.choice(np.flatnonzero(pool)))
        picked.append(c)
        available[c] = False
        d2 = g2 + g2[c] - 2.0 * (A @ A[c]) * (Xf @ Xf[c])
        dist2 = np.minimum(dist2, np.maximum(d2, 0.0))
        if U is not None and dedup_threshold is not None:
            near_dup |= reaches(U @ U[c], dedup_threshold)
    return free[np.asarray(picked, dtype=np.int64)].astype(np.int64)


class Badge(Strategy):
    """BADGE: k-means++ over uncertainty-weighted gradient embeddings.

    Ash et al., ICLR 2020. ``score`` is the gradient-embedding norm
    (:func:`gradient_norms`); ``select`` runs :func:`badge_select`. Cold start
    (``proba=None``): falls back to TypiClust for both ``score`` and ``select`` (the
    paper draws the first batch at random; typical points make a better first batch
    on a small budget, Hacohen et al. 2022).

    Parameters
    ----------
    dedup_threshold : float or None, default=0.99
        See :class:`fewlabels.active.base.Strategy`.
    """

    name = "badge"
    uses_proba = True

    def _score(
        self, X: FloatArray, proba: FloatArray | None, labeled_mask: BoolArray
    ) -> FloatArray:
        if proba is None:
            return TypiClust()._score(X, None, labeled_mask)
        return gradient_norms(X, proba)

    def _select(
        self,
        X: FloatArray,
        proba: FloatArray | None,
        labeled_mask: BoolArray,
        n: int,
        rng: np.random.Generator,
    ) -> IntArray:
        if proba is None:
            return TypiClust()._select(X, None, labeled_mask, n, rng)
        return badge_select(
            X, proba, labeled_mask, n, rng=rng, dedup_threshold=self.dedup_threshold
        )
