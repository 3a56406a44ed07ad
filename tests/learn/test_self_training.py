import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from fewlabels.learn import KNN, LabelSpreading, LinearProbe, SelfTraining, ZeroShot
from learn.learn_helpers import BagOfWordsEncoder, blobs, hide


@pytest.fixture(scope="module")
def data():
    X, y_true = blobs(30, 3, 8, spread=0.35)
    return X, y_true, hide(y_true, 2)


@pytest.mark.parametrize(
    "base", [LinearProbe(C=10.0), LabelSpreading(), KNN()], ids=["linear", "label-spreading", "knn"]
)
def test_zero_rounds_equal_the_base_learner(base, data):
    X, _, y = data
    st = SelfTraining(clone(base), max_iter=0).fit(X, y)
    plain = clone(base).fit(X, y)
    np.testing.assert_allclose(st.predict_proba(X), plain.predict_proba(X), atol=1e-8)
    assert st.termination_condition_ == "max_iter" and st.n_iter_ == 0
    assert st.history_ == []
    np.testing.assert_array_equal(st.labeled_iter_, np.where(y == -1, -1, 0))


@pytest.mark.parametrize("criterion", ["threshold", "curriculum"])
@pytest.mark.parametrize("balanced", [True, False])
@pytest.mark.parametrize("seed", [0, 1])
def test_labelled_rows_never_change_label(criterion, balanced, seed, data):
    X, y_true, _ = data
    y = hide(y_true, 2, seed=seed)
    # A deliberately wrong label must survive every round.
    y[np.flatnonzero(y == 0)[0]] = 2
    st = SelfTraining(criterion=criterion, threshold=0.6, class_balanced=balanced).fit(X, y)
    lab = y != -1
    np.testing.assert_array_equal(st.transduction_[lab], y[lab])
    assert np.all(st.labeled_iter_[lab] == 0)


def test_fitted_state_records_rounds_weights_and_reason(data):
    X, y_true, y = data
    st = SelfTraining(criterion="curriculum", step=25.0, max_iter=10).fit(X, y)
    assert st.termination_condition_ == "all_labeled"
    assert st.n_iter_ == 4
    assert [h["round"] for h in st.history_] == [1, 2, 3, 4]
    assert sum(h["n_new"] for h in st.history_) == np.sum(st.labeled_iter_ > 0)
    assert st.history_[-1]["n_labeled"] == len(X)
    # The curriculum relaxes: round r holds at least r quarters of the unlabelled pool.
    n_unlabelled = np.sum(y == -1)
    for h in st.history_:
        assert h["n_labeled"] - np.sum(y != -1) >= min(1.0, h["round"] / 4) * n_unlabelled - 1
    assert set(np.unique(st.labeled_iter_)) == {0, 1, 2, 3, 4}
    pseudo = st.labeled_iter_ > 0
    assert np.all((st.pseudo_weight_[pseudo] > 0) & (st.pseudo_weight_[pseudo] <= 1))
    np.testing.assert_allclose(st.pseudo_weight_[y != -1], 1.0)
    assert np.mean(st.transduction_ == y_true) > 0.9


def test_stops_when_nothing_changes(data):
    X, _, y = data
    st = SelfTraining(criterion="threshold", threshold=1.0, max_iter=5).fit(X, y)
    assert st.termination_condition_ == "no_change"
    assert st.n_iter_ == 0
    np.testing.assert_array_equal(st.labeled_iter_, np.where(y == -1, -1, 0))


def test_max_iter_stops_the_loop(data):
    X, _, y = data
    st = SelfTraining(criterion="curriculum", step=10.0, max_iter=2).fit(X, y)
    assert st.termination_condition_ == "max_iter" and st.n_iter_ == 2
    assert np.sum(st.labeled_iter_ == -1) > 0


def test_any_sklearn_classifier_with_predict_proba_is_a_base(data):
    X, y_true, y = data
    st = SelfTraining(LogisticRegression(C=10.0), max_iter=3).fit(X, y)
    assert np.mean(st.predict(X) == y_true) > 0.9
    with pytest.raises(TypeError, match=r"base learner with predict_proba, but LinearSVC"):
        SelfTraining(LinearSVC()).fit(X, y)


def test_unknown_criterion_is_refused(data):
    X, _, y = data
    with pytest.raises(
        ValueError, match=r"criterion in \('threshold', 'curriculum'\).*'percentile'"
    ):
        SelfTraining(criterion="percentile").fit(X, y)


def test_zero_shot_seeds_the_loop_when_no_label_exists():
    enc = BagOfWordsEncoder(dim=16)
    names = ["cat", "dog", "fish"]
    rng = np.random.default_rng(0)
    y_true = np.repeat([0, 1, 2], 20)
    X = np.stack([enc.word_vector(names[c]) for c in y_true]) + 0.15 * rng.normal(size=(60, 16))
    st = SelfTraining(
        seeder=ZeroShot(encoder=enc, class_names=names), seed_per_class=3, max_iter=3
    ).fit(X, np.full(60, -1))
    assert st.seeder_ is not None
    np.testing.assert_array_equal(st.classes_, [0, 1, 2])
    assert np.sum(st.labeled_iter_ == 0) == 9
    assert np.mean(st.transduction_ == y_true) > 0.9


