"""Typicality-based cold start: TypiClust.

Hacohen, Dekel and Weinshall, "Active Learning on a Budget: Opposite Strategies Suit
High and Low Budgets", ICML 2022. With few or no labels, the most useful items are
*typical* ones: cluster the pool into (labelled + batch) clusters, then take the most
typical point of the largest clusters that hold no label yet. Typicality is the inverse
mean distance to a point's k nearest neighbours within its cluster.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fewlabels._validation import check_batch_size
from fewlabels.active._faiss import threads_for
from fewlabels.active.base import Strategy
from fewlabels.active.dedup import DEFAULT_DEDUP_THRESHOLD
from fewlabels.encode.index import IndexSettings, build_index, cache_source
from fewlabels.learn.ivf_graph import ivf_self_knn
from fewlabels.learn.ivf_store import ivf_partition
from fewlabels.learn.knn_graph import uses_index, uses_ivf
from fewlabels.typing import BoolArray, FloatArray, IntArray, SeedLike

#: Neighbours used for typicality (the paper uses 20).
DEFAULT_K: int = 20


def typicality(X: FloatArray, *, k: int = DEFAULT_K) -> FloatArray:
    """Inverse mean Euclidean distance to each row's ``k`` nearest other rows.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    k : int
        Neighbours; capped at ``n_samples - 1``.

    Returns
    -------
    ndarray of shape (n_samples,), float64
        Higher is denser. A lone row gets 1.

    Notes
    -----
    Above :data:`fewlabels.learn.knn_graph.EXACT_UP_TO` rows the neighbours come from the
    inverted-file self-join of :mod:`fewlabels.learn.ivf_graph` (squared Euclidean, O(n));
    above :data:`fewlabels.learn.knn_graph.ANN_ABOVE` rows, when that is set, from a faiss
    HNSW index; else from exact search. When ``X`` is the embedding cache's memmap, the
    inverted file's partition (squared Euclidean, raw rows) is saved beside the cache and
    read back by the next call (:func:`fewlabels.learn.ivf_store.ivf_partition`), as label
    spreading does with its own (centred, inner-product) partition.
    """
    source = cache_source(X)  # before the copy below, which loses the memmap
    Xf = np.ascontiguousarray(X, dtype=np.float32)
    n = Xf.shape[0]
    k_eff = min(int(k), n - 1)
    if k_eff < 1:
        return np.ones(n, dtype=np.float64)
    if uses_index(n) or uses_ivf(n):
        if uses_index(n):
            index = build_index(Xf, settings=IndexSettings(metric="l2"))
            d2_all, idx = index.search(Xf, k_eff + 1)
        else:
            clusters = ivf_partition(Xf, source=source, transform="raw", metric="l2")
            d2_all, idx = ivf_self_knn(Xf, k_eff + 1, clusters=clusters, metric="l2")
        # Drop each row itself; a row the index did not return first loses its farthest.
        drop = idx == np.arange(n)[:, None]
        drop[~drop.any(axis=1), -1] = True
        drop &= np.cumsum(drop, axis=1) == 1
        d2_all = np.where(np.isfinite(d2_all), d2_all, np.nan)
        mean_dist = np.nanmean(
            np.sqrt(np.maximum(d2_all[~drop].reshape(n, k_eff).astype(np.float64), 0.0)), axis=1
        )
        return 1.0 / (mean_dist + 1e-8)
    with threads_for(float(n) * n * Xf.shape[1]) as faiss:
        index = faiss.IndexFlatL2(Xf.shape[1])
        index.add(Xf)
        d2, _ = index.search(Xf, k_eff + 1)
    # Column 0 is the row itself (or an exact duplicate, also at distance 0).
    mean_dist = np.sqrt(np.maximum(d2[:, 1:].astype(np.float64), 0.0)).mean(axis=1)
    return 1.0 / (mean_dist + 1e-8)


def kmeans_labels(X: FloatArray, n_clusters: int, *, random_state: SeedLike = None) -> IntArray:
    """Cluster ``X`` with faiss k-means and return each row's cluster.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    n_clusters : int
        At most ``n_samples``.
    random_state : int, Generator or None

    Returns
    -------
    ndarray of shape (n_samples,), int64
    """
    Xf = np.ascontiguousarray(X, dtype=np.float32)
    n_clusters = max(1, min(int(n_clusters), Xf.shape[0]))
    if n_clusters == 1:
        return np.zeros(Xf.shape[0], dtype=np.int64)
    seed = int(np.random.default_rng(random_state).integers(0, 2**31 - 1))
    niter = 20
    with threads_for(float(niter) * Xf.shape[0] * n_clusters * Xf.shape[1]) as faiss:
        km = faiss.Kmeans(
            Xf.shape[1],
            n_clusters,
            niter=niter,
            seed=seed,
            verbose=False,
            min_points_per_centroid=1,
            max_points_per_centroid=1_000_000,
        )
        km.train(Xf)
        _, assign = km.index.search(Xf, 1)
    return assign[:, 0].astype(np.int64)


def typiclust_select(
    X: FloatArray,
    labeled_mask: BoolArray,
    n: int,
    *,
    k: int = DEFAULT_K,
    max_clusters: int = 500,
    random_state: SeedLike = None,
) -> IntArray:
    """Select ``n`` typical points from the largest clusters without labels.

    Hacohen et al. (2022), TypiClust: cluster the pool into
    ``min(n_labeled + n, max_clusters)`` k-means clusters; repeatedly visit the cluster
    with the fewest labelled-or-chosen points (ties: the largest first, so a tiny cluster,
    which the paper skips below 5 points, comes after every larger one with as few labels)
    and take its most typical
    unlabelled point. When every cluster is used up, the most typical remaining points
    fill the batch. Assumes valid input.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    labeled_mask : ndarray of shape (n_samples,), bool
    n : int
        At most the number of unlabelled rows.
    k : int
        Neighbours for :func:`typicality`.
    max_clusters : int
        Caps the number of k-means clusters.
    random_state : int, Generator or None
        Seeds k-means.

    Returns
    -------
    ndarray of shape (n,), int64
    """
    n_samples = X.shape[0]
    n_clusters = min(int(labeled_mask.sum()) + n, max_clusters, n_samples)
    assign = kmeans_labels(X, n_clusters, random_state=random_state)
    n_found = int(assign.max()) + 1
    sizes = np.bincount(assign, minlength=n_found)
    used = np.bincount(assign[labeled_mask], minlength=n_found)
    taken = labeled_mask.copy()
    picked: list[int] = []
    typ_cache: dict[int, tuple[IntArray, FloatArray]] = {}
    alive = sizes > 0
    while len(picked) < n and alive.any():
        # Fewest labels first, then the largest.
        key = np.lexsort((-sizes, used))
        c = next(int(i) for i in key if alive[i])
        if c not in typ_cache:
            rows = np.flatnonzero(assign == c)
            typ_cache[c] = (rows, typicality(X[rows], k=k))
        members, typ = typ_cache[c]
        free = ~taken[members]
        if not free.any():
            alive[c] = False
            continue
        best = int(members[free][np.argmax(typ[free])])
        picked.append(best)
        taken[best] = True
        used[c] += 1
    if len(picked) < n:
        rest = np.flatnonzero(~taken)
        typ_all = typicality(X, k=k)[rest]
        picked.extend(rest[np.argsort(-typ_all, kind="stable")][: n - len(picked)].tolist())
    return np.asarray(picked, dtype=np.int64)


class TypiClust(Strategy):
    """Typical points of the largest unlabelled clusters: the cold-start strategy.

    Hacohen, Dekel and Weinshall, ICML 2022. ``score`` is each row's typicality over
    the whole pool (:func:`typicality`); ``select`` runs :func:`typiclust_select`. One
    point per cluster keeps the batch diverse, so ``dedup_threshold`` is kept only for
    the common interface. Does not use ``proba``.

    Parameters
    ----------
    k : int, default=20
        Neighbours for typicality.
    max_clusters : int, default=500
        Caps the number of k-means clusters.
    dedup_threshold : float or None, default=0.99
    """

    name = "typiclust"

    def __init__(
        self,
        *,
        k: int = DEFAULT_K,
        max_clusters: int = 500,
        dedup_threshold: float | None = DEFAULT_DEDUP_THRESHOLD,
    ) -> None:
        super().__init__(dedup_threshold=dedup_threshold)
        self.k = k
        self.max_clusters = max_clusters

    def _check(
        self, X: Any, proba: Any, labeled_mask: Any
    ) -> tuple[FloatArray, FloatArray | None, BoolArray]:
        check_batch_size(self.k, name="k", what="neighbours for typicality")
        check_batch_size(self.max_clusters, name="max_clusters", what="a cap on k-means clusters")
        return super()._check(X, proba, labeled_mask)

    def _score(
        self, X: FloatArray, proba: FloatArray | None, labeled_mask: BoolArray
    ) -> FloatArray:
        return typicality(X, k=self.k)

    def _select(
        self,
        X: FloatArray,
        proba: FloatArray | None,
        labeled_mask: BoolArray,
        n: int,
        rng: np.random.Generator,
    ) -> IntArray:
        return typiclust_select(
            X, labeled_mask, n, k=self.k, max_clusters=self.max_clusters, random_state=rng
        )
