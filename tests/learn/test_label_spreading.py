import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from fewlabels.learn import LabelSpreading
from fewlabels.learn.features import l2_rows
from fewlabels.learn.label_spreading import (
    class_mass_normalize,
    normalize_scores,
    seed_matrix,
    spread_labels,
)
from learn.learn_helpers import blobs, hide, random_graph

FIVE = l2_rows(np.array([[1.0, 0.1], [0.9, 0.4], [0.6, 0.8], [0.3, 0.95], [0.05, 1.0]]))


def test_five_points_equal_the_closed_form():
    y = np.array([0, -1, -1, 1, -1])
    alpha = 0.9
    model = LabelSpreading(
        n_neighbors=4,
        alpha=alpha,
        power=3.0,
        center=False,
        tol=1e-12,
        max_iter=1000,
        class_mass=False,
    ).fit(FIVE, y)
    # The graph, written out: complete (k = n - 1), w_ij = 2 cos^3 after symmetrisation.
    W = 2.0 * np.maximum(FIVE @ FIVE.T, 0).astype(np.float64) ** 3
    np.fill_diagonal(W, 0.0)
    d = W.sum(axis=1)
    S = W / np.sqrt(np.outer(d, d))
    Y = np.eye(2)[[0, 0, 0, 1, 0]] * (y != -1)[:, None]
    F = np.linalg.solve(np.eye(5) - alpha * S, Y)
    np.testing.assert_allclose(
        model.label_distributions_, F / F.sum(axis=1, keepdims=True), atol=1e-9
    )
    expected = F.argmax(axis=1)
    expected[[0, 3]] = [0, 1]
    np.testing.assert_array_equal(model.transduction_, expected)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.integers(3, 15), st.floats(0.0, 0.99))
def test_conjugate_gradient_solves_the_linear_system(seed, n, alpha):
    rng = np.random.default_rng(seed)
    A = rng.uniform(size=(n, n)) * (rng.uniform(size=(n, n)) < 0.4)
    W = np.triu(A, 1) + np.triu(A, 1).T
    d = W.sum(axis=1)
    inv = np.where(d > 0, 1 / np.sqrt(np.where(d > 0, d, 1)), 0)
    S = inv[:, None] * W * inv[None, :]
    y = rng.integers(-1, 3, size=n)
    y[:3] = [0, 1, 2]
    Y = seed_matrix(y, 3)
    F, _ = spread_labels(sp.csr_matrix(S), Y, alpha=alpha, tol=1e-12, max_iter=500)
    np.testing.assert_allclose(F, np.linalg.solve(np.eye(n) - alpha * S, Y), atol=1e-7)


def test_class_mass_normalisation_matches_the_prior():
    P = np.array([[0.9, 0.1], [0.8, 0.2], [0.6, 0.4], [0.3, 0.7]])
    Q = class_mass_normalize(P, np.array([0.5, 0.5]))
    np.testing.assert_allclose(Q.sum(axis=1), 1.0)
    # Class 1 had less mass: after normalisation the third row goes to it.
    assert P[2].argmax() == 0 and Q[2].argmax() == 1
    np.testing.assert_allclose(Q, (P / P.sum(axis=0)) / (P / P.sum(axis=0)).sum(axis=1)[:, None])


def test_seeds_of_each_class_sum_to_one():
    Y = seed_matrix(np.array([0, 0, 1, -1, 0]), 2)
    np.testing.assert_allclose(Y.sum(axis=0), [1.0, 1.0])
    np.testing.assert_allclose(Y[3], [0, 0])
    W = seed_matrix(np.array([0, 0, 1]), 2, sample_weight=np.array([3.0, 1.0, 0.5]))
    np.testing.assert_allclose(W, [[0.75, 0], [0.25, 0], [0, 1.0]])


