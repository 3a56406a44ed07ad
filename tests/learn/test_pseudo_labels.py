import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fewlabels.learn.pseudo_labels import (
    confidence_weights,
    curriculum_threshold,
    select_pseudo_labels,
)


@st.composite
def probas(draw):
    n = draw(st.integers(0, 40))
    k = draw(st.integers(2, 5))
    seed = draw(st.integers(0, 10_000))
    logits = np.random.default_rng(seed).normal(scale=3, size=(n, k))
    p = np.exp(logits)
    return p / p.sum(axis=1, keepdims=True)


@settings(max_examples=30, deadline=None)
@given(probas(), st.floats(0, 1))
def test_fixed_threshold_takes_exactly_the_confident_rows(proba, threshold):
    chosen = select_pseudo_labels(proba, threshold=threshold)
    assert chosen.dtype == bool and chosen.shape == (len(proba),)
    np.testing.assert_array_equal(chosen, proba.max(axis=1) >= threshold)


@settings(max_examples=30, deadline=None)
@given(probas(), st.floats(0, 1), st.floats(0, 1))
def test_a_higher_threshold_never_takes_more(proba, a, b):
    lo, hi = sorted((a, b))
    for balanced in (False, True):
        n_lo = select_pseudo_labels(proba, threshold=lo, class_balanced=balanced).sum()
        n_hi = select_pseudo_labels(proba, threshold=hi, class_balanced=balanced).sum()
        assert n_hi <= n_lo


@settings(max_examples=30, deadline=None)
@given(probas(), st.floats(0, 1))
def test_class_balanced_takes_the_same_share_of_each_predicted_class(proba, threshold):
    chosen = select_pseudo_labels(proba, threshold=threshold, class_balanced=True)
    if len(proba) == 0:
        assert chosen.size == 0
        return
    share = np.mean(proba.max(axis=1) >= threshold)
    pred, conf = proba.argmax(axis=1), proba.max(axis=1)
    for c in np.unique(pred):
        rows = pred == c
        assert chosen[rows].sum() == round(share * rows.sum())
        # Within a class, the most confident rows are the ones taken.
        if chosen[rows].any() and (~chosen[rows]).any():
            assert conf[rows][chosen[rows]].min() >= conf[rows][~chosen[rows]].max()


def test_class_balance_stops_a_majority_class_from_swallowing_the_pool():
    # 90 sure rows of class 0, 10 less sure rows of class 1.
    proba = np.vstack([np.tile([0.99, 0.01], (90, 1)), np.tile([0.2, 0.8], (10, 1))])
    plain = select_pseudo_labels(proba, threshold=0.9)
    balanced = select_pseudo_labels(proba, threshold=0.9, class_balanced=True)
    assert plain[90:].sum() == 0
    assert balanced[90:].sum() == 9 and balanced[:90].sum() == 81


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=60), st.integers(1, 6))
def test_curriculum_admits_the_top_share_and_relaxes_each_round(conf, round_):
    conf = np.asarray(conf)
    t = curriculum_threshold(conf, round_=round_, step=20.0)
    share = min(1.0, round_ * 0.2)
    assert np.mean(conf >= t) >= share - 1e-9
    t_next = curriculum_threshold(conf, round_=round_ + 1, step=20.0)
    assert t_next <= t


def test_curriculum_admits_everything_once_the_steps_reach_100_percent():
    assert curriculum_threshold(np.array([0.2, 0.9]), round_=5, step=20.0) == -np.inf
    assert curriculum_threshold(np.array([]), round_=1) == np.inf


@settings(max_examples=30, deadline=None)
@given(probas(), st.floats(0, 4))
def test_confidence_weights_are_in_unit_interval_and_ordered(proba, power):
    w = confidence_weights(proba, power=power)
    assert w.shape == (len(proba),)
    assert np.all((w > 0) & (w <= 1 + 1e-12))
    order = np.argsort(proba.max(axis=1) if len(proba) else np.zeros(0))
    assert np.all(np.diff(w[order]) >= -1e-12)


def test_power_zero_gives_equal_weights():
    proba = np.array([[0.5, 0.5], [0.9, 0.1]])
    np.testing.assert_allclose(confidence_weights(proba, power=0.0), [1.0, 1.0])
    assert confidence_weights(proba) == pytest.approx([0.5, 0.9])


@pytest.mark.parametrize("class_balanced", [False, True])
def test_a_confidence_equal_to_the_threshold_is_taken(class_balanced):
    # Multiples of 1/8 are exact in binary floating point, so "equal" really is equal.
    # Each class has one row at the threshold and one below it.
    proba = np.array([[0.75, 0.25], [0.5, 0.5], [0.25, 0.75], [0.375, 0.625]])
    chosen = select_pseudo_labels(proba, threshold=0.75, class_balanced=class_balanced)
    assert chosen.tolist() == [True, False, True, False]
    assert select_pseudo_labels(proba, threshold=0.5).all()


def test_the_curriculum_threshold_admits_the_row_it_was_read_from():
    conf = np.array([0.5, 0.75, 0.625, 1.0, 0.5625])  # each row's top probability
    t = curriculum_threshold(conf, round_=2, step=20.0)  # top 40 %: two of five rows
    assert t == 0.75
    proba = np.stack([conf, 1.0 - conf], axis=1)
    assert select_pseudo_labels(proba, threshold=t).tolist() == [False, True, False, True, False]


def test_the_default_step_admits_a_fifth_of_the_rows_per_round():
    conf = np.arange(1000) / 1000.0
    assert curriculum_threshold(conf, round_=1) == 0.8  # the 200th largest: 200 rows
    assert curriculum_threshold(conf, round_=2) == 0.6
    assert curriculum_threshold(np.arange(10) / 10.0, round_=1) == 0.8  # 2 of 10


def test_round_zero_admits_only_the_most_confident_row():
    conf = np.arange(200) / 200.0
    assert curriculum_threshold(conf, round_=0) == conf.max()
    assert curriculum_threshold(conf, round_=-3) == conf.max()
    assert curriculum_threshold(np.zeros(0), round_=1) == float("inf")


def test_a_single_row_is_selected_like_any_other():
    assert select_pseudo_labels(np.array([[0.9, 0.1]]), threshold=0.8).tolist() == [True]
    assert select_pseudo_labels(np.array([[0.6, 0.4]]), threshold=0.8).tolist() == [False]
    assert select_pseudo_labels(np.zeros((0, 2)), threshold=0.5).shape == (0,)


def test_class_balanced_ties_go_to_the_earlier_rows():
    # class 0: 200 rows at 0.9 or 0.95, all confident; class 1: 200 rows at 0.6, none is.
    # The share (1/2) cuts class 0 inside a tie group: the earliest tied rows are taken.
    rng = np.random.default_rng(0)
    top = rng.choice([0.9, 0.95], size=200)
    proba = np.concatenate([np.stack([top, 1 - top], 1), np.tile([0.4, 0.6], (200, 1))])
    chosen = select_pseudo_labels(proba, threshold=0.85, class_balanced=True)
    conf = proba.max(axis=1)
    expected = np.zeros(400, bool)
    for rows in (np.arange(200), np.arange(200, 400)):
        expected[rows[np.argsort(-conf[rows], kind="stable")[:100]]] = True
    assert chosen.tolist() == expected.tolist()


def test_confidence_weights_are_float64_for_float32_input():
    w = confidence_weights(np.array([[0.75, 0.25]], dtype=np.float32), power=2.0)
    assert w.dtype == np.float64 and w.tolist() == [0.5625]
    assert confidence_weights(np.zeros((0, 3))).shape == (0,)
