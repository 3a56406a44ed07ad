import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from fewlabels.encode.index import IndexSettings, build_index
from fewlabels.learn.features import l2_rows
from fewlabels.learn.ivf_graph import cluster_rows, graph_recall, ivf_self_knn
from fewlabels.learn.knn_graph import (
    clustered_search,
    knn_affinity,
    knn_graph,
    knn_search,
    normalize_graph,
    self_knn,
)
from learn.learn_helpers import blobs


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 40), st.integers(1, 8))
def test_exact_search_matches_brute_force(seed, n, k):
    rng = np.random.default_rng(seed)
    base = l2_rows(rng.normal(size=(n, 5)))
    queries = l2_rows(rng.normal(size=(7, 5)))
    sims, idx = knn_search(base, queries, k)
    full = queries @ base.T
    k_eff = min(k, n)
    assert sims.shape == idx.shape == (7, k_eff)
    expected = -np.sort(-full, axis=1)[:, :k_eff]
    np.testing.assert_allclose(sims, expected, atol=1e-5)
    np.testing.assert_allclose(np.take_along_axis(full, idx, axis=1), sims, atol=1e-5)


def test_ivf_search_finds_almost_every_true_neighbour():
    X, _ = blobs(400, 5, 16, spread=0.3)
    _, exact_i = knn_search(X, X[:200], 5)
    ivf_s, ivf_i = knn_search(X, X[:200], 5, exact_up_to=100, nprobe=16)
    recall = np.mean([len(set(a) & set(b)) / 5 for a, b in zip(exact_i, ivf_i, strict=True)])
    assert recall > 0.9
    assert np.all(ivf_s[:, 0] >= ivf_s[:, -1])


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 30), st.integers(1, 6))
def test_affinity_is_symmetric_sparse_and_without_self_loops(seed, n, k):
    rng = np.random.default_rng(seed)
    X = l2_rows(rng.normal(size=(n, 4)))
    W = knn_affinity(X, n_neighbors=k)
    assert sp.issparse(W) and W.shape == (n, n)
    assert abs(W - W.T).max() < 1e-12
    assert np.all(W.diagonal() == 0)
    assert W.min() >= 0
    assert W.nnz <= 2 * n * min(k, n - 1)
    # Each row links to its own nearest neighbours (those at a positive cosine).
    sims = X @ X.T
    np.fill_diagonal(sims, -np.inf)
    nearest = sims.argmax(axis=1)
    positive = sims.max(axis=1) > 1e-6
    assert np.all(W.toarray()[np.arange(n), nearest][positive] > 0)


def test_duplicate_rows_do_not_count_themselves():
    X = l2_rows(np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.6, 0.8]]))
    W = knn_affinity(X, n_neighbors=1)
    assert np.all(W.diagonal() == 0)
    assert W[0, 1] > 0 and W[1, 0] > 0


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.integers(3, 25))
def test_normalised_graph_has_spectrum_in_unit_interval(seed, n):
    rng = np.random.default_rng(seed)
    X = l2_rows(rng.normal(size=(n, 3)))
    S = knn_graph(X, n_neighbors=3).toarray()
    np.testing.assert_allclose(S, S.T, atol=1e-12)
    eig = np.linalg.eigvalsh(S)
    assert eig.max() <= 1 + 1e-9 and eig.min() >= -1 - 1e-9


def test_normalisation_is_d_half_w_d_half_and_keeps_isolated_rows_zero():
    W = sp.csr_matrix(np.array([[0, 2.0, 0], [2.0, 0, 0], [0, 0, 0]]))
    S = normalize_graph(W).toarray()
    np.testing.assert_allclose(S, [[0, 1, 0], [1, 0, 0], [0, 0, 0]])


# -- the inverted-file path of the graph, against its parts ------------------------------


