import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from fewlabels.learn.features import l2_rows
from fewlabels.learn.knn_graph import knn_affinity, knn_graph, knn_search, normalize_graph
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
