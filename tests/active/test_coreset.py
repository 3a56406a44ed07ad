from __future__ import annotations

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
