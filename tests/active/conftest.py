"""Tiny pools for the active-learning tests: Gaussian blobs with known structure."""

from __future__ import annotations

import numpy as np
import pytest


def make_blobs(
    n_per: int = 30, n_classes: int = 3, dim: int = 5, spread: float = 0.3, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Well-separated blobs: class c centred at 3 * e_c."""
    rng = np.random.default_rng(seed)
    X = np.concatenate(
        [
            rng.normal(0.0, spread, size=(n_per, dim)) + 3.0 * np.eye(dim)[c]
            for c in range(n_classes)
        ]
    ).astype(np.float32)
    y = np.repeat(np.arange(n_classes), n_per).astype(np.int64)
    return X, y


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


@pytest.fixture
def blobs() -> tuple[np.ndarray, np.ndarray]:
    return make_blobs()


@pytest.fixture
def blob_proba(blobs: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Probabilities from distances to the true blob centres (a plausible learner)."""
    X, _ = blobs
    centres = 3.0 * np.eye(X.shape[1])[:3]
    d = ((X[:, None, :] - centres[None]) ** 2).sum(-1)
    return softmax(-d)


@pytest.fixture
def blob_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A 4-class pool of 160 overlapping blobs and a test split of 80."""
    X, y = make_blobs(n_per=60, n_classes=4, dim=6, spread=1.2, seed=0)
    perm = np.random.default_rng(0).permutation(len(X))
    return X[perm[:160]], y[perm[:160]], X[perm[160:]], y[perm[160:]]
