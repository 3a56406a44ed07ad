"""TreeSelfTraining: HGB inside self-training, on arrays and DataFrames with NaN and categories."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier

from fewlabels.errors import FewlabelsError, InputTypeError
from fewlabels.learn import get_learner
from fewlabels.learn.registry import LEARNERS
from fewlabels.learn.trees import TreeSelfTraining, training_weights
from learn.learn_helpers import blobs, hide


def _table(n: int = 60, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Two classes told apart by ``x`` (numbers) and by ``kind`` (text), with noise ``z``."""
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1], n // 2)
    frame = pd.DataFrame(
        {
            "x": np.where(y == 1, 5.0, -5.0) + rng.normal(size=n),
            "kind": np.where(y == 1, "hi", "lo"),
            "z": rng.normal(size=n),
        }
    )
    return frame, y


def test_zero_rounds_is_plain_hgb_on_the_labelled_rows(data):
    X, _, y = data
    model = TreeSelfTraining(max_rounds=0).fit(X, y)
    lab = np.flatnonzero(y != -1)
    ref = HistGradientBoostingClassifier(
        max_iter=50,
        max_leaf_nodes=8,
        min_samples_leaf=1,
        early_stopping=False,
        random_state=0,
    ).fit(X[lab].astype(np.float64), y[lab])
    np.testing.assert_allclose(model.predict_proba(X), ref.predict_proba(X), atol=1e-12)
    assert model.n_rounds_ == 0 and model.history_ == []
    assert model.termination_condition_ == "max_rounds"
    np.testing.assert_array_equal(model.labeled_iter_[lab], 0)
    assert (model.labeled_iter_[y == -1] == -1).all()


def test_labelled_rows_never_change_label_and_rounds_are_recorded(data):
    X, _, y = data
    # Flip one given label: self-training must keep the user's (wrong) label.
    y = y.copy()
    wrong = np.flatnonzero(y == 0)[0]
    y[wrong] = 1
    model = TreeSelfTraining(max_rounds=3, step=30.0).fit(X, y)
    lab = y != -1
    np.testing.assert_array_equal(model.transduction_[lab], y[lab])
    assert model.transduction_[wrong] == 1
    assert (model.labeled_iter_[lab] == 0).all()
    assert model.n_rounds_ == len(model.history_) >= 1
    for h in model.history_:
        assert h["n_new"] == sum(h["n_new_per_class"])
        assert (model.labeled_iter_ == h["round"]).sum() == h["n_new"]
    assert model.history_[-1]["n_labeled"] == lab.sum() + sum(h["n_new"] for h in model.history_)
    assert model.termination_condition_ in {"max_rounds", "all_labeled"}
    # Pseudo-labels weigh their confidence (<= 1); unlabelled rows weigh 0.
    taken = model.labeled_iter_ > 0
    assert ((model.pseudo_weight_[taken] > 0) & (model.pseudo_weight_[taken] <= 1)).all()
    assert (model.pseudo_weight_[model.labeled_iter_ == -1] == 0).all()


def test_separable_table_with_text_categories_is_recovered():
    frame, y_true = _table()
    y = hide(y_true, 2)
    model = TreeSelfTraining().fit(frame, y)
    assert model.categorical_features_ == ("kind",)
    assert model.feature_names_in_.tolist() == ["x", "kind", "z"]
    assert np.mean(model.predict(frame) == y_true) == 1.0
    assert model.termination_condition_ == "all_labeled"
    # The category alone decides a row whose number is missing.
    probe = pd.DataFrame({"x": [np.nan, np.nan], "kind": ["hi", "lo"], "z": [0.0, 0.0]})
    assert model.predict(probe).tolist() == [1, 0]
    # An unseen category is a missing one: no error, a valid probability row.
    proba = model.predict_proba(pd.DataFrame({"x": [5.0], "kind": ["new"], "z": [0.0]}))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    as_missing = model.predict_proba(pd.DataFrame({"x": [5.0], "kind": [None], "z": [0.0]}))
    np.testing.assert_allclose(proba, as_missing)
    with pytest.raises(InputTypeError, match=r"category columns \['kind'\].*DataFrame"):
        model.predict(frame.to_numpy())