def _pool(n=300, seed=0):
    X, _ = blobs(n // 5, 5, 12, spread=0.4, seed=seed)
    return l2_rows(X)


def test_above_exact_up_to_the_self_join_is_the_seeded_inverted_file(monkeypatch):
    from fewlabels.learn import ivf_graph

    monkeypatch.setattr(ivf_graph, "LIST_SIZE", 40)  # several lists on 300 rows
    Z = _pool()
    sims, idx, recall = self_knn(Z, 6, exact_up_to=299, nprobe=2, recall_sample=50, seed=3)
    clusters = cluster_rows(Z, seed=3)
    ref_s, ref_i = ivf_self_knn(Z, 6, clusters=clusters, nprobe=2)
    np.testing.assert_array_equal(idx, ref_i)
    np.testing.assert_array_equal(sims, ref_s)
    assert recall == graph_recall(Z, clusters, nprobe=2, sample=50, seed=3)
    other = cluster_rows(Z, seed=4)
    assert not np.array_equal(other.assign, clusters.assign)  # the seed matters here
    # exactly exact_up_to rows: exact search, no recall
    _s, i, r = self_knn(Z, 6, exact_up_to=300)
    assert r is None
    ref = knn_search(Z, Z, 6)
    np.testing.assert_array_equal(i, ref[1])


def test_the_recall_is_measured_only_when_asked_and_on_one_row_too():
    Z = _pool()
    assert self_knn(Z, 4, exact_up_to=100, recall_sample=0)[2] is None
    one = self_knn(Z, 4, exact_up_to=100, recall_sample=1)[2]
    assert one is not None and 0.0 <= one <= 1.0


def test_given_clusters_are_searched_whatever_the_size():
    Z = _pool()
    clusters = cluster_rows(Z, n_lists=4, seed=9)
    _sims, idx, recall = self_knn(Z, 5, clusters=clusters, nprobe=1, recall_sample=30, seed=2)
    _ref_s, ref_i = ivf_self_knn(Z, 5, clusters=clusters, nprobe=1)
    np.testing.assert_array_equal(idx, ref_i)
    assert recall == graph_recall(Z, clusters, nprobe=1, sample=30, seed=2)
    W = knn_affinity(Z, n_neighbors=4, clusters=clusters)
    np.testing.assert_array_equal(W.node_order, clusters.lists()[0])
    S = knn_graph(Z, n_neighbors=4, clusters=clusters, recall_sample=30)
    np.testing.assert_array_equal(S.node_order, clusters.lists()[0])
    W30 = knn_affinity(Z, n_neighbors=4, clusters=clusters, recall_sample=30)
    assert S.graph_recall == W30.graph_recall
    exact = knn_graph(Z, n_neighbors=4)
    assert exact.node_order is None and exact.graph_recall is None


def test_above_the_ann_threshold_the_index_is_built_with_the_recall_sample_and_seed():
    Z = _pool(200)
    _sims, idx, recall = self_knn(Z, 5, ann_threshold=100, recall_sample=37, seed=2)
    index = build_index(Z, settings=IndexSettings(recall_sample=37, seed=2))
    _ref_s, ref_i = index.search(Z, 5)
    np.testing.assert_array_equal(idx, ref_i)
    assert recall == index.recall
    # a given index is used as it is, and no partition is made
    _s2, i2, r2 = self_knn(Z, 5, index=index, exact_up_to=10)
    np.testing.assert_array_equal(i2, ref_i)
    assert r2 == index.recall


def test_clustered_search_probing_every_list_is_exact():
    Z = _pool()
    rng = np.random.default_rng(5)
    queries = l2_rows(rng.normal(size=(40, 12)))
    clusters = cluster_rows(Z, n_lists=8, seed=0)
    sims, idx = clustered_search(Z, queries, 5, clusters, nprobe=8)
    full = queries @ Z.T
    np.testing.assert_allclose(sims, -np.sort(-full, axis=1)[:, :5], atol=1e-5)
    np.testing.assert_allclose(np.take_along_axis(full, idx, axis=1), sims, atol=1e-5)
    assert np.all(np.diff(sims, axis=1) <= 1e-7)  # best first


def test_clustered_search_with_fewer_candidates_than_k_pads_the_tail():
    Z = _pool(60)
    clusters = cluster_rows(Z, n_lists=6, seed=0)
    smallest = int(np.bincount(clusters.assign).min())
    k = smallest + 3
    # each query is a row of the smallest list, searched against that list alone
    target = int(np.bincount(clusters.assign).argmin())
    queries = Z[np.asarray(clusters.assign) == target]
    sims, idx = clustered_search(Z, queries, k, clusters, nprobe=1)
    found = np.isfinite(sims)
    assert found.sum(axis=1).min() >= 1
    assert (idx[~found] == -1).all() and (sims[~found] == -np.inf).all()
    assert np.all(np.diff(np.where(found, sims, -9.0), axis=1) <= 1e-7)
    # every found neighbour is a member of a probed list, and each row finds itself first
    assert (np.asarray(clusters.assign)[idx[found]] >= 0).all()
    np.testing.assert_array_equal(idx[:, 0], np.flatnonzero(np.asarray(clusters.assign) == target))


def _reference_affinity(X, k, power):
    """Brute force: each row's k most similar other rows, max(sim, 0) ** power, then A + A^T."""
    n = len(X)
    S = X @ X.T
    np.fill_diagonal(S, -np.inf)
    A = np.zeros((n, n))
    for i in range(n):
        nbrs = np.argsort(-S[i], kind="stable")[:k]
        A[i, nbrs] = np.maximum(S[i, nbrs], 0.0) ** power
    W = A + A.T
    np.fill_diagonal(W, 0.0)
    return W


def test_the_affinity_is_the_brute_force_one_and_the_defaults_are_documented():
    Z = _pool(60, seed=2)
    W = knn_affinity(Z, n_neighbors=4, power=2.0)
    np.testing.assert_allclose(W.toarray(), _reference_affinity(Z, 4, 2.0), atol=1e-6)
    assert W.dtype == np.float64 and W.graph_recall is None and W.node_order is None
    default = knn_affinity(Z)
    np.testing.assert_allclose(default.toarray(), _reference_affinity(Z, 10, 3.0), atol=1e-6)
    np.testing.assert_allclose(
        knn_graph(Z).toarray(),
        normalize_graph(knn_affinity(Z, n_neighbors=10, power=3.0)).toarray(),
    )


def test_a_row_among_more_copies_than_neighbours_keeps_exactly_k_edges():
    # 5 copies of one row, k = 2: a copy may not find itself among its 3 nearest, and then
    # its farthest candidate is dropped instead, so every copy keeps 2 out-edges of weight 1
    rng = np.random.default_rng(0)
    Z = l2_rows(np.vstack([np.tile([[1.0, 0.0, 0.0]], (5, 1)), rng.normal(size=(10, 3))]))
    W = knn_affinity(Z, n_neighbors=2, power=1.0).toarray()
    assert np.all(np.diag(W) == 0.0)
    np.testing.assert_allclose(W[:5, :5].sum(), 2 * 2 * 5)  # A + A^T over the copies


def test_one_row_gives_an_empty_graph_with_no_recall():
    W = knn_affinity(l2_rows(np.ones((1, 3))))
    assert W.shape == (1, 1) and W.nnz == 0 and W.dtype == np.float64
    assert W.graph_recall is None and W.node_order is None


def test_search_batches_and_the_inverted_file_path_give_the_same_neighbours():
    Z = _pool(200, seed=3)
    rng = np.random.default_rng(1)
    queries = l2_rows(rng.normal(size=(10, 12)))
    whole = knn_search(Z, queries, 4)
    batched = knn_search(Z, queries, 4, batch_size=3)
    np.testing.assert_array_equal(batched[1], whole[1])
    np.testing.assert_array_equal(batched[0], whole[0])
    assert whole[0].dtype == np.float32
    clusters = cluster_rows(Z, n_lists=6, seed=0)
    via = knn_search(Z, queries, 4, exact_up_to=10, nprobe=2)
    ref = clustered_search(Z, queries, 4, cluster_rows(Z), nprobe=2)
    np.testing.assert_array_equal(via[1], ref[1])
    given = knn_search(Z, queries, 4, clusters=clusters, nprobe=1)
    np.testing.assert_array_equal(given[1], clustered_search(Z, queries, 4, clusters, nprobe=1)[1])


def test_the_ann_threshold_is_strictly_above():
    from fewlabels.learn.knn_graph import uses_index, uses_ivf

    assert not uses_index(100, 100) and uses_index(101, 100)
    assert not uses_ivf(100, 100) and uses_ivf(101, 100)


def test_normalisation_divides_by_the_square_root_of_each_degree_even_of_one():
    W = sp.csr_matrix(np.array([[0, 1.0, 0, 0], [1.0, 0, 1.0, 0], [0, 1.0, 0, 0], [0, 0, 0, 0]]))
    S = normalize_graph(W).toarray()
    d = np.array([1.0, 2.0, 1.0, 0.0])
    inv = np.where(d > 0, 1 / np.sqrt(np.where(d > 0, d, 1)), 0)
    np.testing.assert_allclose(S, inv[:, None] * W.toarray() * inv[None, :])
    assert not S[3].any()


# --- what each layer passes to the next (spies on the module's own names) ---------------


def _spy(monkeypatch, module, name):
    """Record the keyword arguments of every call to ``module.name`` (the call still runs)."""
    calls = []
    real = getattr(module, name)

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, spy)
    return calls


