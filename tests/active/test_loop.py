from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from fewlabels.active.loop import fit_predict, simulate

Split = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


LR = LogisticRegression(max_iter=200)


@pytest.mark.parametrize("strategy", ["random", "margin", "typiclust"])
def test_accuracy_improves_over_rounds(strategy: str, blob_split: Split) -> None:
    Xp, yp, Xt, yt = blob_split
    recs = simulate(Xp, yp, Xt, yt, strategy=strategy, learner=LR, batch=4, rounds=6, seed=0)
    assert [r.round for r in recs] == [1, 2, 3, 4, 5, 6]
    assert [r.n_labels for r in recs] == [4, 8, 12, 16, 20, 24]
    assert recs[0].cold_start and not recs[-1].cold_start
    assert recs[-1].accuracy > 0.8
    assert recs[-1].accuracy >= recs[0].accuracy
    assert sum(recs[-1].class_counts) == 24 and len(recs[-1].class_counts) == 4
    picked = np.concatenate([r.selected for r in recs])
    assert np.unique(picked).size == picked.size == 24


def test_seed_set_is_round_zero_and_runs_are_deterministic(blob_split: Split) -> None:
    Xp, yp, Xt, yt = blob_split
    a = simulate(Xp, yp, Xt, yt, strategy="entropy", learner=LR, start=8, batch=4, rounds=2, seed=5)
    b = simulate(Xp, yp, Xt, yt, strategy="entropy", learner=LR, start=8, batch=4, rounds=2, seed=5)
    assert [r.round for r in a] == [0, 1, 2] and a[0].n_labels == 8
    assert [r.selected for r in a] == [r.selected for r in b]
    assert [r.accuracy for r in a] == [r.accuracy for r in b]


def test_stops_when_the_pool_is_exhausted(blob_split: Split) -> None:
    Xp, yp, Xt, yt = blob_split
    recs = simulate(Xp[:10], yp[:10], Xt, yt, strategy="random", learner=LR, batch=4, rounds=5)
    assert [r.n_labels for r in recs] == [4, 8, 10]


def test_fit_predict_maps_classes_with_gaps(blob_split: Split) -> None:
    Xp, yp, Xt, _ = blob_split
    y_known = np.full(len(yp), -1)
    idx0, idx3 = np.flatnonzero(yp == 0)[:3], np.flatnonzero(yp == 3)[:3]
    y_known[idx0], y_known[idx3] = 0, 3
    proba, pred, _, _ = fit_predict(LR, Xp, y_known, Xt, n_classes=4, transductive=False)
    assert proba is not None and proba.shape == (len(Xp), 4)
    assert np.allclose(proba[:, [1, 2]], 0) and set(np.unique(pred)) <= {0, 3}


def test_single_class_has_no_model(blob_split: Split) -> None:
    Xp, yp, Xt, _ = blob_split
    y_known = np.full(len(yp), -1)
    y_known[:2] = 1
    proba, pred, _, _ = fit_predict(LR, Xp, y_known, Xt, n_classes=4, transductive=False)
    assert proba is None and (pred == 1).all()


def test_bad_arguments_are_explained(blob_split: Split) -> None:
    Xp, yp, Xt, yt = blob_split
    with pytest.raises(ValueError, match=r"Expected batch to be a whole number >= 1"):
        simulate(Xp, yp, Xt, yt, learner=LR, batch=0)
    with pytest.raises(ValueError, match=r"Expected y_pool of shape \(160,\)"):
        simulate(Xp, yp[:5], Xt, yt, learner=LR)
    with pytest.raises(ValueError, match=r"non-negative integer class codes.*1 negative"):
        simulate(Xp, np.where(np.arange(160) == 3, -1, yp), Xt, yt, learner=LR)
    with pytest.raises(ValueError, match=r"X_test with the pool's 6 features"):
        simulate(Xp, yp, Xt[:, :3], yt, learner=LR)
    with pytest.raises(ValueError, match=r"Unknown strategy 'bald'"):
        simulate(Xp, yp, Xt, yt, learner=LR, strategy="bald")
    with pytest.raises(TypeError, match=r"estimator with fit and predict_proba, but got int"):
        simulate(Xp, yp, Xt, yt, learner=3)
    with pytest.raises(
        ValueError, match=r"Expected start \(the random seed set.*whole number \[0, 160\]"
    ):
        simulate(Xp, yp, Xt, yt, learner=LR, start=500)
