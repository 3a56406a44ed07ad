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
from learn.learn_helpers import blobs, hide

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
