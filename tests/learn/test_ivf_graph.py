"""The inverted-file kNN graph: recall, exactness when every list is probed, the threshold."""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fewlabels.errors import FewlabelsError
from fewlabels.learn.features import l2_rows
from fewlabels.learn.ivf_graph import (
    cluster_rows,
    default_n_lists,
    graph_recall,
    ivf_self_knn,
)
from fewlabels.learn.knn_graph import knn_affinity, knn_graph, self_knn, uses_ivf
from fewlabels.learn.label_spreading import LabelSpreading
from fewlabels.learn.self_training import SelfTraining
from learn.learn_helpers import blobs, hide

# ``fewlabels.learn.knn_graph`` the package attribute is the function; the module holds
# EXACT_UP_TO.
KG = importlib.import_module("fewlabels.learn.knn_graph")


def manifold(n: int = 3000, dim: int = 32, n_clusters: int = 6, seed: int = 0) -> np.ndarray:
    """Unit rows spread along a 4-d subspace per cluster: real neighbour structure."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n_clusters, dim))
    basis = rng.standard_normal((n_clusters, 4, dim)) * 0.3
    lab = rng.integers(0, n_clusters, n)
    X = centres[lab] + np.einsum("ni,nid->nd", rng.standard_normal((n, 4)), basis[lab])
    X += 0.01 * rng.standard_normal((n, dim))
    return l2_rows(X).astype(np.float32)


def exact_neighbours(X: np.ndarray, k: int, metric: str = "ip") -> tuple[np.ndarray, np.ndarray]:
    if metric == "ip":
        full = X @ X.T
        idx = np.argsort(-full, axis=1, kind="stable")[:, :k]
    else:
        full = ((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=2)
        idx = np.argsort(full, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(full, idx, axis=1), idx


def test_default_lists_keep_their_size_as_the_pool_grows() -> None:
    assert default_n_lists(1000, list_size=100) == 10
    assert default_n_lists(1001, list_size=100) == 11  # ceil, never a list above list_size
    assert default_n_lists(10**6) == 1000
    assert default_n_lists(10**5) == 100
    assert default_n_lists(500, list_size=10) == 12  # at most n // 39 (faiss's minimum)
    assert default_n_lists(10) == 1


def test_recall_on_clustered_data_reaches_the_bound() -> None:
    X = manifold()
    clusters = cluster_rows(X, list_size=100)
    assert clusters.n_lists >= 30
    recall = graph_recall(X, clusters, nprobe=8, sample=300)
    assert recall >= 0.9
    # The recall measured against a brute-force answer agrees with graph_recall's.
    sims, _idx = ivf_self_knn(X, 10, clusters=clusters, nprobe=8)
    ex_s, _ = exact_neighbours(X, 10)
    brute = float((sims >= ex_s[:, -1:] - 1e-5).mean())
    assert abs(brute - recall) < 0.05
    # Fewer probes find fewer true neighbours.
    assert graph_recall(X, clusters, nprobe=1, sample=300) < recall


@pytest.mark.parametrize("metric", ["ip", "l2"])
def test_probing_every_list_is_exact(metric: str) -> None:
    X = manifold(600, 16)
    clusters = cluster_rows(X, list_size=50, metric=metric)
    assert clusters.n_lists > 1
    sims, idx = ivf_self_knn(X, 7, clusters=clusters, nprobe=clusters.n_lists)
    ex_s, ex_i = exact_neighbours(X.astype(np.float64), 7, metric)
    np.testing.assert_allclose(sims, ex_s, atol=1e-4)
    np.testing.assert_array_equal(np.sort(idx, axis=1), np.sort(ex_i, axis=1))
    assert graph_recall(X, clusters, nprobe=clusters.n_lists) == 1.0


def test_every_row_finds_itself_first_and_scores_are_sorted() -> None:
    X = manifold(1000, 16)
    sims, idx = ivf_self_knn(X, 5, clusters=cluster_rows(X, list_size=50), nprobe=2)
    np.testing.assert_array_equal(idx[:, 0], np.arange(len(X)))
    assert np.all(np.diff(sims, axis=1) <= 1e-6)
    assert idx.dtype == np.int64 and sims.dtype == np.float32


def test_too_few_candidates_are_padded_like_exact_search() -> None:
    X = manifold(200, 8)
    clusters = cluster_rows(X, n_lists=5, list_size=10**6)  # lists of ~40 rows
    sims, idx = ivf_self_knn(X, 150, clusters=clusters, nprobe=1)
    assert np.all((idx == -1) == np.isneginf(sims))
    assert (idx == -1).any() and np.all(idx[:, 0] >= 0)


def test_oversized_lists_are_split() -> None:
    X = manifold(1000, 16)
    clusters = cluster_rows(X, n_lists=1, list_size=100)
    sizes = np.bincount(clusters.assign, minlength=clusters.n_lists)
    assert clusters.n_lists == 10
    assert sizes.sum() == 1000 and sizes.min() > 0
    assert clusters.assign.max() == clusters.n_lists - 1


def test_the_partition_is_deterministic_under_a_seed() -> None:
    X = manifold(2000, 16)
    a, b = cluster_rows(X, list_size=100, seed=3), cluster_rows(X, list_size=100, seed=3)
    np.testing.assert_array_equal(a.assign, b.assign)
    np.testing.assert_array_equal(a.centroids, b.centroids)
    assert not np.array_equal(a.centroids, cluster_rows(X, list_size=100, seed=4).centroids)
    np.testing.assert_array_equal(
        ivf_self_knn(X, 5, clusters=a, nprobe=3)[1], ivf_self_knn(X, 5, clusters=b, nprobe=3)[1]
    )


def test_a_memory_mapped_pool_gives_the_same_partition(tmp_path: Path) -> None:
    X = manifold(1500, 16)
    np.save(tmp_path / "x.npy", X)
    mm = np.load(tmp_path / "x.npy", mmap_mode="r")
    a = cluster_rows(X, list_size=100)
    b = cluster_rows(mm, list_size=100, block_rows=128)  # assigned block by block
    np.testing.assert_array_equal(a.assign, b.assign)
    np.testing.assert_array_equal(
        ivf_self_knn(X, 4, clusters=a)[1], ivf_self_knn(mm, 4, clusters=b)[1]
    )


def test_an_unknown_metric_says_which_are_known() -> None:
    with pytest.raises(FewlabelsError, match=r"metric 'ip'.*or 'l2'.*but got 'cosine'"):
        cluster_rows(manifold(100, 8), metric="cosine")
    with pytest.raises(FewlabelsError, match="but got 'dot'"):
        ivf_self_knn(manifold(100, 8), 3, metric="dot")


# --- the graph on the inverted file: same rules as the exact builder ---------------------


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000), st.integers(60, 200), st.integers(1, 6))
def test_ivf_affinity_is_symmetric_sparse_and_without_self_loops(seed: int, n: int, k: int) -> None:
    rng = np.random.default_rng(seed)
    X = l2_rows(rng.normal(size=(n, 4))).astype(np.float32)
    clusters = cluster_rows(X, list_size=20, seed=seed)
    W = knn_affinity(X, n_neighbors=k, clusters=clusters, nprobe=2, recall_sample=0)
    assert abs(W - W.T).max() < 1e-12
    assert np.all(W.diagonal() == 0)
    assert W.min() >= 0
    assert W.nnz <= 2 * n * k
    assert W.graph_recall is None  # recall_sample=0: not measured


def test_ivf_graph_drops_duplicates_of_a_row_like_the_exact_builder() -> None:
    base = manifold(200, 8)
    X = np.vstack([base, base[:20]])  # rows 200.. duplicate rows 0..19
    clusters = cluster_rows(X, list_size=20)
    ivf = knn_affinity(X, n_neighbors=3, clusters=clusters, nprobe=clusters.n_lists)
    exact = knn_affinity(X, n_neighbors=3)
    assert np.all(ivf.diagonal() == 0)
    for i in range(20):
        assert ivf[i, 200 + i] > 0 and ivf[200 + i, i] > 0
    # Probing every list finds the exact neighbours; where a duplicated pair ties at the
    # k-th place either twin may be kept (the searches see the rows in another order).
    r, c = (abs(ivf - exact) > 1e-5).nonzero()
    twins = lambda i: (i < 20) | (i >= 200)  # noqa: E731
    assert np.all(twins(r) | twins(c))
    np.testing.assert_allclose(
        self_knn(X, 4, clusters=clusters, nprobe=clusters.n_lists)[0], self_knn(X, 4)[0], atol=1e-5
    )
    assert ivf.graph_recall == 1.0 and exact.graph_recall is None


def test_the_threshold_is_exact_at_and_inverted_file_above(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not uses_ivf(10_000) and uses_ivf(10_001)
    assert not uses_ivf(50, 50) and uses_ivf(51, 50)
    monkeypatch.setattr(KG, "EXACT_UP_TO", 50)  # read at call time
    X = manifold(51, 8)
    at = knn_graph(X[:50], n_neighbors=3)
    above = knn_graph(X, n_neighbors=3)
    assert at.graph_recall is None
    assert above.graph_recall == 1.0  # one list of 51 rows: the inverted file is exact here
    assert self_knn(X[:50], 3)[2] is None and self_knn(X, 3)[2] == 1.0


def test_label_spreading_and_self_training_record_the_graph_recall(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import fewlabels.learn.ivf_graph as ivf_module
    import fewlabels.learn.label_spreading as ls_module

    X, y_true = blobs(150, 4, 16, spread=0.2)
    y = hide(y_true, 2)
    small = LabelSpreading().fit(X, y)
    assert small.graph_recall_ is None
    monkeypatch.setattr(KG, "EXACT_UP_TO", 100)
    monkeypatch.setattr(ls_module, "EXACT_UP_TO", 100)
    monkeypatch.setattr(ivf_module, "LIST_SIZE", 40)  # several lists on 600 rows
    model = LabelSpreading().fit(X, y)
    assert model.clusters_ is not None and model.clusters_.n_lists > 1
    assert model.graph_recall_ is not None and 0.8 <= model.graph_recall_ <= 1.0
    assert np.mean(model.transduction_ == y_true) > 0.97
    st_model = SelfTraining(max_iter=1).fit(X, y)
    assert st_model.graph_recall_ is not None and st_model.graph_recall_ >= 0.8


def test_above_the_two_level_threshold_lists_come_from_coarse_lists_split(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import fewlabels.learn.ivf_graph as ivf

    X = manifold(n=8000, dim=16, n_clusters=8, seed=3)
    first_level: list[int] = []
    real_split = ivf._split_large

    def spy(X, centroids, *args, **kwargs):  # type: ignore[no-untyped-def]
        first_level.append(len(centroids))
        return real_split(X, centroids, *args, **kwargs)

    monkeypatch.setattr(ivf, "_split_large", spy)
    # 8000 rows at 100 per list: 80 lists; above a threshold of 50 -> ceil(sqrt(80)) = 9
    # coarse lists, each split by k-means to about 100 rows
    monkeypatch.setattr(ivf, "TWO_LEVEL_ABOVE", 50)
    two = cluster_rows(X, list_size=100)
    assert first_level[0] == 9  # the first pass of splitting sees the coarse lists
    sizes = np.bincount(two.assign, minlength=two.n_lists)
    assert 70 <= two.n_lists <= 100 and sizes.max() <= 2 * 100
    assert graph_recall(X, two, nprobe=8, sample=300) >= 0.9
    # the bound is exclusive: exactly at it the partition is one level of 80 lists
    monkeypatch.setattr(ivf, "TWO_LEVEL_ABOVE", 80)
    first_level.clear()
    cluster_rows(X, list_size=100)
    assert first_level[0] == 80
    monkeypatch.setattr(ivf, "TWO_LEVEL_ABOVE", 79)
    first_level.clear()
    cluster_rows(X, list_size=100)
    assert first_level[0] == 9
    # an explicit n_lists is one level of that many lists
    monkeypatch.setattr(ivf, "TWO_LEVEL_ABOVE", 1)
    first_level.clear()
    cluster_rows(X, n_lists=40, list_size=10_000)
    assert first_level[0] == 40


# --- memory locality: list numbering and the list-ordered self-join -----------------------


def gather_reference(X: np.ndarray, k: int, clusters, nprobe: int) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
    """The self-join as it was written before the list-ordered copy: each list's members
    against the rows of its probed lists gathered from X by index, in numpy."""
    order, starts = clusters.lists()
    probes = clusters.probes(nprobe)
    sims = np.full((len(X), k), -np.inf, np.float32)
    idx = np.full((len(X), k), -1, np.int64)
    for c in range(clusters.n_lists):
        members = order[starts[c] : starts[c + 1]]
        cand = np.sort(np.concatenate([order[starts[p] : starts[p + 1]] for p in probes[c]]))
        block = X[members].astype(np.float64) @ X[cand].astype(np.float64).T
        top = np.argsort(-block, axis=1, kind="stable")[:, :k]
        sims[members, : top.shape[1]] = np.take_along_axis(block, top, axis=1)
        idx[members, : top.shape[1]] = cand[top]
    return sims, idx


@pytest.mark.parametrize("nprobe", [1, 3, 8])
def test_the_list_ordered_self_join_equals_the_gather_reference(nprobe: int) -> None:
    X = manifold(2500, 24, seed=5)
    clusters = cluster_rows(X, list_size=100)
    sims, idx = ivf_self_knn(X, 6, clusters=clusters, nprobe=nprobe)
    ref_s, ref_i = gather_reference(X, 6, clusters, nprobe)
    np.testing.assert_allclose(sims, ref_s, atol=1e-5)
    same = (idx == ref_i).all(axis=1)
    # a swap of two neighbours may only happen between scores equal to float precision
    assert same.mean() > 0.99
    swapped = np.flatnonzero(~same)
    assert np.all(np.abs(np.diff(ref_s[swapped], axis=1)).min(axis=1) < 1e-5)


def test_a_memmap_and_a_pool_already_in_list_order_give_the_same_graph(tmp_path: Path) -> None:
    X = manifold(1200, 16, seed=2)
    clusters = cluster_rows(X, list_size=60)
    sims, idx = ivf_self_knn(X, 5, clusters=clusters, nprobe=4)
    np.save(tmp_path / "x.npy", X)
    mm = np.load(tmp_path / "x.npy", mmap_mode="r")
    mm_s, mm_i = ivf_self_knn(mm, 5, clusters=clusters, nprobe=4)
    np.testing.assert_array_equal(mm_i, idx)
    np.testing.assert_array_equal(mm_s, sims)
    # the pool permuted into list order: the same neighbours, mapped through the order
    order, _ = clusters.lists()
    from fewlabels.learn.ivf_graph import Clusters, list_ordered

    sorted_clusters = Clusters(clusters.centroids, clusters.assign[order], clusters.metric)
    Xs = list_ordered(X, order)
    assert list_ordered(Xs, np.arange(len(X))) is Xs  # no second copy
    p_s, p_i = ivf_self_knn(Xs, 5, clusters=sorted_clusters, nprobe=4)
    np.testing.assert_allclose(p_s, sims[order], atol=1e-6)
    np.testing.assert_array_equal(order[p_i], idx[order])


def test_lists_are_renumbered_so_that_probed_lists_are_near(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import fewlabels.learn.ivf_graph as ivf

    X = manifold(n=8000, dim=16, n_clusters=8, seed=3)
    monkeypatch.setattr(ivf, "TWO_LEVEL_ABOVE", 50)  # two levels: 9 coarse lists, split
    numbered = cluster_rows(X, list_size=100)
    monkeypatch.setattr(ivf, "_number_lists", lambda c, a, p, m: (c, a))
    plain = cluster_rows(X, list_size=100)
    # the same partition, relabelled: a one-to-one map between the list numbers
    pairs = np.unique(np.stack([plain.assign, numbered.assign]), axis=1)
    assert pairs.shape[1] == plain.n_lists == numbered.n_lists
    np.testing.assert_array_equal(
        numbered.centroids[numbered.assign], plain.centroids[plain.assign]
    )

    def spread(cl) -> float:  # type: ignore[no-untyped-def]
        p = cl.probes(8)
        return float(np.abs(p - np.arange(cl.n_lists)[:, None]).mean())

    assert spread(numbered) < 0.6 * spread(plain)
    # and the graph does not change with the numbering
    a = ivf_self_knn(X, 5, clusters=numbered, nprobe=4)
    b = ivf_self_knn(X, 5, clusters=plain, nprobe=4)
    np.testing.assert_allclose(a[0], b[0], atol=1e-5)
    assert (a[1] == b[1]).all(axis=1).mean() > 0.99


def test_the_chain_visits_every_point_once_going_to_the_nearest() -> None:
    from fewlabels.learn.ivf_graph import _chain

    pts = np.array([[0.0], [10.0], [1.0], [11.0], [2.0]])
    np.testing.assert_array_equal(_chain(pts, "l2"), [0, 2, 4, 1, 3])
    assert sorted(_chain(manifold(50, 8), "ip")) == list(range(50))
    np.testing.assert_array_equal(_chain(pts[:2], "l2"), [0, 1])


def test_the_graph_carries_its_node_order_on_the_inverted_file_path() -> None:
    X = manifold(600, 8)
    clusters = cluster_rows(X, list_size=50)
    S = knn_graph(X, n_neighbors=3, clusters=clusters)
    np.testing.assert_array_equal(S.node_order, clusters.lists()[0])
    assert knn_graph(X, n_neighbors=3).node_order is None  # exact: no order


@pytest.mark.parametrize("metric", ["ip", "l2"])
def test_graph_recall_is_the_share_of_self_join_answers_within_the_exact_kth(metric):
    # a structureless cloud and one probed list: the self-join misses neighbours
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 6)).astype(np.float32)
    X = l2_rows(X) if metric == "ip" else X
    clusters = cluster_rows(X, n_lists=6, metric=metric, seed=0)
    k = 5
    scores, _ = ivf_self_knn(X, k, clusters=clusters, nprobe=1, candidates=1)
    X64 = X.astype(np.float64)
    if metric == "ip":
        exact = -np.sort(-(X64 @ X64.T), axis=1)[:, k - 1 : k]
        found = scores >= exact - 1e-5
    else:
        d = ((X64[:, None, :] - X64[None, :, :]) ** 2).sum(axis=2)
        exact = np.sort(d, axis=1)[:, k - 1 : k]
        found = scores <= exact + 1e-5
    expected = found.sum() / (len(X) * k)
    assert 0.2 < expected < 0.99  # the probe misses some: the rule is exercised
    got = graph_recall(X, clusters, nprobe=1, candidates=1, k=k, sample=len(X))
    assert got == pytest.approx(expected, abs=1e-12)


def test_graph_recall_defaults_are_10_neighbours_on_500_rows_of_seed_0():
    # run, not read from the signature: mutmut's trampolines keep the original signature
    rng = np.random.default_rng(2)
    X = l2_rows(rng.normal(size=(700, 6)).astype(np.float32))
    clusters = cluster_rows(X, n_lists=8, seed=0)
    default = graph_recall(X, clusters, nprobe=1, candidates=1)
    assert default == graph_recall(X, clusters, nprobe=1, candidates=1, k=10, sample=500, seed=0)
    others = {
        graph_recall(X, clusters, nprobe=1, candidates=1, k=9),
        graph_recall(X, clusters, nprobe=1, candidates=1, sample=499),
        graph_recall(X, clusters, nprobe=1, candidates=1, seed=1),
    }
    assert default not in others


@pytest.mark.parametrize("metric", ["ip", "l2"])
def test_the_self_join_without_clusters_builds_them_with_its_metric_and_seed(metric, monkeypatch):
    import fewlabels.learn.ivf_graph as ivf

    monkeypatch.setattr(ivf, "LIST_SIZE", 40)  # five lists of 200 rows, so the seed matters
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 4)).astype(np.float32)
    own = ivf_self_knn(X, 4, metric=metric, seed=3, nprobe=1, candidates=1)
    given = ivf_self_knn(
        X, 4, clusters=cluster_rows(X, metric=metric, seed=3), nprobe=1, candidates=1
    )
    np.testing.assert_array_equal(own[1], given[1])
    np.testing.assert_array_equal(own[0], given[0])
    other = ivf_self_knn(
        X, 4, clusters=cluster_rows(X, metric=metric, seed=0), nprobe=1, candidates=1
    )
    assert not np.array_equal(other[1], own[1])  # another seed, other lists, other answers
