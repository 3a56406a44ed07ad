"""Near-duplicate suppression within a selected batch.

Labelling two near-identical items in one batch spends two labels on one piece of
information. The functions here walk a ranked candidate list and skip any candidate
whose cosine similarity to an item already taken reaches a threshold.
"""

from __future__ import annotations

import numpy as np

from fewlabels.typing import FloatArray, IntArray

#: Default cosine similarity at or above which two items count as near-duplicates.
DEFAULT_DEDUP_THRESHOLD: float = 0.99

#: Rounding slack of a similarity: normalising a vector rounds, so an exact copy's cosine
#: similarity can come out a few ulps below 1 (float32: about a third of random rows). Every
#: strategy that drops near-duplicates compares float64 similarities with this slack
#: (:func:`unit_rows`, :func:`reaches`).
SIMILARITY_TOL: float = 1e-9


def unit_rows(X: FloatArray) -> np.ndarray:
    """Rows of ``X`` scaled to unit L2 norm, in float64 (for near-duplicate tests).

    Parameters
    ----------
    X : ndarray of shape (n, d) or (d,)

    Returns
    -------
    ndarray of the same shape, float64 (zero rows stay zero)
    """
    U = np.asarray(X, dtype=np.float64)
    norms = np.linalg.norm(U, axis=-1, keepdims=True)
    return U / np.maximum(norms, 1e-12)


def reaches(similarity: np.ndarray | float, threshold: float) -> np.ndarray:
    """Whether cosine ``similarity`` is at or above ``threshold``, with ``SIMILARITY_TOL`` of slack.

    Parameters
    ----------
    similarity : float or ndarray, float64 similarities of unit rows (:func:`unit_rows`)
    threshold : float

    Returns
    -------
    bool or ndarray of bool, the shape of ``similarity``
    """
    return np.asarray(similarity) >= threshold - SIMILARITY_TOL


def suppress_near_duplicates(
    X: FloatArray, order: IntArray, n: int, *, threshold: float | None = DEFAULT_DEDUP_THRESHOLD
) -> IntArray:
    """Take ``n`` items from ``order``, skipping near-duplicates of items already taken.

    Walks ``order`` (best candidate first) and keeps a candidate unless its cosine
    similarity to an already kept item is ``>= threshold`` (computed in float64, with
    ``SIMILARITY_TOL`` of rounding slack, so that an exact copy reaches ``threshold=1.0``).
    When fewer than ``n`` candidates survive, the skipped ones fill the batch in their
    original order, so the result has ``min(n, len(order))`` items. Assumes valid input.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Embeddings of the whole pool.
    order : ndarray of shape (n_candidates,)
        Unique candidate positions into ``X``, best first.
    n : int
        Batch size.
    threshold : float or None
        Cosine similarity that marks a near-duplicate; None switches suppression off.

    Returns
    -------
    ndarray of shape (min(n, n_candidates),), int64
        Positions into ``X`` in the order they were taken.
    """
    order = np.asarray(order, dtype=np.int64)
    n = min(int(n), order.size)
    if threshold is None or n <= 1:
        return order[:n].copy()
    kept: list[int] = []
    kept_vecs = np.empty((n, X.shape[1]), dtype=np.float64)
    skipped: list[int] = []
    for pos in order:
        v = unit_rows(X[pos])
        if kept and reaches(float(np.max(kept_vecs[: len(kept)] @ v)), threshold):
            skipped.append(int(pos))
            continue
        kept_vecs[len(kept)] = v
        kept.append(int(pos))
        if len(kept) == n:
            break
    if len(kept) < n:
        kept.extend(skipped[: n - len(kept)])
    return np.asarray(kept, dtype=np.int64)
