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


# --- blocked: one pass over a memmap, the same answer as the whole-array formula ----------


def _unblocked_mean(X):
    return l2_rows(X).mean(axis=0, dtype=np.float64).astype(np.float32)


def _unblocked_center(X, mean):
    Z = l2_rows(X)
    return Z if mean is None else l2_rows(Z - mean.astype(np.float32)[None, :])


def test_blocked_centring_equals_the_whole_array_formula_on_a_memmap(tmp_path):
    rng = np.random.default_rng(7)
    X = (rng.standard_normal((1003, 24)) + 2.0).astype(np.float32)  # 1003 = 7 x 137 + 44
    path = tmp_path / "x.npy"
    np.save(path, X)
    mm = np.load(path, mmap_mode="r")
    for source in (X, mm):
        mean = pool_mean(source, block_rows=137)  # a last partial block of 44 rows
        np.testing.assert_allclose(mean, _unblocked_mean(X), rtol=1e-6, atol=1e-7)
        got = center_normalize(source, mean, block_rows=137)
        assert got.dtype == np.float32 and got.shape == X.shape
        np.testing.assert_allclose(got, _unblocked_center(X, mean), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(
            center_normalize(source, None, block_rows=137), l2_rows(X), rtol=1e-6
        )
    # the block size does not change the answer (one block, single rows, many blocks)
    for block in (1, 500, 10_000):
        np.testing.assert_allclose(pool_mean(X, block_rows=block), _unblocked_mean(X), atol=1e-6)
        np.testing.assert_allclose(
            center_normalize(X, mean, block_rows=block), _unblocked_center(X, mean), atol=1e-6
        )


def test_blocked_centring_rows_are_independent_of_their_block():
    # a row's output depends on the row and the mean only, not on which block holds it
    rng = np.random.default_rng(1)
    X = rng.standard_normal((50, 6)).astype(np.float32)
    mean = pool_mean(X)
    whole = center_normalize(X, mean, block_rows=7)
    np.testing.assert_allclose(center_normalize(X[13:14], mean), whole[13:14], atol=1e-7)
    assert np.isnan(pool_mean(X[:0])).all()


def test_the_pool_mean_is_float32_even_for_no_rows():
    X = np.random.default_rng(2).standard_normal((20, 5)).astype(np.float64)
    assert pool_mean(X).dtype == np.float32
    empty = pool_mean(X[:0])
    assert empty.dtype == np.float32 and empty.shape == (5,) and np.isnan(empty).all()
