from __future__ import annotations

import sys

import numpy as np

from fewlabels.active import Coreset, k_center_greedy
from fewlabels.active.coreset import nearest_center_distances


def test_picks_the_far_point_first() -> None:
    X = np.array([[0.0, 0.0], [0.1, 0.0], [0.0, 0.1], [10.0, 10.0], [0.2, 0.1]], dtype=np.float32)
    assert k_center_greedy(X, np.array([0]), 1).tolist() == [3]


def test_greedy_covers_each_cluster_once() -> None:
    centres = np.array([[0, 0], [10, 0], [0, 10], [10, 10]], dtype=np.float32)
    rng = np.random.default_rng(0)
    X = np.concatenate([c + rng.normal(0, 0.1, (10, 2)) for c in centres]).astype(np.float32)
    picked = k_center_greedy(X, np.array([0]), 3)
    assert sorted({int(p) // 10 for p in picked}) == [1, 2, 3]


def test_cold_start_begins_near_the_mean() -> None:
    X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0]], dtype=np.float32)
    assert k_center_greedy(X, np.zeros(5, bool), 1).tolist() == [2]


def test_distances_match_brute_force() -> None:
    X = np.random.default_rng(1).normal(size=(20, 3)).astype(np.float32)
    centres = np.array([2, 5, 11])
    brute = np.sqrt(((X[:, None] - X[centres][None]) ** 2).sum(-1)).min(1)
    np.testing.assert_allclose(nearest_center_distances(X, centres), brute, rtol=1e-4, atol=1e-4)


def test_score_is_zero_on_labelled_rows(blobs: tuple[np.ndarray, np.ndarray]) -> None:
    X, _ = blobs
    mask = np.zeros(len(X), bool)
    mask[[0, 30]] = True
    s = Coreset().score(X, labeled_mask=mask)
    assert s[0] == s[30] == 0.0
    # blob 3 holds no label, so its rows are the farthest
    assert s.argmax() >= 60


def test_greedy_steps_follow_the_exact_distances() -> None:
    X = np.array([[0.0], [0.2], [0.5], [0.9]], dtype=np.float32)
    # cold start: nearest the mean (0.4) is 0.5; then 0 (0.5 away); then 0.9 (0.4 away)
    picked = k_center_greedy(X, np.zeros(4, bool), 3)
    assert picked.tolist() == [2, 0, 3] and picked.dtype == np.int64


def test_cold_start_uses_the_mean_of_each_feature() -> None:
    # column means (1, 10): row 1 is nearest; the mean of all entries (5.5) is nearest row 0
    X = np.array([[0.0, 5.0], [1.0, 10.0], [2.0, 15.0]], dtype=np.float32)
    assert k_center_greedy(X, np.zeros(3, bool), 1).tolist() == [1]


def test_candidates_limit_the_picks_and_never_repick_the_selected() -> None:
    X = np.array([[0.0], [1.0], [2.0], [10.0], [20.0]], dtype=np.float32)
    candidates = np.array([True, True, True, False, False])
    assert k_center_greedy(X, np.array([0]), 2, candidates=candidates).tolist() == [2, 1]
    # n is capped at the candidates left
    assert k_center_greedy(X, np.array([0]), 5, candidates=candidates).tolist() == [2, 1]


def test_cold_start_score_is_the_distance_to_the_pool_mean() -> None:
    # column means (2, 3), not the mean of all entries (17 / 6)
    X = np.array([[0.0, 0.0], [2.0, 0.0], [4.0, 9.0]], dtype=np.float32)
    s = Coreset().score(X, labeled_mask=np.zeros(3, bool))
    np.testing.assert_allclose(s, [np.sqrt(13), 3.0, np.sqrt(40)], rtol=1e-6)


def _brute(X: np.ndarray, centers: np.ndarray) -> np.ndarray:
    d = np.linalg.norm(X[:, None, :] - X[centers][None, :, :], axis=2)
    return d.min(axis=1)


def test_above_the_index_threshold_distances_come_from_the_index_and_match(monkeypatch) -> None:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(120, 5))
    centers = np.arange(0, 120, 4)  # 30 centres, above the lowered threshold
    exact = nearest_center_distances(X, centers)
    monkeypatch.setattr(sys.modules["fewlabels.learn.knn_graph"], "ANN_ABOVE", 10)
    approx = nearest_center_distances(X, centers)
    assert approx.dtype == np.float64 and approx.shape == (120,)
    assert np.allclose(approx, _brute(X, centers), atol=1e-4)  # a tiny index is exact
    assert np.allclose(approx, exact, atol=1e-4)
    assert np.all(approx[centers] == 0.0)  # never negative, zero on a centre


def test_picks_are_int64_and_distances_float64() -> None:
    X = np.random.default_rng(0).normal(size=(30, 3)).astype(np.float32)
    picks = k_center_greedy(X, np.zeros(30, dtype=bool), 5)
    assert picks.dtype == np.int64
    assert nearest_center_distances(X, np.array([0, 1])).dtype == np.float64
    assert Coreset(dedup_threshold=0.5).dedup_threshold == 0.5
    assert Coreset().dedup_threshold == 0.99
