import numpy as np

from fewlabels.learn import KNN
from fewlabels.learn.knn import knn_vote
from learn.learn_helpers import blobs, hide


def test_votes_are_weighted_by_similarity():
    sims = np.array([[1.0, 0.9, 0.9]])
    labels = np.array([[0, 1, 1]])
    proba = knn_vote(sims, labels, 2, temperature=0.1)
    w = np.exp((sims[0] - 1) / 0.1)
    np.testing.assert_allclose(proba, [[w[0] / w.sum(), (w[1] + w[2]) / w.sum()]])
    # A cold temperature lets the nearest neighbour win; a warm one lets the majority win.
    assert knn_vote(sims, labels, 2, temperature=0.01).argmax() == 0
    assert knn_vote(sims, labels, 2, temperature=10.0).argmax() == 1


def test_missing_neighbours_give_a_uniform_row():
    proba = knn_vote(np.array([[-np.inf]]), np.array([[-1]]), 3, temperature=0.1)
    np.testing.assert_allclose(proba, [[1 / 3] * 3])


def test_one_neighbour_is_the_nearest_labelled_row():
    X, y_true = blobs(15, 3, 6, spread=0.4)
    y = hide(y_true, 3)
    model = KNN(n_neighbors=1, center=False).fit(X, y)
    lab = np.flatnonzero(y != -1)
    nearest = lab[(X @ X[lab].T).argmax(axis=1)]
    np.testing.assert_array_equal(model.predict(X), y[nearest])
    assert model.memory_.shape == (9, 6)


def test_zero_weight_rows_are_left_out_of_memory():
    X, y_true = blobs(5, 2, 4)
    y = hide(y_true, 2)
    w = np.where(np.arange(len(y)) == np.flatnonzero(y == 0)[0], 0.0, 1.0)
    model = KNN().fit(X, y, sample_weight=w)
    assert len(model.memory_labels_) == 3


def test_class_weight_multiplies_the_votes():
    X, y_true = blobs(10, 2, 4)
    y = hide(y_true, 3)
    plain = KNN(n_neighbors=6).fit(X, y)
    heavy = KNN(n_neighbors=6, class_weight={1: 4.0}).fit(X, y)
    np.testing.assert_array_equal(
        heavy.memory_weight_, np.where(heavy.memory_labels_ == 1, 4.0, 1.0)
    )
    # a vote share v for class 1 becomes 4v / (4v + 1 - v)
    v = plain.predict_proba(X)[:, 1]
    np.testing.assert_allclose(heavy.predict_proba(X)[:, 1], 4 * v / (3 * v + 1), rtol=1e-6)


def test_a_very_cold_vote_stays_finite_and_goes_to_the_nearest():
    # exp((sim - 1) / T) <= 1: at T = 1e-3 nothing overflows and the nearest still counts
    sims = np.array([[1.0, 0.999, 0.5]])
    labels = np.array([[0, 1, 1]])
    proba = knn_vote(sims, labels, 2, temperature=1e-3)
    assert np.all(np.isfinite(proba))
    w = np.exp(np.array([0.0, -1.0, -500.0]))
    np.testing.assert_allclose(proba, [[w[0] / w.sum(), (w[1] + w[2]) / w.sum()]], rtol=1e-9)


def test_fit_centres_on_the_pool_mean_by_default():
    X, y_true = blobs(6, 2, 4, spread=0.3)
    X = X + 3.0
    model = KNN().fit(X, hide(y_true, 2))
    unit = X / np.linalg.norm(X, axis=1, keepdims=True)
    np.testing.assert_allclose(model.mean_, unit.mean(axis=0), rtol=1e-5)
    assert KNN(center=False).fit(X, hide(y_true, 2)).mean_ is None


def test_balanced_weights_count_only_rows_of_positive_weight():
    # 4 rows of class 0 of which 2 weigh 0, and 2 of class 1: balanced over 2 : 2
    X, _ = blobs(4, 2, 4, spread=0.3)
    y = np.array([0, 0, 0, 0, 1, 1, -1, -1])
    w = np.array([0, 0, 1, 1, 1, 1, 1, 1], dtype=np.float64)
    model = KNN(class_weight="balanced").fit(X, y, sample_weight=w)
    np.testing.assert_allclose(model.class_weight_, [1.0, 1.0])
    np.testing.assert_allclose(model.memory_weight_, [1.0, 1.0, 1.0, 1.0])
