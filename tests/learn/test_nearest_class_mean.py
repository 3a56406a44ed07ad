import numpy as np
import pytest

from fewlabels.learn import NearestClassMean
from learn.learn_helpers import blobs, hide


def test_proba_is_a_softmax_of_cosines_to_the_class_means():
    X = np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0], [0.6, 0.8]], dtype=np.float32)
    y = np.array([0, -1, 1, -1])
    model = NearestClassMean(temperature=0.5, center=False).fit(X, y)
    np.testing.assert_allclose(model.means_, [[1, 0], [0, 1]])
    cos = X @ model.means_.T
    expected = np.exp(cos / 0.5) / np.exp(cos / 0.5).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict_proba(X), expected, rtol=1e-6)
    # Two classes: scikit-learn's shape (n,), the score of classes_[1] minus classes_[0].
    np.testing.assert_allclose(model.decision_function(X), cos[:, 1] - cos[:, 0], rtol=1e-6)


def test_lower_temperature_is_sharper():
    X, y_true = blobs(10, 3, 6, spread=0.4)
    y = hide(y_true, 2)
    soft = NearestClassMean(temperature=1.0).fit(X, y).predict_proba(X).max(axis=1)
    sharp = NearestClassMean(temperature=0.01).fit(X, y).predict_proba(X).max(axis=1)
    assert np.all(sharp >= soft - 1e-12)


def test_sample_weight_moves_the_mean():
    X = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]], dtype=np.float32)
    y = np.array([0, 0, 1])
    model = NearestClassMean(center=False).fit(X, y, sample_weight=np.array([1.0, 3.0, 1.0]))
    np.testing.assert_allclose(model.means_[0], np.array([1, 3]) / np.sqrt(10), rtol=1e-6)


def test_temperature_must_be_positive():
    X, y_true = blobs(5, 2, 4)
    with pytest.raises(ValueError, match=r"temperature in \(0, inf\], but got 0"):
        NearestClassMean(temperature=0).fit(X, hide(y_true, 1))


def test_class_weight_none_adds_the_log_labelled_shares():
    # "balanced" (the default) is the plain rule; None shifts by log(labelled share)
    X, y_true = blobs(20, 2, 4, spread=0.6)
    y = np.full_like(y_true, -1)
    y[:6] = 0
    y[20:22] = 1  # 6 + 2 labels
    plain = NearestClassMean().fit(X, y)
    np.testing.assert_array_equal(plain.log_prior_, [0.0, 0.0])
    shifted = NearestClassMean(class_weight=None).fit(X, y)
    np.testing.assert_allclose(shifted.log_prior_, [0.5 * np.log(3), -0.5 * np.log(3)])
    cos = plain._features(X) @ plain.means_.T
    expected = np.exp(cos / 0.05 + shifted.log_prior_)
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(shifted.predict_proba(X), expected, atol=1e-9)
    assert (shifted.predict(X) == 0).sum() >= (plain.predict(X) == 0).sum()
    # a dict scales the labelled shares: {1: 3} undoes the 3:1 imbalance
    undone = NearestClassMean(class_weight={1: 3.0}).fit(X, y)
    np.testing.assert_array_equal(undone.log_prior_, [0.0, 0.0])
