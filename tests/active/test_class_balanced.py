from __future__ import annotations

import numpy as np
import pytest

from fewlabels.active import ClassBalanced, Entropy, class_balanced_select


def _imbalanced() -> tuple[np.ndarray, np.ndarray]:
    """90 rows predicted class 0 (all very uncertain), 10 rows predicted class 1 (confident)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 8)).astype(np.float32)
    P = np.zeros((100, 2))
    P[:90] = [0.51, 0.49]
    P[90:] = [0.1, 0.9]
    return X, P


def test_rare_predicted_class_is_represented() -> None:
    X, P = _imbalanced()
    mask = np.zeros(100, bool)
    sel = ClassBalanced().select(X, n=6, proba=P, labeled_mask=mask, random_state=0)
    assert (sel >= 90).sum() == 3
    # plain entropy starves the rare class
    plain = Entropy().select(X, n=6, proba=P, labeled_mask=mask, random_state=0)
    assert (plain >= 90).sum() == 0


def test_balances_against_labelled_counts() -> None:
    X, P = _imbalanced()
    mask = np.zeros(100, bool)
    mask[:5] = True  # five labelled rows predicted class 0
    sel = ClassBalanced().select(X, n=5, proba=P, labeled_mask=mask, random_state=0)
    assert (sel >= 90).all()


def test_within_a_class_most_uncertain_first() -> None:
    scores = np.array([0.1, 0.9, 0.5, 0.8])
    pred = np.array([0, 0, 1, 1])
    sel = class_balanced_select(
        scores, pred, np.zeros(4, bool), 2, n_classes=2, rng=np.random.default_rng(0)
    )
    assert sorted(sel.tolist()) == [1, 3]


def test_exhausted_class_hands_over() -> None:
    scores = np.linspace(0, 1, 6)
    pred = np.array([0, 0, 0, 0, 0, 1])
    sel = class_balanced_select(
        scores, pred, np.zeros(6, bool), 4, n_classes=2, rng=np.random.default_rng(0)
    )
    assert 5 in sel and len(set(sel.tolist())) == 4


def test_unknown_base_is_explained(
    blobs: tuple[np.ndarray, np.ndarray], blob_proba: np.ndarray
) -> None:
    X, _ = blobs
    with pytest.raises(ValueError, match=r"Expected base in .*'margin'.* but got 'bald'"):
        ClassBalanced(base="bald").select(
            X, n=2, proba=blob_proba, labeled_mask=np.zeros(len(X), bool)
        )


def _duplicates_in_one_class() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Free rows 0-3 predicted class 1 (rows 1 and 2 exact copies of row 0, entropy falling
    from row 0 to row 3); rows 4-6 labelled, predicted class 0, so class 1 is filled first."""
    X = np.array([[1, 0], [1, 0], [1, 0], [0, 1], [5, 5], [5, 6], [6, 5]], dtype=np.float32)
    P = np.array(
        [[0.45, 0.55], [0.4, 0.6], [0.35, 0.65], [0.3, 0.7], [0.9, 0.1], [0.9, 0.1], [0.9, 0.1]]
    )
    mask = np.array([False] * 4 + [True] * 3)
    return X, P, mask


def test_a_copy_of_a_picked_row_is_skipped_at_the_threshold_itself() -> None:
    X, P, mask = _duplicates_in_one_class()
    strat = ClassBalanced(dedup_threshold=1.0)
    assert strat.select(X, n=2, proba=P, labeled_mask=mask, random_state=0).tolist() == [0, 3]
    no_dedup = ClassBalanced(dedup_threshold=None)
    assert no_dedup.select(X, n=2, proba=P, labeled_mask=mask, random_state=0).tolist() == [0, 1]


def test_skipped_copies_fill_the_batch_only_as_far_as_needed() -> None:
    X, P, mask = _duplicates_in_one_class()
    sel = ClassBalanced(dedup_threshold=1.0).select(
        X, n=3, proba=P, labeled_mask=mask, random_state=0
    )
    assert sel.tolist() == [0, 3, 1] and sel.dtype == np.int64
    raw = class_balanced_select(
        np.array([4.0, 3, 2, 1, 0, 0, 0]),
        np.array([1, 1, 1, 1, 0, 0, 0]),
        mask,
        3,
        n_classes=2,
        rng=np.random.default_rng(0),
        X=X,
        dedup_threshold=1.0,
    )
    assert raw.tolist() == [0, 3, 1] and raw.dtype == np.int64


def test_within_a_class_the_base_score_ranks_not_typicality() -> None:
    # free class-1 rows: row 0 alone and most uncertain, rows 1-2 a tight (typical) pair
    X = np.array([[10, 10], [0, 1], [0, 1.01], [1, 0], [1, 0.1]], dtype=np.float32)
    P = np.array([[0.45, 0.55], [0.2, 0.8], [0.2, 0.8], [0.9, 0.1], [0.9, 0.1]])
    mask = np.array([False, False, False, True, True])
    for base in ("entropy", "margin", "least-confidence"):
        sel = ClassBalanced(base=base).select(X, n=1, proba=P, labeled_mask=mask, random_state=0)
        assert sel.tolist() == [0], base


def test_an_exact_copy_is_skipped_at_threshold_one_whatever_the_rounding() -> None:
    # Rows 0 and 1 are copies, the two best of class 1; float32 normalising rounded a third of
    # random rows' self-similarity below 1, which let the copy in at dedup_threshold=1.0.
    gen = np.random.default_rng(0)
    scores = np.array([4.0, 3.0, 2.0, 1.0])
    predicted = np.array([1, 1, 1, 1])
    for _ in range(100):
        x = gen.normal(size=(1, 16)).astype(np.float32)
        X = np.vstack([x, x, gen.normal(size=(2, 16)).astype(np.float32)])
        sel = class_balanced_select(
            scores,
            predicted,
            np.zeros(4, bool),
            2,
            n_classes=2,
            rng=np.random.default_rng(0),
            X=X,
            dedup_threshold=1.0,
        )
        assert sel.tolist() == [0, 2]
