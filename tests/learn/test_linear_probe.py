import numpy as np

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