def test_labelled_rows_keep_their_label_and_unreachable_rows_get_the_prior():
    X, y_true = blobs(20, 2, 6)
    y = hide(y_true, 2)
    # Mislabel one seed on purpose: spreading may disagree, but the given label stays.
    wrong = np.flatnonzero(y == 0)[0]
    y[wrong] = 1
    model = LabelSpreading().fit(X, y)
    lab = y != -1
    np.testing.assert_array_equal(model.transduction_[lab], y[lab])
    np.testing.assert_allclose(model.fit_proba_[lab], np.eye(2)[y[lab]])
    np.testing.assert_allclose(
        normalize_scores(np.zeros((1, 3)), np.array([0.5, 0.25, 0.25])), [[0.5, 0.25, 0.25]]
    )


def test_predict_on_the_fitted_rows_is_transductive_and_new_rows_use_neighbours():
    X, y_true = blobs(25, 3, 8)
    y = hide(y_true, 2)
    model = LabelSpreading().fit(X, y)
    np.testing.assert_allclose(model.predict_proba(X), model.fit_proba_)
    X_new, y_new = blobs(10, 3, 8, seed=0)
    assert np.mean(model.predict(X_new[1::3]) == y_new[1::3]) > 0.95
    # A new row that sits on a fitted row takes (mostly) that row's distribution.
    near = model.predict_proba(X[:1] + 1e-4)
    assert near.argmax() == model.transduction_[0]


def test_a_precomputed_graph_gives_the_same_fit():
    X, y_true = blobs(15, 3, 5)
    y = hide(y_true, 1)
    model = LabelSpreading(n_neighbors=6)
    graph = model.build_graph(X)
    a = LabelSpreading(n_neighbors=6).fit(X, y)
    b = LabelSpreading(n_neighbors=6).fit(X, y, graph=graph)
    np.testing.assert_allclose(a.label_distributions_, b.label_distributions_)
    with pytest.raises(ValueError, match=r"graph of shape \(45, 45\) for 45 rows.*build_graph"):
        LabelSpreading().fit(X, y, graph=graph[:10, :10])


def test_alpha_outside_the_unit_interval_is_refused():
    X, y_true = blobs(5, 2, 4)
    with pytest.raises(ValueError, match=r"alpha in \[0, 1\), but got 1.0"):
        LabelSpreading(alpha=1.0).fit(X, hide(y_true, 1))


def test_one_label_per_class_spreads_along_the_clusters():
    X, y_true = blobs(100, 4, 16, spread=0.25)
    y = hide(y_true, 1)
    acc = np.mean(LabelSpreading().fit(X, y).transduction_ == y_true)
    assert acc > 0.97


def test_large_pools_use_an_inverted_file_kept_for_new_rows(monkeypatch):
    import fewlabels.learn.label_spreading as ls_module

    monkeypatch.setattr(ls_module, "EXACT_UP_TO", 50)
    X, y_true = blobs(60, 3, 8)
    model = LabelSpreading().fit(X, hide(y_true, 2))
    assert model.clusters_ is not None
    assert len(model.clusters_.assign) == len(X)
    assert np.mean(model.transduction_ == y_true) > 0.95
    X_new, y_new = blobs(10, 3, 8, seed=0)
    assert np.mean(model.predict(X_new[1::3]) == y_new[1::3]) > 0.95


def test_class_weight_sets_the_class_mass_target():
    rng = np.random.default_rng(0)
    shift = np.array([1.2, 0.0, 0.0])
    X = np.r_[rng.normal(0, 1, (80, 3)), rng.normal(0, 1, (20, 3)) + shift] + 3 * np.eye(3)[2]
    y = np.full(100, -1)
    y[:9] = 0
    y[80] = 1  # 9 + 1 labels
    none = LabelSpreading().fit(X, y)
    bal = LabelSpreading(class_weight="balanced").fit(X, y)
    np.testing.assert_allclose(bal.class_weight_, [10 / 18, 5.0])
    # class mass normalisation aims at the labelled shares (None) or equal masses (balanced)
    unl = y == -1
    mass_none = none.fit_proba_[unl].sum(0) / unl.sum()
    mass_bal = bal.fit_proba_[unl].sum(0) / unl.sum()
    assert mass_none[1] < 0.2 < mass_bal[1]
    assert bal.class_shares_[1] > none.class_shares_[1]


