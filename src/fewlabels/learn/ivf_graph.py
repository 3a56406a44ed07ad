"""The inverted-file kNN graph: near-linear approximate neighbours for every row of a pool.

A kNN graph is a self-join: every row's nearest rows among all rows. Exact search costs
O(n^2 d). Here the rows are partitioned into lists by k-means (an inverted file, Jegou,
Douze and Schmid, 2011, "Product Quantization for Nearest Neighbor Search", section 4)
whose size stays near :data:`LIST_SIZE` as the pool grows (``n_lists = n / LIST_SIZE``; no
list keeps more than ``2 LIST_SIZE`` rows, oversized ones are split); the members of each
list are then compared, as one dense block (``members @ candidates.T`` with faiss's BLAS
search), against the members of the lists whose centroids are nearest to their own, nearest
first, as many as fit in :data:`CANDIDATES` rows (:meth:`Clusters.probe_lists`). The work
per row is at most ``CANDIDATES * d`` whatever ``n`` (a fixed count of lists would follow the
average list size, which k-means leaves larger at 10^6 than at 10^5), so the graph costs
O(n) and memory holds the ``(n, k)`` scores and indices, one list-ordered copy of the rows
(below) and one block.

The k-means centroids are trained on a bounded sample (at most 64 rows per list) and rows
are assigned to them block by block (:func:`fewlabels.encode.blocks.iter_row_blocks`), so a
memory-mapped cache view is never read whole. Recall@10 against exact search is measured on
a sample of rows (:func:`graph_recall`). Everything is deterministic under ``seed``.

Memory locality: the lists are numbered so that lists near each other in space are near each
other in number (the sub-lists of one coarse list are adjacent, and coarse lists follow a
nearest-neighbour chain of their centroids, :func:`_number_lists`), and the self-join works
on one list-ordered copy of the rows, so that a list's members and its candidates are
contiguous slices of that copy rather than rows gathered at random from the whole pool
(:func:`ivf_self_knn`). The same order (:meth:`Clusters.lists`) serves label spreading's
solve (:func:`fewlabels.learn.label_spreading.spread_labels`).

This file runs past 400 lines because it is one algorithm whose steps share the
:class:`Clusters` layout: the partition (k-means, splits, list numbering), the list-ordered
self-join and its recall check; the saved partition is in ``ivf_store.py``.
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

#: Lists searched per list (its own and the nearest others) when a count of lists is asked
#: for (``nprobe=``); the default search probes by :data:`CANDIDATES` instead.
NPROBE = 8

#: Candidate rows per list searched by default (fixed work per row): a list is compared
#: against its own members and those of the lists nearest its centroid, nearest first, while
#: the total stays within this many rows (its own list always; at most :data:`MAX_PROBE`
#: lists). With lists of at most ``2 LIST_SIZE`` rows, every row meets at most this many
#: candidates whatever ``n``: the work per row does not grow with the pool (with a count of
#: lists it grows with the average list size, 370 rows at 10^5 against 556 at 10^6).
CANDIDATES = 6_000

#: The most lists one list probes under the :data:`CANDIDATES` budget.
MAX_PROBE = 32

#: Rounds of :func:`_split_large` (each splits every list over ``2 list_size`` rows by
#: k-means); a list still oversized after them is cut into equal slices (:func:`_cut`).
_SPLIT_ROUNDS = 3

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
    except ImportError as exc:  # faiss-cpu is a core dependency, but may be broken
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

    def probe_lists(
        self, *, nprobe: int | None = None, candidates: int | None = None
    ) -> np.ndarray:
        """The lists each list searches: a count of lists, or a budget of candidate rows.

        Parameters
        ----------
        nprobe : int, optional
            Alone: the ``nprobe`` nearest lists (:meth:`probes`). With ``candidates``: the
            most lists probed (default :data:`MAX_PROBE`).
        candidates : int, optional
            The nearest lists, own first, while their rows sum to at most ``candidates``
            (the own list always counts, whatever its size). Default when ``nprobe`` is
            None too: :data:`CANDIDATES` (read at call time).

        Returns
        -------
        ndarray of shape (n_lists, m), int64
            List numbers, nearest first, own first; ``-1`` pads rows that probe fewer.
        """
        if nprobe is not None and candidates is None:
            return self.probes(int(nprobe))
        budget = int(CANDIDATES if candidates is None else candidates)
        probes = self.probes(int(MAX_PROBE if nprobe is None else nprobe))
        if probes.shape[1] > 1:  # own list first (probes() holds it once, maybe last)
            own = np.arange(self.n_lists)[:, None]
            others = probes[probes != own].reshape(self.n_lists, -1)
            probes = np.hstack([own, others])
        sizes = np.bincount(np.asarray(self.assign), minlength=self.n_lists)
        total = np.cumsum(sizes[probes], axis=1)
        ok = total <= budget
        ok[:, 0] = True
        ok = np.logical_and.accumulate(ok, axis=1)  # nearest first: stop at the first miss
        return np.where(ok, probes, -1)


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
    parent = np.arange(len(centroids))
    for _ in range(_SPLIT_ROUNDS):  # a split can leave a sub-list oversized: split again
        before = len(centroids)
        centroids, assign, parent = _split_large(
            X, centroids, assign, parent, list_size, metric, seed
        )
        if len(centroids) == before:
            break
    centroids, assign, parent = _cut(X, centroids, assign, parent, list_size, metric)
    centroids, assign = _number_lists(centroids, assign, parent, metric)
    return Clusters(centroids=np.ascontiguousarray(centroids), assign=assign, metric=metric)


def _chain(points: np.ndarray, metric: str) -> np.ndarray:
    """A greedy nearest-neighbour path through ``points`` from the first: an order in which
    consecutive points are near each other. ``O(m^2 d)``, for a few hundred points."""
    m = len(points)
    if m <= 2:
        return np.arange(m)
    P = np.asarray(points, dtype=np.float64)
    near = P @ P.T if metric == "ip" else -((P[:, None, :] - P[None, :, :]) ** 2).sum(axis=2)
    seen = np.zeros(m, dtype=bool)
    path = np.empty(m, dtype=np.int64)
    cur = 0
    for step in range(m):
        path[step], seen[cur] = cur, True
        if step + 1 < m:
            cur = int(np.argmax(np.where(seen, -np.inf, near[cur])))
    return path


def _number_lists(
    centroids: np.ndarray, assign: np.ndarray, parent: np.ndarray, metric: str
) -> tuple[np.ndarray, np.ndarray]:
    """Renumber the lists so that near lists get near numbers (for memory locality).

    Lists that come from one first-level list (``parent``, by :func:`_split_large`) become
    adjacent; the first-level lists follow a nearest-neighbour chain of their mean
    centroids, and so do the sub-lists within each. The partition is the same (a
    relabelling of the lists); only the order of :meth:`Clusters.lists` changes, which
    :func:`ivf_self_knn` and label spreading's solve read as contiguous memory.
    """
    n_lists = len(centroids)
    if n_lists <= 1:
        return centroids, assign
    roots = np.unique(parent)
    pos = np.zeros((len(roots), centroids.shape[1]))
    root_of = np.searchsorted(roots, parent)
    np.add.at(pos, root_of, centroids)
    sequence: list[np.ndarray] = []
    for r in _chain(pos, metric):
        kids = np.flatnonzero(root_of == r)
        sequence.append(kids[_chain(centroids[kids], metric)])
    old_ids = np.concatenate(sequence)
    new_of_old = np.empty(n_lists, dtype=np.int64)
    new_of_old[old_ids] = np.arange(n_lists)
    return np.ascontiguousarray(centroids[old_ids]), new_of_old[assign]


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
    parent: np.ndarray,
    list_size: int,
    metric: str,
    seed: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split every list of more than ``2 list_size`` rows by k-means on its own rows.

    k-means on clustered data leaves some lists several times too large, and a list's
    cost grows with its size times its candidates'; splitting keeps each near
    ``list_size`` (a second level of the partition, Jegou et al. 2011's coarse quantiser).
    Returns the centroids, the assignment and each list's first-level list (``parent``,
    extended to the new sub-lists).
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
        parent = np.r_[parent, np.full(n_sub - 1, parent[c])]
        next_id += n_sub - 1
    if extra:
        centroids = np.vstack([centroids, *extra])
    return centroids, assign, parent


def _cut(
    X: np.ndarray,
    centroids: np.ndarray,
    assign: np.ndarray,
    parent: np.ndarray,
    list_size: int,
    metric: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut every list still over ``2 list_size`` rows into slices of about ``list_size``.

    The last resort after :func:`_split_large` (k-means cannot split duplicated rows): the
    list's rows are sorted along the direction from its centroid to its farthest row and cut
    into ``ceil(size / list_size)`` equal slices, each with its mean as centroid. Afterwards
    no list holds more than ``2 list_size`` rows, which bounds the work of any one row.
    """
    sizes = np.bincount(assign, minlength=len(centroids))
    extra: list[np.ndarray] = []
    next_id = len(centroids)
    for c in np.flatnonzero(sizes > 2 * list_size):
        rows = np.flatnonzero(assign == c)
        R = np.asarray(X[rows], dtype=np.float64)
        off = R - R.mean(axis=0)
        far = off[int(np.argmax((off**2).sum(axis=1)))]
        slices = np.array_split(
            rows[np.argsort(off @ far, kind="stable")], -(-rows.size // list_size)
        )
        ids = np.r_[c, np.arange(next_id, next_id + len(slices) - 1)]
        subs = np.empty((len(slices), X.shape[1]), dtype=np.float32)
        for j, (i, part) in enumerate(zip(ids, slices, strict=True)):
            assign[part] = i
            mean = np.asarray(X[np.sort(part)], dtype=np.float64).mean(axis=0)
            if metric == "ip":
                mean /= max(float(np.linalg.norm(mean)), 1e-12)
            subs[j] = mean
        centroids[c] = subs[0]
        extra.append(subs[1:])
        parent = np.r_[parent, np.full(len(slices) - 1, parent[c])]
        next_id += len(slices) - 1
    if extra:
        centroids = np.vstack([centroids, *extra])
    return centroids, assign, parent


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
    nprobe: int | None = None,
    candidates: int | None = None,
    metric: str = "ip",
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Approximate ``k`` nearest rows of every row of ``X`` (itself included), in O(n).

    Each list's members are searched exactly against the members of the lists nearest to
    the list's centroid (:meth:`Clusters.probe_lists`): by default as many as fit in
    :data:`CANDIDATES` rows, so the work per row is bounded whatever ``n``; with ``nprobe``
    alone, that many lists (``nprobe >= n_lists`` is exact). Assumes finite rows (unit norm
    for ``metric="ip"``).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        In memory or a memmap; copied once into list order (:func:`list_ordered`,
        ``n x n_features`` float32), so that each list's members and candidates are
        contiguous slices of the copy.
    k : int
        Neighbours per row (the row itself is normally the first); clipped to ``n``.
    clusters : Clusters, optional
        A :func:`cluster_rows` of ``X`` (built with ``metric`` and ``seed`` otherwise).
    nprobe : int, optional
        Lists probed per list (see :meth:`Clusters.probe_lists`); None: the budget rule.
    candidates : int, optional
        Candidate rows per list; default :data:`CANDIDATES` when ``nprobe`` is None.
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
    faiss = _faiss()
    n = X.shape[0]
    k = int(min(k, n))
    clusters = clusters if clusters is not None else cluster_rows(X, metric=metric, seed=seed)
    order, starts = clusters.lists()
    probes = clusters.probe_lists(nprobe=nprobe, candidates=candidates)
    Xs = list_ordered(X, order)
    fmetric = faiss.METRIC_INNER_PRODUCT if clusters.metric == "ip" else faiss.METRIC_L2
    # Answers in list order first (row ``order[p]`` at position ``p``), scattered at the end.
    s_at, p_at = _empty(n, k, clusters.metric)
    for c in range(clusters.n_lists):
        a, b = int(starts[c]), int(starts[c + 1])
        if a == b:
            continue
        runs = _runs(starts, probes[c])
        C = Xs[runs[0][0] : runs[0][1]] if len(runs) == 1 else _stack(Xs, runs)
        kk = int(min(k, len(C)))
        s, i = faiss.knn(Xs[a:b], C, kk, metric=fmetric)
        s_at[a:b, :kk] = s
        p_at[a:b, :kk] = _positions(runs)[i] if len(runs) > 1 else i + runs[0][0]
    del Xs
    scores, idx = _empty(n, k, clusters.metric)
    scores[order] = s_at
    idx[order] = np.where(p_at >= 0, order[np.maximum(p_at, 0)], -1)
    return scores, idx


def list_ordered(X: np.ndarray, order: np.ndarray, *, block_rows: int = 65_536) -> np.ndarray:
    """``X[order]`` as a C-contiguous float32 copy, gathered block by block.

    ``X`` itself (no copy) when ``order`` is the identity and ``X`` is already a
    contiguous float32 array. The copy costs ``n x n_features x 4`` bytes: the one extra
    matrix of :func:`ivf_self_knn`, in exchange for contiguous reads of every list.
    """
    n = X.shape[0]
    if (
        isinstance(X, np.ndarray)
        and not isinstance(X, np.memmap)
        and X.dtype == np.float32
        and X.flags.c_contiguous
        and bool(np.all(order == np.arange(n)))
    ):
        return X
    out = np.empty((n, X.shape[1]), dtype=np.float32)
    for a in range(0, n, block_rows):
        out[a : a + block_rows] = X[order[a : a + block_rows]]
    return out


def _runs(starts: np.ndarray, lists: np.ndarray) -> list[tuple[int, int]]:
    """The position ranges of ``lists`` in list order, adjacent lists merged."""
    runs: list[tuple[int, int]] = []
    for p in np.sort(lists[lists >= 0]):
        a, b = int(starts[p]), int(starts[p + 1])
        if a == b:
            continue
        if runs and runs[-1][1] == a:
            runs[-1] = (runs[-1][0], b)
        else:
            runs.append((a, b))
    return runs


def _stack(Xs: np.ndarray, runs: list[tuple[int, int]]) -> np.ndarray:
    return np.concatenate([Xs[a:b] for a, b in runs])


def _positions(runs: list[tuple[int, int]]) -> np.ndarray:
    return np.concatenate([np.arange(a, b) for a, b in runs])


def graph_recall(
    X: np.ndarray,
    clusters: Clusters,
    *,
    nprobe: int | None = None,
    candidates: int | None = None,
    k: int = 10,
    sample: int = 500,
    seed: int = 0,
) -> float:
    """Recall@k of :func:`ivf_self_knn` against exact search, on ``sample`` rows of ``X``.

    The sampled rows are searched as the graph searches them (their list's probed lists,
    :meth:`Clusters.probe_lists` with ``nprobe`` and ``candidates``) and exactly (every row, block by block); a returned neighbour counts as found
    when its score reaches the exact ``k``-th score (ties are not held against the
    search). The row itself counts as one of the ``k``, as in
    :func:`fewlabels.encode.index.recall_at_k`.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    clusters : Clusters
        The partition the graph was searched with.
    nprobe, candidates : int, optional
        As :func:`ivf_self_knn`.
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
    probes = clusters.probe_lists(nprobe=nprobe, candidates=candidates)
    approx, _ = _empty(len(rows), k, clusters.metric)
    lists = clusters.assign[rows]
    for c in np.unique(lists):
        at = np.flatnonzero(lists == c)
        cand = np.sort(
            np.concatenate([order[starts[p] : starts[p + 1]] for p in probes[c] if p >= 0])
        )
        s, _, kk = _block_knn(X, rows[at], cand, k, clusters.metric)
        approx[at, :kk] = s
    Q = np.ascontiguousarray(X[rows], dtype=np.float32)
    exact, _ = exact_knn(X, Q, k, metric=clusters.metric)
    if clusters.metric == "ip":
        found = approx >= exact[:, -1:] - 1e-5
    else:
        found = approx <= exact[:, -1:] + 1e-5
    return float(found.sum() / (len(rows) * k))
