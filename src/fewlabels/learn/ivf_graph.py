"""The inverted-file kNN graph: near-linear approximate neighbours for every row of a pool.

A kNN graph is a self-join: every row's nearest rows among all rows. Exact search costs
O(n^2 d). Here the rows are partitioned into lists by k-means (an inverted file, Jegou,
Douze and Schmid, 2011, "Product Quantization for Nearest Neighbor Search", section 4)
whose size stays near :data:`LIST_SIZE` as the pool grows (``n_lists = n / LIST_SIZE``);
the members of each list are then compared, as one dense block (``members @ candidates.T``
with faiss's BLAS search), against the members of the ``nprobe`` lists whose centroids are
nearest to their own. The work per row is ``nprobe * LIST_SIZE * d`` whatever ``n``, so the
graph costs O(n) and memory holds only the ``(n, k)`` scores and indices (plus one block).

The k-means centroids are trained on a bounded sample (at most 64 rows per list) and rows
are assigned to them block by block (:func:`fewlabels.encode.blocks.iter_row_blocks`), so a
memory-mapped cache view is never read whole. Recall@10 against exact search is measured on
a sample of rows (:func:`graph_recall`). Everything is deterministic under ``seed``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from fewlabels.encode.blocks import iter_row_blocks
from fewlabels.encode.index import exact_knn
from fewlabels.errors import FewlabelsError, MissingExtraError

#: Rows per inverted list aimed at (``n_lists = ceil(n / LIST_SIZE)``): the work per row
#: is ``nprobe * LIST_SIZE`` inner products at any pool size.
LIST_SIZE = 1_000

#: Lists searched per list (its own and the nearest others).
NPROBE = 8

#: k-means training rows per list (a bounded sample; faiss needs 39 at least).
_TRAIN_PER_LIST = 64

#: Above this many lists the partition is built in two levels: k-means into
#: ``ceil(sqrt(n_lists))`` coarse lists, then each coarse list split by k-means on its own rows
#: (:func:`_split_large`). One level costs ``n x n_lists x d`` to assign and
#: ``64 n_lists x n_lists x d`` to train, both quadratic in ``n`` when the lists keep their size;
#: two levels cost about ``n x 2 sqrt(n_lists) x d``.
TWO_LEVEL_ABOVE = 256

_METRICS = ("ip", "l2")


def _faiss() -> Any:
    try:
        import faiss
    except ImportError as exc:  # pragma: no cover - faiss-cpu is a core dependency
        raise MissingExtraError("The kNN graph needs faiss: pip install faiss-cpu") from exc
    return faiss


@dataclass(frozen=True)
class Clusters:
    """A coarse partition of the indexed rows for approximate search (an inverted file).

    Attributes
    ----------
    centroids : ndarray of shape (n_lists, n_features)
        k-means centroids (spherical, unit norm, for ``metric="ip"``).
    assign : ndarray of shape (n_base,)
        The list of each indexed row.
    metric : {"ip", "l2"}, default "ip"
        Inner product (cosine on unit rows) or squared Euclidean distance.
    """

    centroids: np.ndarray
    assign: np.ndarray
    metric: str = "ip"

    @property
    def n_lists(self) -> int:
        """Number of lists."""
        return len(self.centroids)

    def lists(self) -> tuple[np.ndarray, np.ndarray]:
        """Rows sorted by list (stable) and where each list starts, shape (n_lists + 1,)."""
        order = np.argsort(self.assign, kind="stable")
        starts = np.searchsorted(self.assign[order], np.arange(self.n_lists + 1))
        return order, starts

    def probes(self, nprobe: int) -> np.ndarray:
        """The ``nprobe`` lists nearest each list's centroid, its own first.

        Returns
        -------
        ndarray of shape (n_lists, min(nprobe, n_lists)), int64
        """
        nprobe = int(min(nprobe, self.n_lists))
        _, probes = _flat(self.centroids, self.metric).search(self.centroids, nprobe)
        own = np.arange(self.n_lists)
        # A list always searches itself (a duplicated centroid could push it out).
        missing = ~(probes == own[:, None]).any(axis=1)
        probes[missing, -1] = own[missing]
        return probes.astype(np.int64)


def _flat(centroids: np.ndarray, metric: str) -> Any:
    faiss = _faiss()
    flat = (
        faiss.IndexFlatIP(centroids.shape[1])
        if metric == "ip"
        else faiss.IndexFlatL2(centroids.shape[1])
    )
    flat.add(np.ascontiguousarray(centroids, dtype=np.float32))
    return flat


def _check_metric(metric: str) -> None:
    if metric not in _METRICS:
        raise FewlabelsError(
            f"The inverted-file graph expected metric 'ip' (inner product, cosine on unit "
            f"rows) or 'l2' (squared Euclidean), but got {metric!r}."
        )


def default_n_lists(n: int, *, list_size: int | None = None) -> int:
    """``ceil(n / list_size)`` lists, at most ``n / 39`` (faiss's training minimum), >= 1.

    ``list_size`` defaults to :data:`LIST_SIZE`, read at call time.
    """
    size = int(LIST_SIZE if list_size is None else list_size)
    return int(max(1, min(math.ceil(n / size), n // 39)))


def cluster_rows(
    X: np.ndarray,
    *,
    n_lists: int | None = None,
    list_size: int | None = None,
    metric: str = "ip",
    seed: int = 0,
    block_rows: int = 65_536,
) -> Clusters:
    """Partition rows by k-means (faiss), trained on a bounded sample, assigned in blocks.

    Parameters
    ----------
    X : ndarray of shape (n, n_features), finite
        In memory or a read-only memmap (read in blocks of ``block_rows``).
    n_lists : int, optional
        Default :func:`default_n_lists` (``ceil(n / list_size)``), so lists keep their
        size as ``n`` grows; above :data:`TWO_LEVEL_ABOVE` lists the default partition is
        built in two levels (``ceil(sqrt(n_lists))`` coarse lists, each split to about
        ``list_size`` rows). A given ``n_lists`` is one level of that many lists (before
        the split of oversized lists).
    list_size : int, optional
        Rows per list aimed at; default :data:`LIST_SIZE` (read at call time). Lists of
        more than twice this are split by a second k-means on their own rows.
    metric : {"ip", "l2"}, default "ip"
        ``"ip"``: spherical k-means (unit centroids) for unit rows; ``"l2"``: plain k-means.
    seed : int, default 0
        Seeds the training sample and k-means.
    block_rows : int, default 65,536

    Returns
    -------
    Clusters
    """
    _check_metric(metric)
    faiss = _faiss()
    n, d = X.shape
    list_size = int(LIST_SIZE if list_size is None else list_size)
    asked = n_lists is not None
    n_lists = int(max(1, min(n_lists or default_n_lists(n, list_size=list_size), n)))
    if not asked and n_lists > TWO_LEVEL_ABOVE:
        # two levels: coarse lists here, each split into lists of about list_size below
        n_lists = math.ceil(math.sqrt(n_lists))
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(n, min(n, _TRAIN_PER_LIST * n_lists), replace=False))
    sample = np.ascontiguousarray(X[rows], dtype=np.float32)
    if n_lists == 1:
        centroids = sample.mean(axis=0, keepdims=True)
        if metric == "ip":
            centroids /= max(float(np.linalg.norm(centroids)), 1e-12)
    else:
        km = faiss.Kmeans(d, n_lists, niter=10, seed=seed, spherical=metric == "ip", verbose=False)
        km.train(sample)
        centroids = np.ascontiguousarray(km.centroids, dtype=np.float32)
    assign = _assign(X, centroids, metric, block_rows)
    for _ in range(2):  # a split can leave a sub-list oversized: split once more
        centroids, assign = _split_large(X, centroids, assign, list_size, metric, seed)
    return Clusters(centroids=np.ascontiguousarray(centroids), assign=assign, metric=metric)


def _assign(X: np.ndarray, centroids: np.ndarray, metric: str, block_rows: int) -> np.ndarray:
    """The nearest centroid of each row, reading ``X`` block by block."""
    flat = _flat(centroids, metric)
    assign = np.empty(X.shape[0], dtype=np.int64)
    start = 0
    for block in iter_row_blocks(X, rows=block_rows):
        _, a = flat.search(np.ascontiguousarray(block, dtype=np.float32), 1)
        assign[start : start + len(block)] = a[:, 0]
        start += len(block)
    return assign


def _split_large(
    X: np.ndarray,
    centroids: np.ndarray,
    assign: np.ndarray,
    list_size: int,
    metric: str,
    seed: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Split every list of more than ``2 list_size`` rows by k-means on its own rows.

    k-means on clustered data leaves some lists several times too large, and a list's
    cost grows with its size times its candidates'; splitting keeps each near
    ``list_size`` (a second level of the partition, Jegou et al. 2011's coarse quantiser).
    """
    faiss = _faiss()
    sizes = np.bincount(assign, minlength=len(centroids))
    extra: list[np.ndarray] = []
    next_id = len(centroids)
    rng = np.random.default_rng(seed + 2)
    for c in np.flatnonzero(sizes > 2 * list_size):
        rows = np.flatnonzero(assign == c)
        n_sub = int(min(math.ceil(rows.size / list_size), rows.size // 39))
        if n_sub < 2:
            continue
        train = np.sort(rng.choice(rows, min(rows.size, _TRAIN_PER_LIST * n_sub), replace=False))
        km = faiss.Kmeans(
            X.shape[1], n_sub, niter=10, seed=seed, spherical=metric == "ip", verbose=False
        )
        km.train(np.ascontiguousarray(X[train], dtype=np.float32))
        sub = np.ascontiguousarray(km.centroids, dtype=np.float32)
        _, a = _flat(sub, metric).search(np.ascontiguousarray(X[rows], dtype=np.float32), 1)
        # The first sub-list keeps the list's number; the others are appended.
        ids = np.r_[c, np.arange(next_id, next_id + n_sub - 1)]
        assign[rows] = ids[a[:, 0]]
        centroids[c] = sub[0]
        extra.append(sub[1:])
        next_id += n_sub - 1
    if extra:
        centroids = np.vstack([centroids, *extra])
    return centroids, assign


def _empty(n: int, k: int, metric: str) -> tuple[np.ndarray, np.ndarray]:
    fill = -np.inf if metric == "ip" else np.inf
    return np.full((n, k), fill, dtype=np.float32), np.full((n, k), -1, dtype=np.int64)


def _block_knn(
    X: np.ndarray, members: np.ndarray, cand: np.ndarray, k: int, metric: str
) -> tuple[np.ndarray, np.ndarray, int]:
    """Exact ``k`` nearest of ``X[members]`` among ``X[cand]`` (one dense BLAS block)."""
    faiss = _faiss()
    Q = np.ascontiguousarray(X[members], dtype=np.float32)
    C = np.ascontiguousarray(X[cand], dtype=np.float32)
    kk = int(min(k, cand.size))
    fmetric = faiss.METRIC_INNER_PRODUCT if metric == "ip" else faiss.METRIC_L2
    s, i = faiss.knn(Q, C, kk, metric=fmetric)
    return s, cand[i], kk


def ivf_self_knn(
    X: np.ndarray,
    k: int,
    *,
    clusters: Clusters | None = None,
    nprobe: int = NPROBE,
    metric: str = "ip",
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Approximate ``k`` nearest rows of every row of ``X`` (itself included), in O(n).

    Each list's members are searched exactly against the members of the ``nprobe`` lists
    nearest to the list's centroid (:meth:`Clusters.probes`); with ``nprobe >= n_lists``
    the answer is exact. Assumes finite rows (unit norm for ``metric="ip"``).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        In memory or a memmap (only one list's block is copied at a time).
    k : int
        Neighbours per row (the row itself is normally the first); clipped to ``n``.
    clusters : Clusters, optional
        A :func:`cluster_rows` of ``X`` (built with ``metric`` and ``seed`` otherwise).
    nprobe : int, default :data:`NPROBE`
    metric : {"ip", "l2"}, default "ip"
    seed : int, default 0

    Returns
    -------
    scores : ndarray of shape (n_samples, k), float32
        Inner products best first (``-inf`` where fewer than ``k`` were found), or squared
        distances nearest first (``inf`` there) for ``metric="l2"``.
    idx : ndarray of shape (n_samples, k), int64
        Row indices; ``-1`` where none was found.
    """
    _check_metric(metric)
    n = X.shape[0]
    k = int(min(k, n))
    clusters = clusters if clusters is not None else cluster_rows(X, metric=metric, seed=seed)
    scores, idx = _empty(n, k, clusters.metric)
    order, starts = clusters.lists()
    probes = clusters.probes(nprobe)
    for c in range(clusters.n_lists):
        members = order[starts[c] : starts[c + 1]]
        if members.size == 0:
            continue
        cand = np.sort(np.concatenate([order[starts[p] : starts[p + 1]] for p in probes[c]]))
        s, i, kk = _block_knn(X, members, cand, k, clusters.metric)
        scores[members, :kk], idx[members, :kk] = s, i
    return scores, idx


def graph_recall(
    X: np.ndarray,
    clusters: Clusters,
    *,
    nprobe: int = NPROBE,
    k: int = 10,
    sample: int = 500,
    seed: int = 0,
) -> float:
    """Recall@k of :func:`ivf_self_knn` against exact search, on ``sample`` rows of ``X``.

    The sampled rows are searched as the graph searches them (their list's ``nprobe``
    lists) and exactly (every row, block by block); a returned neighbour counts as found
    when its score reaches the exact ``k``-th score (ties are not held against the
    search). The row itself counts as one of the ``k``, as in
    :func:`fewlabels.encode.index.recall_at_k`.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    clusters : Clusters
        The partition the graph was searched with.
    nprobe : int, default :data:`NPROBE`
    k : int, default 10
    sample : int, default 500
    seed : int, default 0

    Returns
    -------
    float
        In ``[0, 1]``.
    """
    n = X.shape[0]
    k = int(min(k, n))
    rows = np.sort(np.random.default_rng(seed + 1).choice(n, min(n, int(sample)), replace=False))
    order, starts = clusters.lists()
    probes = clusters.probes(nprobe)
    approx, _ = _empty(len(rows), k, clusters.metric)
    lists = clusters.assign[rows]
    for c in np.unique(lists):
        at = np.flatnonzero(lists == c)
        cand = np.sort(np.concatenate([order[starts[p] : starts[p + 1]] for p in probes[c]]))
        s, _, kk = _block_knn(X, rows[at], cand, k, clusters.metric)
        approx[at, :kk] = s
    Q = np.ascontiguousarray(X[rows], dtype=np.float32)
    exact, _ = exact_knn(X, Q, k, metric=clusters.metric)
    if clusters.metric == "ip":
        found = approx >= exact[:, -1:] - 1e-5
    else:
        found = approx <= exact[:, -1:] + 1e-5
    return float(found.sum() / (len(rows) * k))
