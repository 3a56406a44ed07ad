"""LabelledKFold and labelled_scorer: split and score on the labelled rows only."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import BaseEstimator
from sklearn.dummy import DummyClassifier

from fewlabels.errors import FewlabelsError
from fewlabels.learn.model_selection import LabelledKFold, labelled_scorer


def _pool() -> tuple[np.ndarray, np.ndarray]:
    """12 rows: 3 labels of class 0, 3 of class 1, 6 unlabelled (-1) interleaved."""
    y = np.array([0, -1, 1, -1, 0, -1, 1, -1, 0, -1, 1, -1])
    return np.arange(24, dtype=float).reshape(12, 2), y


class _Fixed(BaseEstimator):
    """A fitted model that predicts a fixed answer per row index (column 0 of X / 2)."""

    def __init__(self, answers: np.ndarray | None = None) -> None:
        self.answers = answers

    def predict(self, X: np.ndarray) -> np.ndarray:
        assert self.answers is not None
        return self.answers[(np.asarray(X)[:, 0] // 2).astype(int)]


def test_folds_cover_each_labelled_row_once_and_train_on_every_unlabelled_row():
    X, y = _pool()
    labelled = np.flatnonzero(y != -1)
    seen = []
    splits = list(LabelledKFold(3).split(X, y))
    assert len(splits) == 3
    for train, test in splits:
        assert set(np.flatnonzero(y == -1)) <= set(train)
        assert not set(train) & set(test)
        assert set(train) | set(test) == set(range(len(y)))
        assert np.all(np.diff(train) > 0)  # sorted
        # stratified: one row of each class per test fold
        assert sorted(y[test].tolist()) == [0, 1]
        seen.extend(test.tolist())
    assert sorted(seen) == labelled.tolist()


def test_defaults_are_three_shuffled_folds_with_seed_zero():
    cv = LabelledKFold()
    assert (cv.n_splits, cv.shuffle, cv.random_state) == (3, True, 0)
    assert cv.get_n_splits() == 3
    X, y = _pool()
    a = [te.tolist() for _, te in LabelledKFold().split(X, y)]
    b = [te.tolist() for _, te in LabelledKFold(3, shuffle=True, random_state=0).split(X, y)]
    assert a == b


def test_no_shuffle_keeps_row_order_in_folds():
    X, y = _pool()
    tests = [te.tolist() for _, te in LabelledKFold(3, shuffle=False).split(X, y)]
    assert tests == [[0, 2], [4, 6], [8, 10]]
    # random_state is ignored without shuffling
    again = [te.tolist() for _, te in LabelledKFold(3, shuffle=False, random_state=7).split(X, y)]
    assert again == tests


def test_none_marks_unlabelled_rows_of_object_labels():
    X, _ = _pool()
    y = np.array(["a", None, "b", None, "a", None, "b", None, "a", None, "b", None], dtype=object)
    for train, test in LabelledKFold(3).split(X, y):
        assert all(v is not None for v in y[test])
        assert {1, 3, 5, 7, 9, 11} <= set(train.tolist())


def test_split_needs_y_and_enough_rows_in_the_smallest_class():
    X, y = _pool()
    with pytest.raises(FewlabelsError, match="needs y to know which rows are labelled"):
        next(LabelledKFold(3).split(X))
    assert len(list(LabelledKFold(3).split(X, y))) == 3  # exactly 3 per class is enough
    y4 = y.copy()
    y4[8] = -1  # class 0 keeps 2 labels
    with pytest.raises(
        FewlabelsError, match=r"n_splits=3\) needs at least 3 .* smallest class has 2"
    ):
        next(LabelledKFold(3).split(X, y4))
    with pytest.raises(FewlabelsError, match="smallest class has 0"):
        next(LabelledKFold(2).split(X, np.full(12, -1)))


def test_scorer_scores_only_labelled_rows():
    X, y = _pool()
    # right on every labelled row, wrong (class 5) on every unlabelled row
    answers = np.where(y == -1, 5, y)
    assert labelled_scorer("accuracy")(_Fixed(answers), X, y) == 1.0
    answers[0] = 1  # one of six labelled rows wrong
    assert labelled_scorer()(_Fixed(answers), X, y) == pytest.approx(5 / 6)
    assert np.isnan(labelled_scorer()(_Fixed(answers), X, np.full(12, -1)))


def test_scorer_takes_a_callable_and_names_itself():
    X, y = _pool()
    calls = []

    def my_score(est, X_, y_):
        calls.append((len(X_), y_.tolist()))
        return 0.25

    scorer = labelled_scorer(my_score)
    assert scorer(None, X, y) == 0.25
    assert calls == [(6, [0, 1, 0, 1, 0, 1])]
    assert scorer.__name__ == "labelled_my_score"
    assert labelled_scorer("f1_macro").__name__ == "labelled_f1_macro"
    assert labelled_scorer().__name__ == "labelled_accuracy"


def test_scorer_works_with_a_real_estimator_and_a_list_of_rows():
    X, y = _pool()
    model = DummyClassifier(strategy="constant", constant=0).fit(X, np.where(y == -1, 0, y))
    assert labelled_scorer()(model, X.tolist(), y.tolist()) == pytest.approx(0.5)


def test_scorer_keeps_a_sparse_matrix_sparse():
    import scipy.sparse as sp

    X, y = _pool()
    model = DummyClassifier(strategy="constant", constant=1).fit(X, np.where(y == -1, 0, y))
    assert labelled_scorer()(model, sp.csr_matrix(X), y) == pytest.approx(0.5)


def test_the_missing_y_message_in_full():
    with pytest.raises(FewlabelsError) as err:
        next(LabelledKFold(3).split(np.zeros((4, 2))))
    assert str(err.value) == (
        "LabelledKFold needs y to know which rows are labelled: pass it to split "
        "(GridSearchCV does)."
    )
