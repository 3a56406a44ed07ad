"""Imbalanced classes: class weights, the collapse warning, prior re-estimation."""

import warnings

import numpy as np
import pytest
from sklearn.base import clone

from fewlabels.errors import FewlabelsError
from fewlabels.learn import (
    KNN,
    ConsistencyTraining,
    LabelSpreading,
    LinearProbe,
    NearestClassMean,
    SelfTraining,
)
from fewlabels.learn import base as learn_base
from fewlabels.learn.imbalance import (
    COLLAPSE_SHARE,
    CollapseWarning,
    adjust_to_priors,
    collapse_message,
    estimate_priors,
    predicted_shares,
    resolve_class_weight,
    warn_if_collapsed,
)
from learn.learn_helpers import blobs, hide

WEIGHTED = [
    NearestClassMean(),
    KNN(),
    LinearProbe(),
    LabelSpreading(),
    SelfTraining(max_iter=2),
    ConsistencyTraining(n_steps=60, hidden=16, lr=0.01),
]
IDS = [type(m).__name__ for m in WEIGHTED]


def toy_imbalanced(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """500 rows, 20 % minority overlapping the majority; 36 + 4 labels (10 % minority)."""
    rng = np.random.default_rng(seed)
    n0, n1 = 400, 100
    X = np.r_[rng.normal(0, 1, (n0, 4)), rng.normal(0, 1, (n1, 4)) + np.r_[1.6, 0, 0, 0]]
    X[:, 1:] *= 0.5
    X = X + np.r_[0, 0, 0, 3.0]
    y_true = np.r_[np.zeros(n0, int), np.ones(n1, int)]
    y = np.full(len(y_true), -1)
    y[rng.choice(n0, 36, replace=False)] = 0
    y[n0 + rng.choice(n1, 4, replace=False)] = 1
    return X.astype(np.float32), y_true, y


# --- resolve_class_weight --------------------------------------------------------------


CLASSES = np.array(["a", "b"], dtype=object)
CODES = np.array([0, 0, 0, 1, -1, -1])


def test_none_weighs_every_class_one():
    np.testing.assert_array_equal(
        resolve_class_weight(None, CODES, 2, classes=CLASSES, learner="X"), [1.0, 1.0]
    )


def test_balanced_is_scikit_learns_rule_on_labelled_rows_only():
    # 4 labelled rows: 3 a, 1 b -> 4 / (2 * 3), 4 / (2 * 1); the unlabelled rows do not count
    w = resolve_class_weight("balanced", CODES, 2, classes=CLASSES, learner="X")
    np.testing.assert_allclose(w, [4 / 6, 2.0])
    from sklearn.utils.class_weight import compute_class_weight

    np.testing.assert_allclose(
        w, compute_class_weight("balanced", classes=np.arange(2), y=CODES[CODES >= 0])
    )


def test_balanced_gives_a_class_without_labelled_rows_weight_one():
    w = resolve_class_weight(
        "balanced", np.array([0, 0, 1, 1]), 3, classes=np.arange(3), learner="X"
    )
    np.testing.assert_allclose(w, [2 / 3, 2 / 3, 1.0])
    w = resolve_class_weight(
        "balanced", np.array([0, 0, 0, 1]), 3, classes=np.arange(3), learner="X"
    )
    np.testing.assert_allclose(w, [4 / 9, 4 / 3, 1.0])


def test_dict_is_keyed_by_the_users_values_and_missing_classes_weigh_one():
    w = resolve_class_weight({"b": 3.0}, CODES, 2, classes=CLASSES, learner="X")
    np.testing.assert_array_equal(w, [1.0, 3.0])
    w = resolve_class_weight({np.int64(2): 0.5}, CODES, 2, classes=np.array([1, 2]), learner="X")
    np.testing.assert_array_equal(w, [1.0, 0.5])


def test_unknown_name_names_the_choices():
    with pytest.raises(
        FewlabelsError, match=r"MyLearner expected class_weight.*'balanced'.*'even'"
    ):
        resolve_class_weight("even", CODES, 2, classes=CLASSES, learner="MyLearner")


def test_dict_key_not_a_class_lists_the_classes():
    with pytest.raises(FewlabelsError, match=r"keys among the classes \['a', 'b'\].*'c'"):
        resolve_class_weight({"c": 2.0}, CODES, 2, classes=CLASSES, learner="X")


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf"), "heavy"])
def test_weight_not_a_positive_finite_number_is_refused(bad):
    with pytest.raises(FewlabelsError, match=r"finite number > 0.*class 'a' has weight"):
        resolve_class_weight({"a": bad}, CODES, 2, classes=CLASSES, learner="X")


def test_another_type_is_refused():
    with pytest.raises(FewlabelsError, match=r"but got list \[1, 2\]"):
        resolve_class_weight([1, 2], CODES, 2, classes=CLASSES, learner="X")


@pytest.mark.parametrize("learner", WEIGHTED, ids=IDS)
def test_every_learner_checks_class_weight_at_fit(learner, data):
    X, _, y = data
    with pytest.raises(FewlabelsError, match=r"class_weight.*'rare'"):
        clone(learner).set_params(class_weight="rare").fit(X, y)
    with pytest.raises(FewlabelsError, match=r"keys among the classes \[0, 1, 2\].*7"):
        clone(learner).set_params(class_weight={7: 2.0}).fit(X, y)
    with pytest.raises(FewlabelsError, match=r"finite number > 0"):
        clone(learner).set_params(class_weight={0: 0.0}).fit(X, y)


# --- the learners ----------------------------------------------------------------------


@pytest.mark.parametrize("learner", WEIGHTED, ids=IDS)
def test_balanced_changes_nothing_on_a_balanced_task(learner):
    """Equal labelled counts: every weight is 1, the answers are those of None."""
    X, y_true = blobs(20, 3, 8, spread=0.5, seed=1)  # overlapping: the answers can differ
    y = hide(y_true, 4, seed=1)  # 4 labels of each class
    none = clone(learner).set_params(class_weight=None).fit(X, y)
    bal = clone(learner).set_params(class_weight="balanced").fit(X, y)
    np.testing.assert_array_equal(bal.class_weight_, [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(none.predict(X), bal.predict(X))
    np.testing.assert_allclose(none.predict_proba(X), bal.predict_proba(X), atol=1e-12)


@pytest.mark.parametrize("learner", [LinearProbe(), LabelSpreading()], ids=["linear", "ls"])
def test_balanced_raises_the_minority_recall(learner):
    X, y_true, y = toy_imbalanced()
    minority = y_true == 1
    recall = {}
    for cw in (None, "balanced"):
        pred = clone(learner).set_params(class_weight=cw).fit(X, y).predict(X)
        recall[cw] = float(np.mean(pred[minority] == 1))
    assert recall["balanced"] >= recall[None] + 0.3, recall


def test_a_dict_weight_moves_the_linear_probe_towards_that_class():
    X, _, y = toy_imbalanced()
    names = np.array(["common", "rare"], dtype=object)
    y_str = np.where(y == -1, None, names[np.maximum(y, 0)])
    plain = LinearProbe(class_weight=None).fit(X, y_str).predict(X)
    heavy = LinearProbe(class_weight={"rare": 9.0}).fit(X, y_str).predict(X)
    assert (heavy == "rare").sum() > (plain == "rare").sum() + 50


def test_measured_defaults():
    # benchmarks/class_weight.py: "balanced" won for the linear probe and kNN; NCM's
    # "balanced" is its plain rule; label spreading and self-training keep None
    assert LinearProbe().class_weight == "balanced"
    assert KNN().class_weight == "balanced"
    assert NearestClassMean().class_weight == "balanced"
    assert LabelSpreading().class_weight is None
    assert SelfTraining().class_weight is None
    assert ConsistencyTraining().class_weight is None


@pytest.mark.parametrize("learner", WEIGHTED, ids=IDS)
def test_every_learner_records_the_shares(learner, data):
    X, _, y = data
    model = clone(learner).fit(X, y)
    assert model.class_shares_.shape == (3,)
    assert model.class_shares_.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(model.labelled_shares_, [1 / 3, 1 / 3, 1 / 3])
    # the blobs are well separated: each class gets about a third of the predictions
    assert model.class_shares_.min() > 0.25


def test_shares_come_from_the_transductive_answer():
    X, _, y = toy_imbalanced()
    model = LabelSpreading().fit(X, y)
    expected = np.bincount(model.fit_proba_.argmax(axis=1), minlength=2) / len(X)
    np.testing.assert_allclose(model.class_shares_, expected)
    np.testing.assert_allclose(model.labelled_shares_, [0.9, 0.1])


def test_shares_of_a_large_pool_come_from_a_fixed_sample(monkeypatch):
    monkeypatch.setattr(learn_base, "SHARES_SAMPLE", 50)
    X, y_true = blobs(40, 2, 4)  # 80 rows > 50
    y = hide(y_true, 3)
    seen: list[int] = []
    model = LinearProbe()
    original = model._predict_proba

    def spy(rows):
        seen.append(len(rows))
        return original(rows)

    monkeypatch.setattr(model, "_predict_proba", spy)
    model.fit(X, y)
    assert seen == [50]
    first = model.class_shares_.copy()
    model.fit(X, y)
    np.testing.assert_array_equal(model.class_shares_, first)  # the same sample each time
    assert first.sum() == pytest.approx(1.0)


# --- predicted shares and the collapse message -----------------------------------------


def test_predicted_shares_sum_to_one_and_ignore_unlabelled_codes():
    np.testing.assert_allclose(predicted_shares(np.array([0, 2, 2, 2, -1]), 3), [0.25, 0, 0.75])
    np.testing.assert_array_equal(predicted_shares(np.array([], dtype=int), 2), [0, 0])


def _shares(n_top: int, n: int) -> np.ndarray:
    return predicted_shares(np.r_[np.zeros(n_top, int), np.ones(n - n_top, int)], 2)


def test_collapse_fires_on_a_constant_model_and_says_what_to_do():
    msg = collapse_message(_shares(100, 100), ["No", "Yes"], labelled_shares=np.array([0.7, 0.3]))
    assert msg is not None
    assert "'No'" in msg and "100.0%" in msg and "70%" in msg
    assert "class_weight='balanced'" in msg and "label more rows of the other classes" in msg


def test_collapse_boundary_is_inclusive_at_095():
    assert COLLAPSE_SHARE == 0.95
    assert collapse_message(_shares(95, 100), ["a", "b"]) is not None
    assert collapse_message(_shares(949, 1000), ["a", "b"]) is None
    assert collapse_message(_shares(5, 100), ["a", "b"]) is not None  # the other class too


def test_no_collapse_when_the_labels_show_that_imbalance():
    shares = _shares(97, 100)
    assert collapse_message(shares, ["a", "b"], labelled_shares=np.array([0.9, 0.1])) is None
    assert collapse_message(shares, ["a", "b"], labelled_shares=np.array([0.95, 0.05])) is None
    assert collapse_message(shares, ["a", "b"], labelled_shares=np.array([0.89, 0.11])) is not None


def test_collapse_names_who_and_honours_max_share():
    msg = collapse_message(_shares(80, 100), ["a", "b"], max_share=0.8, who="the teacher")
    assert msg is not None and msg.startswith("The teacher predicts class 'a' for 80.0%")
    assert collapse_message(_shares(80, 100), ["a", "b"]) is None


class _Fitted:
    classes_ = np.array(["No", "Yes"])

    def __init__(self, shares, labelled):
        self.class_shares_ = np.asarray(shares)
        self.labelled_shares_ = np.asarray(labelled)


def test_warn_if_collapsed_warns_and_returns_the_message():
    with pytest.warns(CollapseWarning, match=r"_Fitted predicts class 'No' for 99.0%"):
        msg = warn_if_collapsed(_Fitted([0.99, 0.01], [0.6, 0.4]))
    assert msg is not None and "class_weight='balanced'" in msg
    with pytest.warns(CollapseWarning, match=r"^The teacher predicts"):
        warn_if_collapsed(_Fitted([0.99, 0.01], [0.6, 0.4]), who="the teacher")


def test_warn_if_collapsed_is_silent_when_nothing_collapsed():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert warn_if_collapsed(_Fitted([0.6, 0.4], [0.5, 0.5])) is None
        assert warn_if_collapsed(_Fitted([0.99, 0.01], [0.92, 0.08])) is None
        assert warn_if_collapsed(object()) is None  # no shares recorded


def test_a_real_collapsed_learner_warns():
    X, _, y = toy_imbalanced()
    y[np.flatnonzero(y == 0)[:24]] = -1  # 12 + 4 labels: 75 % majority
    # so regularised, and unweighted, that it predicts the majority
    model = LinearProbe(C=1e-4, class_weight=None).fit(X, y)
    assert model.class_shares_[0] == 1.0
    with pytest.warns(CollapseWarning, match=r"class 0 .*while the labelled rows give it 75%"):
        warn_if_collapsed(model, who="the teacher")
    balanced = LinearProbe(C=1e-4, class_weight="balanced").fit(X, y)
    assert balanced.class_shares_[0] < 0.9
    assert warn_if_collapsed(balanced) is None


# --- prior re-estimation (Saerens et al., 2002) ----------------------------------------


def _mixture(priors, n, seed):
    """1-d Gaussians N(-1, 1) and N(1, 1); exact posteriors under equal training priors."""
    rng = np.random.default_rng(seed)
    y = rng.choice(len(priors), size=n, p=priors)
    x = rng.normal(np.where(y == 0, -1.0, 1.0), 1.0)
    like = np.stack([np.exp(-0.5 * (x + 1) ** 2), np.exp(-0.5 * (x - 1) ** 2)], axis=1)
    return like / like.sum(axis=1, keepdims=True), y


@pytest.mark.parametrize("true", [[0.2, 0.8], [0.5, 0.5], [0.9, 0.1]])
def test_estimate_priors_recovers_known_priors(true):
    proba, _ = _mixture(true, 20_000, seed=0)
    est = estimate_priors(proba, train_priors=[0.5, 0.5])
    np.testing.assert_allclose(est, true, atol=0.02)
    assert est.sum() == pytest.approx(1.0)


def test_estimate_priors_beats_the_mean_posterior():
    proba, _ = _mixture([0.1, 0.9], 20_000, seed=1)
    est = estimate_priors(proba, train_priors=[0.5, 0.5])
    assert abs(est[0] - 0.1) < abs(proba.mean(axis=0)[0] - 0.1) / 3


def test_adjust_to_priors_is_bayes_rule():
    p = np.array([[0.5, 0.5], [0.8, 0.2]])
    same = adjust_to_priors(p, train_priors=[0.5, 0.5], priors=[0.5, 0.5])
    np.testing.assert_allclose(same, p)
    out = adjust_to_priors(p, train_priors=[0.5, 0.5], priors=[0.2, 0.8])
    np.testing.assert_allclose(out[0], [0.2, 0.8])
    np.testing.assert_allclose(out[1], [0.16, 0.16] / np.array(0.32))  # 0.8*0.2 vs 0.2*0.8
    np.testing.assert_allclose(out.sum(axis=1), 1.0)


def test_prior_functions_refuse_bad_inputs():
    p = np.full((3, 2), 0.5)
    with pytest.raises(
        FewlabelsError, match=r"shape \(n_samples, n_classes\).*\(3, 2\) and \(3,\)"
    ):
        estimate_priors(p, train_priors=[0.3, 0.3, 0.4])
    with pytest.raises(FewlabelsError, match=r"train_priors > 0"):
        estimate_priors(p, train_priors=[0.0, 1.0])
    with pytest.raises(FewlabelsError, match=r"max_iter to be an integer >= 1"):
        estimate_priors(p, train_priors=[0.5, 0.5], max_iter=0)
    with pytest.raises(FewlabelsError, match=r"tol to be a number > 0"):
        estimate_priors(p, train_priors=[0.5, 0.5], tol=0.0)
    with pytest.raises(FewlabelsError, match=r"probabilities"):
        estimate_priors(-p, train_priors=[0.5, 0.5])
    with pytest.raises(FewlabelsError, match=r"priors of shape \(2,\), >= 0"):
        adjust_to_priors(p, train_priors=[0.5, 0.5], priors=[-1.0, 2.0])


def test_adjust_to_priors_divides_by_the_training_priors():
    # p(c|x) * q_c / t_c: equal posteriors, t = (1/4, 3/4), q uniform -> (3/4, 1/4)
    out = adjust_to_priors(np.array([[0.5, 0.5]]), train_priors=[1, 3], priors=[2, 2])
    np.testing.assert_allclose(out, [[0.75, 0.25]])
    assert out.dtype == np.float64


def test_a_prior_of_zero_removes_its_class_and_zero_probabilities_are_accepted():
    out = adjust_to_priors(
        np.array([[0.3, 0.7], [0.0, 1.0]]), train_priors=[0.5, 0.5], priors=[0, 1]
    )
    np.testing.assert_allclose(out, [[0.0, 1.0], [0.0, 1.0]])


def test_rows_the_new_priors_empty_keep_their_posterior():
    p = np.array([[1.0, 0.0], [1.0, 0.0], [0.2, 0.8]])
    out = adjust_to_priors(p, train_priors=[0.5, 0.5], priors=[0.0, 1.0])
    np.testing.assert_allclose(out, [[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    # a row of zeros stays zeros (no division by zero)
    zero = adjust_to_priors(np.zeros((1, 2)), train_priors=[0.5, 0.5], priors=[0.3, 0.7])
    assert zero.tolist() == [[0.0, 0.0]]


def test_priors_all_zero_are_refused_with_the_function_named():
    with pytest.raises(FewlabelsError, match=r"^adjust_to_priors expected priors of shape \(2,\)"):
        adjust_to_priors(np.array([[0.5, 0.5]]), train_priors=[0.5, 0.5], priors=[0, 0])
    with pytest.raises(FewlabelsError, match=r"^estimate_priors expected train_priors > 0"):
        estimate_priors(np.array([[0.5, 0.5]]), train_priors=[0.0, 1.0])
    with pytest.raises(FewlabelsError, match=r"^adjust_to_priors expected train_priors > 0"):
        adjust_to_priors(np.array([[0.5, 0.5]]), train_priors=[0.0, 1.0], priors=[1, 1])


def test_estimate_priors_on_one_row_runs_em_and_unnormalised_train_priors_are_shares():
    one = estimate_priors(np.array([[0.9, 0.1]]), train_priors=[1, 1])
    assert one[0] > 0.99 and one.sum() == pytest.approx(1.0)
    rng = np.random.default_rng(0)
    p = rng.dirichlet([1, 3], size=50)
    np.testing.assert_allclose(
        estimate_priors(p, train_priors=[2, 6]), estimate_priors(p, train_priors=[0.25, 0.75])
    )
    empty = estimate_priors(np.zeros((0, 2)), train_priors=[1, 3])
    np.testing.assert_allclose(empty, [0.25, 0.75])


@pytest.mark.parametrize("bad", [True, 0, 2.5])
def test_estimate_priors_wants_a_whole_number_of_iterations(bad):
    with pytest.raises(FewlabelsError, match=r"max_iter to be an integer >= 1, but got"):
        estimate_priors(np.array([[0.5, 0.5]]), train_priors=[1, 1], max_iter=bad)


def test_estimate_priors_stops_at_100_iterations_or_a_move_below_1e_6():
    # near-uniform posteriors: EM creeps towards (1, 0), far more than 100 steps
    a = np.random.default_rng(0).uniform(0.45, 0.56, size=400)
    p = np.stack([a, 1 - a], axis=1)
    t = [0.5, 0.5]
    capped = estimate_priors(p, train_priors=t, tol=1e-12)
    np.testing.assert_array_equal(
        capped, estimate_priors(p, train_priors=t, max_iter=100, tol=1e-12)
    )
    assert not np.allclose(capped, estimate_priors(p, train_priors=t, max_iter=101, tol=1e-12))
    by_tol = estimate_priors(p, train_priors=t, max_iter=10_000)
    np.testing.assert_array_equal(
        by_tol, estimate_priors(p, train_priors=t, max_iter=10_000, tol=1e-6)
    )
    assert not np.allclose(by_tol, estimate_priors(p, train_priors=t, max_iter=10_000, tol=2e-6))


def test_estimate_priors_after_one_iteration():
    p = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7]])
    once = estimate_priors(p, train_priors=[0.5, 0.5], max_iter=1)
    np.testing.assert_allclose(once, p.mean(axis=0))  # one E+M step from the training priors
    assert not np.allclose(estimate_priors(p, train_priors=[0.5, 0.5]), once)


def test_one_class_of_shares_never_collapses_and_the_default_name_is_the_model():
    assert collapse_message([1.0], ["only"]) is None
    assert collapse_message([0.0, 0.0], ["a", "b"]) is None
    msg = collapse_message([0.97, 0.03], ["a", "b"])
    assert msg is not None and msg.startswith("The model predicts class 'a' for 97.0% of the rows:")


class _Collapsed:
    classes_ = np.array(["a", "b"])
    class_shares_ = np.array([1.0, 0.0])


def test_warn_if_collapsed_reads_no_labelled_shares_when_absent():
    with pytest.warns(
        CollapseWarning, match="^_Collapsed predicts class 'a' for 100.0% of the rows:"
    ):
        msg = warn_if_collapsed(_Collapsed())
    assert msg is not None and "labelled rows give" not in msg


def _message(call, *args, **kwargs) -> str:
    with pytest.raises(FewlabelsError) as info:
        call(*args, **kwargs)
    return str(info.value)


def test_the_class_weight_messages_in_full():
    codes, classes = np.array([0, 1]), np.array(["a", "b"])
    assert _message(resolve_class_weight, "even", codes, 2, classes=classes, learner="P") == (
        "P expected class_weight to be None, 'balanced' or a dict of {class: weight}, but got "
        "the name 'even'. Use class_weight='balanced' to weigh each class by the inverse of "
        "its labelled count, or None to weigh every class 1."
    )
    assert _message(resolve_class_weight, {"c": 2}, codes, 2, classes=classes, learner="P") == (
        "P expected class_weight keys among the classes ['a', 'b'], but got the key 'c'. Key "
        "the dict by the label values passed in y (the fitted classes_)."
    )
    assert _message(resolve_class_weight, {"a": "x"}, codes, 2, classes=classes, learner="P") == (
        "P expected every class_weight to be a finite number > 0, but class 'a' has weight "
        "'x'. Give each class a positive weight (1 is neutral), or leave the class out of the "
        "dict."
    )
    assert _message(resolve_class_weight, 3, codes, 2, classes=classes, learner="P") == (
        "P expected class_weight to be None, 'balanced' or a dict of {class: weight}, but got "
        "int 3. Pass one of those."
    )


def test_numpy_keys_of_a_class_weight_dict_find_their_class():
    w = resolve_class_weight(
        {np.int64(2): 3.0, np.str_("x"): 2.0},
        np.array([0, 1]),
        2,
        classes=np.array([2, "x"], dtype=object),
        learner="P",
    )
    assert w.dtype == np.float64 and w.tolist() == [3.0, 2.0]


def test_the_prior_messages_in_full():
    p = np.array([[0.5, 0.5]])
    assert _message(estimate_priors, p, train_priors=[1.0, 1.0, 1.0]) == (
        "estimate_priors expected proba of shape (n_samples, n_classes) and train_priors of "
        "shape (n_classes,), but got shapes (1, 2) and (3,). Pass model.predict_proba(X) and "
        "one prior per column."
    )
    assert _message(estimate_priors, p, train_priors=[0.5, np.inf]) == (
        "estimate_priors expected train_priors > 0, but got [0.5, inf]. Pass the class shares "
        "of the labelled rows the model was fitted on (each class at least one row)."
    )
    assert _message(adjust_to_priors, [[np.nan, 1.0]], train_priors=[1, 1], priors=[1, 1]) == (
        "adjust_to_priors expected probabilities (finite, >= 0) in proba, but it holds other "
        "values. Pass model.predict_proba(X)."
    )
    assert _message(adjust_to_priors, p, train_priors=[1, 1], priors=[1, -1]) == (
        "adjust_to_priors expected priors of shape (2,), >= 0 and not all 0, but got "
        "[1.0, -1.0]. Pass one prior per class, e.g. from estimate_priors."
    )


def test_the_collapse_message_in_full():
    msg = collapse_message([0.96, 0.04], ["a", "b"], labelled_shares=[0.5, 0.5], who="teacher")
    assert msg == (
        "Teacher predicts class 'a' for 96.0% of the rows, while the labelled rows give it 50%: "
        "it has collapsed towards one class. Fit with class_weight='balanced', or label more "
        "rows of the other classes."
    )


def test_no_predictions_is_no_collapse_whatever_the_threshold():
    assert collapse_message(predicted_shares([], 2), ["a", "b"], max_share=0.0) is None
    assert collapse_message([0.5, 0.5], ["a", "b"], max_share=0.0) is not None


def test_estimated_priors_sum_to_one_when_a_row_has_no_probability_mass():
    proba = np.array([[0.0, 0.0], [0.9, 0.1], [0.2, 0.8]])
    priors = estimate_priors(proba, train_priors=[0.5, 0.5])
    assert priors.sum() == pytest.approx(1.0)
    # the empty row stays empty and adds nothing: the EM of the two other rows
    np.testing.assert_allclose(priors, estimate_priors(proba[1:], train_priors=[0.5, 0.5]))