def test_nan_rows_are_accepted_and_missing_values_are_learned():
    frame, y_true = _table(80, seed=1)
    frame = frame.drop(columns="kind")
    # Class 1 rows lose their x: missingness itself tells the class.
    frame.loc[y_true == 1, "x"] = np.nan
    y = hide(y_true, 3)
    model = TreeSelfTraining().fit(frame, y)
    assert np.isfinite(model.fit_proba_).all()
    assert np.mean(model.predict(frame) == y_true) == 1.0
    # The same on a plain array with NaN.
    arr = frame.to_numpy()
    model_arr = TreeSelfTraining().fit(arr, y)
    assert np.mean(model_arr.predict(arr) == y_true) == 1.0
    assert model_arr.predict(np.array([[np.nan, 0.0], [-5.0, 0.0]])).tolist() == [1, 0]


def test_infinite_values_are_refused_naming_rows():
    frame, y_true = _table()
    y = hide(y_true, 2)
    bad = frame.copy()
    bad.loc[3, "x"] = np.inf
    with pytest.raises(FewlabelsError, match=r"column 'x'.*1 row\(s\) hold infinity.*\[3\]"):
        TreeSelfTraining().fit(bad, y)
    arr = frame[["x", "z"]].to_numpy()
    model = TreeSelfTraining(max_rounds=0).fit(arr, y)
    with pytest.raises(FewlabelsError, match=r"infinity, e.g. rows \[1\].*set them to NaN"):
        model.predict(np.array([[0.0, 0.0], [-np.inf, 0.0]]))


def test_string_labels_and_unlabelled_none():
    frame, y_true = _table()
    names = np.array(["neg", "pos"], dtype=object)
    y = hide(y_true, 2)
    y_str = np.where(y == -1, None, names[np.maximum(y, 0)])
    model = TreeSelfTraining().fit(frame, y_str)
    np.testing.assert_array_equal(model.classes_, names)
    coded = TreeSelfTraining().fit(frame, y)
    np.testing.assert_array_equal(model.predict(frame), names[coded.predict(frame)])
    np.testing.assert_array_equal(model.transduction_, names[coded.transduction_])


def test_class_weight_multiplies_every_row_weight():
    X, y_true = blobs(20, 2, 4)
    y = hide(y_true, 2)
    y[np.flatnonzero(y_true == 0)[:6]] = 0  # 8 labels of class 0, 2 of class 1
    model = TreeSelfTraining(max_rounds=0, class_weight="balanced").fit(X, y)
    np.testing.assert_allclose(model.class_weight_, [10 / 16, 10 / 4])
    lab = y != -1
    np.testing.assert_allclose(model.pseudo_weight_[lab], model.class_weight_[y[lab]])
    codes = np.array([0, 1, -1, 1])
    np.testing.assert_allclose(
        training_weights(codes, np.array([1.0, 0.5, 0.0, 1.0]), np.array([2.0, 3.0])),
        [2.0, 1.5, 0.0, 3.0],
    )
    with pytest.raises(FewlabelsError, match="class_weight"):
        TreeSelfTraining(class_weight={"nope": 2.0}).fit(X, y)


def test_bad_parameters_and_inputs_are_refused():
    X, y_true = blobs(10, 2, 4)
    y = hide(y_true, 2)
    with pytest.raises(FewlabelsError, match=r"criterion in \('threshold', 'curriculum'\)"):
        TreeSelfTraining(criterion="greedy").fit(X, y)
    with pytest.raises(FewlabelsError, match=r"min_samples_leaf in \[1, inf\], but got 0"):
        TreeSelfTraining(min_samples_leaf=0).fit(X, y)
    with pytest.raises(FewlabelsError, match="early_stopping 'auto', True or False"):
        TreeSelfTraining(early_stopping="yes").fit(X, y)
    wide = pd.DataFrame({"id": [f"row{i}" for i in range(300)], "x": np.arange(300.0)})
    with pytest.raises(FewlabelsError, match=r"at most 255 categories.*\{'id': 300\}"):
        TreeSelfTraining().fit(wide, np.r_[0, 1, np.full(298, -1)])
    dates = pd.DataFrame({"t": pd.date_range("2024-01-01", periods=4), "x": [0.0, 1, 2, 3]})
    with pytest.raises(InputTypeError, match=r"column 't' holds datetime64"):
        TreeSelfTraining().fit(dates, [0, 1, -1, -1])