def _kg():
    import importlib

    return importlib.import_module("fewlabels.learn.knn_graph")


def test_knn_graph_passes_every_setting_to_the_affinity(monkeypatch):
    KG = _kg()
    X, _ = blobs(20, 3, 8)
    clusters = cluster_rows(X, n_lists=3)
    calls = _spy(monkeypatch, KG, "knn_affinity")
    S = KG.knn_graph(
        X,
        n_neighbors=4,
        power=2.0,
        exact_up_to=7,
        clusters=clusters,
        ann_threshold=9,
        nprobe=2,
        recall_sample=11,
    )
    assert calls == [
        {
            "n_neighbors": 4,
            "power": 2.0,
            "exact_up_to": 7,
            "clusters": clusters,
            "index": None,
            "ann_threshold": 9,
            "nprobe": 2,
            "recall_sample": 11,
        }
    ]
    assert S.node_order is not None and S.graph_recall is not None


def test_the_recall_sample_is_500_rows_by_default(monkeypatch):
    # run, not read from the signature: mutmut's trampolines keep the original signature
    KG = _kg()
    X, _ = blobs(20, 3, 8)
    calls = _spy(monkeypatch, KG, "graph_recall")
    KG.knn_graph(X, exact_up_to=10)
    KG.knn_affinity(X, exact_up_to=10)
    KG.self_knn(X, 3, exact_up_to=10)
    assert [c["sample"] for c in calls] == [500, 500, 500]
    assert [c["seed"] for c in calls] == [0, 0, 0]


