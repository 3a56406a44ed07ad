import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from fewlabels.learn.features import center_normalize, l2_rows, pool_mean

finite = st.floats(-10, 10, allow_nan=False, width=32).filter(lambda v: v == 0 or abs(v) > 1e-3)


@settings(max_examples=30, deadline=None)
@given(arrays(np.float32, st.tuples(st.integers(1, 12), st.integers(1, 6)), elements=finite))
def test_rows_have_unit_norm_or_stay_zero(X):
    Z = center_normalize(X, pool_mean(X))
    norms = np.linalg.norm(Z, axis=1)
    assert np.all((np.abs(norms - 1) < 1e-4) | (norms < 1e-3))


def test_centering_removes_the_shared_direction():
    rng = np.random.default_rng(0)
    shared = np.ones(5)
    X = shared + 0.1 * rng.normal(size=(50, 5))
    raw = l2_rows(X)
    centred = center_normalize(X, pool_mean(X))
    # Raw rows are all nearly parallel; centred ones spread out.
    assert (raw @ raw.T).min() > 0.9
    assert (centred @ centred.T).min() < 0.0


def test_no_mean_is_plain_normalisation():
    X = np.array([[3.0, 4.0], [0.0, 2.0]])
    np.testing.assert_allclose(center_normalize(X, None), [[0.6, 0.8], [0.0, 1.0]], rtol=1e-6)
