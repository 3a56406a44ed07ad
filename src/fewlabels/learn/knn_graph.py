"""Nearest neighbours with faiss, and the sparse, symmetric, normalised kNN graph.

The graph is the one of Zhou et al. (2004, "Learning with Local and Global Consistency")
restricted to k nearest neighbours, with the affinity of Iscen et al. (2019, "Label
Propagation for Deep Semi-supervised Learning"): ``w_ij = max(x_i . x_j, 0) ** power`` for
L2-normalised rows. Memory is O(n k), never O(n^2).

Search is exact up to :data:`EXACT_UP_TO` rows (inclusive); above it the graph comes from
the inverted-file self-join of :mod:`fewlabels.learn.ivf_graph` (lists of about 1,000 rows
whatever the pool size, so the graph costs O(n)), and its recall@10 against exact search is
measured on a sample of rows (the ``graph_recall`` attribute of the returned matrix). The
faiss neighbour index of :mod:`fewlabels.encode.index` (HNSW) serves when it is passed, or
above :data:`ANN_ABOVE` rows when that is set.

This file runs just past 400 lines: the exact search, the graph's symmetric normalisation and
the choice of exact or inverted-file search by size; the inverted file is in ``ivf_graph.py``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from fewlabels.encode.index import IndexSettings, NeighbourIndex, build_index
from fewlabels.learn.ivf_graph import NPROBE, Clusters, cluster_rows, graph_recall, ivf_self_knn
from fewlabels.learn.threads import limit_threads_if_small

__all__ = [
    "ANN_ABOVE",
    "EXACT_UP_TO",
    "Clusters",
    "ann_above",
    "cluster_rows",
    "clustered_search",
    "knn_affinity",
    "knn_graph",
    "knn_search",
    "normalize_graph",
    "uses_index",
    "uses_ivf",
]

#: Up to this many rows (inclusive) the search is exact (faiss ``IndexFlatIP``); above it
#: the inverted file of :mod:`fewlabels.learn.ivf_graph`, lists of ~1,000 rows searched in
#: dense blocks. Read at call time by :func:`uses_ivf`.
EXACT_UP_TO = 10_000

#: Above this many indexed rows the search goes through a faiss neighbour index
#: (:func:`fewlabels.encode.index.build_index`, HNSW); None (the default): never unless an
#: index is passed. Read at call time (:func:`ann_above`), so setting it to 0 forces the
#: index on any size. Measured (benchmarks/scaling.py, 100,000 x 384 noisy mixture, 2
#: loaded cores): label spreading on the HNSW graph took 145 s (recall@10 0.70) against
#: 28.5 s on the exact graph, and the inverted-file graph is faster than both (see
#: docs/benchmarks.md), so HNSW is no longer the default at any size.
ANN_ABOVE: int | None = None


def ann_above(value: int | None = None) -> int | None:
    """``value``, or the module's :data:`ANN_ABOVE` when None (read now, not at import)."""
    chosen = ANN_ABOVE if value is None else value
    return None if chosen is None else int(chosen)


def uses_index(n: int, threshold: int | None = None) -> bool:
    """Whether a search over ``n`` base rows goes through the neighbour index (HNSW)."""
    above = ann_above(threshold)
    return above is not None and n > above


def uses_ivf(n: int, exact_up_to: int | None = None) -> bool:
    """Whether a kNN graph of ``n`` rows comes from the inverted file (``n > EXACT_UP_TO``)."""
    return n > int(EXACT_UP_TO if exact_up_to is None else exact_up_to)


