"""The exact rules of the selection rule's three steps (closed forms and boundaries)."""

from __future__ import annotations

import numpy as np
import pytest

from fewlabels.errors import FewlabelsError
from fewlabels.learn.selection_rule import (
    paired_standard_error,
    pick_by_margin,
    pool_class_weights,
)


def test_weighted_standard_error_is_the_closed_form():
    a = np.array([1.0, 0.0, 1.0, 1.0, 0.0])
    b = np.array([0.0, 0.0, 1.0, 0.0, 1.0])
    w = np.array([1.0, 2.0, 3.0, 0.5, 1.5])
    d = a - b
    v = w / w.sum()
    dbar = (v * d).sum()
    expected = np.sqrt(5 / 4 * (v**2 * (d - dbar) ** 2).sum())
    assert paired_standard_error(a, b, w) == pytest.approx(expected, rel=1e-12)
    # integer hits are read as floats (not a wrapped unsigned difference)
    assert paired_standard_error(a.astype(np.uint8), b.astype(np.uint8), w) == pytest.approx(
        expected, rel=1e-12
    )


def test_two_rows_are_enough_and_fewer_give_zero():
    # d = (1, -1): mean 0, sqrt(2 / 1 * (1/4 + 1/4)) = 1
    assert paired_standard_error(np.array([1.0, 0.0]), np.array([0.0, 1.0])) == pytest.approx(1.0)
    assert paired_standard_error(np.array([1.0]), np.array([0.0])) == 0.0
    assert paired_standard_error(np.array([]), np.array([])) == 0.0


def test_weights_summing_to_zero_give_zero():
    a = np.array([1.0, 0.0, 1.0])
    b = np.array([0.0, 1.0, 0.0])
    assert paired_standard_error(a, b, np.zeros(3)) == 0.0
    # a single positive weight: that row is the mean, no spread left
    assert paired_standard_error(a, b, np.array([0.0, 0.0, 2.0])) == 0.0


def test_pool_weights_closed_form_and_mean_one():
    labelled = np.array([0, 0, 0, 1, 2, 2])
    w = pool_class_weights(labelled, np.array([2.0, 1.0, 1.0]))  # normalised to 0.5, .25, .25
    share = np.array([3, 1, 2]) / 6
    raw = np.array([0.5, 0.25, 0.25]) / share
    np.testing.assert_allclose(w, raw / (raw * share).sum(), rtol=1e-12)
    np.testing.assert_allclose(w[labelled].mean(), 1.0, rtol=1e-12)
    assert w.dtype == np.float64


def test_pool_weights_without_labels_are_ones_and_codes_at_the_edges_are_accepted():
    np.testing.assert_array_equal(
        pool_class_weights(np.array([], dtype=int), np.ones(3)), [1, 1, 1]
    )
    w = pool_class_weights(np.array([0, 2]), np.array([0.2, 0.3, 0.5]))
    np.testing.assert_allclose(w, np.array([0.4, 0.0, 1.0]) / 0.7)


def test_pool_weights_where_labelled_classes_have_zero_prior_are_ones():
    # every labelled row is in a class the pool says is absent: no weighting is possible
    np.testing.assert_array_equal(
        pool_class_weights(np.array([1, 1]), np.array([1.0, 0.0])), [1.0, 1.0]
    )


@pytest.mark.parametrize("priors", [[0.5, -0.1], [np.inf, 1.0], [np.nan, 1.0], [0.0, 0.0]], ids=str)
def test_pool_weights_refuse_bad_priors_in_full(priors):
    with pytest.raises(FewlabelsError, match=r"priors >= 0 and not all 0, but got \[") as err:
        pool_class_weights(np.array([0, 1]), np.array(priors))
    assert "Pass the pool's class shares, e.g. from estimate_priors." in str(err.value)


def test_pool_weights_refuse_negative_codes_and_say_the_range():
    with pytest.raises(
        FewlabelsError, match=r"codes in 0\.\.1, but got codes from -1 to 1\. Pass one prior"
    ):
        pool_class_weights(np.array([-1, 1]), np.array([0.5, 0.5]))
    with pytest.raises(FewlabelsError, match=r"codes from 0 to 2\."):
        pool_class_weights(np.array([0, 2]), np.array([0.5, 0.5]))


