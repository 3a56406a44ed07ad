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
