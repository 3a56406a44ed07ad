"""label_folds and kfold_proba: the folds dealt, the rows each refit sees, the fallbacks."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin

from fewlabels.learn.crossfit import kfold_proba, label_folds


class _Recorder(ClassifierMixin, BaseEstimator):
    """Records the rows it was fitted on; predicts 0.25 / 0.75 (classes seen in fit)."""

    fits: ClassVar[list[tuple[np.ndarray, np.ndarray]]] = []

    def fit(self, X, y):
        type(self).fits.append((np.asarray(X).copy(), np.asarray(y).copy()))
        self.classes_ = np.unique(y[y != -1])
        return self

    def predict_proba(self, X):
        p = np.linspace(1, 2, self.classes_.size)
        return np.tile(p / p.sum(), (len(X), 1))


class _Transductive(_Recorder):
    """A transductive learner: its fitted rows' answer is ``fit_proba_``, not predict_proba."""

    transductive = True

    def fit(self, X, y):
        super().fit(X, y)
        self.fit_proba_ = np.zeros((len(X), self.classes_.size))
        self.fit_proba_[:, -1] = 1.0
        return self


@pytest.fixture(autouse=True)
def _clear():
    _Recorder.fits.clear()


def test_folds_are_dealt_round_robin_from_fold_zero_class_after_class():
    y = np.array([0, 0, 1, 1, 2, 2, -1])
    folds = label_folds(y, n_folds=3, random_state=5)
    assert folds.dtype == np.int64
    assert folds[6] == -1
    # class 0 takes folds 0, 1; class 1 starts at 2: 2, 0; class 2 starts at 1: 1, 2
    assert sorted(folds[:2]) == [0, 1]
    assert sorted(folds[2:4]) == [0, 2]
    assert sorted(folds[4:6]) == [1, 2]


def test_one_fold_puts_every_labelled_row_in_fold_zero():
    y = np.array([0, 1, 1, -1])
    np.testing.assert_array_equal(label_folds(y, n_folds=1), [0, 0, 0, -1])
    # more folds than labelled rows: clipped to the labelled rows
    assert set(label_folds(y, n_folds=10)[:3]) == {0, 1, 2}


def test_folds_default_to_seed_zero():
    y = np.repeat(np.arange(2), 20)
    a = label_folds(y, n_folds=4)
    np.testing.assert_array_equal(a, label_folds(y, n_folds=4, random_state=0))
    np.testing.assert_array_equal(a, label_folds(y, n_folds=4))
    assert not np.array_equal(a, label_folds(y, n_folds=4, random_state=1))


def _pool():
    y = np.array([0, 0, 0, 1, 1, 1] + [-1] * 10)
    X = np.arange(len(y), dtype=float)[:, None]
    return X, y, label_folds(y, n_folds=3)


def test_each_fit_gets_the_labelled_rows_plus_a_fixed_sample_of_unlabelled_rows():
    X, y, folds = _pool()
    kfold_proba(X, y, 2, _Recorder(), folds, cv_pool=10, random_state=0)
    assert len(_Recorder.fits) == 3
    samples = [tuple(Xf[:, 0]) for Xf, _ in _Recorder.fits]
    assert all(len(s) == 10 and len(set(s)) == 10 for s in samples)
    assert all(set(range(6)) <= set(s) for s in samples)  # every labelled row
    assert len(set(samples)) == 1  # the same unlabelled sample in every fold
    first = samples[0]
    _Recorder.fits.clear()
    kfold_proba(X, y, 2, _Recorder(), folds, cv_pool=10, random_state=0)
    assert tuple(_Recorder.fits[0][0][:, 0]) == first  # and the same for the same seed
    _Recorder.fits.clear()
    kfold_proba(X, y, 2, _Recorder(), folds, cv_pool=15, random_state=0)  # 9 of 10 rows
    assert all(len(set(Xf[:, 0])) == 15 for Xf, _ in _Recorder.fits)  # drawn without repeats


def test_a_pool_smaller_than_the_labels_keeps_only_labelled_rows():
    X, y, folds = _pool()
    kfold_proba(X, y, 2, _Recorder(), folds, cv_pool=3, random_state=0)
    assert all(len(Xf) == 6 for Xf, _ in _Recorder.fits)
    _Recorder.fits.clear()
    kfold_proba(X, y, 2, _Recorder(), folds, cv_pool=100, random_state=0)
    assert all(len(Xf) == 16 for Xf, _ in _Recorder.fits)


def test_held_out_rows_are_hidden_and_predicted_unlabelled_rows_are_nan():
    X, y, folds = _pool()
    out = kfold_proba(X, y, 2, _Recorder(), folds, cv_pool=100, random_state=0)
    for (_, y_fit), f in zip(_Recorder.fits, range(3), strict=True):
        held = np.flatnonzero(folds == f)
        assert np.all(y_fit[held] == -1)
    np.testing.assert_allclose(out[:6], np.tile([1 / 3, 2 / 3], (6, 1)))
    assert np.isnan(out[6:]).all()


def test_a_transductive_learner_answers_with_its_fit_proba():
    X, y, folds = _pool()
    out = kfold_proba(X, y, 2, _Transductive(), folds, cv_pool=100, random_state=0)
    np.testing.assert_array_equal(out[:6], np.tile([0.0, 1.0], (6, 1)))


def test_a_fold_left_with_one_class_predicts_it_and_with_none_uniform():
    X = np.zeros((4, 1))
    y = np.array([0, 0, 1, 1])
    out = kfold_proba(X, y, 3, _Recorder(), np.array([1, 1, 0, 0]), cv_pool=4, random_state=0)
    assert _Recorder.fits == []
    np.testing.assert_array_equal(out[2:], [[1.0, 0.0, 0.0]] * 2)
    np.testing.assert_array_equal(out[:2], [[0.0, 1.0, 0.0]] * 2)
    lone = kfold_proba(X[:2], y[:2], 3, _Recorder(), np.array([0, 0]), cv_pool=4, random_state=0)
    np.testing.assert_allclose(lone, np.full((2, 3), 1 / 3))
