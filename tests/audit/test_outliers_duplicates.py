"""Pool outliers (far from every class mean) and near-duplicate pairs (cosine >= threshold)."""

from __future__ import annotations

import numpy as np
import pytest

from fewlabels.audit import find_outliers, near_duplicates, outlier_scores
from fewlabels.errors import FewlabelsError
from learn.learn_helpers import blobs, hide


def test_a_row_far_from_every_class_is_an_outlier() -> None:
    X, y_true = blobs(n_per_class=20, n_classes=2, dim=8, spread=0.05, seed=0)
    y = hide(y_true, 5)
    far = -X[:40].mean(axis=0)  # opposite both classes
    X = np.vstack([X, far[None, :]]).astype(np.float32)
    y = np.r_[y, -1]
    pos, scores, threshold = find_outliers(X, y)
    assert pos[0] == 40 and scores[0] > threshold
    assert set(pos.tolist()) <= {40} | set(np.flatnonzero(y == -1).tolist())
    assert outlier_scores(X, y).argmax() == 40


def test_near_duplicates_count_exactly_at_the_threshold() -> None:
    X = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0], [0.0, 1.0]], dtype=np.float32)
    pairs, sims = near_duplicates(X, threshold=0.6)
    got = {tuple(p): s for p, s in zip(pairs.tolist(), sims.tolist(), strict=True)}
    assert set(got) == {(0, 1), (1, 2), (1, 3), (2, 3)}  # cos 0.6 and 0.8 reach it; 0 does not
    assert got[(2, 3)] == pytest.approx(1.0) and pairs[0].tolist() == [2, 3]
    pairs, _ = near_duplicates(X, threshold=0.61)
    assert {tuple(p) for p in pairs.tolist()} == {(1, 2), (1, 3), (2, 3)}


def test_bad_input_is_explained() -> None:
    with pytest.raises(FewlabelsError, match=r"threshold in \(0.0, 1.0\]"):
        near_duplicates(np.eye(3), threshold=1.5)
    with pytest.raises(FewlabelsError, match="every row of y is -1"):
        outlier_scores(np.eye(3), np.array([-1, -1, -1]))


def test_identical_rows_have_no_outliers_and_do_not_crash() -> None:
    # a user's pool of duplicate texts: centring leaves every row at zero
    X = np.ones((12, 4))
    y = np.array([0, 1] * 3 + [-1] * 6)
    pos, scores, threshold = find_outliers(X, y)
    assert pos.size == 0 and scores.size == 0 and threshold == pytest.approx(2.0)
