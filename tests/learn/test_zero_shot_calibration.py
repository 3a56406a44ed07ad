"""Zero-shot calibration and fusion: the pure functions' rules, on closed forms."""

import warnings

import numpy as np
import pytest

from fewlabels.errors import FewlabelsError
from fewlabels.learn.base import softmax
from fewlabels.learn.zero_shot_calibration import (
    agreement_weights,
    balance_biases,
    fuse_prototypes,
    loo_prototype_scores,
    pick_prototype_weight,
    prompt_agreement,
    resolve_prior,
    shrunk_prior,
    weighted_prototypes,
)

# --- prompt_agreement -----------------------------------------------------------------------


def test_prompt_agreement_is_the_own_class_mean_minus_the_other_classes_mean() -> None:
    Z = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]])
    y = np.array([0, 0, 1])
    P = [np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[0.0, 1.0]])]
    got = prompt_agreement(P, Z, y)
    # class 0, prompt [1, 0]: mean(1, 0.6) - 0 = 0.8; prompt [0, 1]: mean(0, 0.8) - 1 = -0.6
    np.testing.assert_allclose(got[0], [0.8, -0.6])
    # class 1, prompt [0, 1]: 1 - mean(0, 0.8) = 0.6
    np.testing.assert_allclose(got[1], [0.6])


def test_prompt_agreement_is_nan_for_a_class_with_no_labelled_rows_or_no_others() -> None:
    Z = np.array([[1.0, 0.0], [0.0, 1.0]])
    P = [np.ones((2, 2)), np.ones((3, 2)), np.ones((1, 2))]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # NaN by the rule, not numpy's mean of an empty slice
        got = prompt_agreement(P, Z, np.array([0, 1]))
        only = prompt_agreement(P[:2], Z, np.array([0, 0]))  # class 0 has every row
    assert not np.isnan(got[0]).any() and not np.isnan(got[1]).any()
    assert got[2].shape == (1,) and np.isnan(got[2]).all()  # class 2: no row of its own
    assert only[0].shape == (2,) and np.isnan(only[0]).all()
    assert only[1].shape == (3,) and np.isnan(only[1]).all()


# --- agreement_weights ----------------------------------------------------------------------


def test_agreement_weights_are_a_softmax_at_the_temperature() -> None:
    (w,) = agreement_weights([np.array([1.0, 0.0, 0.0])], temperature=0.5)
    e = np.exp(2.0)
    np.testing.assert_allclose(w, [e / (e + 2), 1 / (e + 2), 1 / (e + 2)])


def test_agreement_weights_survive_a_wide_spread() -> None:
    # exp of the raw agreements would overflow; the rule is a softmax, so one weight is 1
    (w,) = agreement_weights([np.array([0.0, -1000.0])], temperature=1.0)
    np.testing.assert_array_equal(w, [1.0, 0.0])
    (w,) = agreement_weights([np.array([1000.0, 999.0])], temperature=1.0)
    np.testing.assert_allclose(w, [1 / (1 + np.exp(-1.0)), 1 / (1 + np.exp(1.0))])


def test_agreement_weights_are_uniform_where_any_agreement_is_nan_and_empty_when_empty() -> None:
    got = agreement_weights(
        [np.array([np.nan, 0.5, 0.1, 0.2]), np.array([]), np.array([3.0])], temperature=0.1
    )
    assert got[0].tolist() == [0.25, 0.25, 0.25, 0.25]
    assert got[1].shape == (0,)
    assert got[2].tolist() == [1.0]
    assert agreement_weights([np.array([np.nan])], temperature=1.0)[0].tolist() == [1.0]


# --- weighted_prototypes --------------------------------------------------------------------


def test_weighted_prototypes_normalise_each_prompt_before_weighting_and_after() -> None:
    prompts = [np.array([[4.0, 0.0], [0.0, 1.0]]), np.array([[0.0, 3.0]])]
    got = weighted_prototypes(prompts, [np.array([0.5, 0.5]), np.array([1.0])])
    assert got.dtype == np.float32 and got.shape == (2, 2)
    # [1, 0] and [0, 1] weigh the same once normalised: the diagonal, not [4, 1]
    np.testing.assert_allclose(got, [[np.sqrt(0.5), np.sqrt(0.5)], [0.0, 1.0]], rtol=1e-6)
    uneven = weighted_prototypes(prompts[:1], [np.array([0.75, 0.25])])
    np.testing.assert_allclose(uneven, [[3 / np.sqrt(10), 1 / np.sqrt(10)]], rtol=1e-6)


