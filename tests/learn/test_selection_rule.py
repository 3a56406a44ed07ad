import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fewlabels.errors import FewlabelsError
from fewlabels.learn.selection_rule import (
    paired_standard_error,
    pick_by_margin,
    pool_class_weights,
)


def test_pool_weights_move_balanced_labels_to_the_pool_shares():
    labelled = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    w = pool_class_weights(labelled, np.array([0.9, 0.1]))
    # Weighted, the labelled rows are 90 % class 0, like the pool; mean weight 1.
    shares = np.bincount(labelled) * w / (np.bincount(labelled) * w).sum()
    np.testing.assert_allclose(shares, [0.9, 0.1])
    np.testing.assert_allclose((w[labelled]).mean(), 1.0)


def test_pool_weights_are_one_when_the_labels_already_follow_the_pool():
    labelled = np.array([0, 0, 0, 1])
    np.testing.assert_allclose(pool_class_weights(labelled, np.array([3.0, 1.0])), [1.0, 1.0])


def test_pool_weights_give_zero_to_a_class_without_labels_and_refuse_bad_priors():
    w = pool_class_weights(np.array([0, 0, 1]), np.array([0.5, 0.25, 0.25]))
    assert w[2] == 0.0
    with pytest.raises(FewlabelsError, match="priors >= 0 and not all 0"):
        pool_class_weights(np.array([0, 1]), np.array([0.0, 0.0]))
    with pytest.raises(FewlabelsError, match="class codes in 0..1"):
        pool_class_weights(np.array([0, 2]), np.array([0.5, 0.5]))


def test_paired_standard_error_matches_the_textbook_formula_with_equal_weights():
    a = np.array([1, 1, 0, 1, 0, 1], dtype=float)
    b = np.array([1, 0, 0, 0, 1, 1], dtype=float)
    d = a - b
    expected = d.std(ddof=1) / np.sqrt(d.size)
    assert paired_standard_error(a, b) == pytest.approx(expected)
    assert paired_standard_error(a, b, np.full(6, 3.0)) == pytest.approx(expected)
    assert paired_standard_error(a, a) == 0.0
    assert paired_standard_error(a[:1], b[:1]) == 0.0


@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=2, max_size=30))
def test_paired_standard_error_is_finite_and_non_negative(pairs):
    a = np.array([p[0] for p in pairs], dtype=float)
    b = np.array([p[1] for p in pairs], dtype=float)
    se = paired_standard_error(a, b, np.linspace(0.5, 2.0, a.size))
    assert np.isfinite(se) and se >= 0


SCORES = {"prior": 0.80, "challenger": 0.90}
SES = {"prior": 0.05, "challenger": 0.0}


def test_the_prior_candidate_is_kept_within_its_margin():
    # 0.80 >= 0.90 - 2 x 0.05 exactly: ">=" keeps the prior at the boundary.
    pick = pick_by_margin(SCORES, SES, ["prior", "challenger"], margins={"prior": 2.0})
    assert pick == "prior"


def test_the_challenger_wins_beyond_the_margin():
    # 0.80 < 0.90 - 1.99 x 0.05: the prior is displaced just past the boundary.
    pick = pick_by_margin(SCORES, SES, ["prior", "challenger"], margins={"prior": 1.99})
    assert pick == "challenger"
    assert pick_by_margin(SCORES, SES, ["prior", "challenger"], margins={}) == "challenger"


def test_tie_tolerance_and_order_decide_exact_ties():
    scores = {"a": 0.5, "b": 0.5}
    ses = {"a": 0.0, "b": 0.0}
    assert pick_by_margin(scores, ses, ["b", "a"], margins={}) == "b"
    assert pick_by_margin({"a": 0.45, "b": 0.5}, ses, ["a", "b"], margins={}, tie_tol=0.05) == "a"
    assert pick_by_margin({"a": 0.44, "b": 0.5}, ses, ["a", "b"], margins={}, tie_tol=0.05) == "b"


def test_pick_refuses_empty_scores_and_names_missing_from_the_order():
    with pytest.raises(FewlabelsError, match="at least one scored candidate"):
        pick_by_margin({}, {}, [], margins={})
    with pytest.raises(FewlabelsError, match=r"\['b'\] are not in"):
        pick_by_margin({"a": 1.0, "b": 0.0}, {"a": 0.0, "b": 0.0}, ["a"], margins={})