def test_without_class_mass_balanced_is_the_seed_rule_and_a_dict_scales_seeds():
    rng = np.random.default_rng(0)
    shift = np.array([1.2, 0.0, 0.0])
    X = np.r_[rng.normal(0, 1, (80, 3)), rng.normal(0, 1, (20, 3)) + shift] + 3 * np.eye(3)[2]
    y = np.full(100, -1)
    y[:9] = 0
    y[80] = 1
    none = LabelSpreading(class_mass=False).fit(X, y)
    bal = LabelSpreading(class_mass=False, class_weight="balanced").fit(X, y)
    np.testing.assert_array_equal(none.fit_proba_, bal.fit_proba_)
    heavy = LabelSpreading(class_mass=False, class_weight={1: 3.0}).fit(X, y)
    # spreading is linear in the seeds: column 1 of F is scaled by 3 before normalising
    F = none.label_distributions_ * np.array([1.0, 3.0])
    unl = y == -1
    np.testing.assert_allclose(
        heavy.fit_proba_[unl], (F / F.sum(axis=1, keepdims=True))[unl], atol=1e-5
    )


def _graph(n: int, seed: int) -> sp.csr_matrix:
    return random_graph(n, seed, density=0.3)


def _residual(S, Y, F, alpha):
    return np.linalg.norm(Y - (F - alpha * (S @ F)), axis=0)


def test_the_solve_stops_at_the_first_iterate_within_tol_of_each_column():
    S = _graph(40, 2)
    y = np.full(40, -1)
    y[[0, 1, 2, 3, 4, 5]] = [0, 0, 1, 1, 2, 2]
    Y = seed_matrix(y, 3)
    Y[:, 2] *= 1e-6  # a column of tiny seeds is solved as well, relative to its size
    goal = np.linalg.norm(Y, axis=0)
    for tol in (1e-3, 1e-6):
        F, n_iter = spread_labels(S, Y, alpha=0.95, tol=tol, max_iter=500)
        assert np.all(_residual(S, Y, F, 0.95) <= tol * goal * (1 + 1e-9))
        early, _ = spread_labels(S, Y, alpha=0.95, tol=tol, max_iter=n_iter - 1)
        assert np.any(_residual(S, Y, early, 0.95) > tol * goal)  # one step sooner is not
    loose = spread_labels(S, Y, alpha=0.95, tol=1e-3, max_iter=500)[1]
    tight = spread_labels(S, Y, alpha=0.95, tol=1e-6, max_iter=500)[1]
    assert loose < tight


def test_iterations_are_counted_capped_and_zero_for_no_seeds():
    S = _graph(30, 3)
    y = np.full(30, -1)
    y[:2] = [0, 1]
    Y = seed_matrix(y, 2)
    assert spread_labels(S, Y, alpha=0.99, tol=1e-14, max_iter=3)[1] == 3
    order = np.random.default_rng(0).permutation(30)
    assert spread_labels(S, Y, alpha=0.99, tol=1e-14, max_iter=3, order=order)[1] == 3
    F0, n0 = spread_labels(S, np.zeros_like(Y), alpha=0.99)
    assert n0 == 0 and not F0.any()
    # a column without seeds stays exactly zero beside one that is solved
    Y[:, 1] = 0.0
    F, _ = spread_labels(S, Y, alpha=0.99)
    assert np.isfinite(F).all() and not F[:, 1].any() and F[:, 0].any()
    # the defaults are the documented ones: alpha 0.99, tol 1e-6, max_iter 200
    Y = seed_matrix(y, 2)
    a, na = spread_labels(S, Y)
    b, nb = spread_labels(S, Y, alpha=0.99, tol=1e-6, max_iter=200)
    np.testing.assert_array_equal(a, b)
    assert na == nb