def test_class_weight_reaches_a_base_that_has_the_option():
    X, y_true = blobs(30, 2, 8, spread=0.35)
    y = np.full_like(y_true, -1)
    y[:6] = 0
    y[30:32] = 1  # 6 + 2 given labels: balanced weights 8/12 and 8/4
    model = SelfTraining(LinearProbe(C=10.0), max_iter=2, class_weight="balanced").fit(X, y)
    np.testing.assert_allclose(model.class_weight_, [2 / 3, 2.0])
    assert model.base_estimator_.class_weight == "balanced"
    # the base counts "balanced" on the given and pseudo labels of its own fit
    final = model.base_estimator_
    seen = y.copy()
    seen[model.labeled_iter_ > 0] = model.transduction_[model.labeled_iter_ > 0]
    counts = np.bincount(seen[seen >= 0])
    np.testing.assert_allclose(final.class_weight_, counts.sum() / (2 * counts))
    lr = SelfTraining(LogisticRegression(), max_iter=1, class_weight={1: 3.0}).fit(X, y)
    assert lr.base_estimator_.class_weight == {1: 3.0}
    plain = SelfTraining(LinearProbe(C=10.0, class_weight=None), max_iter=2).fit(X, y)
    assert plain.base_estimator_.class_weight is None  # None leaves the base as it is


def test_class_weight_goes_through_sample_weight_when_the_base_has_no_option():
    from sklearn.base import BaseEstimator, ClassifierMixin

    X, y_true = blobs(30, 2, 8, spread=0.35)
    y = hide(y_true, 3)
    seen = {}

    class NoOption(ClassifierMixin, BaseEstimator):  # takes sample_weight, no class_weight
        def fit(self, X, y, sample_weight=None):
            seen["w"] = sample_weight
            self.model_ = LogisticRegression().fit(X, y, sample_weight=sample_weight)
            self.classes_ = self.model_.classes_
            return self

        def predict_proba(self, X):
            return self.model_.predict_proba(X)

    SelfTraining(NoOption(), max_iter=0, class_weight={1: 5.0}).fit(X, y)
    np.testing.assert_allclose(np.unique(seen["w"]), [1.0, 5.0])
    assert len(seen["w"]) == 6  # a base without the takes_unlabeled tag: labelled rows only


def test_pseudo_label_weights_are_the_confidence_to_weight_power(data):
    X, _, y = data
    runs = {
        p: SelfTraining(step=25.0, max_iter=1, weight_power=p).fit(X, y) for p in (None, 1.0, 2.0)
    }
    first = runs[1.0].labeled_iter_ == 1  # round 1 picks the same rows whatever the power
    for st in runs.values():
        np.testing.assert_array_equal(st.labeled_iter_ == 1, first)
        assert st.labeled_iter_.dtype == np.int64
        # unlabelled rows never chosen weigh 0; the labelled ones 1
        np.testing.assert_array_equal(st.pseudo_weight_[st.labeled_iter_ == -1], 0.0)
        np.testing.assert_array_equal(st.pseudo_weight_[y != -1], 1.0)
    np.testing.assert_array_equal(runs[None].pseudo_weight_[first], 1.0)
    w1 = runs[1.0].pseudo_weight_[first]
    assert np.all(w1 < 1.0) and np.all(w1 > 0.0)
    np.testing.assert_allclose(runs[2.0].pseudo_weight_[first], w1**2, rtol=1e-12)
    assert set(runs[1.0].history_[0]) == {"round", "threshold", "n_new", "n_labeled"}
    assert runs[1.0].history_[0]["n_new"] == int(first.sum())


def test_labelled_rows_keep_their_label_and_the_rest_follow_the_final_model(data):
    X, _, y = data
    st = SelfTraining(step=10.0, max_iter=1).fit(X, y)
    lab = y != -1
    np.testing.assert_array_equal(st.transduction_[lab], st.classes_[y[lab]])
    never = st.labeled_iter_ == -1
    assert never.any()
    np.testing.assert_array_equal(
        st.transduction_[never], st.classes_[st.fit_proba_[never].argmax(axis=1)]
    )


def test_the_graph_built_once_reaches_every_round_with_its_recalls(data, monkeypatch):
    X, _, y = data
    real = LabelSpreading.build_graph
    built = []

    def tagged(self, X):  # type: ignore[no-untyped-def]
        S = real(self, X)
        S.graph_recall, S.index_recall = 0.33, 0.8
        built.append(S)
        return S

    monkeypatch.setattr(LabelSpreading, "build_graph", tagged)
    st = SelfTraining(step=25.0, max_iter=3).fit(X, y)
    assert len(built) == 1  # once for all rounds
    assert st.graph_recall_ == 0.33 and st.index_recall_ == 0.8
    assert st.base_estimator_.graph_recall_ == 0.33  # the base was fitted on that graph
    assert st.base_estimator_.class_mass is False  # the default base: no class-mass step
