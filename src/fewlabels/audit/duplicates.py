"""Near-duplicate pairs: rows whose cosine similarity reaches a threshold (faiss search)."""

from __future__ import annotations

from typing import Any

import numpy as np

from fewlabels._validation import check_count, check_embeddings, check_unit_interval
from fewlabels.encode.base import l2_normalize
from fewlabels.learn.knn_graph import EXACT_UP_TO, cluster_rows, knn_search

__all__ = ["near_duplicates"]

#: Float32 rounding allowed below the threshold, so that a pair exactly at it counts.
TOLERANCE = 1e-6


def near_duplicates(
    X: Any, *, threshold: float = 0.98, n_neighbors: int = 10, block: int = 16_384
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of rows with cosine similarity ``>= threshold``.

    Each row's ``n_neighbors`` nearest rows are searched (faiss: exact up to 10,000 rows,
    an inverted file above, :func:`fewlabels.learn.knn_graph.knn_search`) ``block`` rows
    at a time, so memory stays O(block x n_neighbors) beyond the index; a row with more
    than ``n_neighbors`` duplicates reports its ``n_neighbors`` nearest. A pair exactly at
    the threshold counts (``TOLERANCE`` of float32 rounding is allowed).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    threshold : float in (0, 1], default 0.98
    n_neighbors : int, default 10
    block : int, default 16_384

    Returns
    -------
    pairs : ndarray of shape (n_pairs, 2), int64
        ``(i, j)`` with ``i < j``, each pair once, sorted by similarity (highest first).
    similarity : ndarray of shape (n_pairs,), float64
    """
    t = check_unit_interval(threshold, name="threshold")
    k = check_count(n_neighbors, name="n_neighbors", low=1, what="neighbours searched per row")
    step = check_count(block, name="block", low=1)
    Z = l2_normalize(check_embeddings(X))
    n = len(Z)
    clusters = cluster_rows(Z) if n > EXACT_UP_TO else None  # built once, searched per block
    found_i, found_j, found_s = [], [], []
    for start in range(0, n, step):
        sims, idx = knn_search(Z, Z[start : start + step], k + 1, clusters=clusters)
        rows = np.arange(start, start + len(sims))[:, None]
        ok = (idx >= 0) & (idx != rows) & (sims >= t - TOLERANCE)
        a = np.broadcast_to(rows, idx.shape)[ok]
        b = idx[ok]
        found_i.append(np.minimum(a, b))
        found_j.append(np.maximum(a, b))
        found_s.append(sims[ok].astype(np.float64))
    if not found_i:
        return np.zeros((0, 2), np.int64), np.zeros(0)
    i = np.concatenate(found_i)
    j = np.concatenate(found_j)
    s = np.concatenate(found_s)
    pairs, first = np.unique(np.stack([i, j], axis=1), axis=0, return_index=True)
    sim = s[first]
    order = np.lexsort((pairs[:, 1], pairs[:, 0], -sim))
    return pairs[order].astype(np.int64), sim[order]
