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


def test_every_bad_input_message_in_full() -> None:
    shape_msg = (
        "Expected held-out probabilities as a finite array of shape (n_samples, n_classes) "
        "with at least one row, but got shape {}. Pass out-of-sample probabilities "
        "(fewlabels.audit.crossfit_proba) at the labelled rows."
    )
    for bad in (np.array([0.9, 0.8]), np.zeros((0, 2)), np.array([[0.5, np.nan], [0.2, 0.8]])):
        with pytest.raises(FewlabelsError) as err:
            choose_reject_threshold(bad, Y[: len(bad)], max_reject=0.1)
        assert str(err.value) == shape_msg.format(bad.shape)
    with pytest.raises(FewlabelsError) as err:
        choose_reject_threshold(P[:3], Y[:2], max_reject=0.1)  # 3 rows of 2 classes
    assert str(err.value) == (
        "Expected y_heldout as integer class codes of shape (3,), but got dtype int64 and "
        "shape (2,)."
    )
    with pytest.raises(FewlabelsError) as err:
        choose_reject_threshold(P, Y)
    assert str(err.value) == (
        "Expected target_precision or max_reject (or both), but got neither. Pass e.g. "
        "target_precision=0.9 to reject what is predicted with less than 90 % precision."
    )
    with pytest.raises(FewlabelsError) as err:
        choose_reject_threshold(P, Y, target_precision=1.5)
    assert str(err.value) == (
        "choose_reject_threshold expected target_precision in (0, 1], but got 1.5."
    )
    with pytest.raises(FewlabelsError) as err:
        choose_reject_threshold(P, Y, max_reject=1.5)
    assert str(err.value) == "choose_reject_threshold expected max_reject in [0, 1], but got 1.5."
    assert choose_reject_threshold(P, Y, max_reject=1.0) == pytest.approx(0.9)


def test_one_held_out_row_is_enough() -> None:
    assert choose_reject_threshold(P[:1], Y[:1], target_precision=1.0) == 0.0


def test_a_precision_exactly_at_the_target_is_met() -> None:
    # the top 3 rows: 2 right of 3 is exactly 2/3; accepting all 4 gives 2/4
    p = np.array([[0.9, 0.1], [0.8, 0.2], [0.7, 0.3], [0.6, 0.4]])
    y = np.array([0, 1, 0, 1])
    assert choose_reject_threshold(p, y, target_precision=2 / 3) == pytest.approx(0.7)


def test_wrapper_settings_are_checked_in_full() -> None:
    X, _, y = _data()
    with pytest.raises(FewlabelsError) as err:
        RejectOption(NearestClassMean(), threshold=1.5).fit(X, y)
    assert str(err.value) == "RejectOption expected threshold in [0, 1], but got 1.5."
    with pytest.raises(FewlabelsError) as err:
        RejectOption(NearestClassMean(), n_folds=1).fit(X, y)
    assert str(err.value) == "RejectOption expected n_folds to be a whole number >= 2, but got 1."
    two = RejectOption(NearestClassMean(), n_folds=2, max_reject=0.3).fit(X, y)
    assert two.heldout_proba_ is not None


def test_a_fixed_threshold_records_no_held_out_numbers() -> None:
    X, _, y = _data()
    model = RejectOption(NearestClassMean(), threshold=0.4).fit(X, y)
    assert model.threshold_ == 0.4
    assert model.heldout_proba_ is None
    assert model.heldout_reject_rate_ is None
    assert model.heldout_precision_ is None
    assert model.n_features_in_ == X.shape[1]
    assert model.__sklearn_tags__().classifier_tags.poor_score is True


def _noisy() -> tuple[np.ndarray, np.ndarray]:
    X, y_true = blobs(n_per_class=20, n_classes=3, dim=8, spread=0.8, seed=1)
    return X, hide(y_true, 10, seed=3)


def test_the_auto_threshold_uses_both_settings_and_its_records_agree() -> None:
    X, y = _noisy()
    lab = y != -1
    ncm = NearestClassMean(temperature=0.5)
    # (0.95, 0.2): the target needs more rejects than the budget allows, so the budget
    # decides; (0.7, 0.9): the target is met within the budget, so the target decides
    for tp, mr in ((0.95, 0.2), (0.7, 0.9)):
        model = RejectOption(ncm, target_precision=tp, max_reject=mr).fit(X, y)
        held = model.heldout_proba_
        assert held is not None
        both = choose_reject_threshold(held, y[lab], target_precision=tp, max_reject=mr)
        assert model.threshold_ == both
        only_mr = choose_reject_threshold(held, y[lab], max_reject=mr)
        only_tp = choose_reject_threshold(held, y[lab], target_precision=tp)
        assert both == (only_mr if tp == 0.95 else only_tp)
        assert both != (only_tp if tp == 0.95 else only_mr)  # the other setting alone differs
        conf = held.max(axis=1)
        accept = conf >= model.threshold_
        assert (conf == model.threshold_).any()  # a row sits exactly at the threshold
        assert model.heldout_reject_rate_ == float(1.0 - accept.mean())
        right = held.argmax(axis=1) == y[lab]
        assert model.heldout_precision_ == float(right[accept].mean())


def test_rejecting_every_held_out_row_gives_a_nan_precision_without_a_warning() -> None:
    import warnings

    X, y_true = blobs(n_per_class=20, n_classes=3, dim=8, spread=2.5, seed=1)
    y = hide(y_true, 10, seed=3)  # the most confident held-out row is wrong
    ncm = NearestClassMean(temperature=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = RejectOption(ncm, target_precision=1.0, max_reject=None).fit(X, y)
    assert model.threshold_ == math.inf
    assert model.heldout_reject_rate_ == 1.0
    assert model.heldout_precision_ is not None and math.isnan(model.heldout_precision_)


def test_the_folds_follow_random_state() -> None:
    X, y = _noisy()
    ncm = NearestClassMean(temperature=0.5)
    a = RejectOption(ncm, random_state=3).fit(X, y).heldout_proba_
    b = RejectOption(ncm, random_state=3).fit(X, y).heldout_proba_
    c = RejectOption(ncm, random_state=4).fit(X, y).heldout_proba_
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_a_reject_label_that_cannot_be_compared_with_the_classes_is_not_one() -> None:
    X, _, y = _data()
    odd = np.array([1, 2])  # == against a class gives an array, whose truth is undefined
    model = RejectOption(NearestClassMean(), threshold=0.99, reject_label=odd).fit(X, y)
    assert model.threshold_ == 0.99
