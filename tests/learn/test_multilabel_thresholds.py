"""Per-label thresholds: the best-F1 cut between distinct values, when one is chosen, folds."""

from __future__ import annotations

import numpy as np
import pytest

from fewlabels.learn.multilabel_thresholds import best_f1_threshold, choose_thresholds, row_folds


def test_best_threshold_is_the_midpoint_below_the_best_top_k():
    # top-1: 2/3, top-2: 1/2, top-3: 4/5, top-4: 2/3
    t, f1 = best_f1_threshold(np.array([0.9, 0.8, 0.3, 0.2]), np.array([1, 0, 1, 0]))
    assert t == pytest.approx(0.25) and f1 == pytest.approx(0.8)


def test_no_cut_falls_between_two_equal_probabilities():
    # cutting between the two 0.5s would give F1 1.0; allowed cuts give at most 0.8
    t, f1 = best_f1_threshold(np.array([0.9, 0.5, 0.5, 0.1]), np.array([1, 1, 0, 0]))
    assert t == pytest.approx(0.3) and f1 == pytest.approx(0.8)


def test_all_equal_probabilities_take_every_row():
    t, f1 = best_f1_threshold(np.array([0.5, 0.5, 0.5]), np.array([True, False, False]))
    assert t == 0.5 and f1 == pytest.approx(2 / 4)


def test_labels_with_fewer_than_three_positives_or_no_negative_keep_the_default():
    P = np.array(
        [[0.9, 0.9, 0.9, 0.2], [0.1, 0.8, 0.8, 0.8], [0.2, 0.7, 0.7, 0.9], [0.3, 0.1, 0.6, 0.7]]
    )
    Y = np.array([[1, 1, 1, 0], [0, 1, 1, 1], [0, 1, 1, 1], [0, 0, 1, 1]])
    thresholds, chosen = choose_thresholds(P, Y, default=0.4)
    # label 0: 1 positive; label 1: exactly 3 positives; label 2: no negative; label 3: 3
    np.testing.assert_array_equal(chosen, [False, True, False, True])
    assert chosen.dtype == bool
    assert thresholds[0] == 0.4 and thresholds[2] == 0.4
    assert thresholds[1] == pytest.approx(0.4)  # (0.7 + 0.1) / 2
    assert thresholds[3] == pytest.approx(0.45)  # (0.7 + 0.2) / 2
    _, strict = choose_thresholds(P, Y, min_positives=4)
    assert not strict.any()
    _, loose = choose_thresholds(P, Y, min_positives=1)
    np.testing.assert_array_equal(loose, [True, True, False, True])
    default_t, _ = choose_thresholds(P[:, :1], Y[:, :1])
    assert default_t[0] == 0.5


@pytest.mark.parametrize(
    ("n", "k", "sizes"), [(6, 3, [2, 2, 2]), (7, 3, [3, 2, 2]), (2, 5, [1, 1])]
)
def test_rows_are_dealt_evenly_into_at_most_n_folds(n, k, sizes):
    folds = row_folds(n, k, random_state=0)
    assert folds.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(folds), sizes)


def test_one_fold_and_the_seed():
    np.testing.assert_array_equal(row_folds(4, 1, random_state=3), [0, 0, 0, 0])
    a = row_folds(30, 3, random_state=0)
    np.testing.assert_array_equal(a, row_folds(30, 3, random_state=0))
    assert not np.array_equal(a, row_folds(30, 3, random_state=1))
    assert row_folds(0, 3, random_state=0).shape == (0,)