def test_a_bad_order_is_refused_in_full_and_a_good_one_becomes_int64():
    from fewlabels.errors import FewlabelsError
    from fewlabels.learn.label_spreading import _check_order, permute_graph

    with pytest.raises(FewlabelsError) as err:
        _check_order(np.arange(6), 7)
    assert str(err.value) == (
        "spread_labels expected order to be a permutation of the 7 rows (each of 0..6 once), "
        "but got an array of shape (6,) and dtype int64 that is not one. Pass S.node_order "
        "of a knn_graph, or None."
    )
    got = _check_order(np.array([2, 0, 1], dtype=np.int32), 3)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, [2, 0, 1])
    assert _check_order(np.array([2, 0, 1], dtype=np.uint8), 3).dtype == np.int64
    # a graph whose last row and column are empty keeps its shape when permuted
    S = _graph(6, 1).tolil()
    S[5, :] = 0
    S[:, 5] = 0
    S = sp.csr_matrix(S)
    S.eliminate_zeros()
    P = permute_graph(S, np.array([5, 0, 1, 2, 3, 4]))
    assert P.shape == (6, 6) and P.dtype == np.float64
    np.testing.assert_allclose(P.toarray(), S.toarray()[[5, 0, 1, 2, 3, 4]][:, [5, 0, 1, 2, 3, 4]])
    P2 = permute_graph(S, np.arange(6))
    assert P2.shape == (6, 6)


