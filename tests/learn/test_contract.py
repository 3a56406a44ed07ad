"""The scikit-learn contract for real: any labels, inductive predict, sklearn shapes and checks."""

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.utils.estimator_checks import parametrize_with_checks

from fewlabels.learn import (
    KNN,
    Auto,
    ConsistencyTraining,
    LabelledKFold,
    LabelSpreading,
    LinearProbe,
    NearestClassMean,
    SelfTraining,
    TreeSelfTraining,
    ZeroShot,
    labelled_scorer,
)
from fewlabels.learn.base import is_transductive, takes_unlabeled
from fewlabels.learn.targets import align_proba, decode_targets, encode_targets
from learn.learn_helpers import BagOfWordsEncoder, blobs, every_learner, hide

LEARNERS = every_learner()
IDS = [type(m).__name__ for m in LEARNERS]


# --- any labels ----------------------------------------------------------------------


@pytest.mark.parametrize("learner", LEARNERS, ids=IDS)
def test_string_labels_come_back_as_strings(learner, data):
    X, _, y = data
    names = np.array(["ant", "bee", "cat"], dtype=object)
    y_str = np.where(y == -1, None, names[np.maximum(y, 0)])
    model = clone(learner).fit(X, y_str)
    np.testing.assert_array_equal(model.classes_, names)
    pred = model.predict(X)
    assert set(pred.tolist()) <= set(names)
    # Same answers as with integer labels (the same codes inside).
    coded = clone(learner).fit(X, y)
    np.testing.assert_array_equal(pred, names[coded.predict(X)])
    np.testing.assert_allclose(model.predict_proba(X), coded.predict_proba(X), atol=1e-6)


@pytest.mark.parametrize("learner", LEARNERS, ids=IDS)
def test_labels_one_to_k_need_no_remapping(learner, data):
    X, y_true, y = data
    y_shift = np.where(y == -1, -1, y + 1)  # classes 1, 2, 3
    model = clone(learner).fit(X, y_shift)
    np.testing.assert_array_equal(model.classes_, [1, 2, 3])
    assert np.mean(model.predict(X) == y_true + 1) > 0.9


def test_zero_shot_takes_class_names_as_labels():
    enc = BagOfWordsEncoder(dim=16)
    names = ["cat", "dog", "fish"]
    rng = np.random.default_rng(0)
    y_true = np.repeat([0, 1, 2], 10)
    X = np.stack([enc.word_vector(names[c]) for c in y_true]) + 0.1 * rng.normal(size=(30, 16))
    y = np.full(30, None, dtype=object)
    y[[0, 10, 20]] = ["cat", "dog", "fish"]
    model = ZeroShot(encoder=enc, class_names=names).fit(X, y)
    np.testing.assert_array_equal(model.classes_, names)
    assert np.mean(model.predict(X) == np.array(names)[y_true]) > 0.9
    y[1] = "cow"
    with pytest.raises(ValueError, match=r"labels among its class_names.*'cow'"):
        ZeroShot(encoder=enc, class_names=names).fit(X, y)


def test_self_training_with_a_scikit_learn_base_gets_only_labelled_rows(data):
    # LogisticRegression would read -1 as a class: the takes_unlabeled tag keeps it out.
    from sklearn.linear_model import LogisticRegression

    X, y_true, y = data
    model = SelfTraining(LogisticRegression(), max_iter=2).fit(X, y)
    np.testing.assert_array_equal(model.base_estimator_.classes_, [0, 1, 2])
    assert np.mean(model.predict(X) == y_true) > 0.9


def test_encode_targets_markers_and_refusals():
    codes, classes = encode_targets(np.array(["b", None, "a", "b"], dtype=object))
    np.testing.assert_array_equal(codes, [1, -1, 0, 1])
    np.testing.assert_array_equal(classes, ["a", "b"])
    codes, classes = encode_targets(np.array([3.0, np.nan, -1.0, 5.0]))
    np.testing.assert_array_equal(codes, [0, -1, -1, 1])
    np.testing.assert_array_equal(decode_targets(codes, classes), [3.0, -1.0, -1.0, 5.0])
    np.testing.assert_array_equal(
        decode_targets(np.array([1, -1]), np.array(["a", "b"])), np.array(["b", None], object)
    )
    with pytest.raises(ValueError, match="continuous numbers"):
        encode_targets(np.array([0.5, 1.25, 2.0]))
    with pytest.raises(ValueError, match="mix"):
        encode_targets(np.array(["a", 1, "b"], dtype=object))


def test_align_proba_spreads_columns_over_every_class():
    p = np.array([[0.2, 0.8]])
    np.testing.assert_allclose(align_proba(p, [1, 3], [0, 1, 2, 3]), [[0, 0.2, 0, 0.8]])
    np.testing.assert_allclose(align_proba(p, ["x", "y"], ["x", "y"]), p)
    with pytest.raises(ValueError, match="'z' is not"):
        align_proba(p, ["x", "z"], ["x", "y"])


# --- predict is inductive ----------------------------------------------------------


@pytest.mark.parametrize("learner", LEARNERS, ids=IDS)
def test_predict_does_not_depend_on_row_order(learner, data):
    X, _, y = data
    model = clone(learner).fit(X, y)
    order = np.random.default_rng(1).permutation(len(X))
    np.testing.assert_array_equal(model.predict(X[order]), model.predict(X)[order])
    np.testing.assert_allclose(
        model.predict_proba(X[order]), model.predict_proba(X)[order], atol=1e-6
    )


