import numpy as np
import pytest

from fewlabels.learn import LinearProbe
from learn.learn_helpers import blobs, hide


def test_regularisation_is_cross_validated_with_two_labels_per_class():
    X, y_true = blobs(20, 3, 8, spread=0.4)
    model = LinearProbe(Cs=(0.1, 1.0, 10.0)).fit(X, hide(y_true, 4))
    assert set(model.cv_scores_) == {0.1, 1.0, 10.0}
    assert model.C_ in model.cv_scores_
    assert model.cv_scores_[model.C_] == max(model.cv_scores_.values())


def test_one_label_per_class_uses_the_default():
    X, y_true = blobs(20, 3, 8)
    model = LinearProbe(default_C=7.0).fit(X, hide(y_true, 1))
    assert model.C_ == 7.0 and model.cv_scores_ is None


def test_a_fixed_C_skips_cross_validation():
    X, y_true = blobs(20, 3, 8)
    model = LinearProbe(C=2.0).fit(X, hide(y_true, 5))
    assert model.C_ == 2.0 and model.cv_scores_ is None


def test_binary_probabilities_follow_classes_order():
    X, y_true = blobs(20, 2, 6)
    model = LinearProbe(C=10.0).fit(X, hide(y_true, 3))
    proba = model.predict_proba(X)
    assert proba.shape == (40, 2)
    assert np.mean(proba.argmax(axis=1) == y_true) > 0.95
    # Binary decision_function has shape (n,) as in scikit-learn: positive for classes_[1].
    d = model.decision_function(X)
    assert d.shape == (40,)
    np.testing.assert_allclose(1.0 / (1.0 + np.exp(-d)), proba[:, 1], rtol=1e-6)


def test_weights_of_zero_drop_a_row():
    X, y_true = blobs(10, 2, 6)
    y = hide(y_true, 3)
    drop = np.flatnonzero(y == 0)[0]
    w = np.ones(len(y))
    w[drop] = 0.0
    y_without = y.copy()
    y_without[drop] = -1
    a = LinearProbe(C=5.0, center=False).fit(X, y, sample_weight=w).predict_proba(X)
    b = LinearProbe(C=5.0, center=False).fit(X, y_without).predict_proba(X)
    np.testing.assert_allclose(a, b, atol=1e-4)


def _reference(Z, y, C, w, max_iter):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, max_iter=max_iter).fit(Z, y, sample_weight=w)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_fixed_C_is_scikit_learns_logistic_regression_with_balanced_weights():
    # 6 : 3 labelled rows, weights 2 on two rows: every row's loss is weighed by
    # sample_weight x n / (K count_c) and the fit is LogisticRegression(C, max_iter)
    X, y_true = blobs(12, 2, 5, spread=0.8, seed=3)
    y = np.full_like(y_true, -1)
    y[:6] = 0
    y[12:15] = 1
    sw = np.ones(len(y))
    sw[[0, 12]] = 2.0
    model = LinearProbe(C=0.7, max_iter=4).fit(X, y, sample_weight=sw)
    Z = model._features(X)
    keep = y >= 0
    cw = np.array([9 / (2 * 6), 9 / (2 * 3)])  # labelled counts, not weighted sums
    np.testing.assert_allclose(model.class_weight_, cw)
    ref = _reference(Z[keep], y[keep], 0.7, sw[keep] * cw[y[keep]], 4)
    np.testing.assert_allclose(model.coef_[1], ref.coef_[0], rtol=1e-6)
    np.testing.assert_allclose(model.intercept_[1], ref.intercept_[0], rtol=1e-6)
    np.testing.assert_array_equal(model.coef_[0], 0.0)
    assert model.n_iter_ == int(np.max(ref.n_iter_))
    assert model.C_ == 0.7


def test_the_cross_validation_uses_the_weights_and_the_seed():
    from fewlabels.learn.linear_probe import choose_C

    X, y_true = blobs(15, 3, 6, spread=1.2, seed=1)
    y = hide(y_true, 5, seed=2)
    sw = np.linspace(0.2, 3.0, len(y))
    model = LinearProbe(Cs=(0.01, 0.3, 10.0), random_state=5, class_weight=None)
    model.fit(X, y, sample_weight=sw)
    Z = model._features(X)
    keep = y >= 0
    C, scores = choose_C(
        Z[keep], y[keep], (0.01, 0.3, 10.0), sample_weight=sw[keep], random_state=5, max_iter=200
    )
    assert model.cv_scores_ == scores
    assert model.C_ == C


def test_choose_C_scores_held_out_accuracy_over_three_seeded_folds():
    from sklearn.model_selection import StratifiedKFold

    from fewlabels.learn.linear_probe import choose_C

    X, y_true = blobs(8, 3, 6, spread=1.5, seed=4)
    Z = X / np.linalg.norm(X, axis=1, keepdims=True)
    w = np.linspace(0.5, 2.0, len(y_true))
    C, scores = choose_C(Z, y_true, (0.05, 1.0), sample_weight=w, random_state=0)
    for c in (0.05, 1.0):
        acc = []
        for tr, te in StratifiedKFold(n_splits=3, shuffle=True, random_state=0).split(Z, y_true):
            ref = _reference(Z[tr], y_true[tr], c, w[tr], 200)
            acc.append(np.mean(ref.predict(Z[te]) == y_true[te]))
        assert scores[c] == float(np.mean(acc))
    assert C in (0.05, 1.0)


def test_exactly_two_labels_per_class_is_enough_for_cross_validation():
    X, y_true = blobs(10, 2, 4, spread=0.4)
    two = LinearProbe().fit(X, hide(y_true, 2))
    assert two.cv_scores_ is not None
    y = hide(y_true, 2)
    y[np.flatnonzero(y == 1)[0]] = -1  # one class now has a single label
    one = LinearProbe(default_C=3.5).fit(X, y)
    assert one.cv_scores_ is None
    assert one.C_ == 3.5


def test_C_may_be_below_one():
    X, y_true = blobs(5, 2, 4)
    y = hide(y_true, 2)
    assert LinearProbe(C=0.5).fit(X, y).C_ == 0.5


def test_the_probe_centres_by_default():
    X, y_true = blobs(5, 2, 4)
    assert LinearProbe().fit(X + 2.0, hide(y_true, 2)).mean_ is not None


def test_equal_class_weights_other_than_one_still_scale_the_loss():
    # {0: 2, 1: 2} doubles every row's loss, which weakens the regularisation: not a no-op
    X, y_true = blobs(8, 2, 5, spread=0.8, seed=3)
    y = hide(y_true, 3)
    model = LinearProbe(C=0.5, class_weight={0: 2.0, 1: 2.0}).fit(X, y)
    Z = model._features(X)
    keep = y >= 0
    ref = _reference(Z[keep], y[keep], 0.5, np.full(keep.sum(), 2.0), 500)
    np.testing.assert_allclose(model.coef_[1], ref.coef_[0], rtol=1e-6)
    plain = LinearProbe(C=0.5, class_weight=None).fit(X, y)
    assert not np.allclose(plain.coef_, model.coef_)
