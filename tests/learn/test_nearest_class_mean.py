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


def _weighted_pool() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """6 labelled rows of class 0 (the first 3 of weight 0), 2 of class 1, 4 unlabelled."""
    X, _ = blobs(6, 2, 4, spread=0.3)
    y = np.array([0, 0, 0, 0, 0, 0, 1, 1, -1, -1, -1, -1])
    w = np.array([0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1], dtype=np.float64)
    return X, y, w


def test_rows_of_weight_zero_do_not_count_in_the_prior():
    # class_weight=None: the prior is the share of labelled rows of positive weight, 3 : 2
    X, y, w = _weighted_pool()
    model = NearestClassMean(class_weight=None).fit(X, y, sample_weight=w)
    half = 0.5 * np.log(1.5)
    np.testing.assert_allclose(model.log_prior_, [half, -half], rtol=1e-12)
    # without weights all 6 rows of class 0 count: 6 : 2
    plain = NearestClassMean(class_weight=None).fit(X, y)
    np.testing.assert_allclose(plain.log_prior_, [0.5 * np.log(3), -0.5 * np.log(3)])


def test_balanced_weights_count_only_rows_of_positive_weight():
    # "balanced" weighs the 3 kept rows of class 0 against the 2 of class 1: equal priors
    X, y, w = _weighted_pool()
    model = NearestClassMean().fit(X, y, sample_weight=w)
    np.testing.assert_allclose(model.class_weight_, [5 / 6, 5 / 4])
    np.testing.assert_array_equal(model.log_prior_, [0.0, 0.0])


def test_a_class_whose_rows_all_weigh_zero_gets_the_floor_prior():
    # no weighted row in class 1: its prior is 1e-300, not 1, and the class still exists
    X, y, _ = _weighted_pool()
    w = np.array([1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1], dtype=np.float64)
    model = NearestClassMean(class_weight=None).fit(X, y, sample_weight=w)
    gap = np.log(6.0) - np.log(1e-300)
    np.testing.assert_allclose(model.log_prior_, [gap / 2, -gap / 2], rtol=1e-12)
    assert model.log_prior_.shape == (2,)


def test_equal_priors_up_to_rounding_are_exactly_zero():
    # counts 1, 2, 7 under "balanced": count x weight differ in the last bit
    X, _ = blobs(7, 3, 4, spread=0.3)
    y = np.full(21, -1)
    y[[0]] = 0
    y[[7, 8]] = 1
    y[14:21] = 2
    model = NearestClassMean().fit(X, y)
    counts = np.array([1.0, 2.0, 7.0])
    assert np.ptp(np.log(counts * model.class_weight_)) > 0  # the rounding is there
    np.testing.assert_array_equal(model.log_prior_, [0.0, 0.0, 0.0])
