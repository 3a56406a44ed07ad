"""Multi-label learners: per-label thresholds chosen on held-out labels, empty sets, bad input."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import f1_score
from sklearn.utils.estimator_checks import (
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)

from fewlabels.learn import OneVsRest, multilabel_scores
from fewlabels.learn.multilabel import (
    best_f1_threshold,
    choose_thresholds,
    encode_label_targets,
    indicator_to_sets,
)
from fewlabels.learn.multilabel_metrics import per_label_f1
from fewlabels.learn.registry import MULTILABEL_LEARNERS


def _data(n=240, K=3, labelled=60, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(K, 8)) * 3
    truth = (rng.random((n, K)) < 0.35).astype(int)
    X = truth @ centres + rng.normal(size=(n, 8))
    y = truth.copy()
    y[labelled:] = -1
    return X, truth, y


def test_best_f1_threshold_known_answer():
    p = np.array([0.9, 0.8, 0.6, 0.4, 0.1])
    t = np.array([1, 1, 0, 1, 0])
    # Cuts: top1 F1 2/4, top2 4/5, top3 4/6, top4 6/7, top5 6/8: the best keeps four rows.
    thr, f1 = best_f1_threshold(p, t)
    assert thr == pytest.approx(0.25) and f1 == pytest.approx(6 / 7)
    # Ties are never split: equal probabilities are all in or all out.
    thr, _ = best_f1_threshold(np.array([0.7, 0.7, 0.2]), np.array([1, 0, 0]))
    assert thr == pytest.approx(0.45)


def test_choose_thresholds_falls_back_to_half_with_too_few_positives():
    p = np.array([[0.9, 0.9, 0.3], [0.8, 0.1, 0.2], [0.2, 0.2, 0.1], [0.1, 0.3, 0.6]])
    Y = np.array([[1, 1, 1], [1, 0, 1], [0, 0, 1], [1, 0, 1]])
    thr, chosen = choose_thresholds(p, Y, min_positives=2)
    np.testing.assert_array_equal(chosen, [True, False, False])  # 1 positive; no negative
    assert thr[1] == thr[2] == 0.5
    assert thr[0] == pytest.approx(best_f1_threshold(p[:, 0], Y[:, 0])[0])


@pytest.mark.parametrize("base", ["linear", "ncm", "knn", "label-spreading"])
def test_one_vs_rest_learns_each_label(base):
    X, truth, y = _data()
    model = OneVsRest(base=base).fit(X, y)
    np.testing.assert_array_equal(model.classes_, [0, 1, 2])
    pred = model.predict(X[60:])
    assert pred.shape == (180, 3) and set(np.unique(pred)) <= {0, 1}
    assert multilabel_scores(truth[60:], pred).micro_f1 > 0.8
    proba = model.predict_proba(X[60:])
    assert proba.shape == (180, 3) and ((proba >= 0) & (proba <= 1)).all()


def test_thresholds_are_chosen_on_held_out_probabilities():
    X, _, y = _data()
    model = OneVsRest(base="knn", n_folds=4).fit(X, y)
    held = model.heldout_proba_
    assert np.isnan(held[60:]).all() and np.isfinite(held[:60]).all()
    # Held-out, not in-sample: kNN would give a labelled row its own label back.
    in_sample = model.predict_proba(X[:60])
    assert not np.allclose(held[:60], in_sample)
    expected, chosen = choose_thresholds(held[:60], y[:60], min_positives=3)
    np.testing.assert_allclose(model.thresholds_, expected)
    assert model.threshold_chosen_.all() and chosen.all()


def test_a_fixed_threshold_skips_the_cross_fitting():
    X, _, y = _data()
    model = OneVsRest(base="ncm", threshold=0.3).fit(X, y)
    np.testing.assert_array_equal(model.thresholds_, [0.3, 0.3, 0.3])
    assert model.heldout_proba_ is None and not model.threshold_chosen_.any()
    np.testing.assert_array_equal(model.predict(X), (model.predict_proba(X) >= 0.3).astype(int))


def test_label_sets_of_any_values_with_empty_sets_and_unlabelled_rows():
    X, truth, _ = _data(n=120, labelled=120)
    names = np.array(["cat", "dog", "emu"], dtype=object)
    y = [tuple(names[row == 1]) for row in truth]
    y[5] = []  # an empty set is a label
    y[6] = None  # unlabelled
    Y, classes = encode_label_targets(y)
    np.testing.assert_array_equal(classes, names)
    assert (Y[5] == 0).all() and (Y[6] == -1).all()
    model = OneVsRest(base="ncm").fit(X, y)
    np.testing.assert_array_equal(model.classes_, names)
    sets = model.predict_sets(X[:10])
    assert all(set(s) <= set(names) for s in sets)
    assert indicator_to_sets(np.array([[1, 0, 1], [-1, -1, -1], [0, 0, 0]]), names) == [
        ("cat", "emu"),
        None,
        (),
    ]


def test_a_label_seen_with_one_value_only_is_a_constant():
    X, _, y = _data()
    y = y.copy()
    y[:60, 2] = 0  # no labelled positive of the third label
    model = OneVsRest(base="ncm").fit(X, y)
    assert model.estimators_[2] == 0.0 and not model.threshold_chosen_[2]
    assert (model.predict(X)[:, 2] == 0).all()


def test_bad_input_is_explained():
    X, _, y = _data()
    bad = y.copy()
    bad[70, 0] = 0  # a row mixing -1 and 0/1
    with pytest.raises(ValueError, match=r"all 0/1 .* or all -1 .* e.g. rows \[70\]"):
        OneVsRest().fit(X, bad)
    with pytest.raises(ValueError, match=r"rows \[1\] hold single values, e.g. 'b'"):
        OneVsRest().fit(X[:3], [["a"], "b", []])
    with pytest.raises(ValueError, match="base in"):
        OneVsRest(base="svm").fit(X, y)
    with pytest.raises(ValueError, match=r"threshold 'auto' or a number in \(0, 1\)"):
        OneVsRest(threshold=1.5).fit(X, y)
    with pytest.raises(ValueError, match="needs labelled rows"):
        OneVsRest().fit(X, np.full_like(y, -1))


def test_estimator_contract_parts_that_take_no_single_label_fit():
    est = OneVsRest(base="knn", threshold=0.4)
    assert clone(est).get_params() == est.get_params()
    name = type(est).__name__
    check_no_attributes_set_in_init(name, est)
    check_parameters_default_constructible(name, est)
    check_get_params_invariance(name, est)
    check_set_params(name, est)
    assert MULTILABEL_LEARNERS.create("one-vs-rest", base="ncm").base == "ncm"


def test_metrics_match_scikit_learn():
    rng = np.random.default_rng(3)
    T = (rng.random((50, 4)) < 0.4).astype(int)
    P = (rng.random((50, 4)) < 0.4).astype(int)
    scores = multilabel_scores(T, P)
    assert scores.micro_f1 == pytest.approx(f1_score(T, P, average="micro"))
    assert scores.macro_f1 == pytest.approx(f1_score(T, P, average="macro"))
    np.testing.assert_allclose(scores.per_label, f1_score(T, P, average=None))
    # A label absent from truth and prediction scores 1 (sklearn's zero_division=1).
    np.testing.assert_allclose(per_label_f1([[0, 1]], [[0, 1]]), [1.0, 1.0])
    with pytest.raises(ValueError, match="Drop unlabelled rows"):
        multilabel_scores([[-1, 0]], [[0, 0]])


def test_a_probability_exactly_at_the_threshold_has_the_label():
    X, _, y = _data()
    model = OneVsRest(base="ncm", threshold=0.5).fit(X, y)
    proba = model.predict_proba(X[:20])
    model.thresholds_ = proba[7].copy()  # row 7 sits exactly on every threshold
    pred = model.predict(X[:20])
    assert pred.dtype == np.int64
    np.testing.assert_array_equal(pred[7], [1, 1, 1])
    np.testing.assert_array_equal(pred, (proba >= proba[7]).astype(np.int64))
    names = np.asarray(model.classes_, dtype=object)
    assert model.predict_sets(X[:20]) == [tuple(names[row == 1].tolist()) for row in pred]


def test_every_setting_is_checked_at_its_boundary_in_full():
    X, _, y = _data(n=60, labelled=30)
    for threshold in (0.0, 1.0, True):
        with pytest.raises(ValueError) as err:
            OneVsRest(threshold=threshold).fit(X, y)
        assert str(err.value) == (
            f"OneVsRest expected threshold 'auto' or a number in (0, 1), but got {threshold!r}. "
            "Pass e.g. threshold=0.5."
        )
    with pytest.raises(ValueError) as err:
        OneVsRest(threshold="high").fit(X, y)
    assert str(err.value) == (
        "OneVsRest expected threshold 'auto' or a number in (0, 1), but got 'high'."
    )
    for name, low in (("n_folds", 2), ("min_positives", 1)):
        for bad in (low - 1, 2.0, True):
            with pytest.raises(ValueError) as err:
                OneVsRest(**{name: bad}).fit(X, y)
            assert str(err.value) == (
                f"OneVsRest expected {name} to be an integer >= {low}, but got {bad!r}."
            )
        OneVsRest(base="ncm", **{name: low}).fit(X, y)  # the boundary itself is accepted
    with pytest.raises(ValueError) as err:
        OneVsRest(base="svm").fit(X, y)
    assert str(err.value) == (
        "OneVsRest expected base in ['linear', 'ncm', 'knn', 'label-spreading'], but got "
        "'svm'. Pick one of them, e.g. base='linear'."
    )


def test_bad_targets_are_explained_in_full():
    X, _, y = _data(n=60, labelled=30)
    with pytest.raises(ValueError) as err:
        OneVsRest().fit(X, None)
    assert str(err.value) == (
        "OneVsRest requires y, but it is None. Pass a 0/1 label indicator matrix of shape "
        "(n_samples, n_labels) with rows of -1 for unlabelled rows."
    )
    with pytest.raises(ValueError) as err:
        OneVsRest().fit(X, y[:50])
    assert str(err.value) == (
        "Expected X and y of the same length, but X has 60 rows and y has 50. Pass one label "
        "set per row (a row of -1 for unlabelled)."
    )
    with pytest.raises(ValueError) as err:
        OneVsRest().fit(X, np.full_like(y, -1))
    assert str(err.value) == (
        "OneVsRest needs labelled rows and at least one label, but y has 0 labelled row(s) "
        "and 3 label(s). Label a few rows."
    )


def test_one_label_column_is_enough_and_positives_are_counted_on_labelled_rows():
    X, _, y = _data()
    one = OneVsRest(base="ncm", threshold=0.5).fit(X, y[:, :1])
    assert one.thresholds_.shape == (1,)
    model = OneVsRest(base="ncm").fit(X, y)
    assert model.n_positives_.dtype == np.int64
    np.testing.assert_array_equal(model.n_positives_, (y[:60] == 1).sum(axis=0))
    assert model.threshold_chosen_.dtype == bool
    fixed = OneVsRest(base="ncm", threshold=0.4).fit(X, y)
    assert fixed.threshold_chosen_.dtype == bool


def test_held_out_probabilities_come_from_the_fold_left_out():
    from fewlabels.learn.multilabel import row_folds

    X, _, y = _data()
    model = OneVsRest(base="ncm", n_folds=3, random_state=4).fit(X, y)
    folds = row_folds(60, 3, random_state=4)
    for f in range(3):
        held = np.flatnonzero(folds == f)
        hidden = y.copy()
        hidden[held] = -1
        ref = OneVsRest(base="ncm", threshold=0.5).fit(X, hidden)
        np.testing.assert_allclose(model.heldout_proba_[held], ref.predict_proba(X[held]))
    other = OneVsRest(base="ncm", n_folds=3, random_state=5).fit(X, y)
    assert not np.allclose(other.heldout_proba_[:60], model.heldout_proba_[:60])


def test_base_params_reach_every_label_and_the_tags_say_multilabel():
    X, _, y = _data()
    model = OneVsRest(base="knn", base_params={"n_neighbors": 1}, threshold=0.5).fit(X, y)
    assert [m.n_neighbors for m in model.estimators_] == [1, 1, 1]
    assert model.get_params()["base_params"] == {"n_neighbors": 1}
    tags = model.__sklearn_tags__()
    assert tags.classifier_tags.multi_label is True
    assert tags.target_tags.multi_output is True


def test_a_transductive_base_answers_held_out_rows_from_its_fit():
    # label spreading is fitted on the whole pool: its held-out answers are fit_proba_ rows
    X, _, y = _data(n=120, labelled=40)
    model = OneVsRest(base="label-spreading", n_folds=2, random_state=0).fit(X, y)
    from fewlabels.learn.multilabel import row_folds

    folds = row_folds(40, 2, random_state=0)
    held = np.flatnonzero(folds == 0)
    hidden = y.copy()
    hidden[held] = -1
    ref = OneVsRest(base="label-spreading", threshold=0.5).fit(X, hidden)
    expected = np.stack([m.fit_proba_[held, 1] for m in ref.estimators_], axis=1)
    np.testing.assert_allclose(model.heldout_proba_[held], expected, rtol=1e-6)


def test_the_pool_graph_is_built_once_and_shared_by_every_label_and_fold(monkeypatch):
    import fewlabels.learn.label_spreading as ls

    calls = []
    real = ls.knn_graph

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(ls, "knn_graph", counting)
    X, _, y = _data(n=120, labelled=40)
    model = OneVsRest(base="label-spreading", n_folds=2, random_state=0).fit(X, y)
    # 3 labels x (2 folds + the final fit) = 9 fits on one graph
    assert len(calls) == 1
    assert model.threshold_chosen_.shape == (3,)
    calls.clear()
    OneVsRest(base="label-spreading", threshold=0.5).fit(X, y)
    assert len(calls) == 1


def test_a_refit_takes_the_new_number_of_features():
    X, _, y = _data()
    model = OneVsRest(base="ncm", threshold=0.5).fit(X, y)
    assert model.n_features_in_ == 8
    model.fit(X[:, :5], y)
    assert model.n_features_in_ == 5
    assert model.predict(X[:3, :5]).shape == (3, 3)
    with pytest.raises(ValueError, match="5 features"):
        model.predict(X[:3])


def test_min_positives_decides_which_thresholds_are_chosen():
    X, _, y = _data()
    y = y.copy()
    y[:60, 1] = 0
    y[[0, 1], 1] = 1  # two labelled positives of the second label
    default = OneVsRest(base="ncm", n_folds=2).fit(X, y)
    assert not default.threshold_chosen_[1] and default.thresholds_[1] == 0.5
    two = OneVsRest(base="ncm", n_folds=2, min_positives=2).fit(X, y)
    assert two.threshold_chosen_[1]


@pytest.mark.parametrize("bad", [None, [0.5], "0.5", complex(0.5, 0)], ids=repr)
def test_a_threshold_of_another_type_is_refused_in_full(bad):
    X, _, y = _data()
    with pytest.raises(ValueError) as err:
        OneVsRest(threshold=bad).fit(X, y)
    assert str(err.value).startswith(
        f"OneVsRest expected threshold 'auto' or a number in (0, 1), but got {bad!r}."
    )


def test_a_label_constant_in_a_training_fold_is_held_out_as_that_constant():
    X, _, y = _data()
    y = y.copy()
    y[:60, 0] = 1  # every labelled row has the first label
    model = OneVsRest(base="ncm", n_folds=3).fit(X, y)
    np.testing.assert_array_equal(model.heldout_proba_[:60, 0], np.ones(60))
    assert np.isnan(model.heldout_proba_[60:]).all()
    assert model.estimators_[0] == 1.0


def test_one_labelled_row_leaves_every_fold_without_labels():
    X, _, y = _data()
    y = y.copy()
    y[1:] = -1
    model = OneVsRest(base="ncm", n_folds=2).fit(X, y)
    # the one row's fold hides it, so each label falls back to the default 0.5 there
    np.testing.assert_array_equal(model.heldout_proba_[0], [0.5, 0.5, 0.5])
    assert not model.threshold_chosen_.any()