def test_early_stopping_auto_only_on_large_fits():
    model = TreeSelfTraining()
    model.classes_ = np.array([0, 1])
    small = np.r_[np.zeros(5000), np.ones(4999)].astype(np.int64)
    assert not model._early_stopping(small)
    big = np.r_[np.zeros(9990), np.ones(10)].astype(np.int64)
    assert not model._early_stopping(big)  # a class too small for the validation split
    assert model._early_stopping(np.r_[np.zeros(9000), np.ones(1000)].astype(np.int64))
    assert not TreeSelfTraining(early_stopping=False)._early_stopping(big)


def test_registry_entry_and_clone():
    est = get_learner("trees", max_rounds=2)
    assert type(est) is TreeSelfTraining and est.max_rounds == 2
    assert LEARNERS.entry("trees").modalities == ("tabular",)
    assert clone(est).get_params() == est.get_params()


def test_every_frame_message_in_full():
    frame, y_true = _table()
    y = hide(y_true, 2)
    bad = frame.copy()
    bad.loc[[3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23], "x"] = -np.inf  # 11 rows
    with pytest.raises(FewlabelsError) as err:
        TreeSelfTraining().fit(bad, y)
    assert str(err.value) == (
        "Expected finite numbers or NaN (missing) in column 'x', but 11 row(s) hold infinity, "
        "e.g. rows [3, 5, 7, 9, 11, 13, 15, 17, 19, 21]. Clip them, or set them to NaN to let "
        "the trees treat them as missing."
    )
    arr = frame[["x", "z"]].to_numpy()
    with pytest.raises(FewlabelsError) as err:
        TreeSelfTraining().fit(np.where(np.arange(60)[:, None] == 4, np.inf, arr), y)
    assert "in X, but 1 row(s) hold infinity, e.g. rows [4]." in str(err.value)
    model = TreeSelfTraining(max_rounds=0).fit(frame, y)
    with pytest.raises(InputTypeError) as err:
        model.predict(frame.to_numpy())
    assert str(err.value) == (
        "TreeSelfTraining was fitted on a DataFrame with the category columns ['kind'], but "
        "got ndarray. Pass a DataFrame with the columns ['x', 'kind', 'z']."
    )
    with pytest.raises(FewlabelsError) as err:
        model.predict(frame.iloc[:0])
    assert str(err.value) == "TreeSelfTraining: got a DataFrame with 0 rows. Pass at least one row."
    dates = pd.DataFrame({"t": pd.date_range("2024-01-01", periods=4), "x": [0.0, 1, 2, 3]})
    with pytest.raises(InputTypeError) as err:
        TreeSelfTraining().fit(dates, [0, 1, -1, -1])
    assert str(err.value) == (
        "TreeSelfTraining expected numeric, boolean, string or category columns, but column "
        f"'t' holds {dates['t'].dtype} values. Convert it to numbers (e.g. a timestamp) or to "
        "strings."
    )


def test_a_numeric_only_frame_predicts_from_an_array_and_a_frame_alike():
    frame, y_true = _table()
    y = hide(y_true, 2)
    numeric = frame[["x", "z"]].assign(flag=frame["x"] > 0)  # numbers and booleans
    model = TreeSelfTraining(max_rounds=1).fit(numeric, y)
    assert model.categorical_features_ == ()
    as_array = numeric.to_numpy(dtype=np.float64)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        from_array = model.predict_proba(as_array)  # scikit-learn's warning, as it stands
    np.testing.assert_array_equal(from_array, model.predict_proba(numeric))
    # a frame keeps its own index: rows are matched by position, not by label
    shuffled = numeric.iloc[::-1]
    np.testing.assert_array_equal(model.predict(shuffled), model.predict(numeric)[::-1])


def test_text_and_category_columns_are_categorical_and_missing_text_stays_missing():
    frame, y_true = _table()
    y = hide(y_true, 4)
    frame = frame.assign(
        colour=pd.Categorical(np.where(y_true == 1, "red", "blue")),
        note=np.where(np.arange(60) % 7 == 0, None, frame["kind"]),
    )
    model = TreeSelfTraining(max_rounds=1).fit(frame, y)
    assert model.categorical_features_ == ("kind", "colour", "note")
    prepared = model._check_frame(frame, reset=False)
    assert prepared["note"].isna().sum() == int((np.arange(60) % 7 == 0).sum())
    assert list(prepared["kind"].cat.categories) == ["hi", "lo"]
    assert prepared.index.equals(frame.index)
    assert np.mean(model.predict(frame) == y_true) > 0.9


