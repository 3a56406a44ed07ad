"""The tags read from a learner's class, and the row-wise softmax."""

from __future__ import annotations

import numpy as np
import pytest

from fewlabels.errors import FewlabelsError
from fewlabels.learn.base import (
    EmbeddingClassifier,
    _hint,
    is_transductive,
    softmax,
    takes_unlabeled,
)


class _Tagged:
    takes_unlabeled = True
    transductive = True


class _Untagged:
    pass


class _Falsy:
    takes_unlabeled = 0
    transductive = ""


def test_tags_are_read_from_the_class_not_the_instance():
    assert takes_unlabeled(_Tagged()) is True and is_transductive(_Tagged()) is True
    assert takes_unlabeled(_Untagged()) is False and is_transductive(_Untagged()) is False
    assert takes_unlabeled(_Falsy()) is False and is_transductive(_Falsy()) is False
    obj = _Untagged()
    obj.takes_unlabeled = True  # an instance attribute is not a tag
    obj.transductive = True
    assert takes_unlabeled(obj) is False and is_transductive(obj) is False


def test_softmax_is_row_wise_and_shift_invariant():
    logits = np.array([[0.0, np.log(3.0)], [1000.0, 1000.0], [-5.0, -5.0 + np.log(4.0)]])
    p = softmax(logits)
    assert p.dtype == np.float64
    np.testing.assert_allclose(p, [[0.25, 0.75], [0.5, 0.5], [0.2, 0.8]], rtol=1e-12)
    p32 = softmax(logits.astype(np.float32) + 7)
    assert p32.dtype == np.float64  # float64 whatever the logits' type
    np.testing.assert_allclose(p32, p, rtol=1e-6)


def test_softmax_of_large_logits_has_no_overflow():
    p = softmax(np.array([[1e4, 0.0, -1e4]]))
    np.testing.assert_array_equal(p, [[1.0, 0.0, 0.0]])
    assert np.isfinite(p).all()


@pytest.mark.parametrize("k", [1, 3])
def test_softmax_rows_sum_to_one(k):
    rng = np.random.default_rng(k)
    np.testing.assert_allclose(softmax(rng.normal(size=(5, k))).sum(axis=1), 1.0)


# --- the base class's own rules, on a minimal learner -------------------------------------


class _First(EmbeddingClassifier):
    """Predicts from the first feature: P(class c) = softmax of (x0 if c == 1 else 0)."""

    def __init__(self, *, class_weight=None):
        self.class_weight = class_weight

    def fit(self, X, y, sample_weight=None):
        Xa, codes = self._validate_fit(X, y)
        self.w_ = self._check_weights(sample_weight, Xa)
        self._class_weights(codes, self.w_)
        self._record_shares(Xa, codes)
        return self

    def _predict_proba(self, X):
        x0 = np.asarray(X, dtype=np.float64)[:, :1]
        return softmax(np.c_[np.zeros_like(x0), x0])


class _Transductive(_First):
    transductive = True

    def fit(self, X, y, sample_weight=None):
        Xa, codes = self._validate_fit(X, y)
        self.fit_proba_ = np.tile([0.9, 0.1], (len(Xa), 1))  # class 0 for every row
        self._record_shares(Xa, codes)
        return self


@pytest.mark.parametrize(
    ("message", "fix"),
    [
        (
            "X has 3 features, but L is expecting 4",
            "Embed the new rows with the same encoder as the training rows.",
        ),
        (
            "Expected 2D array, got 1D array instead",
            "Pass embeddings as a 2-d array of shape (n_samples, n_features).",
        ),
        (
            "Found array with dim 3, while a dimension of 2 is expected",
            "Pass embeddings as a 2-d array of shape (n_samples, n_features).",
        ),
        ("Found array with 0 sample(s)", "Pass at least one row."),
        (
            "could not convert string to float: 'a'",
            "Pass embeddings: a 2-d array of finite numbers, one row per item.",
        ),
    ],
)
def test_each_scikit_learn_message_gets_its_fix(message, fix):
    err = _hint(ValueError(message), learner="L")
    assert isinstance(err, FewlabelsError)
    assert str(err) == f"L: {message} {fix}"


