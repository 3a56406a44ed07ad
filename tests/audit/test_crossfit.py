"""Cross-fitted probabilities: never the row's own label; closed forms equal refits."""

from __future__ import annotations

import numpy as np
import pytest

from fewlabels.audit import crossfit_proba, label_folds
from fewlabels.errors import FewlabelsError
from fewlabels.learn import KNN, NearestClassMean
from learn.learn_helpers import blobs, hide


def _pool() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X, y_true = blobs(n_per_class=20, n_classes=3, dim=8, seed=1)
    return X, y_true, hide(y_true, 6, seed=0)


def test_folds_are_stratified_and_spread_tiny_classes() -> None:
    y = np.array([0] * 10 + [1] * 3 + [2] + [-1] * 5)
    f = label_folds(y, n_folds=5, random_state=0)
    assert (f[y == -1] == -1).all() and set(f[y >= 0].tolist()) == set(range(5))
    assert sorted(np.bincount(f[y == 0], minlength=5).tolist()) == [2] * 5
    assert len(set(f[y == 1].tolist())) == 3  # the 3 rows of class 1 land in 3 folds
    assert label_folds(np.array([0, 1, -1]), n_folds=5).max() == 1  # clipped to 2 rows


@pytest.mark.parametrize("learner", ["ncm", "knn", "linear", "label-spreading"])
def test_a_lone_label_is_never_seen_by_its_own_model(learner: str) -> None:
    X, y_true, y = _pool()
    lone = int(np.flatnonzero(y_true == 2)[10])  # unlabelled so far: make it class 3's only row
    y = np.where(y == 2, -1, y)
    y[lone] = 2
    fit = crossfit_proba(X, y, learner=learner, n_classes=3)
    assert fit.proba[lone, 2] == 0.0  # its model knew no class 2
    assert np.isnan(fit.proba[y == -1]).all()
    lab = fit.labelled
    np.testing.assert_array_equal(lab, np.flatnonzero(y >= 0))
    np.testing.assert_allclose(fit.proba[lab].sum(axis=1), 1.0, atol=1e-9)


@pytest.mark.parametrize("est", [NearestClassMean(), KNN(n_neighbors=4)], ids=["ncm", "knn"])
def test_closed_forms_equal_leave_one_out_refits(est: object) -> None:
    X, _, y = _pool()
    y[np.flatnonzero(y == 1)[:5]] = -1  # class 1 keeps one label: a lone row as well
    cheap = crossfit_proba(X, y, learner=est)
    n_lab = int(np.sum(y >= 0))
    refit = crossfit_proba(X, y, learner=est, cheap=False, n_folds=n_lab)
    assert cheap.method == "leave-one-out" and refit.method == "k-fold"
    assert refit.n_folds == n_lab
    lab = cheap.labelled
    np.testing.assert_allclose(cheap.proba[lab], refit.proba[lab], atol=1e-5)


def test_transductive_folds_see_the_whole_pool() -> None:
    X, y_true, y = _pool()
    fit = crossfit_proba(X, y, learner="label-spreading")
    assert fit.method == "k-fold" and fit.learner == "LabelSpreading"
    lab = fit.labelled
    assert np.mean(fit.proba[lab].argmax(axis=1) == y_true[lab]) == 1.0


def test_bad_input_is_explained() -> None:
    X, _, y = _pool()
    with pytest.raises(FewlabelsError, match="integer class codes"):
        crossfit_proba(X, y.astype(float))
    with pytest.raises(FewlabelsError, match="every row of y is -1"):
        crossfit_proba(X, np.full(len(X), -1))
    with pytest.raises(FewlabelsError, match="Unknown learner|not a learner|'nope'"):
        crossfit_proba(X, y, learner="nope")
    with pytest.raises(FewlabelsError, match="learns from labels"):
        crossfit_proba(X, y, learner="zero-shot")
    with pytest.raises(FewlabelsError, match="n_folds to be a whole number >= 2"):
        crossfit_proba(X, y, learner="linear", n_folds=1)