def test_label_spreading_transduction_is_an_attribute_not_predict():
    from sklearn.datasets import load_digits

    X, y_true = load_digits(return_X_y=True)
    y = hide(y_true, 3)
    model = LabelSpreading().fit(X, y)
    assert model.transduction_.shape == (len(X),)
    # Labelled rows keep their label in the transduction.
    np.testing.assert_array_equal(model.transduction_[y != -1], y[y != -1])
    order = np.random.default_rng(0).permutation(len(X))
    np.testing.assert_array_equal(model.predict(X[order]), model.predict(X)[order])


def test_tags_are_class_attributes():
    assert all(takes_unlabeled(m) for m in LEARNERS)
    assert is_transductive(LabelSpreading()) and is_transductive(SelfTraining())
    assert not is_transductive(LinearProbe())
    from sklearn.linear_model import LogisticRegression

    assert not takes_unlabeled(LogisticRegression())
    assert ZeroShot.needs_text_side and not LinearProbe.needs_text_side


# --- scikit-learn shapes and model selection ----------------------------------------


@pytest.mark.parametrize("learner", [LinearProbe(), NearestClassMean()], ids=["linear", "ncm"])
def test_binary_decision_function_has_shape_n_and_works_with_roc_auc(learner):
    X, y_true = blobs(20, 2, 6)
    model = clone(learner).fit(X, hide(y_true, 4))
    d = model.decision_function(X)
    assert d.shape == (40,)
    assert roc_auc_score(y_true, d) > 0.95
    X3, y3 = blobs(10, 3, 6)
    assert clone(learner).fit(X3, hide(y3, 3)).decision_function(X3).shape == (30, 3)


def test_grid_search_scores_the_labelled_rows_only(data):
    X, y_true, y = data
    y = hide(y_true, 6)
    search = GridSearchCV(
        LabelSpreading(),
        {"n_neighbors": [3, 5]},
        scoring=labelled_scorer("accuracy"),
        cv=LabelledKFold(n_splits=3),
    ).fit(X, y)
    # Without it every setting scored the unlabelled rows as wrong; here they are ~perfect.
    assert search.best_score_ > 0.9
    # Each test fold holds labelled rows only; every unlabelled row is in every train fold.
    unl = np.flatnonzero(y == -1)
    for train, test in LabelledKFold(n_splits=3).split(X, y):
        assert np.all(y[test] != -1)
        assert set(unl) <= set(train)
    plain = cross_val_score(LabelSpreading(), X, y, cv=LabelledKFold(3)).mean()
    scored = cross_val_score(
        LabelSpreading(), X, y, cv=LabelledKFold(3), scoring=labelled_scorer()
    ).mean()
    assert scored == pytest.approx(plain)  # the folds already hold labelled rows only


def test_labelled_scorer_ignores_unlabelled_rows(data):
    X, y_true, y = data
    model = LinearProbe().fit(X, y)
    y_mixed = y_true.copy()
    y_mixed[::2] = -1
    assert labelled_scorer()(model, X, y_mixed) == pytest.approx(
        np.mean(model.predict(X[1::2]) == y_true[1::2])
    )
    assert np.isnan(labelled_scorer()(model, X, np.full(len(X), -1)))


def test_labelled_kfold_refuses_too_few_labels(data):
    X, y_true, _ = data
    with pytest.raises(ValueError, match=r"at least 3 labelled rows in every class"):
        next(LabelledKFold(3).split(X, hide(y_true, 2)))


# --- scikit-learn's own estimator checks ---------------------------------------------

#: The checks each learner fails on purpose, and why. Semi-supervised learners read -1 as
#: "unlabelled", so they differ from a supervised classifier in a few documented ways.
_MARKER = "-1 is the unlabelled marker: labels [-1, 1] leave one labelled class, which is refused"
_ONE_ROW = (
    "a labelled row of each class is needed; one sample is one class, refused with a "
    "message about classes"
)
_COMMON = {
    "check_classifiers_classes": _MARKER,
    "check_sample_weight_equivalence_on_dense_data": (
        "semi-supervised: the pool mean used for centring (and the kNN graph) counts every "
        "row once, so a duplicated row and a weight of 2 differ"
    ),
}
_EXPECTED_FAILED: dict[str, dict[str, str]] = {
    "NearestClassMean": dict(_COMMON),
    "KNN": dict(_COMMON),
    "LinearProbe": dict(_COMMON),
    # LabelSpreading passes check_classifiers_classes: its graph spreads the one labelled
    # class, and the check accepts that answer.
    "LabelSpreading": {
        "check_sample_weight_equivalence_on_dense_data": _COMMON[
            "check_sample_weight_equivalence_on_dense_data"
        ]
    },
    "SelfTraining": {
        "check_classifiers_classes": _MARKER,
        "check_non_transformer_estimators_n_iter": (
            "n_iter_ counts the rounds that added pseudo-labels: 0 when every row is labelled"
        ),
    },
    "ConsistencyTraining": {"check_classifiers_classes": _MARKER},
    "TreeSelfTraining": {"check_classifiers_classes": _MARKER},
    "Auto": {"check_classifiers_classes": _MARKER},
}


def _check_learners():
    return [
        NearestClassMean(),
        KNN(),
        LinearProbe(),
        LabelSpreading(),
        SelfTraining(max_iter=2),
        ConsistencyTraining(n_steps=30, hidden=8),
        TreeSelfTraining(max_rounds=2),
        Auto(n_repeats=2),
    ]


@parametrize_with_checks(
    _check_learners(),
    expected_failed_checks=lambda est: _EXPECTED_FAILED[type(est).__name__],
)
def test_scikit_learn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(estimator)