def test_sample_weights_are_checked_in_full():
    X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 0.0]])
    y = np.array([0, 1, -1])
    assert _First().fit(X, y).w_ is None
    w = _First().fit(X, y, sample_weight=[1, 2, 0]).w_
    assert w.dtype == np.float64 and w.tolist() == [1.0, 2.0, 0.0]
    with pytest.raises(FewlabelsError) as err:
        _First().fit(X, y, sample_weight=[1.0, -1.0, 1.0])
    assert str(err.value).endswith(
        " Pass one finite weight >= 0 per row of X (or leave sample_weight out)."
    )
    assert str(err.value).startswith("Negative values in data passed to `sample_weight`.")
    with pytest.raises(FewlabelsError) as err:
        _First().fit(X, y, sample_weight=[0.0, 0.0, 0.0])
    # scikit-learn refuses all-zero weights itself now; fewlabels' own check is for older ones
    assert str(err.value).endswith("(or leave sample_weight out).") or str(err.value) == (
        "Expected some rows with sample_weight > 0, but every weight is 0. Leave "
        "sample_weight out to weigh every row 1."
    )
    with pytest.raises(FewlabelsError, match="Pass one finite weight"):
        _First().fit(X, y, sample_weight=[1.0, 1.0])  # one per row


def test_class_weights_count_only_rows_of_positive_weight():
    X = np.zeros((6, 2))
    y = np.array([0, 0, 0, 1, 1, -1])
    model = _First(class_weight="balanced").fit(X, y, sample_weight=[1, 1, 1, 0.5, 0, 1])
    # three rows of class 0 and one of class 1 count (the weight-0 row does not), whatever
    # their positive weights: 4 / (2 x 3) and 4 / (2 x 1)
    np.testing.assert_allclose(model.class_weight_, [2 / 3, 2.0])
    plain = _First(class_weight="balanced").fit(X, y)
    np.testing.assert_allclose(plain.class_weight_, [5 / 6, 5 / 4])
    named = _First(class_weight={"b": 2.0}).fit(X, np.array(["a", "a", "a", "b", "b", None]))
    np.testing.assert_allclose(named.class_weight_, [1.0, 2.0])
    assert _First().fit(X, y).class_weight_.tolist() == [1.0, 1.0]


def test_shares_come_from_the_model_or_from_a_transductive_fit():
    X = np.array([[-5.0], [-4.0], [3.0], [4.0], [5.0]])
    y = np.array([0, -1, 1, -1, -1])
    model = _First().fit(X, y)
    np.testing.assert_allclose(model.class_shares_, [0.4, 0.6])  # its own predictions
    np.testing.assert_allclose(model.labelled_shares_, [0.5, 0.5])
    trans = _Transductive().fit(X, y)
    np.testing.assert_allclose(trans.class_shares_, [1.0, 0.0])  # from fit_proba_
    trans._record_shares(X, y, proba=np.tile([0.1, 0.9], (5, 1)))  # a given answer wins
    np.testing.assert_allclose(trans.class_shares_, [0.0, 1.0])


def test_shares_of_a_large_pool_use_a_fixed_sample_of_shares_sample_rows(monkeypatch):
    import fewlabels.learn.base as base

    seen = []
    monkeypatch.setattr(base, "SHARES_SAMPLE", 4)
    monkeypatch.setattr(
        _First,
        "_predict_proba",
        lambda self, X: seen.append(X[:, 0].tolist()) or np.tile([0.2, 0.8], (len(X), 1)),
    )
    X = np.arange(10.0)[:, None]
    y = np.r_[0, 1, np.full(8, -1)]
    _First().fit(X[:4], y[:4])
    assert seen == [[0.0, 1.0, 2.0, 3.0]]  # exactly SHARES_SAMPLE rows: all of them, in order
    seen.clear()
    _First().fit(X, y)
    _First().fit(X, y)
    # more: the same sample of SHARES_SAMPLE distinct rows every time, in pool order, drawn
    # by numpy's generator seeded with 0
    want = np.sort(np.random.default_rng(0).choice(10, 4, replace=False)).astype(float).tolist()
    assert seen == [want, want] and len(set(want)) == 4


def test_all_zero_weights_are_refused_where_scikit_learn_accepts_them(monkeypatch):
    import fewlabels.learn.base as base

    # scikit-learn 1.4 and 1.5 (both allowed) let all-zero weights through
    monkeypatch.setattr(
        base, "_check_sample_weight", lambda sw, X, **kw: np.asarray(sw, dtype=np.float64)
    )
    X = np.zeros((3, 1))
    y = np.array([0, 1, -1])
    with pytest.raises(FewlabelsError) as err:
        _First().fit(X, y, sample_weight=[0.0, 0.0, 0.0])
    assert str(err.value) == (
        "Expected some rows with sample_weight > 0, but every weight is 0. Leave "
        "sample_weight out to weigh every row 1."
    )
    assert _First().fit(X, y, sample_weight=[0.0, 0.0, 1.0]).w_.tolist() == [0.0, 0.0, 1.0]