# --- balance_biases -------------------------------------------------------------------------


def test_balance_biases_of_an_empty_pool_are_zero() -> None:
    b = balance_biases(np.zeros((0, 3)), prior=np.full(3, 1 / 3))
    assert b.tolist() == [0.0, 0.0, 0.0]


def test_balance_biases_take_one_step_per_iteration() -> None:
    logits = np.array([[2.0, 0.0], [1.0, 0.0], [0.0, 0.5]])
    prior = np.array([0.3, 0.7])
    assert balance_biases(logits, prior=prior, n_iter=0).tolist() == [0.0, 0.0]
    step = np.log(prior) - np.log(softmax(logits).mean(axis=0))
    np.testing.assert_allclose(balance_biases(logits, prior=prior, n_iter=1), step - step.mean())
    second = step + np.log(prior) - np.log(softmax(logits + step).mean(axis=0))
    np.testing.assert_allclose(
        balance_biases(logits, prior=prior, n_iter=2), second - second.mean()
    )


def test_balance_biases_stop_once_the_step_is_below_tol() -> None:
    logits = np.array([[2.0, 0.0], [1.0, 0.0], [0.0, 0.5]])
    prior = np.array([0.3, 0.7])
    one = balance_biases(logits, prior=prior, n_iter=1)
    # the first step is about 0.9: a tolerance above it stops after it, one below does not
    np.testing.assert_allclose(balance_biases(logits, prior=prior, tol=5.0), one)
    assert not np.allclose(balance_biases(logits, prior=prior, tol=0.1), one)
    # the defaults (200 iterations, tol 1e-4) reach the prior closely
    shares = softmax(logits + balance_biases(logits, prior=prior)).mean(axis=0)
    np.testing.assert_allclose(shares, prior, atol=2e-4)


def test_balance_biases_stay_finite_where_a_class_share_underflows() -> None:
    # class 1 gets softmax 0 on every row: its share is floored, not log(0) = -inf
    logits = np.array([[0.0, -1000.0], [0.0, -2000.0]])
    b = balance_biases(logits, prior=np.array([0.5, 0.5]), n_iter=1)
    assert np.isfinite(b).all() and b[1] > b[0]
    assert b[1] - b[0] == pytest.approx(-np.log(1e-300), rel=1e-6)


# --- shrunk_prior ---------------------------------------------------------------------------


def test_shrunk_prior_weighs_the_shares_by_weight_and_the_prior_by_the_rest() -> None:
    got = shrunk_prior(np.array([1.0, 0.0]), np.array([0.5, 0.5]), weight=0.25)
    np.testing.assert_allclose(got, [0.625, 0.375])
    np.testing.assert_allclose(
        shrunk_prior(np.array([0.9, 0.1]), np.array([0.5, 0.5]), weight=0.0), [0.5, 0.5]
    )


def test_shrunk_prior_floor_is_one_tenth_of_a_uniform_share() -> None:
    # 2 classes: floor 0.05; a share of 0.04 is raised to 0.05, one of 0.06 kept
    got = shrunk_prior(np.array([0.96, 0.04]), np.array([0.5, 0.5]), weight=1.0)
    np.testing.assert_allclose(got, np.array([0.96, 0.05]) / 1.01)
    kept = shrunk_prior(np.array([0.94, 0.06]), np.array([0.5, 0.5]), weight=1.0)
    np.testing.assert_allclose(kept, [0.94, 0.06])


# --- fuse_prototypes ------------------------------------------------------------------------


def test_fuse_prototypes_weighs_the_text_by_weight() -> None:
    text = np.array([[1.0, 0.0]], dtype=np.float32)
    means = np.array([[0.0, 1.0]], dtype=np.float32)
    fused = fuse_prototypes(text, means, 0.75)
    np.testing.assert_allclose(fused, [[3 / np.sqrt(10), 1 / np.sqrt(10)]], rtol=1e-6)
    np.testing.assert_allclose(fuse_prototypes(text, means, 0.0), means)


