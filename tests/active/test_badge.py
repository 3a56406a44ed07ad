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


def test_gradient_factor_is_p_minus_the_one_hot_of_the_top_class() -> None:
    np.testing.assert_allclose(
        gradient_factors(np.array([[0.7, 0.3], [0.2, 0.8]])),
        [
            [-0.3, 0.3],
            [0.2, -0.2],
        ],
    )


def test_next_centre_is_drawn_in_proportion_to_its_squared_distance() -> None:
    # equal predictions: the squared gradient distance is 0.5 * (x_i - x_c)^2, so after the
    # first centre (x = 1, the largest gradient) rows at 0.9 and 0.8 weigh 0.005 : 0.02
    X = np.array([[1.0], [0.9], [0.8]])
    P = np.full((3, 2), 0.5)
    second = [
        int(badge_select(X, P, np.zeros(3, bool), 2, rng=np.random.default_rng(s))[1])
        for s in range(400)
    ]
    share = second.count(2) / 400
    assert 0.72 < share < 0.88  # 0.8 expected


def test_a_copy_of_a_centre_is_never_drawn_while_others_remain() -> None:
    rng = np.random.default_rng(0)
    X = np.concatenate([np.tile([[3.0, 0.0]], (10, 1)), rng.normal(size=(5, 2))])
    P = np.full((15, 2), 0.5)
    for s in range(20):
        sel = badge_select(X, P, np.zeros(15, bool), 2, rng=np.random.default_rng(s))
        assert sel[0] == 0 and sel[1] >= 10  # the other copies are at distance 0


def test_near_duplicates_of_every_centre_leave_the_draw() -> None:
    # rows 0/1 and 2/3 point the same way (cosine exactly 1); row 4 is apart
    X = np.array([[2.0, 0.0], [1.0, 0.0], [0.0, 2.0], [0.0, 1.0], [1.0, 1.0]])
    P = np.full((5, 2), 0.5)
    for s in range(30):
        sel = set(
            badge_select(
                X, P, np.zeros(5, bool), 3, rng=np.random.default_rng(s), dedup_threshold=1.0
            ).tolist()
        )
        assert not {0, 1} <= sel and not {2, 3} <= sel, (s, sel)
        via_strategy = Badge(dedup_threshold=1.0).select(
            X, n=3, proba=P, labeled_mask=np.zeros(5, bool), random_state=s
        )
        got = set(via_strategy.tolist())
        assert not {0, 1} <= got and not {2, 3} <= got


def test_certain_predictions_without_dedup_still_give_distinct_rows(
    blobs: tuple[np.ndarray, np.ndarray],
) -> None:
    X, _ = blobs
    P = np.tile([1.0, 0.0, 0.0], (len(X), 1))
    mask = np.zeros(len(X), bool)
    mask[:50] = True
    sel = Badge(dedup_threshold=None).select(X, n=40, proba=P, labeled_mask=mask, random_state=0)
    assert sorted(sel.tolist()) == list(range(50, 90)) and sel.dtype == np.int64


def test_an_exact_copy_of_a_centre_leaves_the_draw_at_threshold_one() -> None:
    # Certain predictions: every distance is 0 and the draw is uniform over what is not a
    # near-duplicate. Normalising in float32 put a third of random rows' self-similarity
    # just below 1, so their copies stayed in the draw at dedup_threshold=1.0.
    gen = np.random.default_rng(0)
    P = np.tile([[1.0, 0.0]], (4, 1))
    for s in range(100):
        x = gen.normal(size=(1, 16)).astype(np.float32)
        X = np.vstack([x, x, gen.normal(size=(2, 16)).astype(np.float32)])
        sel = badge_select(
            X, P, np.zeros(4, bool), 2, rng=np.random.default_rng(s), dedup_threshold=1.0
        )
        assert sel[0] == 0 and sel[1] != 1, (s, sel)