def test_an_unknown_class_weight_name_names_the_learner():
    with pytest.raises(FewlabelsError, match=r"^_First expected class_weight to be None"):
        _First(class_weight="inverse").fit(np.zeros((2, 1)), np.array([0, 1]))


class _Plain(EmbeddingClassifier):
    """A learner with no class_weight option at all."""

    def fit(self, X, y):
        _, codes = self._validate_fit(X, y)
        self._class_weights(codes)
        return self


def test_a_learner_without_a_class_weight_option_weighs_every_class_one():
    model = _Plain().fit(np.zeros((3, 1)), np.array([0, 0, 1]))
    assert model.class_weight_.tolist() == [1.0, 1.0]


class _Centred(_First):
    """_First on the fitted centring: predicts from the first centred, normalised feature."""

    def __init__(self, *, center=True):
        self.center = center

    def fit(self, X, y):
        Xa, _ = self._validate_fit(X, y)
        self.Z_ = self._fit_features(Xa, center=self.center)
        return self

    def _predict_proba(self, X):
        return super()._predict_proba(self._features(X))


def test_fit_features_store_the_pool_mean_and_new_rows_use_it():
    from fewlabels.learn.features import center_normalize, pool_mean

    rng = np.random.default_rng(0)
    X = (rng.normal(size=(20, 3)) + 5.0).astype(np.float32)
    y = np.r_[0, 1, np.full(18, -1)]
    model = _Centred().fit(X, y)
    np.testing.assert_array_equal(model.mean_, pool_mean(X))
    np.testing.assert_allclose(model.Z_, center_normalize(X, pool_mean(X)))
    np.testing.assert_allclose(model._features(X[:4]), model.Z_[:4], atol=1e-6)
    plain = _Centred(center=False).fit(X, y)
    assert plain.mean_ is None
    np.testing.assert_allclose(plain._features(X[:4]), center_normalize(X[:4], None))


def test_the_edge_checks_name_the_learner_and_say_what_to_do():
    X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 0.0]], dtype=np.float32)
    with pytest.raises(FewlabelsError) as err:
        _First().fit(X, None)
    assert str(err.value) == (
        "_First requires y to be passed, but the target y is None. Pass one label "
        "per row of X, with -1 (or None) for unlabelled rows."
    )
    with pytest.raises(FewlabelsError) as err:
        _First().fit(X, [-1, -1, -1])
    assert str(err.value) == (
        "_First needs labelled rows, but every label in y marks an unlabelled row. "
        "Label a few rows per class, or use fewlabels.learn.ZeroShot, which needs none."
    )
    with pytest.raises(FewlabelsError) as err:
        _First().fit(X, [[0, 1], [1, 0], [0, 0]])  # 2-d labels: named with the learner
    assert str(err.value).startswith("_First expected y as a 1-d array of labels")
    with pytest.raises(FewlabelsError) as err:
        _First().fit(X[:, :, None], [0, 1, -1])
    assert str(err.value).startswith("_First: Found array with dim 3")
    model = _First().fit(X, [0, 1, -1])
    with pytest.raises(FewlabelsError) as err:
        model.predict(np.zeros((2, 3)))
    assert str(err.value).startswith("_First: X has 3 features, but _First is expecting 2")
    assert model.predict(X.astype(np.float64)).shape == (3,)  # float64 in, checked as float32
    assert model._check_predict(X.astype(np.float64)).dtype == np.float32


def test_an_unfitted_learner_says_so():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError, match="This _First instance is not fitted yet"):
        _First().predict(np.zeros((1, 2)))


def test_non_finite_rows_are_named_up_to_ten():
    X = np.zeros((14, 2), dtype=np.float32)
    X[2:14, 0] = np.nan  # 12 bad rows
    with pytest.raises(FewlabelsError) as err:
        _First().fit(X, np.r_[0, 1, np.full(12, -1)])
    assert str(err.value) == (
        "Expected finite values in X, but 12 row(s) hold NaN or infinity, e.g. rows "
        "[2, 3, 4, 5, 6, 7, 8, 9, 10, 11]. Re-embed those items or drop them."
    )


def test_the_estimator_tags_make_no_accuracy_promise():
    assert _First().__sklearn_tags__().classifier_tags.poor_score is True
