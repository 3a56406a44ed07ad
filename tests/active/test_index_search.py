"""TypiClust and Coreset above ANN_ABOVE: the same answers through the neighbour index."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from fewlabels.active.coreset import Coreset, nearest_center_distances
from fewlabels.active.typiclust import TypiClust, typicality

KG = importlib.import_module("fewlabels.learn.knn_graph")


def blobs(n: int = 300, dim: int = 8, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((5, dim)) * 3
    return (centres[rng.integers(0, 5, n)] + rng.standard_normal((n, dim))).astype(np.float32)


def test_typicality_through_the_index_equals_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    X = blobs()
    exact = typicality(X, k=10)
    monkeypatch.setattr(KG, "ANN_ABOVE", 0)
    np.testing.assert_allclose(typicality(X, k=10), exact, rtol=1e-4)
    assert typicality(X[:1], k=10)[0] == 1.0


def test_nearest_centre_distances_through_the_index_equal_exact(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    X = blobs()
    centres = np.arange(0, 300, 7)
    exact = nearest_center_distances(X, centres)
    monkeypatch.setattr(KG, "ANN_ABOVE", 0)
    np.testing.assert_allclose(nearest_center_distances(X, centres), exact, atol=1e-4)
    assert np.allclose(nearest_center_distances(X, centres)[centres], 0.0, atol=1e-3)


def test_strategies_pick_the_same_batch_forced_or_not(monkeypatch: pytest.MonkeyPatch) -> None:
    X = blobs()
    labeled = np.zeros(len(X), bool)
    labeled[:5] = True
    before = [
        s.select(X, n=8, labeled_mask=labeled, random_state=0) for s in (TypiClust(), Coreset())
    ]
    monkeypatch.setattr(KG, "ANN_ABOVE", 0)
    after = [
        s.select(X, n=8, labeled_mask=labeled, random_state=0) for s in (TypiClust(), Coreset())
    ]
    for a, b in zip(before, after, strict=True):
        np.testing.assert_array_equal(a, b)
