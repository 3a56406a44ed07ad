from __future__ import annotations

import numpy as np

from fewlabels.active import Margin, suppress_near_duplicates


def test_skips_near_duplicates_in_rank_order() -> None:
    X = np.array([[1, 0], [1, 0.001], [0, 1], [0.7, 0.7]], dtype=np.float32)
    assert suppress_near_duplicates(X, np.array([0, 1, 2, 3]), 3, threshold=0.99).tolist() == [
        0,
        2,
        3,
    ]


def test_refills_with_skipped_when_needed() -> None:
    X = np.ones((4, 3), dtype=np.float32)
    assert suppress_near_duplicates(X, np.array([3, 1, 0, 2]), 3, threshold=0.99).tolist() == [
        3,
        1,
        0,
    ]


def test_threshold_none_keeps_the_ranking() -> None:
    X = np.ones((4, 3), dtype=np.float32)
    assert suppress_near_duplicates(X, np.array([2, 0, 1]), 2, threshold=None).tolist() == [2, 0]


def test_uncertainty_batch_avoids_duplicated_items() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 6)).astype(np.float32)
    X[1:5] = X[0] * 1.0001  # five copies of the most uncertain item
    P = np.tile([0.95, 0.05], (50, 1))
    P[:5] = [0.5, 0.5]
    P[10] = [0.6, 0.4]
    mask = np.zeros(50, bool)
    with_dedup = Margin().select(X, n=2, proba=P, labeled_mask=mask, random_state=0)
    without = Margin(dedup_threshold=None).select(
        X, n=2, proba=P, labeled_mask=mask, random_state=0
    )
    assert sorted(with_dedup.tolist())[1] == 10 and with_dedup.min() < 5
    assert (without < 5).all()


def test_similarity_exactly_at_the_threshold_counts_as_a_duplicate() -> None:
    X = np.array([[1, 0], [1, 0], [0, 1]], dtype=np.float32)
    kept = suppress_near_duplicates(X, np.array([0, 1, 2]), 2, threshold=1.0)
    assert kept.tolist() == [0, 2] and kept.dtype == np.int64
    # just above the similarity: kept
    assert suppress_near_duplicates(X, np.array([0, 1, 2]), 2, threshold=0.5).tolist() == [0, 2]
    assert suppress_near_duplicates(X, np.array([0, 2, 1]), 2, threshold=-0.5).tolist() == [0, 2]


def test_an_exact_copy_is_a_duplicate_even_at_threshold_one() -> None:
    # Normalising rounds: in float32 a third of random rows had a self-similarity just
    # below 1, so threshold=1.0 ("only exact copies") let their copies through.
    rng = np.random.default_rng(0)
    for _ in range(200):
        x = rng.normal(size=(1, 16)).astype(np.float32)
        X = np.vstack([x, x, rng.normal(size=(1, 16)).astype(np.float32)])
        assert suppress_near_duplicates(X, np.array([0, 1, 2]), 2, threshold=1.0).tolist() == [
            0,
            2,
        ]


def test_a_near_copy_below_threshold_one_is_kept() -> None:
    X = np.array([[1.0, 0.0], [1.0, 1e-3], [0.0, 1.0]], dtype=np.float32)
    assert suppress_near_duplicates(X, np.array([0, 1, 2]), 2, threshold=1.0).tolist() == [0, 1]


def test_positions_come_back_as_int64_whatever_the_order_dtype() -> None:
    X = np.eye(3, dtype=np.float32)
    for threshold in (None, 0.99):
        for n in (1, 3):
            out = suppress_near_duplicates(
                X, np.array([2, 0, 1], dtype=np.int32), n, threshold=threshold
            )
            assert out.dtype == np.int64 and out.tolist() == [2, 0, 1][:n]


def test_reaches_counts_the_rounding_slack_as_reached() -> None:
    from fewlabels.active.dedup import SIMILARITY_TOL, reaches

    edge = 0.99 - SIMILARITY_TOL
    assert bool(reaches(edge, 0.99))  # exactly at threshold - slack: reached (>=)
    assert not bool(reaches(np.nextafter(edge, 0.0), 0.99))
    np.testing.assert_array_equal(reaches(np.array([0.5, edge, 1.0]), 0.99), [False, True, True])


def test_unit_rows_scales_each_row_of_a_matrix_on_its_own() -> None:
    from fewlabels.active.dedup import unit_rows

    U = unit_rows(np.array([[3.0, 4.0], [0.0, 2.0], [0.0, 0.0]], dtype=np.float32))
    assert U.dtype == np.float64
    np.testing.assert_allclose(U, [[0.6, 0.8], [0.0, 1.0], [0.0, 0.0]])
    np.testing.assert_allclose(unit_rows(np.array([3.0, 4.0])), [0.6, 0.8])
