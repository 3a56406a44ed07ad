from __future__ import annotations

import numpy as np

from fewlabels.active import Badge, badge_select, gradient_norms
from fewlabels.active.badge import gradient_factors


def test_implicit_distances_match_explicit_gradient_embeddings() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(6, 4))
    P = rng.dirichlet(np.ones(3), size=6)
    A = gradient_factors(P)
    G = np.einsum("ic,id->icd", A, X).reshape(6, -1)  # (p - onehot) ⊗ x, built explicitly
    np.testing.assert_allclose(gradient_norms(X, P), np.linalg.norm(G, axis=1))
    i, j = 1, 4
    implicit = (
        (A[i] @ A[i]) * (X[i] @ X[i])
        + (A[j] @ A[j]) * (X[j] @ X[j])
        - 2 * (A[i] @ A[j]) * (X[i] @ X[j])
    )
    assert np.isclose(implicit, np.sum((G[i] - G[j]) ** 2))


def test_first_pick_is_the_largest_gradient() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 4)).astype(np.float32)
    P = np.tile([0.99, 0.01], (30, 1))
    P[17] = [0.5, 0.5]
    sel = badge_select(X, P, np.zeros(30, bool), 1, rng=np.random.default_rng(0))
    assert sel.tolist() == [17]


def test_certain_predictions_still_fill_the_batch(blobs: tuple[np.ndarray, np.ndarray]) -> None:
    X, _ = blobs
    P = np.tile([1.0, 0.0, 0.0], (len(X), 1))
    sel = Badge().select(X, n=5, proba=P, labeled_mask=np.zeros(len(X), bool), random_state=0)
    assert len(set(sel.tolist())) == 5


def test_batch_spreads_over_uncertain_regions() -> None:
    # Two far-apart groups of equally uncertain rows: the batch of 2 takes one from each.
    rng = np.random.default_rng(0)
    X = np.concatenate(
        [
            rng.normal(0, 0.01, (10, 3)) + np.array([5, 0, 0]),
            rng.normal(0, 0.01, (10, 3)) + np.array([0, 5, 0]),
        ]
    )
    P = np.tile([0.5, 0.5], (20, 1))
    sel = Badge().select(X, n=2, proba=P, labeled_mask=np.zeros(20, bool), random_state=0)
    assert sorted(int(s) // 10 for s in sel) == [0, 1]