def test_one_row_gives_an_empty_float_graph():
    KG = _kg()
    W = KG.knn_affinity(np.ones((1, 4), dtype=np.float32))
    assert W.shape == (1, 1) and W.nnz == 0 and W.dtype == np.float64
    assert W.graph_recall is None and W.node_order is None


def test_an_isolated_row_stays_zero_in_the_normalised_graph():
    KG = _kg()
    W = sp.csr_matrix(np.array([[0, 2, 0], [2, 0, 0], [0, 0, 0]], dtype=np.int64))
    S = KG.normalize_graph(W)
    assert S.dtype == np.float64 and np.isfinite(S.toarray()).all()
    np.testing.assert_allclose(S.toarray(), [[0, 1, 0], [1, 0, 0], [0, 0, 0]])


def test_clustered_search_with_one_probe_searches_exactly_the_querys_list():
    KG = _kg()
    rng = np.random.default_rng(0)
    base = l2_rows(rng.normal(size=(200, 6)).astype(np.float32))
    queries = l2_rows(rng.normal(size=(30, 6)).astype(np.float32))
    clusters = cluster_rows(base, n_lists=5)
    sims, idx = KG.clustered_search(base, queries, 4, clusters, nprobe=1)
    nearest = np.argmax(queries @ clusters.centroids.T, axis=1)
    for q in range(len(queries)):
        members = np.flatnonzero(clusters.assign == nearest[q])
        s = base[members] @ queries[q]
        top = members[np.argsort(-s, kind="stable")[:4]]
        assert set(idx[q][idx[q] >= 0]) == set(top[: (idx[q] >= 0).sum()])
        np.testing.assert_allclose(sims[q, : len(top)], np.sort(s)[::-1][:4], rtol=1e-5)