def test_fuse_prototypes_keeps_the_text_of_a_class_without_a_mean_at_weight_zero() -> None:
    text = np.eye(2, dtype=np.float32)
    means = np.array([[0.6, 0.8], [0.0, 0.0]], dtype=np.float32)
    np.testing.assert_allclose(fuse_prototypes(text, means, 0.0), [[0.6, 0.8], [0.0, 1.0]])


def test_fuse_prototypes_uses_a_tiny_but_nonzero_mean() -> None:
    text = np.array([[1.0, 0.0]], dtype=np.float32)
    means = np.array([[0.0, 1e-3]], dtype=np.float32)  # not a unit row, but not zero
    fused = fuse_prototypes(text, means, 0.0)
    np.testing.assert_allclose(fused, [[0.0, 1.0]])


# --- pick_prototype_weight ------------------------------------------------------------------


def test_pick_prototype_weight_keeps_the_order_of_preference() -> None:
    assert pick_prototype_weight({0.5: 0.8, 1.0: 0.8}, n_labelled=50) == 0.5
    assert pick_prototype_weight({1.0: 0.8, 0.5: 0.8}, n_labelled=50) == 1.0


def test_pick_prototype_weight_at_exactly_two_standard_errors_keeps_the_text() -> None:
    # best 0.75 on 3 labels: se = sqrt(0.75 * 0.25 / 3) = 0.25, so 0.25 is just within
    assert pick_prototype_weight({1.0: 0.25, 0.5: 0.75}, n_labelled=3) == 1.0
    assert pick_prototype_weight({1.0: 0.24, 0.5: 0.75}, n_labelled=3) == 0.5


def test_pick_prototype_weight_forgives_rounding_at_a_perfect_score() -> None:
    # a perfect best has se 0: a score a rounding error below it is a tie, and ties keep text
    assert pick_prototype_weight({1.0: 1.0 - 1e-13, 0.0: 1.0}, n_labelled=10) == 1.0
    assert pick_prototype_weight({1.0: 1.0 - 1e-9, 0.0: 1.0}, n_labelled=10) == 0.0


def test_pick_prototype_weight_with_no_labels_reads_them_as_one() -> None:
    # best 0.9: one label gives se 0.3 (0.4 is within 2 se), two give se 0.21 (it is not)
    scores = {1.0: 0.4, 0.5: 0.9}
    assert pick_prototype_weight(scores, n_labelled=0) == 1.0
    assert pick_prototype_weight(scores, n_labelled=1) == 1.0
    assert pick_prototype_weight(scores, n_labelled=2) == 0.5


# --- loo_prototype_scores -------------------------------------------------------------------


def test_loo_scores_apply_the_pool_biases_of_the_prior() -> None:
    text = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    # every pool row looks like class 0 to the text: balancing to 50/50 adds -1 / temperature
    # to class 0's logit against class 1's, so a labelled row goes to class 0 only when its
    # cosine to class 0 exceeds its cosine to class 1 by more than 1
    Z_pool = np.tile(np.array([[1.0, 0.0]], dtype=np.float32), (6, 1))
    Z_lab = np.array(
        [[0.8, 0.6], [0.6, 0.8], [0.28, 0.96], [np.sqrt(0.5), -np.sqrt(0.5)]], dtype=np.float32
    )
    y = np.array([0, 1, 1, 0])  # margins 0.2 (lost to the bias), -0.2, -0.68, 1.41 (kept)
    plain = loo_prototype_scores(Z_pool, Z_lab, y, text, grid=(1.0,), temperature=0.1, prior=None)
    assert plain == {1.0: 1.0}
    biased = loo_prototype_scores(
        Z_pool, Z_lab, y, text, grid=(1.0,), temperature=0.1, prior=np.array([0.5, 0.5])
    )
    assert biased == {1.0: 0.75}