def test_trees_accept_missing_values_by_their_tags_and_weigh_only_labelled_rows():
    assert TreeSelfTraining().__sklearn_tags__().input_tags.allow_nan is True
    w = training_weights(np.array([-1, 0, 1]), np.array([0.7, 0.5, 2.0]), np.array([1.0, 4.0]))
    assert w.dtype == np.float64
    np.testing.assert_array_equal(w, [0.0, 0.5, 8.0])


def test_every_tree_setting_reaches_the_fitted_model(data):
    X, _, y = data
    model = TreeSelfTraining(
        max_rounds=1,
        max_iter=7,
        learning_rate=0.3,
        max_leaf_nodes=5,
        min_samples_leaf=2,
        l2_regularization=0.5,
        early_stopping=False,
        random_state=11,
    ).fit(X, y)
    got = model.base_estimator_.get_params()
    expected = {
        "max_iter": 7,
        "learning_rate": 0.3,
        "max_leaf_nodes": 5,
        "min_samples_leaf": 2,
        "l2_regularization": 0.5,
        "early_stopping": False,
        "random_state": 11,
        "categorical_features": "from_dtype",
    }
    assert {k: got[k] for k in expected} == expected
    assert model.n_iter_ == model.base_estimator_.n_iter_ == 7


def test_early_stopping_auto_needs_enough_rows_and_enough_per_class():
    from fewlabels.learn.trees import _MIN_PER_CLASS_TO_STOP, EARLY_STOPPING_ROWS

    model = TreeSelfTraining()
    model.classes_ = np.array([0, 1, 2])
    per = _MIN_PER_CLASS_TO_STOP
    big = EARLY_STOPPING_ROWS - 2 * per
    at = np.r_[np.zeros(big, int), np.ones(per, int), np.full(per, 2)]
    assert model._early_stopping(at)  # exactly the rows and exactly the per-class floor
    assert not model._early_stopping(at[1:])  # one row short
    short = np.r_[np.zeros(big + 1, int), np.ones(per - 1, int), np.full(per, 2)]
    assert not model._early_stopping(short)  # one class one row short
    # a class with no labelled row at all (the last one) also keeps early stopping off
    missing = np.r_[np.zeros(EARLY_STOPPING_ROWS, int), np.ones(per, int), np.full(3, -1)]
    assert not model._early_stopping(missing)
    assert TreeSelfTraining(early_stopping=True)._early_stopping(np.array([0, 1]))


def test_the_termination_condition_names_why_the_rounds_stopped(data):
    X, _, y = data
    done = TreeSelfTraining(max_rounds=50, step=100.0).fit(X, y)
    assert done.termination_condition_ == "all_labeled"
    assert (done.labeled_iter_ >= 0).all()
    never = TreeSelfTraining(max_rounds=5, criterion="threshold", threshold=1.0).fit(X, y)
    # nothing reaches probability 1 with a few trees: no round adds a row
    assert isinstance(never, TreeSelfTraining)  # fit returns self after a "no change" stop
    assert never.termination_condition_ == "no_change"
    assert never.n_rounds_ == 0 and never.history_ == []
    one = TreeSelfTraining(max_rounds=1, step=10.0).fit(X, y)
    assert one.termination_condition_ == "max_rounds"
    assert one.n_rounds_ == 1 and one.labeled_iter_.max() == 1
    assert [h["round"] for h in one.history_] == [1]
    assert set(one.history_[0]) == {"round", "threshold", "n_new", "n_new_per_class", "n_labeled"}
    assert len(one.history_[0]["n_new_per_class"]) == 3


def test_a_last_single_unlabelled_row_is_still_labelled(data):
    X, y_true, _ = data
    y = y_true.copy()
    y[7] = -1  # one unlabelled row
    model = TreeSelfTraining(max_rounds=3, step=100.0).fit(X, y)
    assert model.labeled_iter_[7] == 1
    assert model.termination_condition_ == "all_labeled" and model.n_rounds_ == 1
    assert model.labeled_iter_.dtype == np.int64


