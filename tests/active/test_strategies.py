"""The contract every strategy keeps, checked over random pools (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fewlabels.active import get_strategy, list_strategies

ALL = list_strategies()


@st.composite
def pools(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, int]:
    n = draw(st.integers(3, 40))
    dim = draw(st.integers(1, 6))
    k = draw(st.integers(2, 4))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, dim)).astype(np.float32)
    if draw(st.booleans()):
        X[: n // 2] = X[0]  # many exact duplicates
    n_lab = draw(st.integers(0, n - 1))
    mask = np.zeros(n, bool)
    mask[rng.choice(n, n_lab, replace=False)] = True
    proba = rng.dirichlet(np.ones(k), size=n) if draw(st.booleans()) else None
    batch = draw(st.integers(1, n + 3))
    return X, mask, proba, batch


@pytest.mark.parametrize("name", ALL)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pool=pools())
def test_select_contract(
    name: str, pool: tuple[np.ndarray, np.ndarray, np.ndarray | None, int]
) -> None:
    X, mask, proba, n = pool
    strat = get_strategy(name)
    sel = strat.select(X, n=n, proba=proba, labeled_mask=mask, random_state=3)
    n_free = int((~mask).sum())
    assert sel.dtype == np.int64
    assert sel.size == min(n, n_free)
    assert np.unique(sel).size == sel.size
    assert not mask[sel].any()
    again = strat.select(X, n=n, proba=proba, labeled_mask=mask, random_state=3)
    np.testing.assert_array_equal(sel, again)
    score = strat.score(X, proba=proba, labeled_mask=mask)
    assert score.shape == (X.shape[0],) and np.isfinite(score).all()


@pytest.mark.parametrize("name", ALL)
def test_positions_mask_equals_boolean_mask(
    name: str, blobs: tuple[np.ndarray, np.ndarray], blob_proba: np.ndarray
) -> None:
    X, _ = blobs
    mask = np.zeros(len(X), bool)
    mask[[1, 2, 33]] = True
    s = get_strategy(name)
    a = s.select(X, n=4, proba=blob_proba, labeled_mask=mask, random_state=0)
    b = s.select(X, n=4, proba=blob_proba, labeled_mask=np.array([1, 2, 33]), random_state=0)
    np.testing.assert_array_equal(a, b)


def test_random_differs_across_seeds(blobs: tuple[np.ndarray, np.ndarray]) -> None:
    X, _ = blobs
    s = get_strategy("random")
    mask = np.zeros(len(X), bool)
    draws = {tuple(s.select(X, n=5, labeled_mask=mask, random_state=i)) for i in range(5)}
    assert len(draws) > 1


# -- bad input -----------------------------------------------------------------------


def test_unknown_strategy_lists_known() -> None:
    with pytest.raises(ValueError, match=r"Unknown strategy 'uncertainty'.*'margin'.*'badge'"):
        get_strategy("uncertainty")


def test_unknown_parameter_lists_accepted() -> None:
    with pytest.raises(TypeError, match=r"unknown parameter\(s\) \['k'\].*dedup_threshold"):
        get_strategy("margin", k=3)


@pytest.mark.parametrize("n", [0, -2, 2.5, True])
def test_batch_size_must_be_positive(n: object, blobs: tuple[np.ndarray, np.ndarray]) -> None:
    X, _ = blobs
    with pytest.raises(ValueError, match=r"Expected n to be a whole number >= 1.*got"):
        get_strategy("random").select(X, n=n, labeled_mask=np.zeros(len(X), bool))  # type: ignore[arg-type]


def test_exhausted_pool_is_explained(blobs: tuple[np.ndarray, np.ndarray]) -> None:
    X, _ = blobs
    with pytest.raises(
        ValueError, match=r"all 90 rows are already labelled: the pool is exhausted"
    ):
        get_strategy("margin").select(X, n=1, labeled_mask=np.ones(len(X), bool))


def test_proba_of_wrong_shape(blobs: tuple[np.ndarray, np.ndarray], blob_proba: np.ndarray) -> None:
    X, _ = blobs
    with pytest.raises(
        ValueError, match=r"Expected proba of shape \(90, n_classes\).*got shape \(89, 3\)"
    ):
        get_strategy("entropy").select(
            X, n=1, proba=blob_proba[:-1], labeled_mask=np.zeros(90, bool)
        )


def test_proba_rows_must_sum_to_one(
    blobs: tuple[np.ndarray, np.ndarray], blob_proba: np.ndarray
) -> None:
    X, _ = blobs
    with pytest.raises(ValueError, match=r"sum to 1.*not decision scores"):
        get_strategy("margin").score(X, proba=blob_proba * 2, labeled_mask=np.zeros(90, bool))


def test_mask_of_wrong_length(blobs: tuple[np.ndarray, np.ndarray]) -> None:
    X, _ = blobs
    with pytest.raises(
        ValueError, match=r"labeled_mask as a boolean array of shape \(90,\).*\(10,\)"
    ):
        get_strategy("coreset").select(X, n=1, labeled_mask=np.zeros(10, bool))


def test_one_dimensional_X() -> None:
    with pytest.raises(ValueError, match=r"Expected X as a 2-d array"):
        get_strategy("random").select(np.ones(5), n=1, labeled_mask=np.zeros(5, bool))


def test_every_strategy_is_described_and_named() -> None:
    from fewlabels.active import describe_strategy

    assert ALL[0] == "random" and len(ALL) == 9  # with multilabel-uncertainty
    for name in ALL:
        assert get_strategy(name).name == name
        assert len(describe_strategy(name)) > 10
