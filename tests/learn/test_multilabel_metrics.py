"""Multi-label scores: scikit-learn's micro / macro F1 (zero_division=1), boundaries, errors."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import f1_score

from fewlabels.errors import FewlabelsError
from fewlabels.learn.multilabel_metrics import MultiLabelScores, multilabel_scores, per_label_f1


@pytest.mark.parametrize("seed", range(5))
def test_scores_equal_scikit_learn_with_zero_division_one(seed):
    rng = np.random.default_rng(seed)
    T = (rng.random((12, 4)) < 0.3).astype(int)
    P = (rng.random((12, 4)) < 0.3).astype(int)
    T[:, 3] = P[:, 3] = 0  # one label absent from both
    s = multilabel_scores(T, P)
    assert s.micro_f1 == pytest.approx(f1_score(T, P, average="micro", zero_division=1))
    assert s.macro_f1 == pytest.approx(f1_score(T, P, average="macro", zero_division=1))
    np.testing.assert_allclose(s.per_label, f1_score(T, P, average=None, zero_division=1))
    np.testing.assert_array_equal(s.support, T.sum(axis=0))
    assert s.support.dtype == np.int64 and s.support.shape == (4,)


def test_one_decision_missed_scores_zero_and_nothing_to_find_scores_one():
    # denominators of exactly 1: a single label in the truth, not predicted
    s = multilabel_scores([[1, 0]], [[0, 0]])
    assert s.micro_f1 == 0.0
    np.testing.assert_array_equal(s.per_label, [0.0, 1.0])
    assert s.macro_f1 == 0.5
    np.testing.assert_array_equal(per_label_f1([[0, 0]], [[1, 0]]), [0.0, 1.0])
    empty = multilabel_scores([[0, 0], [0, 0]], [[0, 0], [0, 0]])
    assert (empty.micro_f1, empty.macro_f1) == (1.0, 1.0)
    np.testing.assert_array_equal(empty.support, [0, 0])


def test_no_labels_at_all_scores_one():
    s = multilabel_scores(np.zeros((3, 0)), np.zeros((3, 0)))
    assert (s.micro_f1, s.macro_f1) == (1.0, 1.0)
    assert s.per_label.shape == (0,) and s.support.shape == (0,)


def test_support_counts_each_label_in_the_truth():
    T = [[1, 0, 1], [1, 0, 0], [1, 1, 0], [0, 0, 0]]
    np.testing.assert_array_equal(multilabel_scores(T, np.zeros((4, 3))).support, [3, 1, 1])


def test_as_dict_names_labels_by_class_or_index():
    s = MultiLabelScores(0.5, 0.25, np.array([0.0, 0.5]), np.array([1, 2]))
    assert s.as_dict() == {"micro_f1": 0.5, "macro_f1": 0.25, "per_label_f1": {"0": 0.0, "1": 0.5}}
    d = s.as_dict(["cat", 7])
    assert d["per_label_f1"] == {"cat": 0.0, "7": 0.5}
    assert all(type(v) is float for v in d["per_label_f1"].values())
    with pytest.raises(ValueError):
        s.as_dict(["only one"])


@pytest.mark.parametrize(
    ("t", "p", "shapes"),
    [([1, 0], [1, 0], r"\(2,\) and \(2,\)"), ([[1, 0]], [[1, 0, 0]], r"\(1, 2\) and \(1, 3\)")],
)
def test_shapes_must_be_two_equal_matrices(t, p, shapes):
    with pytest.raises(
        FewlabelsError, match=r"same shape \(n_samples, n_labels\), but got shapes " + shapes
    ):
        multilabel_scores(t, p)
    with pytest.raises(
        FewlabelsError,
        match=r"Pass the true and the predicted 0/1 matrices, e\.g\. model\.predict\(X\)\.",
    ):
        per_label_f1(t, p)


def test_values_other_than_zero_and_one_are_refused_by_name():
    with pytest.raises(FewlabelsError) as err:
        multilabel_scores([[1, 0]], [[2, -1]])
    assert str(err.value) == (
        "Expected y_pred to hold 0 and 1 only, but it holds [-1, 2]. Drop unlabelled rows "
        "(rows of -1) before scoring."
    )
    with pytest.raises(FewlabelsError, match="Expected y_true to hold 0 and 1 only"):
        multilabel_scores([[-1, 0]], [[0, 0]])