def clustered_search(
    base: np.ndarray, queries: np.ndarray, k: int, clusters: Clusters, *, nprobe: int = NPROBE
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
    exact_up_to: int | None = None,
    nprobe: int = NPROBE,
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
    exact_up_to : int, optional
        Exact search (faiss ``IndexFlatIP``) up to this many base rows (default
        :data:`EXACT_UP_TO`, read at call time); above it an inverted file
        (:func:`cluster_rows`, :func:`clustered_search`).
    nprobe : int, default :data:`fewlabels.learn.ivf_graph.NPROBE`
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
    if uses_ivf(n, exact_up_to) or clusters is not None:
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
    # k <= n: exact search finds all k for every (finite) query, so nothing to pad here
    return sims, idx


def self_knn(
    X: np.ndarray,
    k: int,
    *,
    exact_up_to: int | None = None,
    nprobe: int | None = None,
    clusters: Clusters | None = None,
    index: NeighbourIndex | None = None,
    ann_threshold: int | None = None,
    recall_sample: int = 500,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, float | None]:
    """The ``k`` nearest rows of every row of ``X`` (itself included), by the graph's path.

    The path: ``index`` when given (or an HNSW index above :data:`ANN_ABOVE` rows when that
    is set); the inverted file of :mod:`fewlabels.learn.ivf_graph` when ``clusters`` is
    given or ``n > exact_up_to``; exact search otherwise. Assumes unit, finite rows.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    k : int
        Clipped to ``n_samples``.
    exact_up_to : int, optional
        Default :data:`EXACT_UP_TO`, read at call time; ``n == exact_up_to`` is exact.
    nprobe : int, optional
        Lists searched per list by the inverted file; None (the default): as many of the
        nearest lists as fit in :data:`fewlabels.learn.ivf_graph.CANDIDATES` rows, a fixed
        work per row whatever ``n`` (:meth:`Clusters.probe_lists`).
    clusters : Clusters, optional
        A :func:`cluster_rows` of ``X`` to reuse.
    index : NeighbourIndex, optional
    ann_threshold : int, optional
        See :func:`knn_search`.
    recall_sample : int, default 500
        Rows on which the approximate paths' recall@10 is measured (0: not measured).
    seed : int, default 0
        Seeds the inverted file's k-means and the recall sample.

    Returns
    -------
    sims : ndarray of shape (n_samples, k), float32
    idx : ndarray of shape (n_samples, k), int64
        As :func:`knn_search`.
    recall : float or None
        Recall@10 against exact search (the index's, or :func:`graph_recall`); None on the
        exact path or when ``recall_sample`` is 0.
    """
    sims, idx, recall, _ = _self_knn(
        X,
        k,
        exact_up_to=exact_up_to,
        nprobe=nprobe,
        clusters=clusters,
        index=index,
        ann_threshold=ann_threshold,
        recall_sample=recall_sample,
        seed=seed,
    )
    return sims, idx, recall


def _self_knn(
    X: np.ndarray,
    k: int,
    *,
    exact_up_to: int | None,
    nprobe: int | None,
    clusters: Clusters | None,
    index: NeighbourIndex | None,
    ann_threshold: int | None,
    recall_sample: int,
    seed: int,
) -> tuple[np.ndarray, np.ndarray, float | None, Clusters | None]:
    """:func:`self_knn`, plus the inverted file it searched (None off that path)."""
    n = X.shape[0]
    if index is None and clusters is None and uses_index(n, ann_threshold):
        index = build_index(X, settings=IndexSettings(recall_sample=recall_sample, seed=seed))
    if index is not None:
        sims, idx = index.search(X, k)
        return sims, idx, index.recall, None
    if clusters is not None or uses_ivf(n, exact_up_to):
        Z = np.ascontiguousarray(X, dtype=np.float32)
        clusters = clusters if clusters is not None else cluster_rows(Z, seed=seed)
        sims, idx = ivf_self_knn(Z, k, clusters=clusters, nprobe=nprobe)
        recall = (
            graph_recall(Z, clusters, nprobe=nprobe, sample=recall_sample, seed=seed)
            if recall_sample > 0
            else None
        )
        return sims, idx, recall, clusters
    sims, idx = knn_search(X, X, k, exact_up_to=n, ann_threshold=ann_threshold)
    return sims, idx, None, None


def knn_affinity(
    X: np.ndarray,
    *,
    n_neighbors: int = 10,
    power: float = 3.0,
    exact_up_to: int | None = None,
    clusters: Clusters | None = None,
    index: NeighbourIndex | None = None,
    ann_threshold: int | None = None,
    nprobe: int | None = None,
    recall_sample: int = 500,
) -> sp.csr_matrix:
    """Symmetric sparse affinity ``W = A + A^T`` of the kNN graph of ``X`` (self excluded).

    ``A_ij = max(x_i . x_j, 0) ** power`` when ``j`` is among the ``n_neighbors`` nearest
    rows of ``i``. Assumes L2-normalised, finite rows. The neighbours come from
    :func:`self_knn`: exact up to ``exact_up_to`` rows, the inverted-file graph above.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    n_neighbors : int, default 10
        Clipped to ``n_samples - 1``.
    power : float, default 3.0
        Sharpens the affinity (Iscen et al. use 3).
    exact_up_to : int, optional
        Default :data:`EXACT_UP_TO` (read at call time); see :func:`self_knn`.
    clusters : Clusters, optional
        A :func:`cluster_rows` of ``X`` to search with.
    index, ann_threshold, nprobe, recall_sample
        See :func:`self_knn`.

    Returns
    -------
    scipy.sparse.csr_matrix of shape (n_samples, n_samples), float64
        Symmetric, non-negative, zero diagonal, at most ``2 n n_neighbors`` entries, with a
        ``graph_recall`` attribute: the recall@10 of its approximate search (None if exact),
        and a ``node_order`` attribute: on the inverted-file path the rows in list order
        (:meth:`Clusters.lists`), an order in which graph neighbours are near each other
        (label spreading solves in it), else None.
    """
    n = X.shape[0]
    k = int(min(n_neighbors, n - 1))
    if k < 1:
        empty = sp.csr_matrix((n, n), dtype=np.float64)
        empty.graph_recall = None
        empty.node_order = None
        return empty
    sims, idx, recall, used = _self_knn(
        X,
        k + 1,
        exact_up_to=exact_up_to,
        nprobe=nprobe,
        clusters=clusters,
        index=index,
        ann_threshold=ann_threshold,
        recall_sample=recall_sample,
        seed=0,
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
    W.graph_recall = recall
    W.node_order = None if used is None else used.lists()[0]
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
    exact_up_to: int | None = None,
    clusters: Clusters | None = None,
    index: NeighbourIndex | None = None,
    ann_threshold: int | None = None,
    nprobe: int | None = None,
    recall_sample: int = 500,
) -> sp.csr_matrix:
    """The normalised kNN graph ``S`` used by label spreading.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), L2-normalised rows
    n_neighbors, power, exact_up_to, clusters, index, ann_threshold, nprobe, recall_sample
        See :func:`knn_affinity`.

    Returns
    -------
    scipy.sparse.csr_matrix of shape (n_samples, n_samples)
        ``normalize_graph(knn_affinity(X, ...))``, with its ``graph_recall`` and
        ``node_order`` attributes.
    """
    W = knn_affinity(
        X,
        n_neighbors=n_neighbors,
        power=power,
        exact_up_to=exact_up_to,
        clusters=clusters,
        index=index,
        ann_threshold=ann_threshold,
        nprobe=nprobe,
        recall_sample=recall_sample,
    )
    S = normalize_graph(W)
    S.graph_recall = W.graph_recall
    S.node_order = W.node_order
    return S
