import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fewlabels.learn.class_means import class_means


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 5), st.integers(1, 6))
def test_means_match_a_direct_computation(seed, n_classes, dim):
    rng = np.random.default_rng(seed)
    n = 20
    X = rng.normal(size=(n, dim)).astype(np.float32)
    y = rng.integers(-1, n_classes, size=n)
    means = class_means(X, y, n_classes, normalize=False)
    for c in range(n_classes):
        rows = X[y == c]
        expected = rows.mean(axis=0) if len(rows) else np.zeros(dim)
        np.testing.assert_allclose(means[c], expected, rtol=1e-4, atol=1e-5)
    unit = class_means(X, y, n_classes)
    norms = np.linalg.norm(unit, axis=1)
    present = np.isin(np.arange(n_classes), y)
    np.testing.assert_allclose(norms[present], 1.0, rtol=1e-5)
    assert np.all(norms[~present] == 0)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.1, 10))
def test_scaling_all_weights_changes_nothing(seed, scale):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(15, 4))
    y = rng.integers(0, 3, size=15)
    w = rng.uniform(0.1, 1, size=15)
    np.testing.assert_allclose(
        class_means(X, y, 3, sample_weight=w),
        class_means(X, y, 3, sample_weight=scale * w),
        rtol=1e-4,
        atol=1e-6,
    )


def test_zero_weight_rows_and_unlabelled_rows_are_ignored():
    X = np.array([[1.0, 0.0], [0.0, 1.0], [5.0, 5.0], [9.0, -9.0]])
    y = np.array([0, 0, -1, 0])
    w = np.array([1.0, 1.0, 1.0, 0.0])
    np.testing.assert_allclose(class_means(X, y, 1, sample_weight=w, normalize=False), [[0.5, 0.5]])


@pytest.mark.parametrize("normalize", [True, False])
def test_a_class_without_labelled_rows_gets_an_exact_zero_row_in_float32(normalize):
    X = np.array([[3.0, 4.0], [1.0, 1.0], [9.0, 9.0]])
    y = np.array([0, 0, -1])
    means = class_means(X, y, 3, normalize=normalize)
    assert means.dtype == np.float32
    np.testing.assert_array_equal(means[1:], np.zeros((2, 2), dtype=np.float32))
    expected = np.array([2.0, 2.5]) / (np.hypot(2.0, 2.5) if normalize else 1.0)
    np.testing.assert_allclose(means[0], expected, rtol=1e-6)
