"""The Strategy base: the checks at the public edge and the contract it enforces."""

from __future__ import annotations

import numpy as np
import pytest

from fewlabels.active import get_strategy, list_strategies
from fewlabels.active.base import (
    Strategy,
    check_labeled_mask,
    check_pool_proba,
    rank_unlabeled,
)
from fewlabels.errors import FewlabelsError, InputTypeError

X4 = np.eye(4, dtype=np.float32)


def test_labelled_positions_cover_zero_to_n_minus_one() -> None:
    mask = check_labeled_mask(np.array([0, 3]), 4)
    assert mask.tolist() == [True, False, False, True]


@pytest.mark.parametrize("bad", [-1, 4])
def test_labelled_positions_outside_the_pool_are_refused(bad: int) -> None:
    with pytest.raises(FewlabelsError, match=rf"positions in \[0, 3\], but got \[{bad}\]"):
        check_labeled_mask(np.array([0, bad]), 4)


def test_labelled_mask_of_floats_is_refused_with_the_dtype() -> None:
    with pytest.raises(InputTypeError, match=r"integer positions of the labelled rows.*float64"):
        check_labeled_mask(np.array([0.0, 1.0]), 4)


def test_a_single_column_of_probabilities_is_accepted() -> None:
    P = check_pool_proba(np.ones((3, 1)), 3)
    assert P.shape == (3, 1) and P.dtype == np.float64


def test_probabilities_as_text_are_refused_as_a_type_error() -> None:
    with pytest.raises(InputTypeError, match=r"Expected numeric proba, but got dtype <U"):
        check_pool_proba(np.array([["0.5", "0.5"]]), 1)


@pytest.mark.parametrize(
    "row", [[np.nan, 1.0], [np.inf, 0.0], [1.001, -0.001]], ids=["nan", "inf", "negative"]
)
def test_non_finite_or_negative_probabilities_are_refused(row: list[float]) -> None:
    with pytest.raises(FewlabelsError, match="finite, non-negative probabilities in proba"):
        check_pool_proba(np.array([row]), 1)


def test_rounding_below_zero_is_tolerated() -> None:
    # -1e-10 is float noise from a softmax, not a negative probability.
    P = check_pool_proba(np.array([[1.0 + 1e-10, -1e-10]]), 1)
    assert P[0, 1] == -1e-10


def test_rows_off_by_at_most_a_thousandth_are_accepted() -> None:
    check_pool_proba(np.array([[0.5, 0.5009]]), 1)
    with pytest.raises(FewlabelsError, match="row 0 sums to 1.002"):
        check_pool_proba(np.array([[0.5, 0.502]]), 1)


def test_rank_breaks_ties_at_random_but_keeps_score_order() -> None:
    scores = np.array([1, 5, 5, 0, 5])  # integers: ranked as numbers
    mask = np.array([False, False, False, False, True])
    orders = {tuple(rank_unlabeled(scores, mask, np.random.default_rng(s))) for s in range(20)}
    assert orders == {(1, 2, 0, 3), (2, 1, 0, 3)}
    assert rank_unlabeled(scores, mask, np.random.default_rng(0)).dtype == np.int64


class _ByMask(Strategy):
    """Scores rows by a label-dependent rule: the default ``_select`` must pass the mask on."""

    name = "by-mask"

    def _score(self, X: np.ndarray, proba: np.ndarray | None, labeled_mask: np.ndarray):  # type: ignore[no-untyped-def]
        # the row after a labelled one is the most wanted
        return np.roll(labeled_mask, 1).astype(int)


class _ByProba(Strategy):
    name = "by-proba"

    def _score(self, X: np.ndarray, proba: np.ndarray | None, labeled_mask: np.ndarray):  # type: ignore[no-untyped-def]
        assert proba is not None
        return (proba[:, 0] * 10).astype(int)


def test_score_is_float64_and_sees_the_probabilities() -> None:
    proba = np.array([[0.1, 0.9], [0.9, 0.1], [0.5, 0.5], [0.0, 1.0]])
    s = _ByProba().score(X4, proba=proba, labeled_mask=np.zeros(4, bool))
    assert s.dtype == np.float64
    assert s.tolist() == [1.0, 9.0, 5.0, 0.0]


def test_default_select_ranks_with_the_labelled_mask() -> None:
    mask = np.array([False, True, False, False])
    picked = _ByMask(dedup_threshold=None).select(X4, n=1, labeled_mask=mask, random_state=0)
    assert picked.tolist() == [2]
    assert picked.dtype == np.int64


class _Broken(Strategy):
    name = "broken"

    def __init__(self, *, answer: list[int]) -> None:
        super().__init__()
        self.answer = answer

    def _select(self, X, proba, labeled_mask, n, rng):  # type: ignore[no-untyped-def]
        return self.answer


@pytest.mark.parametrize(
    "answer", [[0], [0, 0], [1, 2]], ids=["too-few", "duplicate", "labelled-row"]
)
def test_a_strategy_breaking_its_contract_is_caught(answer: list[int]) -> None:
    mask = np.array([False, True, False, False])
    with pytest.raises(RuntimeError, match=r"'broken' broke its contract: expected 2 unique"):
        _Broken(answer=answer).select(X4, n=2, labeled_mask=mask)


@pytest.mark.parametrize("bad", [-1.5, -1.0, 1.5])
def test_dedup_threshold_is_a_cosine_in_minus_one_excluded_to_one(bad: float) -> None:
    with pytest.raises(FewlabelsError, match=r"Expected dedup_threshold in \(-1.0, 1.0\]"):
        get_strategy("random", dedup_threshold=bad).select(X4, n=1, labeled_mask=np.zeros(4, bool))
    for ok in (-0.999, 1.0):  # 1.0 suppresses exact duplicates only
        get_strategy("random", dedup_threshold=ok).select(X4, n=1, labeled_mask=np.zeros(4, bool))


@pytest.mark.parametrize("name", list_strategies())
def test_every_strategy_keeps_its_dedup_threshold(name: str) -> None:
    assert get_strategy(name, dedup_threshold=0.5).get_params()["dedup_threshold"] == 0.5
    assert get_strategy(name).get_params()["dedup_threshold"] == 0.99
