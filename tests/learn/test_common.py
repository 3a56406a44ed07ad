"""The contract every learner keeps: scikit-learn estimator, y == -1 unlabelled, clear errors."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from fewlabels.learn import (
    ZeroShot,
)
from learn.learn_helpers import BagOfWordsEncoder, blobs, every_learner

LEARNERS = every_learner()
IDS = [type(m).__name__ for m in LEARNERS]


@pytest.mark.parametrize("learner", LEARNERS, ids=IDS)
def test_fit_predict_proba_contract(learner, data):
    X, y_true, y = data
    model = clone(learner).fit(X, y)
    np.testing.assert_array_equal(model.classes_, [0, 1, 2])
    assert model.n_features_in_ == 8
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    assert np.all(proba >= 0)
    pred = model.predict(X)
    np.testing.assert_array_equal(pred, model.classes_[proba.argmax(axis=1)])
    # Well separated blobs: every learner gets them right, on the pool and on new rows.
    assert np.mean(pred == y_true) > 0.9
    X_new, y_new = blobs(5, 3, 8, seed=0)
    assert np.mean(model.predict(X_new[::2]) == y_new[::2]) > 0.9


@pytest.mark.parametrize("learner", LEARNERS, ids=IDS)
def test_clone_and_pipeline(learner, data):
    X, _, y = data
    copy = clone(learner)
    assert copy.get_params().keys() == learner.get_params().keys()
    pipe = make_pipeline(FunctionTransformer(lambda Z: 2.0 * Z), clone(learner))
    pipe.fit(X, y)
    direct = clone(learner).fit(2.0 * X, y)
    np.testing.assert_allclose(pipe.predict_proba(X), direct.predict_proba(2.0 * X), atol=1e-6)


@pytest.mark.parametrize("learner", LEARNERS, ids=IDS)
def test_error_when_no_row_is_labelled_names_zero_shot(learner, data):
    X, _, _ = data
    with pytest.raises(ValueError, match=r"needs labelled rows.*ZeroShot, which needs none"):
        clone(learner).fit(X, np.full(len(X), -1))


@pytest.mark.parametrize("learner", LEARNERS, ids=IDS)
def test_a_class_with_no_labelled_row_is_not_a_class(learner, data):
    # Labels are the user's values: with class 1 unlabelled, the classes are 0 and 2.
    X, _, y = data
    y = y.copy()
    y[y == 1] = -1
    model = clone(learner).fit(X, y)
    np.testing.assert_array_equal(model.classes_, [0, 2])
    assert model.predict_proba(X).shape == (len(X), 2)
    assert set(np.unique(model.predict(X))) <= {0, 2}


@pytest.mark.parametrize("learner", LEARNERS, ids=IDS)
def test_error_when_lengths_differ(learner, data):
    X, _, y = data
    with pytest.raises(ValueError, match=r"same length.*X has 60 rows and y has shape \(59,\)"):
        clone(learner).fit(X, y[:-1])


@pytest.mark.parametrize("learner", LEARNERS, ids=IDS)
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_error_on_non_finite_embeddings(learner, data, bad):
    X, _, y = data
    X = X.copy()
    X[4, 2] = bad
    with pytest.raises(ValueError, match=r"finite values.*1 row\(s\) hold NaN or infinity.*\[4\]"):
        clone(learner).fit(X, y)


@pytest.mark.parametrize("learner", LEARNERS, ids=IDS)
def test_error_on_a_single_class(learner, data):
    X, _, y = data
    y = np.where(y == 0, 0, -1)
    with pytest.raises(ValueError, match=r"at least 2 classes.*one class only: class \[0\]"):
        clone(learner).fit(X, y)


@pytest.mark.parametrize("learner", LEARNERS, ids=IDS)
def test_error_when_predicting_rows_of_another_width(learner, data):
    X, _, y = data
    model = clone(learner).fit(X, y)
    with pytest.raises(ValueError, match=r"X has 5 features, but \w+ is expecting 8.*same encoder"):
        model.predict(X[:, :5])


def test_zero_shot_keeps_the_contract_without_labels():
    enc = BagOfWordsEncoder(dim=16)
    names = ["cat", "dog", "fish"]
    rng = np.random.default_rng(0)
    y_true = np.repeat([0, 1, 2], 10)
    X = np.stack([enc.word_vector(names[c]) for c in y_true]) + 0.1 * rng.normal(size=(30, 16))
    model = clone(ZeroShot(encoder=enc, class_names=names)).fit(X)
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # Without labels the classes are the class names.
    np.testing.assert_array_equal(model.classes_, names)
    assert np.mean(model.predict(X) == np.array(names)[y_true]) > 0.9