def test_the_affinity_asks_for_one_more_neighbour_than_it_keeps(monkeypatch):
    KG = _kg()
    X, _ = blobs(20, 3, 8)
    calls = _spy(monkeypatch, KG, "_self_knn")
    clusters = cluster_rows(X, n_lists=3)
    KG.knn_affinity(
        X,
        n_neighbors=4,
        exact_up_to=7,
        clusters=clusters,
        ann_threshold=9,
        nprobe=2,
        recall_sample=11,
    )
    assert calls == [
        {
            "exact_up_to": 7,
            "nprobe": 2,
            "clusters": clusters,
            "index": None,
            "ann_threshold": 9,
            "recall_sample": 11,
            "seed": 0,
        }
    ]
    asked = []
    real = KG._self_knn
    monkeypatch.setattr(KG, "_self_knn", lambda X, k, **kw: asked.append(k) or real(X, k, **kw))
    W = KG.knn_affinity(X[:5], n_neighbors=10)  # clipped to n - 1 neighbours (+ the row)
    assert asked == [5]
    assert W.nnz == 20  # every other row of five


def test_the_self_join_builds_its_index_and_searches_exactly_with_the_given_settings(
    monkeypatch,
):
    KG = _kg()
    X, _ = blobs(20, 3, 8)
    built = []
    real = KG.build_index

    def spy_build(base, *, settings=None):
        built.append(settings)
        return real(base, settings=settings)

    monkeypatch.setattr(KG, "build_index", spy_build)
    W = KG.knn_affinity(X, n_neighbors=3, ann_threshold=0, recall_sample=7)
    assert built == [IndexSettings(recall_sample=7, seed=0)]
    assert W.graph_recall is not None
    searched = _spy(monkeypatch, KG, "knn_search")
    KG.knn_affinity(X, n_neighbors=3, ann_threshold=100)  # exact: one search of X against X
    assert searched == [{"exact_up_to": 60, "ann_threshold": 100}]


def test_knn_search_takes_the_path_its_settings_name(monkeypatch):
    KG = _kg()
    X, _ = blobs(20, 3, 8)
    X64 = X.astype(np.float64)  # float64 in: faiss needs float32, which the search makes
    exact = KG.knn_search(X64, X64[:5], 3)
    assert exact[0].dtype == np.float32 and exact[1].dtype == np.int64
    clustered = _spy(monkeypatch, KG, "clustered_search")
    ivf = KG.knn_search(X64, X64[:5], 3, exact_up_to=10)
    assert len(clustered) == 1  # above exact_up_to: the inverted file
    assert ivf[0].dtype == np.float32
    np.testing.assert_array_equal(ivf[1][:, 0], np.arange(5))  # each query finds itself
    built = _spy(monkeypatch, KG, "build_index")
    KG.knn_search(X64, X64[:5], 3, ann_threshold=0)
    assert len(built) == 1
    # given clusters win over the index threshold
    clustered.clear()
    KG.knn_search(X, X[:5], 3, clusters=cluster_rows(X, n_lists=3), ann_threshold=0)
    assert len(clustered) == 1 and len(built) == 1


