from __future__ import annotations

import numpy as np
import pytest

from fewlabels.active import TypiClust, typicality, typiclust_select


def test_typicality_highest_in_the_dense_core() -> None:
    rng = np.random.default_rng(0)
    core = rng.normal(0, 0.05, (20, 2))
    outliers = np.array([[3.0, 3.0], [-3.0, 2.0]])
    X = np.concatenate([core, outliers]).astype(np.float32)
    t = typicality(X, k=5)
    assert t[:20].min() > t[20:].max()


def test_picks_dense_points_one_per_cluster() -> None:
    rng = np.random.default_rng(0)
    dense = [rng.normal(c, 0.05, (25, 2)) for c in ([0, 0], [5, 0], [0, 5])]
    sparse = rng.uniform(-2, 7, (6, 2))
    X = np.concatenate([*dense, sparse]).astype(np.float32)
    picked = typiclust_select(X, np.zeros(len(X), bool), 3, random_state=0)
    assert sorted(int(p) // 25 for p in picked) == [0, 1, 2]
    # each pick sits near its cluster centre
    centres = np.array([[0, 0], [5, 0], [0, 5]])
    for p in picked:
        assert np.linalg.norm(X[p] - centres[int(p) // 25]) < 0.1


def test_prefers_clusters_without_labels() -> None:
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(c, 0.05, (20, 2)) for c in ([0, 0], [5, 0])]).astype(np.float32)
    mask = np.zeros(40, bool)
    mask[:3] = True  # cluster 0 is labelled
    picked = TypiClust().select(X, n=1, labeled_mask=mask, random_state=0)
    assert picked[0] >= 20


def test_fills_when_pool_smaller_than_clusters() -> None:
    X = np.random.default_rng(0).normal(size=(6, 2)).astype(np.float32)
    mask = np.array([1, 1, 1, 0, 0, 0], bool)
    picked = TypiClust().select(X, n=10, labeled_mask=mask, random_state=0)
    assert sorted(picked.tolist()) == [3, 4, 5]


def test_bad_k_is_explained() -> None:
    X = np.zeros((4, 2), dtype=np.float32)
    with pytest.raises(ValueError, match=r"Expected k to be a whole number >= 1 \(neighbours"):
        TypiClust(k=0).select(X, n=1, labeled_mask=np.zeros(4, bool))
