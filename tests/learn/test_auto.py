import numpy as np
import pytest
from sklearn.dummy import DummyClassifier

from fewlabels.errors import FewlabelsError
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
    assert list(auto.scores_) == ["label-spreading", "linear", "knn", "ncm", "self-training"]
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
    auto = Auto(
        candidates=[("blind", blind), ("ncm", NearestClassMean())],
        fallback="blind",
        weight_to_pool=False,
    ).fit(X, hide(y_true, 4))
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
    with pytest.raises(
        ValueError, match=r"fallback='svm' to be 'auto', a candidate \['ncm', 'knn'\]"
    ):
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


# --- zero-shot candidates, scoring, time budget, explanation (issue 11) --------------------


def _text_task(n=20):
    from learn.learn_helpers import BagOfWordsEncoder

    enc = BagOfWordsEncoder(dim=64)
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], n)
    words = ["meow", "bark"]
    X = np.stack([enc.word_vector(words[c]) for c in y]) + 0.3 * rng.normal(size=(2 * n, 64))
    X = (X / np.linalg.norm(X, axis=1, keepdims=True)).astype(np.float32)
    return enc, X, y


def test_zero_shot_joins_in_front_with_a_text_side_and_is_the_fallback():
    enc, X, y_true = _text_task()
    names = ["cat", "dog"]
    desc = {"cat": "meow", "dog": "bark"}
    y = hide(y_true, 3)
    auto = Auto(n_repeats=2, encoder=enc, class_names=names, descriptions=desc).fit(X, y)
    assert next(iter(auto.scores_)) == "zero-shot"
    assert auto.scores_["zero-shot"] == 1.0
    # One label per class: nothing to hold out, zero-shot is the fallback.
    one = Auto(encoder=enc, class_names=names, descriptions=desc).fit(X, hide(y_true, 1))
    assert one.chosen_ == "zero-shot" and one.reason_.startswith("fallback")
    assert np.mean(one.predict(X) == y_true) == 1.0
    # Without a text side, the fallback stays self-training.
    plain = Auto().fit(X, hide(y_true, 1))
    assert plain.chosen_ == "self-training"


def test_scoring_changes_the_ranking_metric_and_unknown_scoring_is_refused(data):
    X, y_true = data
    y = hide(y_true, 4)
    acc = Auto(n_repeats=2, scoring="accuracy").fit(X, y)
    f1 = Auto(n_repeats=2, scoring="macro_f1").fit(X, y)
    assert set(acc.scores_) == set(f1.scores_)
    assert all(0.0 <= v <= 1.0 for v in f1.scores_.values())
    with pytest.raises(ValueError, match=r"scoring to be one of 'accuracy'.*got 'auc'"):
        Auto(scoring="auc").fit(X, y)


def test_summary_names_the_choice_and_the_others(data):
    X, y_true = data
    auto = Auto(n_repeats=2).fit(X, hide(y_true, 4))
    assert auto.summary_.startswith(f"auto chose {auto.chosen_!r}: held-out accuracy")
    assert all(n in auto.summary_ for n in auto.scores_ if n != auto.chosen_)
    assert set(auto.fit_times_) == set(auto.scores_)


class _Slow(DummyClassifier):
    """A classifier whose fit sleeps: a candidate that cannot fit in a small budget."""

    def fit(self, X, y, sample_weight=None):
        import time

        time.sleep(0.2)
        return super().fit(X, y)


def test_time_budget_skips_a_slow_candidate_and_says_why(data):
    X, y_true = data
    y = hide(y_true, 4)
    auto = Auto(
        candidates=("ncm", ("slow", _Slow(strategy="most_frequent"))),
        n_repeats=3,
        time_budget_s=0.3,
    ).fit(X, y)
    assert "slow" in auto.skipped_ and "needs about" in auto.skipped_["slow"]
    assert "slow" not in auto.scores_ and auto.chosen_ == "ncm"
    assert "skipped for time: slow" in auto.summary_


