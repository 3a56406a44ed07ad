import numpy as np
import pytest
from sklearn.dummy import DummyClassifier

from fewlabels.learn import KNN, Auto, LabelSpreading, NearestClassMean, SelfTraining
from fewlabels.learn.auto import holdout_splits
from learn.learn_helpers import blobs, hide


@pytest.fixture(scope="module")
def data():
    X, y_true = blobs(25, 3, 8, spread=0.3)
    return X, y_true


def test_scores_every_candidate_and_refits_the_best(data):
    X, y_true = data
    y = hide(y_true, 4)
    auto = Auto(n_repeats=3).fit(X, y)
    assert auto.reason_ == "cross-validation"
    assert list(auto.scores_) == ["label-spreading", "linear", "knn", "ncm"]
    assert all(len(v) == 3 for v in auto.cv_results_.values())
    # The best score wins; ties go to the earlier candidate.
    best = max(auto.scores_.values())
    assert auto.chosen_ == next(n for n in auto.scores_ if auto.scores_[n] == best)
    np.testing.assert_allclose(auto.predict_proba(X), auto.estimator_.predict_proba(X))
    assert np.mean(auto.predict(X) == y_true) > 0.9


def test_a_standard_error_margin_keeps_the_preferred_candidate(data):
    X, y_true = data
    y = hide(y_true, 4)
    plain = Auto(n_repeats=3).fit(X, y)
    wide = Auto(n_repeats=3, se_factor=100.0).fit(X, y)
    assert wide.chosen_ == "label-spreading"
    assert set(wide.standard_errors_) == set(plain.scores_)


def test_ties_go_to_the_candidate_listed_first(data):
    X, y_true = data
    auto = Auto(
        candidates=[("first", NearestClassMean()), ("second", NearestClassMean())], fallback="first"
    ).fit(X, hide(y_true, 3))
    assert auto.scores_["first"] == auto.scores_["second"]
    assert auto.chosen_ == "first"


def test_a_clearly_better_candidate_beats_the_preferred_one(data):
    X, y_true = data
    # A scikit-learn classifier gets the labelled rows only (it does not take -1 rows)
    # and answers the most frequent class: right on a third of 3 balanced classes.
    blind = DummyClassifier(strategy="most_frequent")
    auto = Auto(candidates=[("blind", blind), ("ncm", NearestClassMean())], fallback="blind").fit(
        X, hide(y_true, 4)
    )
    assert auto.scores_["blind"] == pytest.approx(1 / 3) and auto.scores_["ncm"] > 0.8
    assert auto.chosen_ == "ncm"


def test_one_label_in_a_class_falls_back_without_cross_validation(data):
    X, y_true = data
    y = hide(y_true, 3)
    y[np.flatnonzero(y == 1)[1:]] = -1
    auto = Auto().fit(X, y)
    assert auto.chosen_ == "self-training"
    assert auto.reason_.startswith("fallback")
    assert auto.scores_ == {}
    assert isinstance(auto.estimator_, SelfTraining)
    assert isinstance(auto.estimator_.base_estimator_, LabelSpreading)
    named = Auto(fallback="knn", candidates=("ncm",)).fit(X, y)
    assert named.chosen_ == "knn" and isinstance(named.estimator_, KNN)


def test_holdout_keeps_a_label_in_every_class_and_holds_one_out_at_least():
    y = np.array([0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, -1, -1])
    for held in holdout_splits(y, n_repeats=5, holdout=0.25, random_state=0):
        assert np.all(y[held] != -1)
        kept = np.setdiff1d(np.flatnonzero(y != -1), held)
        assert set(y[kept]) == {0, 1, 2}
        assert np.bincount(y[held], minlength=3).tolist() == [1, 2, 1]


def test_bad_candidates_are_refused(data):
    X, y_true = data
    y = hide(y_true, 2)
    with pytest.raises(ValueError, match=r"cannot use 'zero-shot' as a candidate"):
        Auto(candidates=("ncm", "zero-shot")).fit(X, y)
    with pytest.raises(ValueError, match=r"fallback='svm' to be a candidate \['ncm', 'knn'\]"):
        Auto(candidates=("ncm", "knn"), fallback="svm").fit(X, y)
    with pytest.raises(ValueError, match=r"Unknown learner 'svm'"):
        Auto(candidates=("svm",)).fit(X, y)


def test_large_pools_are_scored_on_a_sample_and_refitted_on_all(data):
    X, y_true = data
    y = hide(y_true, 4)
    auto = Auto(cv_pool=40, n_repeats=2).fit(X, y)
    rows = auto._cv_rows(y)
    assert len(rows) == 40 and np.all(np.isin(np.flatnonzero(y != -1), rows))
    assert auto.reason_ == "cross-validation"
    # The refit saw every row: a transductive winner labels the whole pool.
    if auto.chosen_ == "label-spreading":
        assert auto.estimator_.transduction_.shape == (len(X),)
    assert auto.estimator_.n_features_in_ == X.shape[1]
    assert np.mean(auto.predict(X) == y_true) > 0.9
