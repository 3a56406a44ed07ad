"""Nearest neighbours with faiss, and the sparse, symmetric, normalised kNN graph.

The graph is the one of Zhou et al. (2004, "Learning with Local and Global Consistency")
restricted to k nearest neighbours, with the affinity of Iscen et al. (2019, "Label
Propagation for Deep Semi-supervised Learning"): ``w_ij = max(x_i . x_j, 0) ** power`` for
L2-normalised rows. Memory is O(n k), never O(n^2).

Search is exact up to :data:`EXACT_UP_TO` rows, an in-memory inverted file up to
:data:`ANN_ABOVE`, and above it the faiss neighbour index of
:mod:`fewlabels.encode.index` (HNSW by default; its recall is measured at build time).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from fewlabels.encode.index import IndexSettings, NeighbourIndex, build_index
from fewlabels.learn.threads import limit_threads_if_small

#: Up to this many indexed rows the search is exact (faiss ``IndexFlatIP``); above it an
#: inverted file searched in dense blocks keeps 100,000+ rows within seconds.
EXACT_UP_TO = 10_000

#: Above this many indexed rows the search goes through a faiss neighbour index
#: (:func:`fewlabels.encode.index.build_index`), O(n log n) for a kNN graph. Read at call
#: time (:func:`ann_above`), so setting it to 0 forces the index on any size. Measured
#: (benchmarks/scaling.py, 100,000 x 384 noisy mixture, 2 loaded cores): label spreading
#: on the HNSW graph took 145 s (recall@10 0.70, accuracy 0.993) against 28.5 s on the
#: exact graph (accuracy 1.0), so the index starts above a million rows only.
ANN_ABOVE = 1_000_000


def ann_above(value: int | None = None) -> int:
    """``value``, or the module's :data:`ANN_ABOVE` when None (read now, not at import)."""
    return int(ANN_ABOVE if value is None else value)


def uses_index(n: int, threshold: int | None = None) -> bool:
    """Whether a search over ``n`` base rows goes through the neighbour index."""
    return n > ann_above(threshold)


@dataclass(frozen=True)
class Clusters:
    """A coarse partition of the indexed rows for approximate search (an inverted file).

    Attributes
    ----------
    centroids : ndarray of shape (n_lists, n_features)
        Spherical k-means centroids (unit norm).
    assign : ndarray of shape (n_base,)
        The list of each indexed row.
    """

    centroids: np.ndarray
    assign: np.ndarray