def test_empty_rows_get_the_uniform_prior_by_default():
    P = normalize_scores(np.array([[2.0, -1.0, 2.0], [-1.0, 0.0, -3.0]]))
    np.testing.assert_allclose(P, [[0.5, 0.0, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    given = normalize_scores(np.array([[0.0, 0.0]]), np.array([0.25, 0.75]))
    np.testing.assert_allclose(given, [[0.25, 0.75]])


def test_class_mass_rescales_each_column_to_its_prior_and_leaves_empty_ones_at_zero():
    P = np.array([[0.6, 0.0, 0.4], [0.4, 0.0, 0.6], [0.0, 0.0, 0.0]])  # masses 1, 0, 1
    prior = np.array([0.5, 0.2, 0.3])
    Q = class_mass_normalize(P, prior)
    assert np.isfinite(Q).all()
    scaled = P * np.array([0.5, 0.0, 0.3])
    expected = scaled[:2] / scaled[:2].sum(axis=1, keepdims=True)
    np.testing.assert_allclose(Q[:2], expected)
    np.testing.assert_allclose(Q[2], prior)  # an empty row takes the prior


def test_new_rows_are_a_sharpened_vote_of_their_fitted_neighbours():
    from fewlabels.learn.knn_graph import knn_search

    X, y_true = blobs(15, 3, 6, spread=0.9, seed=2)
    model = LabelSpreading(n_neighbors=4, power=2.0).fit(X, hide(y_true, 3))
    rng = np.random.default_rng(1)
    Q = X[:6] + 0.05 * rng.standard_normal((6, 6))  # near row 0 and its cluster
    sims, idx = knn_search(model.X_fit_, model._features(Q), 4)
    assert (idx == 0).any()
    w = np.maximum(sims.astype(np.float64), 0.0) ** 2.0
    P = np.einsum("qk,qkc->qc", w, model.fit_proba_[idx])
    np.testing.assert_allclose(model.predict_proba(Q), normalize_scores(P), rtol=1e-9)


def _isolated_graph(n: int) -> sp.csr_matrix:
    """A ring over rows 0..n-2; row n-1 has no edge."""
    W = np.zeros((n, n))
    for i in range(n - 1):
        j = (i + 1) % (n - 1)
        W[i, j] = W[j, i] = 1.0
    d = W.sum(axis=1)
    inv = np.where(d > 0, 1 / np.sqrt(np.where(d > 0, d, 1)), 0)
    return sp.csr_matrix(inv[:, None] * W * inv[None, :])


def test_a_row_no_seed_reaches_gets_the_labelled_class_shares():
    # 3 : 1 labelled rows: an unreachable row gets [0.75, 0.25], or the weighted target
    X, _ = blobs(5, 2, 4, seed=0)
    y = np.array([0, 0, 0, 1, -1, -1, -1, -1, -1, -1])
    S = _isolated_graph(10)
    model = LabelSpreading(class_mass=False).fit(X, y, graph=S)
    np.testing.assert_allclose(model.label_distributions_[9], [0.75, 0.25])
    weighted = LabelSpreading(class_mass=False, class_weight={1: 3.0}).fit(X, y, graph=S)
    np.testing.assert_allclose(weighted.label_distributions_[9], [0.5, 0.5])


def test_sample_weights_reach_the_seeds():
    X, y_true = blobs(10, 2, 5, spread=0.8, seed=3)
    y = hide(y_true, 3)
    w = np.linspace(0.5, 2.0, len(y))
    model = LabelSpreading(class_mass=False).fit(X, y, sample_weight=w)
    S = model.build_graph(X)
    Y = seed_matrix(y, 2, sample_weight=w)
    F, n_iter = spread_labels(S, Y, alpha=0.99, tol=1e-6, max_iter=200)
    lab = y != -1
    prior = np.bincount(y[lab], minlength=2) / lab.sum()
    np.testing.assert_allclose(model.label_distributions_, normalize_scores(F, prior), atol=1e-12)
    assert model.n_iter_ == n_iter
    unweighted = LabelSpreading(class_mass=False).fit(X, y)
    assert not np.allclose(unweighted.label_distributions_, model.label_distributions_)


def test_a_given_graph_brings_its_recalls_and_its_solve_order():
    from fewlabels.errors import FewlabelsError

    X, y_true = blobs(8, 2, 4, seed=1)
    y = hide(y_true, 2)
    S = LabelSpreading().build_graph(X)
    assert S.index_recall is None
    S.graph_recall, S.index_recall = 0.42, 0.9
    model = LabelSpreading().fit(X, y, graph=S)
    assert model.graph_recall_ == 0.42 and model.index_recall_ == 0.9
    S.node_order = np.arange(len(X) - 1)  # not a permutation of the rows: refused
    with pytest.raises(FewlabelsError, match="order to be a permutation of the 16 rows"):
        LabelSpreading().fit(X, y, graph=S)
    with pytest.raises(FewlabelsError) as err:
        LabelSpreading().fit(X, y, graph=sp.csr_matrix((3, 3)))
    assert str(err.value) == (
        "LabelSpreading expected a graph of shape (16, 16) for 16 rows, but got (3, 3). "
        "Build it with build_graph(X) on the same X."
    )


def test_the_built_graph_brings_its_recall_and_order(monkeypatch):
    import fewlabels.learn.label_spreading as ls_module
    from fewlabels.errors import FewlabelsError

    real = ls_module.knn_graph

    def tagged(*args, **kwargs):  # type: ignore[no-untyped-def]
        S = real(*args, **kwargs)
        S.graph_recall = 0.37
        return S

    monkeypatch.setattr(ls_module, "knn_graph", tagged)
    X, y_true = blobs(8, 2, 4, seed=1)
    model = LabelSpreading().fit(X, hide(y_true, 2))
    assert model.graph_recall_ == 0.37

    def bad_order(*args, **kwargs):  # type: ignore[no-untyped-def]
        S = real(*args, **kwargs)
        S.node_order = np.zeros(S.shape[0], dtype=np.int64)
        return S

    monkeypatch.setattr(ls_module, "knn_graph", bad_order)
    with pytest.raises(FewlabelsError, match="order to be a permutation"):
        LabelSpreading().fit(X, hide(y_true, 2))


def test_build_graph_is_the_knn_graph_of_the_centred_rows_with_the_settings():
    from fewlabels.learn.features import center_normalize, pool_mean
    from fewlabels.learn.knn_graph import knn_graph

    X, _ = blobs(10, 2, 5, spread=0.8, seed=4)
    X = X + 1.5
    S = LabelSpreading(n_neighbors=3, power=2.0).build_graph(X)
    ref = knn_graph(center_normalize(X, pool_mean(X)), n_neighbors=3, power=2.0)
    np.testing.assert_allclose(S.toarray(), ref.toarray())
    assert S.index_recall is None
    plain = LabelSpreading(n_neighbors=3, power=2.0, center=False).build_graph(X)
    ref_plain = knn_graph(l2_rows(X), n_neighbors=3, power=2.0)
    np.testing.assert_allclose(plain.toarray(), ref_plain.toarray())


def test_tol_and_max_iter_reach_the_solver():
    X, y_true = blobs(15, 2, 5, spread=0.8, seed=4)
    y = hide(y_true, 2)
    assert LabelSpreading(max_iter=1).fit(X, y).n_iter_ == 1
    loose = LabelSpreading(tol=1e-2).fit(X, y).n_iter_
    tight = LabelSpreading(tol=1e-10).fit(X, y).n_iter_
    assert loose < LabelSpreading().fit(X, y).n_iter_ < tight


def test_a_pool_of_exactly_exact_up_to_rows_is_searched_exactly(monkeypatch):
    import importlib

    KG = importlib.import_module("fewlabels.learn.knn_graph")
    ls_module = importlib.import_module("fewlabels.learn.label_spreading")
    monkeypatch.setattr(KG, "EXACT_UP_TO", 60)
    monkeypatch.setattr(ls_module, "EXACT_UP_TO", 60)
    X, y_true = blobs(20, 3, 8)  # 60 rows
    at = LabelSpreading().fit(X, hide(y_true, 2))
    assert at.clusters_ is None  # n == EXACT_UP_TO: exact (the inverted file is for n >)
    assert getattr(LabelSpreading().build_graph(X), "node_order", None) is None
    X1, y1 = np.r_[X, X[:1] + 0.01], np.r_[y_true, y_true[:1]]  # 61 rows
    above = LabelSpreading().fit(X1, hide(y1, 2))
    assert above.clusters_ is not None
    assert getattr(LabelSpreading().build_graph(X1), "node_order", None) is not None


def test_a_row_of_weight_zero_does_not_count_towards_balanced_class_weights():
    X, y_true = blobs(30, 2, 8)
    y = np.full(60, -1)
    zeros = np.flatnonzero(y_true == 0)[:3]
    ones = np.flatnonzero(y_true == 1)[:1]
    y[zeros], y[ones] = 0, 1
    w = np.ones(60)
    w[zeros[0]] = 0.0  # two labelled rows of class 0 count, one of class 1
    model = LabelSpreading(class_weight="balanced").fit(X, y, sample_weight=w)
    np.testing.assert_allclose(model.class_weight_, [3 / 4, 3 / 2])


def test_the_solver_stops_after_200_iterations_by_default():
    # run, not read from the signature: mutmut's trampolines keep the original signature
    n = 2000  # a long path: conjugate gradient needs many more than 200 steps to reach 0
    W = sp.diags([np.ones(n - 1), np.ones(n - 1)], [-1, 1], format="csr")
    d = 1.0 / np.sqrt(np.asarray(W.sum(axis=1)).ravel())
    S = sp.diags(d) @ W @ sp.diags(d)
    Y = np.zeros((n, 2))
    Y[0, 0] = Y[1, 1] = 1.0
    _, n_iter = spread_labels(S, Y, tol=0.0)  # a tolerance of 0 is never met
    assert n_iter == 200
    assert LabelSpreading().max_iter == 200
