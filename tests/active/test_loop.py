from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from fewlabels.active.loop import fit_predict, simulate

from .conftest import make_blobs

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


@pytest.mark.parametrize("learner", ["auto", "label-spreading"])
def test_string_labels_simulate_like_their_codes(blob_split: Split, learner: str) -> None:
    # Labels are the user's own values: strings need no re-mapping and give the same run.
    Xp, yp, Xt, yt = blob_split
    names = np.array(["ant", "bee", "cat", "dog"], dtype=object)
    kw = {"strategy": "margin", "learner": learner, "batch": 4, "rounds": 3, "seed": 0}
    coded = simulate(Xp, yp, Xt, yt, **kw)
    named = simulate(Xp, names[yp], Xt, names[yt], **kw)
    assert [r.selected for r in named] == [r.selected for r in coded]
    assert [r.accuracy for r in named] == [r.accuracy for r in coded]
    assert named[-1].accuracy > 0.5  # 4 classes: chance is 0.25


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


def test_a_constant_learner_scores_one_class_recall_and_collapses(blob_split: Split) -> None:
    from sklearn.dummy import DummyClassifier

    Xp, yp, Xt, yt = blob_split
    const = DummyClassifier(strategy="constant", constant=0)
    recs = simulate(Xp, yp, Xt, yt, strategy="random", learner=const, start=40, rounds=1)
    k = np.unique(yt).size
    for rec in recs:
        assert rec.accuracy == pytest.approx(float((yt == 0).mean()))
        # recall 1 on class 0, 0 on the others
        assert rec.balanced_accuracy == pytest.approx(1 / k)
        assert rec.top_pred_share == 1.0
    good = simulate(Xp, yp, Xt, yt, strategy="random", learner=LR, start=40, rounds=1)
    assert good[-1].balanced_accuracy > 0.8 and good[-1].top_pred_share < 0.5


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
    with pytest.raises(ValueError, match=r"fully labelled splits.*1 label\(s\) mark unlabelled"):
        simulate(Xp, np.where(np.arange(160) == 3, -1, yp), Xt, yt, learner=LR)
    with pytest.raises(ValueError, match=r"X_test with the pool's 6 features"):
        simulate(Xp, yp, Xt[:, :3], yt, learner=LR)
    with pytest.raises(ValueError, match=r"Unknown strategy 'bald'"):
        simulate(Xp, yp, Xt, yt, learner=LR, strategy="bald")
    with pytest.raises(TypeError, match=r"estimator with fit and predict_proba, but got int"):
        simulate(Xp, yp, Xt, yt, learner=3)
    with pytest.raises(
        ValueError, match=r"Expected start to be a whole number \[0, 160\] \(the random seed set"
    ):
        simulate(Xp, yp, Xt, yt, learner=LR, start=500)


def _imbalanced_blobs(sizes: list[int], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Well-separated blobs (class c at 3 * e_c, spread 0.5) with ``sizes[c]`` rows each."""
    rng = np.random.default_rng(seed)
    X = np.concatenate(
        [
            rng.normal(0.0, 0.5, (s, len(sizes))) + 3.0 * np.eye(len(sizes))[c]
            for c, s in enumerate(sizes)
        ]
    ).astype(np.float32)
    return X, np.repeat(np.arange(len(sizes)), sizes)


def test_margin_finds_the_rare_classes_that_random_misses() -> None:
    # One class of 150 rows and five of 12: random labels mostly the big class, margin asks
    # about the rows the model cannot place. Same seed, so the same random seed set of 6.
    # Measured (seeds 0-2): margin 0.96 / 0.99 / 0.98, random 0.79 / 0.66 / 0.66.
    Xp, yp = _imbalanced_blobs([150] + [12] * 5, seed=0)
    Xt, yt = _imbalanced_blobs([20] * 6, seed=1)
    gaps = []
    for seed in (0, 1, 2):
        kw = {"learner": LR, "start": 6, "batch": 6, "rounds": 2, "seed": seed}
        margin = simulate(Xp, yp, Xt, yt, strategy="margin", **kw)[-1]
        rand = simulate(Xp, yp, Xt, yt, strategy="random", **kw)[-1]
        assert min(margin.class_counts) >= 1  # every class labelled within 18 labels
        assert margin.accuracy >= max(rand.accuracy, 0.9)
        gaps.append(margin.accuracy - rand.accuracy)
    assert np.mean(gaps) >= 0.15


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_typiclust_cold_start_beats_random_on_separated_blobs(seed: int) -> None:
    # Ten balanced blobs, one batch of ten from nothing: TypiClust takes one typical row per
    # cluster, random repeats classes. Measured (seeds 0-7): TypiClust 0.88 to 1.0 covering
    # 9 or 10 classes, random 0.48 to 0.80 covering 5 to 8.
    X, y = make_blobs(n_per=30, n_classes=10, dim=10, spread=0.3, seed=0)
    perm = np.random.default_rng(0).permutation(len(X))
    pool, test = perm[:200], perm[200:]
    kw = {"learner": LR, "batch": 10, "rounds": 1, "seed": seed}
    typ = simulate(X[pool], y[pool], X[test], y[test], strategy="typiclust", **kw)[-1]
    rand = simulate(X[pool], y[pool], X[test], y[test], strategy="random", **kw)[-1]
    covered = [sum(c > 0 for c in r.class_counts) for r in (typ, rand)]
    assert covered[0] >= 9 and covered[0] > covered[1]
    assert typ.accuracy >= rand.accuracy + 0.1