def test_loo_scores_leave_the_row_out_of_a_class_of_two() -> None:
    # class 0 has two rows far apart; left out, each is predicted by the other's direction
    text = np.array([[0.0, 1.0], [1.0, 0.0]], dtype=np.float32)  # text says the opposite
    Z = np.array([[1.0, 0.0], [0.96, 0.28], [0.0, 1.0], [0.28, 0.96]], dtype=np.float32)
    y = np.array([0, 0, 1, 1])
    scores = loo_prototype_scores(Z, Z, y, text, grid=(0.0, 1.0), temperature=1.0, prior=None)
    assert scores == {0.0: 1.0, 1.0: 0.0}
    assert list(scores) == [0.0, 1.0]  # in the order of the grid


def test_loo_scores_never_let_a_row_vote_for_itself() -> None:
    # weight 0: the class means alone. Left out, row a's class mean is b (orthogonal to a)
    # and class 1's mean c is nearer: a miss; so for b. With its own row in the mean, each
    # would be a hit.
    a, b, c = [1.0, 0.0], [0.0, 1.0], [0.6, 0.8]
    Z = np.array([a, b, c], dtype=np.float32)
    y = np.array([0, 0, 1])
    text = np.eye(2, dtype=np.float32)
    scores = loo_prototype_scores(Z, Z, y, text, grid=(0.0,), temperature=1.0, prior=None)
    assert scores == {0.0: 0.0}


def test_loo_scores_with_no_labelled_rows_are_zero() -> None:
    text = np.eye(2, dtype=np.float32)
    empty = np.zeros((0, 2), dtype=np.float32)
    got = loo_prototype_scores(
        np.eye(2, dtype=np.float32),
        empty,
        np.zeros(0, dtype=np.int64),
        text,
        grid=(1.0, 0.5),
        temperature=0.1,
        prior=None,
    )
    assert got == {1.0: 0.0, 0.5: 0.0}
    # one labelled row, predicted right: a score of 1
    one = loo_prototype_scores(
        text, text[:1], np.zeros(1, dtype=np.int64), text, grid=(1.0,), temperature=0.1, prior=None
    )
    assert one == {1.0: 1.0}


# --- resolve_prior --------------------------------------------------------------------------


def test_resolve_prior_refuses_another_string_with_the_two_forms() -> None:
    with pytest.raises(
        FewlabelsError,
        match=r"^ZeroShot expected prior='uniform' or a mapping of class name -> share, but "
        r"got 'balanced'\.$",
    ):
        resolve_prior("balanced", ["a", "b"])


def test_resolve_prior_names_every_unknown_key_sorted() -> None:
    with pytest.raises(
        FewlabelsError,
        match=r"^ZeroShot expected prior keyed by the class names \['a', 'b'\], but got "
        r"unknown key\(s\) \['x', 'y'\]\.$",
    ):
        resolve_prior({"y": 0.1, "a": 0.5, "x": 0.2}, ["a", "b"])


@pytest.mark.parametrize("bad", [0.0, -0.1, float("nan"), float("inf")])
def test_resolve_prior_refuses_shares_that_are_not_positive_and_finite(bad: float) -> None:
    with pytest.raises(
        FewlabelsError, match=r"^ZeroShot expected prior shares > 0, but got \{'b': .*\}\.$"
    ):
        resolve_prior({"a": 0.5, "b": bad}, ["a", "b"])


def test_resolve_prior_follows_the_order_of_the_names() -> None:
    np.testing.assert_allclose(resolve_prior({"b": 3.0, "a": 1.0}, ["a", "b"]), [0.25, 0.75])


def test_resolve_prior_gives_missing_classes_the_smallest_share_once_nothing_is_left() -> None:
    # exactly 1 named: nothing left, the missing class gets the smallest named share
    np.testing.assert_allclose(resolve_prior({"a": 0.5, "b": 0.5}, ["a", "b", "c"]), [1 / 3] * 3)
    # more than 1 named: the same
    np.testing.assert_allclose(
        resolve_prior({"a": 0.7, "b": 0.5}, ["a", "b", "c"]), np.array([0.7, 0.5, 0.5]) / 1.7
    )
    # what is left is shared evenly by the missing classes
    np.testing.assert_allclose(
        resolve_prior({"a": 0.4}, ["a", "b", "c", "d"]), [0.4, 0.2, 0.2, 0.2]
    )