def cluster_rows(X: np.ndarray, *, n_lists: int | None = None, seed: int = 0) -> Clusters:
    """Partition rows by spherical k-means (faiss), trained on a fixed sample.

    Parameters
    ----------
    X : ndarray of shape (n, n_features), finite
    n_lists : int, optional
        Default ``sqrt(n)``, at most ``n / 39`` (faiss's minimum of training rows per
        centroid).
    seed : int, default 0

    Returns
    -------
    Clusters
    """
    import faiss

    X = np.ascontiguousarray(X, dtype=np.float32)
    n, d = X.shape
    n_lists = n_lists or max(1, min(int(math.sqrt(n)), n // 39))
    rng = np.random.default_rng(seed)
    sample = X[np.sort(rng.choice(n, min(n, 39 * n_lists), replace=False))]
    km = faiss.Kmeans(d, n_lists, niter=10, seed=seed, spherical=True, verbose=False)
    km.train(sample)
    centroids = np.ascontiguousarray(km.centroids, dtype=np.float32)
    flat = faiss.IndexFlatIP(d)
    flat.add(centroids)
    _, assign = flat.search(X, 1)
    return Clusters(centroids=centroids, assign=assign[:, 0].astype(np.int64))


def clustered_search(
    base: np.ndarray, queries: np.ndarray, k: int, clusters: Clusters, *, nprobe: int = 8
) -> tuple[np.ndarray, np.ndarray]:
    """Approximate k-nearest-neighbour search through an inverted file, in dense blocks.

    Each query goes to its nearest centroid; the queries of one list are compared, with
    one matrix product, against every row of the ``nprobe`` lists nearest to that list's
    centroid. Dense products keep BLAS busy, which makes a 100,000-row self-join several
    times faster than probing query by query.

    Parameters
    ----------
    base : ndarray of shape (n_base, n_features)
    queries : ndarray of shape (n_queries, n_features)
    k : int
        Clipped to ``n_base``.
    clusters : Clusters
        :func:`cluster_rows` of ``base``.
    nprobe : int, default 8

    Returns
    -------
    sims, idx : ndarrays of shape (n_queries, k)
        As :func:`knn_search` (``-inf`` and ``-1`` where fewer than ``k`` were found).
    """
    import faiss

    base = np.ascontiguousarray(base, dtype=np.float32)
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    k = int(min(k, len(base)))
    n_lists = len(clusters.centroids)
    nprobe = int(min(nprobe, n_lists))
    flat = faiss.IndexFlatIP(clusters.centroids.shape[1])
    flat.add(clusters.centroids)
    _, q_assign = flat.search(queries, 1)
    _, probes = flat.search(clusters.centroids, nprobe)
    order = np.argsort(clusters.assign, kind="stable")
    starts = np.searchsorted(clusters.assign[order], np.arange(n_lists + 1))
    sims = np.full((len(queries), k), -np.inf, dtype=np.float32)
    idx = np.full((len(queries), k), -1, dtype=np.int64)
    q_order = np.argsort(q_assign[:, 0], kind="stable")
    q_starts = np.searchsorted(q_assign[q_order, 0], np.arange(n_lists + 1))
    # Blocks are small matrix products: one BLAS thread each is fastest (threads.py).
    typical_block = (len(queries) // n_lists + 1) * nprobe * (len(base) // n_lists + 1)
    with limit_threads_if_small(typical_block):
        _search_blocks(base, queries, clusters, probes, order, starts, q_order, q_starts, sims, idx)
    return sims, idx


def _search_blocks(
    base: np.ndarray,
    queries: np.ndarray,
    clusters: Clusters,
    probes: np.ndarray,
    order: np.ndarray,
    starts: np.ndarray,
    q_order: np.ndarray,
    q_starts: np.ndarray,
    sims: np.ndarray,
    idx: np.ndarray,
) -> None:
    """Fill ``sims`` and ``idx`` list by list (see :func:`clustered_search`)."""
    k = sims.shape[1]
    for c in range(len(clusters.centroids)):
        rows = q_order[q_starts[c] : q_starts[c + 1]]
        if rows.size == 0:
            continue
        cand = np.concatenate([order[starts[p] : starts[p + 1]] for p in probes[c] if p >= 0])
        block = queries[rows] @ base[cand].T
        kk = min(k, cand.size)
        top = (
            np.argpartition(-block, kk - 1, axis=1)[:, :kk]
            if kk < cand.size
            else np.broadcast_to(np.arange(cand.size), (rows.size, cand.size))
        )
        top_sims = np.take_along_axis(block, top, axis=1)
        best = np.argsort(-top_sims, axis=1, kind="stable")
        sims[rows, :kk] = np.take_along_axis(top_sims, best, axis=1)
        idx[rows, :kk] = cand[np.take_along_axis(top, best, axis=1)]


def knn_search(
    base: np.ndarray,
    queries: np.ndarray,
    k: int,
    *,
    exact_up_to: int = EXACT_UP_TO,
    nprobe: int = 8,
    clusters: Clusters | None = None,
    batch_size: int = 16_384,
    index: NeighbourIndex | None = None,
    ann_threshold: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` rows of ``base`` with the largest inner product with each query.

    Assumes finite float input; rows are usually L2-normalised so inner product is cosine.

    Parameters
    ----------
    base : ndarray of shape (n_base, n_features)
    queries : ndarray of shape (n_queries, n_features)
    k : int
        Neighbours per query; clipped to ``n_base``.
    exact_up_to : int, default 10_000
        Exact search (faiss ``IndexFlatIP``) up to this many base rows; above it an
        inverted file (:func:`cluster_rows`, :func:`clustered_search`).
    nprobe : int, default 8
        Lists searched per query by the inverted file.
    clusters : Clusters, optional
        A :func:`cluster_rows` of ``base`` to reuse (else built when needed).
    batch_size : int, default 16_384
        Queries per faiss call in exact search (bounds the memory of one call).
    index : NeighbourIndex, optional
        A :func:`fewlabels.encode.index.build_index` of ``base`` (inner product) to search.
    ann_threshold : int, optional
        Above this many base rows (default :data:`ANN_ABOVE`) a neighbour index is built
        when neither ``index`` nor ``clusters`` is given (pass ``index`` to search many
        query blocks against one build).

    Returns
    -------
    sims : ndarray of shape (n_queries, k), float32
        Inner products, best first; ``-inf`` where fewer than ``k`` were found.
    idx : ndarray of shape (n_queries, k), int64
        Row indices into ``base``; ``-1`` where none was found.
    """
    import faiss

    base = np.ascontiguousarray(base, dtype=np.float32)
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    n, d = base.shape
    k = int(min(k, n))
    if index is not None:
        return index.search(queries, k)
    if clusters is None and uses_index(n, ann_threshold):
        return build_index(base, settings=IndexSettings()).search(queries, k)
    if n > exact_up_to or clusters is not None:
        clusters = clusters if clusters is not None else cluster_rows(base)
        return clustered_search(base, queries, k, clusters, nprobe=nprobe)
    flat = faiss.IndexFlatIP(d)
    flat.add(base)
    sims = np.empty((len(queries), k), dtype=np.float32)
    idx = np.empty((len(queries), k), dtype=np.int64)
    for start in range(0, len(queries), batch_size):
        stop = start + batch_size
        s, i = flat.search(queries[start:stop], k)
        sims[start:stop], idx[start:stop] = s, i
    sims[idx < 0] = -np.inf
    return sims, idx


def knn_affinity(
    X: np.ndarray,
    *,
    n_neighbors: int = 10,
    power: float = 3.0,
    exact_up_to: int = EXACT_UP_TO,
    clusters: Clusters | None = None,
    index: NeighbourIndex | None = None,
    ann_threshold: int | None = None,
) -> sp.csr_matrix:
    """Symmetric sparse affinity ``W = A + A^T`` of the kNN graph of ``X`` (self excluded).

    ``A_ij = max(x_i . x_j, 0) ** power`` when ``j`` is among the ``n_neighbors`` nearest
    rows of ``i``. Assumes L2-normalised, finite rows.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    n_neighbors : int, default 10
        Clipped to ``n_samples - 1``.
    power : float, default 3.0
        Sharpens the affinity (Iscen et al. use 3).
    exact_up_to : int, default 10_000
        See :func:`knn_search`.
    clusters : Clusters, optional
        A :func:`cluster_rows` of ``X`` to search with (large ``X`` only).
    index, ann_threshold
        See :func:`knn_search`.

    Returns
    -------
    scipy.sparse.csr_matrix of shape (n_samples, n_samples), float64
        Symmetric, non-negative, zero diagonal, at most ``2 n n_neighbors`` entries.
    """
    n = X.shape[0]
    k = int(min(n_neighbors, n - 1))
    if k < 1:
        return sp.csr_matrix((n, n), dtype=np.float64)
    sims, idx = knn_search(
        X,
        X,
        k + 1,
        exact_up_to=exact_up_to,
        clusters=clusters,
        index=index,
        ann_threshold=ann_threshold,
    )
    rows = np.arange(n)[:, None]
    drop = idx == rows
    # A row duplicated elsewhere may not find itself first: then drop its farthest neighbour.
    no_self = ~drop.any(axis=1)
    drop[no_self, -1] = True
    keep = ~drop & (idx >= 0)
    r = np.broadcast_to(rows, idx.shape)[keep]
    c = idx[keep]
    w = np.maximum(sims[keep].astype(np.float64), 0.0) ** power
    A = sp.csr_matrix((w, (r, c)), shape=(n, n))
    A.eliminate_zeros()
    W = (A + A.T).tocsr()
    W.setdiag(0.0)
    W.eliminate_zeros()
    return W


def normalize_graph(W: sp.spmatrix) -> sp.csr_matrix:
    """Symmetric normalisation ``S = D^-1/2 W D^-1/2`` (rows of zero degree stay zero).

    Parameters
    ----------
    W : sparse matrix of shape (n_samples, n_samples), symmetric, non-negative

    Returns
    -------
    scipy.sparse.csr_matrix of shape (n_samples, n_samples)
        Symmetric, with eigenvalues in ``[-1, 1]``.
    """
    W = sp.csr_matrix(W, dtype=np.float64)
    deg = np.asarray(W.sum(axis=1)).ravel()
    inv = np.zeros_like(deg)
    np.divide(1.0, np.sqrt(deg), out=inv, where=deg > 0)
    D = sp.diags(inv)
    return (D @ W @ D).tocsr()


def knn_graph(
    X: np.ndarray,
    *,
    n_neighbors: int = 10,
    power: float = 3.0,
    exact_up_to: int = EXACT_UP_TO,
    clusters: Clusters | None = None,
    index: NeighbourIndex | None = None,
    ann_threshold: int | None = None,
) -> sp.csr_matrix:
    """The normalised kNN graph ``S`` used by label spreading.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), L2-normalised rows
    n_neighbors, power, exact_up_to, clusters, index, ann_threshold
        See :func:`knn_affinity`.

    Returns
    -------
    scipy.sparse.csr_matrix of shape (n_samples, n_samples)
        ``normalize_graph(knn_affinity(X, ...))``.
    """
    W = knn_affinity(
        X,
        n_neighbors=n_neighbors,
        power=power,
        exact_up_to=exact_up_to,
        clusters=clusters,
        index=index,
        ann_threshold=ann_threshold,
    )
    return normalize_graph(W)
