"""Coverage by k-center greedy: the core-set approach.

Sener and Savarese, "Active Learning for Convolutional Neural Networks: A Core-Set
Approach", ICLR 2018. Greedily add the pool point farthest from everything selected
so far, which 2-approximates the k-center problem: the chosen batch covers the pool
with the smallest radius. Distances to the labelled set come from a faiss flat index.
"""

from __future__ import annotations

import numpy as np

from fewlabels.active._faiss import threads_for
from fewlabels.active.base import Strategy
from fewlabels.active.dedup import DEFAULT_DEDUP_THRESHOLD
from fewlabels.encode.index import IndexSettings, build_index
from fewlabels.learn.knn_graph import uses_index
from fewlabels.typing import BoolArray, FloatArray, IntArray


def nearest_center_distances(X: FloatArray, centers: IntArray) -> FloatArray:
    """Euclidean distance from every row of ``X`` to its nearest row among ``centers``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    centers : ndarray of shape (n_centers,)
        Positions into ``X``; at least one.

    Returns
    -------
    ndarray of shape (n_samples,), float64

    Notes
    -----
    Above :data:`fewlabels.learn.knn_graph.ANN_ABOVE` centres the distances come from an
    approximate faiss index (HNSW, squared Euclidean) over the centres.
    """
    Xf = np.ascontiguousarray(X, dtype=np.float32)
    idx = np.asarray(centers, dtype=np.int64)
    if uses_index(idx.size):
        index = build_index(np.ascontiguousarray(Xf[idx]), settings=IndexSettings(metric="l2"))
        d2, _ = index.search(Xf, 1)
        return np.sqrt(np.maximum(d2[:, 0].astype(np.float64), 0.0))
    with threads_for(float(Xf.shape[0]) * idx.size * Xf.shape[1]) as faiss:
        index = faiss.IndexFlatL2(Xf.shape[1])
        index.add(np.ascontiguousarray(Xf[idx]))
        d2, _ = index.search(Xf, 1)
    return np.sqrt(np.maximum(d2[:, 0].astype(np.float64), 0.0))


def k_center_greedy(
    X: FloatArray, selected: IntArray | BoolArray, n: int, *, candidates: BoolArray | None = None
) -> IntArray:
    """Pick ``n`` points, each the farthest from all points selected so far.

    Sener and Savarese (2018), algorithm 1. With nothing selected yet, the first point
    is the one nearest the pool mean (deterministic; the greedy steps then move
    outward). Assumes valid input.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    selected : ndarray of int positions or bool mask of shape (n_samples,)
        Points already chosen (the labelled set); they are never picked again.
    n : int
        How many new points; at most the number of candidates.
    candidates : ndarray of shape (n_samples,), bool, optional
        Rows that may be picked; default every row not in ``selected``.

    Returns
    -------
    ndarray of shape (n,), int64
        Positions in the order picked.
    """
    Xf = np.asarray(X, dtype=np.float32)
    n_samples = Xf.shape[0]
    sel = np.asarray(selected)
    sel_mask: BoolArray = np.zeros(n_samples, dtype=bool)
    if sel.dtype == np.bool_:
        sel_mask[:] = sel
    elif sel.size:
        sel_mask[sel.astype(np.int64)] = True
    allowed = ~sel_mask if candidates is None else (candidates & ~sel_mask)
    if sel_mask.any():
        dist = nearest_center_distances(Xf, np.flatnonzero(sel_mask))
    else:
        dist = np.full(n_samples, np.inf)
    sq_norms = np.einsum("ij,ij->i", Xf, Xf).astype(np.float64)
    picked: list[int] = []
    for _ in range(min(n, int(allowed.sum()))):
        if np.isinf(dist[allowed]).all():
            mean = Xf[allowed].mean(axis=0)
            cand = np.flatnonzero(allowed)
            c = int(cand[np.argmin(((Xf[cand] - mean) ** 2).sum(axis=1))])
        else:
            masked = np.where(allowed, dist, -np.inf)
            c = int(np.argmax(masked))
        picked.append(c)
        allowed[c] = False
        d_new = sq_norms + sq_norms[c] - 2.0 * (Xf @ Xf[c]).astype(np.float64)
        dist = np.minimum(dist, np.sqrt(np.maximum(d_new, 0.0)))
    return np.asarray(picked, dtype=np.int64)


class Coreset(Strategy):
    """k-center greedy coverage of the pool (Sener and Savarese, ICLR 2018).

    ``score`` is each row's distance to its nearest labelled row (with nothing labelled,
    its distance to the pool mean); ``select`` runs :func:`k_center_greedy` from the
    labelled set. Coverage never picks a near-duplicate of a chosen point while
    farther points remain, so ``dedup_threshold`` is kept only for the common interface.
    Does not use ``proba``.

    Parameters
    ----------
    dedup_threshold : float or None, default=0.99
    """

    name = "coreset"

    def __init__(self, *, dedup_threshold: float | None = DEFAULT_DEDUP_THRESHOLD) -> None:
        super().__init__(dedup_threshold=dedup_threshold)

    def _score(
        self, X: FloatArray, proba: FloatArray | None, labeled_mask: BoolArray
    ) -> FloatArray:
        if labeled_mask.any():
            return nearest_center_distances(X, np.flatnonzero(labeled_mask))
        mean = X.mean(axis=0, dtype=np.float64)
        return np.sqrt(((X - mean) ** 2).sum(axis=1))

    def _select(
        self,
        X: FloatArray,
        proba: FloatArray | None,
        labeled_mask: BoolArray,
        n: int,
        rng: np.random.Generator,
    ) -> IntArray:
        return k_center_greedy(X, labeled_mask, n)