def test_transduction_keeps_given_labels_and_predicts_the_rest(data):
    X, _, y = data
    y = y.copy()
    wrong = np.flatnonzero(y == 0)[0]
    y[wrong] = 2  # a given label the trees disagree with
    model = TreeSelfTraining(max_rounds=0).fit(X, y)
    assert model.transduction_[wrong] == 2
    unl = y == -1
    np.testing.assert_array_equal(model.transduction_[unl], model.fit_proba_[unl].argmax(axis=1))
    assert model.categorical_features_ == ()


def test_weight_power_none_gives_pseudo_labels_weight_one(data):
    X, _, y = data
    flat = TreeSelfTraining(max_rounds=2, step=30.0, weight_power=None).fit(X, y)
    new = flat.labeled_iter_ > 0
    assert new.any()
    np.testing.assert_array_equal(flat.pseudo_weight_[new], 1.0)
    squared = TreeSelfTraining(max_rounds=2, step=30.0, weight_power=2.0).fit(X, y)
    new2 = squared.labeled_iter_ > 0
    assert (squared.pseudo_weight_[new2] < 1.0).any()


@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
def test_rows_of_the_wrong_width_are_refused_naming_the_learner(data):
    X, _, y = data
    model = TreeSelfTraining(max_rounds=0).fit(X, y)
    with pytest.raises(FewlabelsError) as err:
        model.predict(X[:, :5])
    assert str(err.value).startswith("TreeSelfTraining: X has 5 features, but")
    assert str(err.value).endswith("Embed the new rows with the same encoder as the training rows.")
    frame, yt = _table()
    yt = hide(yt, 4)
    on_frame = TreeSelfTraining(max_rounds=0).fit(frame[["x", "z"]], yt)
    with pytest.raises(FewlabelsError) as err:
        on_frame.predict(np.zeros((2, 3)))  # an array for a frame without category columns
    assert str(err.value).startswith("TreeSelfTraining: X has 3 features, but")
    with pytest.raises(FewlabelsError) as err:
        on_frame.predict(frame[["z", "x"]].rename(columns={"z": "w"}))
    assert str(err.value).startswith("TreeSelfTraining: The feature names should match")


@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
def test_an_array_for_a_frame_fit_may_hold_missing_values(data):
    frame, y = _table()
    model = TreeSelfTraining(max_rounds=0).fit(frame[["x", "z"]], hide(y, 4))
    rows = np.array([[5.0, np.nan], [np.nan, 0.0]])
    assert model.predict(rows).shape == (2,)


def test_a_nullable_integer_column_reads_missing_values_as_nan():
    frame, y = _table()
    frame["n"] = pd.array([1, None] * 30, dtype="Int64")
    model = TreeSelfTraining(max_rounds=0).fit(frame, hide(y, 4))
    checked = model._check_X(frame, reset=False)
    assert checked["n"].dtype == np.float64
    assert np.isnan(checked["n"].to_numpy()[1]) and checked["n"].to_numpy()[0] == 1.0


def test_exactly_max_categories_per_column_is_accepted_and_the_refusal_is_in_full():
    from fewlabels.learn.trees import MAX_CATEGORIES

    n = MAX_CATEGORIES
    frame = pd.DataFrame({"id": [f"v{i}" for i in range(n)], "x": np.arange(n) % 2 * 10.0})
    y = np.full(n, -1)
    y[:4] = [0, 1, 0, 1]
    model = TreeSelfTraining(max_rounds=0).fit(frame, y)
    assert model.categorical_features_ == ("id",)
    wide = pd.concat([frame, pd.DataFrame({"id": ["extra"], "x": [0.0]})], ignore_index=True)
    with pytest.raises(FewlabelsError) as err:
        TreeSelfTraining(max_rounds=0).fit(wide, np.r_[y, -1])
    assert str(err.value) == (
        f"TreeSelfTraining splits at most {MAX_CATEGORIES} categories per column, but got "
        f"(categories per column) {{'id': {n + 1}}}. Group the rare values, drop the column, "
        "or encode it with the 'tabular' encoder and pass the embeddings."
    )