def test_a_budget_too_small_for_any_candidate_says_how_long_it_needs(data):
    X, y_true = data
    with pytest.raises(ValueError, match=r"too small to score one candidate: 'slow' needs about"):
        Auto(
            candidates=(("slow", _Slow(strategy="most_frequent")),),
            fallback="ncm",
            n_repeats=3,
            time_budget_s=0.05,
        ).fit(X, hide(y_true, 4))
    with pytest.raises(ValueError, match=r"time_budget_s in \(0"):
        Auto(time_budget_s=0).fit(X, hide(y_true, 4))


def test_zero_shot_keeps_its_place_within_prior_se_standard_errors():
    enc, X, y_true = _text_task()
    names = ["cat", "dog"]
    # Misleading descriptions: zero-shot is wrong, the labels are right.
    desc = {"cat": "bark", "dog": "meow"}
    y = hide(y_true, 3)
    free = Auto(n_repeats=2, encoder=enc, class_names=names, descriptions=desc, prior_se=0.0)
    free.fit(X, y)
    assert free.chosen_ != "zero-shot" and free.scores_["zero-shot"] < max(free.scores_.values())
    sticky = Auto(n_repeats=2, encoder=enc, class_names=names, descriptions=desc, prior_se=1e6)
    sticky.fit(X, y)
    # An enormous margin keeps the prior whatever the others score; the rest is unchanged.
    assert sticky.chosen_ == "zero-shot"
    assert sticky.scores_ == free.scores_


def test_prior_se_does_not_apply_to_other_first_candidates(data):
    X, y_true = data
    y = hide(y_true, 4)
    free = Auto(n_repeats=3).fit(X, y)
    sticky = Auto(n_repeats=3, prior_se=1e6).fit(X, y)
    assert free.chosen_ == sticky.chosen_ == "ncm"


def test_the_default_prior_margin_is_bonferroni_over_the_challengers():
    from scipy.stats import norm

    from fewlabels.learn.auto import PRIOR_ALPHA, prior_margin

    assert PRIOR_ALPHA == 0.05
    assert prior_margin("bonferroni", n_challengers=1) == pytest.approx(norm.ppf(0.95))
    assert prior_margin("bonferroni", n_challengers=4) == pytest.approx(2.2414, abs=1e-4)
    assert prior_margin("bonferroni", n_challengers=0) == prior_margin(
        "bonferroni", n_challengers=1
    )
    assert prior_margin(0, n_challengers=4) == 0.0 and prior_margin(3.5, n_challengers=9) == 3.5
    for bad in ("holm", -1.0, None):
        with pytest.raises(FewlabelsError, match="prior_se"):
            prior_margin(bad, n_challengers=4)
    with pytest.raises(FewlabelsError, match="'bonferroni'"):
        Auto(prior_se="holm").fit(np.zeros((4, 2)), np.array([0, 1, 0, 1]))


def test_a_fitted_auto_records_the_margin_zero_shot_kept():
    enc, X, y_true = _text_task()
    auto = Auto(n_repeats=2, encoder=enc, class_names=["cat", "dog"]).fit(X, hide(y_true, 3))
    challengers = len(auto.scores_) - 1
    from scipy.stats import norm

    assert auto.prior_se_ == pytest.approx(norm.ppf(1 - 0.05 / challengers))
    assert np.isnan(Auto(n_repeats=2).fit(X, hide(y_true, 1)).prior_se_)  # the fallback


class _Constant(DummyClassifier):
    """Answers the first class for every row, and says so in class_shares_."""

    def fit(self, X, y, sample_weight=None):
        super().fit(X, y)
        self.class_shares_ = np.eye(len(self.classes_))[0]
        self.labelled_shares_ = np.full(len(self.classes_), 1.0 / len(self.classes_))
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


def test_a_collapsed_fallback_is_replaced_by_the_linear_probe(data):
    X, y_true = data
    auto = Auto(candidates=(("const", _Constant()),), fallback="const").fit(X, hide(y_true, 1))
    assert auto.chosen_ == "linear"
    assert "'const' collapsed to one class" in auto.reason_
    assert len(np.unique(auto.predict(X))) > 1


class _TableEncoder:
    """Stands for the tabular encoder: only its modality matters to Auto."""

    modality = "tabular"