def test_the_inverted_file_self_join_takes_float64_rows_and_reports_its_recall():
    KG = _kg()
    X, _ = blobs(20, 3, 8)
    W = KG.knn_affinity(X.astype(np.float64), n_neighbors=3, exact_up_to=10)
    assert W.node_order is not None
    assert isinstance(W.graph_recall, float) and 0.0 < W.graph_recall <= 1.0


def test_no_neighbour_asked_gives_an_empty_graph_of_every_row():
    KG = _kg()
    X, _ = blobs(2, 2, 4)
    W = KG.knn_affinity(X, n_neighbors=0)
    assert W.shape == (4, 4) and W.nnz == 0


def test_a_list_without_queries_does_not_end_the_search():
    KG = _kg()
    rng = np.random.default_rng(3)
    base = l2_rows(rng.normal(size=(200, 6)).astype(np.float32))
    clusters = cluster_rows(base, n_lists=5)
    # queries only from the first and the last list: the lists between have none
    lists = np.unique(clusters.assign)
    pick = np.flatnonzero(np.isin(clusters.assign, [lists[0], lists[-1]]))
    sims, idx = KG.clustered_search(base, base[pick], 3, clusters, nprobe=1)
    assert (idx[:, 0] == pick).all()  # every query found, itself first
    assert np.isfinite(sims).all()


def test_a_given_index_is_the_one_searched_by_every_entry_point():
    # the index's own recall (set here to a value no search could measure) comes back:
    # had the index been dropped, these 40 rows would take the exact path (recall None)
    X, _ = blobs(20, 2, 6)
    index = build_index(X, settings=IndexSettings(recall_sample=0))
    index.recall = 0.4321
    searched = []
    real_search = index.search
    index.search = lambda q, k, **kw: searched.append(k) or real_search(q, k, **kw)
    assert knn_graph(X, n_neighbors=3, index=index).graph_recall == 0.4321
    assert knn_affinity(X, n_neighbors=3, index=index).graph_recall == 0.4321
    assert self_knn(X, 4, index=index)[2] == 0.4321
    assert searched == [4, 4, 4]
    assert knn_graph(X, n_neighbors=3).graph_recall is None


def test_an_isolated_row_is_normalised_without_a_division_warning():
    import warnings

    W = sp.csr_matrix(np.array([[0.0, 2.0, 0.0], [2.0, 0.0, 0.0], [0.0, 0.0, 0.0]]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        S = normalize_graph(W)
    np.testing.assert_allclose(S.toarray(), [[0, 1, 0], [1, 0, 0], [0, 0, 0]])


class _FixedIndex:
    """A neighbour index answering fixed lists (an approximate search can miss a row)."""

    recall = 0.5

    def __init__(self, sims, idx):
        self.sims, self.idx = np.asarray(sims, np.float32), np.asarray(idx, np.int64)

    def search(self, queries, k):
        return self.sims[:, :k], self.idx[:, :k]


def test_a_row_that_misses_itself_drops_its_farthest_neighbour_not_another():
    # row 0's three answers do not include itself: it keeps the two nearest (1 and 2)
    index = _FixedIndex(
        [[0.9, 0.5, 0.1], [1.0, 0.9, 0.2], [1.0, 0.5, 0.3], [1.0, 0.1, 0.3]],
        [[1, 2, 3], [1, 0, 2], [2, 0, 1], [3, 0, 2]],
    )
    X = l2_rows(np.random.default_rng(0).normal(size=(4, 3)))
    W = knn_affinity(X, n_neighbors=2, power=1.0, index=index).toarray()
    # W = A + A^T: 0 -> 1 and 1 -> 0 (0.9 each), 0 <-> 2 (0.5 each), and only 3 -> 0 (0.1)
    np.testing.assert_allclose(W[0], [0.0, 1.8, 1.0, 0.1], rtol=1e-6)