def test_margin_is_margins_times_standard_error_and_missing_margins_are_zero():
    scores = {"a": 0.7, "b": 0.9}
    ses = {"a": 0.1, "b": 0.0}
    # 0.7 >= 0.9 - 2 x 0.1: kept; with margin 1 (0.8) it is not
    assert pick_by_margin(scores, ses, ["a", "b"], margins={"a": 2.0}) == "a"
    assert pick_by_margin(scores, ses, ["a", "b"], margins={"a": 1.0}) == "b"
    assert pick_by_margin(scores, ses, ["a", "b"], margins={"b": 5.0}) == "b"
    # the larger of margin x se and tie_tol counts
    assert pick_by_margin(scores, ses, ["a", "b"], margins={"a": 1.0}, tie_tol=0.2) == "a"
    assert pick_by_margin(scores, ses, ["a", "b"], margins={"a": 2.5}, tie_tol=0.01) == "a"


def test_order_may_name_unscored_candidates_which_are_passed_over():
    scores = {"a": 0.5, "b": 0.9}
    ses = {"a": 0.0, "b": 0.0}
    assert pick_by_margin(scores, ses, ["gone", "a", "b"], margins={}) == "b"
    assert pick_by_margin(scores, ses, ["gone", "b", "a"], margins={}) == "b"
    assert pick_by_margin({"a": 0.5}, {"a": 0.0}, ["x", "a"], margins={}) == "a"


def test_the_missing_names_message_lists_the_order():
    with pytest.raises(FewlabelsError) as err:
        pick_by_margin({"a": 1.0, "b": 0.0}, {"a": 0.0, "b": 0.0}, ["a"], margins={})
    assert str(err.value) == (
        "pick_by_margin expected every scored candidate in order, but ['b'] are not in "
        "['a']. Pass the order of preference of all candidates."
    )


def test_weights_summing_to_less_than_one_still_count():
    a = np.array([1.0, 0.0, 1.0])
    b = np.array([0.0, 0.0, 0.0])
    w = np.array([0.1, 0.2, 0.3])
    assert paired_standard_error(a, b, w) == pytest.approx(paired_standard_error(a, b, w * 10))
    assert paired_standard_error(a, b, w) > 0


def test_one_labelled_row_weighs_one_and_the_other_classes_zero():
    np.testing.assert_array_equal(pool_class_weights(np.array([0]), np.array([0.5, 0.5])), [1, 0])


def test_an_unscored_name_first_in_the_order_does_not_end_the_search():
    scores = {"a": 0.85, "b": 0.9}
    ses = {"a": 0.0, "b": 0.0}
    assert pick_by_margin(scores, ses, ["gone", "a", "b"], margins={}, tie_tol=0.1) == "a"


def test_a_candidate_without_a_margin_may_not_trail_by_its_standard_error():
    scores = {"a": 0.8, "b": 0.9}
    ses = {"a": 0.2, "b": 0.0}
    assert pick_by_margin(scores, ses, ["a", "b"], margins={}) == "b"
    assert pick_by_margin(scores, ses, ["a", "b"], margins={"a": 0.5}) == "a"


def test_the_refusals_say_their_whole_message():
    with pytest.raises(FewlabelsError) as err:
        pool_class_weights(np.array([0, 1]), np.array([0.0, 0.0]))
    assert str(err.value) == (
        "pool_class_weights expected priors >= 0 and not all 0, but got [0.0, 0.0]. "
        "Pass the pool's class shares, e.g. from estimate_priors."
    )
    with pytest.raises(FewlabelsError) as err:
        pick_by_margin({}, {}, [], margins={})
    assert str(err.value) == "pick_by_margin expected at least one scored candidate, got none."


def test_a_candidate_at_the_margin_plus_rounding_slack_is_kept():
    # kept while scores[c] >= best - margin - 1e-12: the slack absorbs the rounding of a
    # score computed as best - margin; exactly at the slack's edge still counts
    edge = 0.8 - 0.1 - 1e-12
    pick = pick_by_margin(
        {"a": edge, "b": 0.8}, {"a": 0.0, "b": 0.0}, ["a", "b"], margins={}, tie_tol=0.1
    )
    assert pick == "a"
    below = np.nextafter(edge, 0.0)
    assert (
        pick_by_margin(
            {"a": below, "b": 0.8}, {"a": 0.0, "b": 0.0}, ["a", "b"], margins={}, tie_tol=0.1
        )
        == "b"
    )


def test_pool_weights_are_computed_in_float64_whatever_the_priors_dtype():
    priors = np.array([1.0, 3.0, 5.0], dtype=np.float32)  # ninths round in float32
    labelled = np.array([0, 1, 1, 2])
    q = priors.astype(np.float64)
    share = np.array([0.25, 0.5, 0.25])
    expected = (q / q.sum()) / share
    expected /= (expected * share).sum()
    w = pool_class_weights(labelled, priors)
    assert w.dtype == np.float64
    # float32 arithmetic would be off by about 1e-8
    np.testing.assert_allclose(w, expected, rtol=1e-13)