def test_a_prior_order_keeps_its_first_candidate_within_the_margin(data):
    X, y_true = data
    y = hide(y_true, 4)
    cands = [("ncm", NearestClassMean()), ("blind", DummyClassifier(strategy="most_frequent"))]
    # Beyond any margin the clearly better candidate wins, whatever the order.
    plain = Auto(candidates=cands, fallback="ncm", prior_order=["blind"]).fit(X, y)
    assert plain.order_ == ["blind", "ncm"]
    assert plain.chosen_ == "ncm"
    # A margin wide enough keeps the preferred one.
    wide = Auto(candidates=cands, fallback="ncm", prior_order=["blind"], tie_tol=1.0).fit(X, y)
    assert wide.chosen_ == "blind"
    # None keeps the candidates' own order.
    assert Auto(candidates=cands, fallback="ncm", prior_order=None).fit(X, y).order_ == [
        "ncm",
        "blind",
    ]


def test_tables_use_the_measured_order_and_one_standard_error(data):
    from fewlabels.learn.auto import PRIOR_ORDERS
    from fewlabels.learn.selection_rule import pick_by_margin

    X, y_true = data
    auto = Auto(encoder=_TableEncoder(), n_repeats=2).fit(X, hide(y_true, 4))
    assert auto.order_ == list(PRIOR_ORDERS["tabular"])
    assert list(auto.scores_) == auto.order_  # scored in order of preference
    expected = pick_by_margin(
        auto.scores_, auto.standard_errors_, auto.order_, margins=dict.fromkeys(auto.order_, 1.0)
    )
    assert auto.chosen_ == expected


def test_one_label_per_class_on_a_table_gives_the_measured_default(data):
    X, y_true = data
    auto = Auto(encoder=_TableEncoder()).fit(X, hide(y_true, 1))
    assert auto.chosen_ == "self-training"
    assert auto.reason_.startswith("fallback") and auto.order_ == []


def test_pool_weighting_moves_the_priors_towards_the_pool():
    X, y_true = blobs(60, 2, 8, spread=0.3)
    keep = np.concatenate([np.arange(60), np.arange(60, 72)])  # 60 of class 0, 12 of class 1
    X, y_true = X[keep], y_true[keep]
    y = hide(y_true, 6)
    cands = [("ncm", NearestClassMean())]
    plain = Auto(candidates=cands, fallback="ncm").fit(X, y)
    np.testing.assert_allclose(plain.pool_priors_, [0.5, 0.5])
    weighted = Auto(candidates=cands, fallback="ncm", weight_to_pool=True).fit(X, y)
    assert weighted.pool_priors_[0] > 0.7  # the pool is 83 % class 0
    assert weighted.chosen_ == "ncm"


def test_each_distinct_graph_is_built_once_for_every_repeat(monkeypatch):
    import fewlabels.learn.label_spreading as ls

    built = []
    real = ls.knn_graph
    monkeypatch.setattr(ls, "knn_graph", lambda *a, **k: built.append(1) or real(*a, **k))
    X, y_true = blobs(20, 3, 8)
    model = Auto(
        candidates=[
            ("ls", LabelSpreading()),
            ("ls-same", LabelSpreading()),  # the same settings: the same graph
            ("ls-k7", LabelSpreading(n_neighbors=7)),  # other settings: a graph of its own
        ],
        n_repeats=3,
    ).fit(X, hide(y_true, 3))
    # two distinct settings, each built once for all 3 x 3 repeat fits, plus the final refit
    assert len(built) == 3
    assert set(model.scores_) == {"ls", "ls-same", "ls-k7"}


def test_a_holdout_keeps_at_least_one_row_per_class_for_training_and_never_repeats_one():
    y = np.array([0, 0, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, -1])
    for held in holdout_splits(y, n_repeats=20, holdout=0.9, random_state=0):
        counts = np.bincount(y[held], minlength=3)
        # round(0.9 x size), at most size - 1 and at least 1: 1 of 2, 2 of 3, 9 of 10
        assert counts.tolist() == [1, 2, 9]
        assert len(np.unique(held)) == len(held)
    for held in holdout_splits(y, n_repeats=5, holdout=0.01, random_state=0):
        assert np.bincount(y[held], minlength=3).tolist() == [1, 1, 1]
