"""The reject option: a threshold chosen on held-out probabilities, and its wrapper."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.base import clone

from fewlabels.errors import FewlabelsError
from fewlabels.learn import NearestClassMean
from fewlabels.learn.reject import RejectOption, choose_reject_threshold
from learn.learn_helpers import blobs, hide

# top probabilities 0.9, 0.8, 0.7, 0.6, right, right, wrong, right
P = np.array([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3], [0.4, 0.6]])
Y = np.array([0, 1, 1, 1])


def test_threshold_meets_the_precision_target_rejecting_the_fewest() -> None:
    assert choose_reject_threshold(P, Y, target_precision=0.75) == 0.0  # 3 of 4: no reject
    assert choose_reject_threshold(P, Y, target_precision=0.9) == pytest.approx(0.8)
    assert choose_reject_threshold(P, Y, target_precision=1.0) == pytest.approx(0.8)
    wrong_first = np.array([1, 1, 1, 1])  # the most confident row is wrong
    assert choose_reject_threshold(P, wrong_first, target_precision=1.0) == math.inf


def test_the_reject_budget_caps_the_threshold() -> None:
    assert choose_reject_threshold(P, Y, target_precision=1.0, max_reject=0.25) == pytest.approx(
        0.7
    )  # the target needs 2 rejects; the budget allows 1
    assert choose_reject_threshold(P, Y, max_reject=0.5) == pytest.approx(0.8)
    assert choose_reject_threshold(P, Y, max_reject=0.0) == 0.0


def test_ties_are_accepted_or_rejected_together() -> None:
    p = np.array([[0.9, 0.1], [0.7, 0.3], [0.7, 0.3], [0.6, 0.4]])
    y = np.array([0, 0, 1, 0])
    # the top two rows are right, but the 0.7 rows go in together (2 of 3 right)
    assert choose_reject_threshold(p, y, target_precision=0.8) == pytest.approx(0.9)
    assert choose_reject_threshold(p, y, target_precision=0.75) == 0.0  # all: 3 of 4


def test_bad_input_is_explained() -> None:
    with pytest.raises(FewlabelsError, match="target_precision or max_reject"):
        choose_reject_threshold(P, Y)
    with pytest.raises(FewlabelsError, match=r"target_precision in \(0, 1\]"):
        choose_reject_threshold(P, Y, target_precision=0.0)
    with pytest.raises(FewlabelsError, match="integer class codes"):
        choose_reject_threshold(P, Y.astype(float), max_reject=0.1)


def _data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X, y_true = blobs(n_per_class=20, n_classes=3, dim=8, seed=0)
    names = np.array(["ant", "bee", "cat"], dtype=object)
    y = hide(y_true, 6)
    return X, names[y_true], np.where(y == -1, None, names[np.maximum(y, 0)])


def test_predict_rejects_below_the_threshold_and_keeps_the_boundary() -> None:
    X, _truth, y = _data()
    model = RejectOption(NearestClassMean(), threshold=0.5).fit(X, y)
    conf = model.predict_proba(X).max(axis=1)
    model.threshold_ = float(np.sort(conf)[5])  # exactly one row's confidence
    pred = model.predict(X)
    assert (pred[conf < model.threshold_] == "other").all()
    assert (pred[conf >= model.threshold_] != "other").all()  # at the threshold: accepted
    assert int(np.sum(pred == "other")) == 5
    far = -X.mean(axis=0, keepdims=True)
    assert RejectOption(NearestClassMean(), threshold=0.99).fit(X, y).predict(far)[0] == "other"


def test_auto_threshold_is_chosen_on_cross_fitted_labels() -> None:
    X, truth, y = _data()
    model = RejectOption(NearestClassMean(), target_precision=0.95, max_reject=0.5).fit(X, y)
    assert model.heldout_proba_ is not None and model.heldout_proba_.shape == (18, 3)
    assert model.heldout_precision_ is not None and model.heldout_precision_ >= 0.95
    assert model.heldout_reject_rate_ is not None and model.heldout_reject_rate_ <= 0.5
    np.testing.assert_array_equal(model.classes_, ["ant", "bee", "cat"])
    kept = model.predict(X) != "other"
    assert np.mean(model.predict(X)[kept] == truth[kept]) > 0.9
    assert clone(model).get_params()["target_precision"] == 0.95


def test_a_reject_label_that_is_a_class_is_refused() -> None:
    X, _, y = _data()
    with pytest.raises(FewlabelsError, match="reject_label that is not a class.*'bee'"):
        RejectOption(NearestClassMean(), reject_label="bee").fit(X, y)
    with pytest.raises(FewlabelsError, match="threshold to be 'auto' or a number"):
        RejectOption(NearestClassMean(), threshold="high").fit(X, y)
