"""Cross-fitting: out-of-sample probabilities of labelled rows from K refits of a learner.

The shared step under :func:`fewlabels.audit.crossfit_proba` (which adds closed forms for
the embedding learners) and :class:`fewlabels.learn.RejectOption` (which picks its threshold
on them). In each fold the learner is fitted on the whole pool with the held-out fold's
labels hidden (``-1``), as :class:`fewlabels.learn.Auto` does, so the transductive learners
still see every row.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, clone

from fewlabels.learn.base import is_transductive
from fewlabels.learn.targets import align_proba
from fewlabels.typing import UNLABELED

__all__ = ["kfold_proba", "label_folds"]


def label_folds(y: np.ndarray, *, n_folds: int, random_state: int | None = 0) -> np.ndarray:
    """Assign each labelled row to one of ``n_folds`` folds, stratified by class.

    Each class's rows are shuffled and dealt round-robin from a random starting fold, so
    every fold gets ``floor`` or ``ceil`` of ``n_c / n_folds`` of class ``c``, and a class
    with fewer rows than folds lands in different folds (its rows are never all held out
    together unless it has one). ``n_folds`` is clipped to the number of labelled rows.

    Parameters
    ----------
    y : ndarray of shape (n_samples,), int
        Class codes, ``-1`` for unlabelled rows (assumed valid).
    n_folds : int
    random_state : int or None, default 0

    Returns
    -------
    ndarray of shape (n_samples,), int64
        Fold of each labelled row in ``[0, n_folds)``; ``-1`` for unlabelled rows.
    """
    rng = np.random.default_rng(random_state)
    folds = np.full(len(y), -1, dtype=np.int64)
    n_lab = int(np.sum(y != UNLABELED))
    k = max(1, min(n_folds, n_lab))
    start = 0
    for c in np.unique(y[y != UNLABELED]):
        rows = rng.permutation(np.flatnonzero(y == c))
        folds[rows] = (start + np.arange(rows.size)) % k
        start = (start + rows.size) % k  # the next class starts where this one stopped
    return folds


def kfold_proba(
    X: np.ndarray,
    y: np.ndarray,
    K: int,
    est: BaseEstimator,
    folds: np.ndarray,
    *,
    cv_pool: int,
    random_state: int | None,
) -> np.ndarray:
    """Out-of-sample probabilities of the labelled rows by K-fold refits of ``est``.

    Assumes checked input: finite ``X``, codes ``y`` in ``[-1, K)``, ``folds`` from
    :func:`label_folds`; ``est`` is cloned for each fold and must take the whole pool
    (a fewlabels learner). A fold whose training labels hold fewer than 2 classes predicts
    the one class left (or uniform).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,), int, ``-1`` for unlabelled rows
    K : int
        Number of classes (columns).
    est : estimator
    folds : ndarray of shape (n_samples,), int
    cv_pool : int
        Rows given to each fit: every labelled row plus a fixed random sample of the
        unlabelled ones, up to this many.
    random_state : int or None

    Returns
    -------
    ndarray of shape (n_samples, K), float64
        NaN rows for the unlabelled rows; a labelled row is predicted by the fit without
        its fold's labels (0 for a class left with no labelled row).
    """
    out = np.full((len(y), K), np.nan)
    lab = np.flatnonzero(y != UNLABELED)
    unl = np.flatnonzero(y == UNLABELED)
    room = max(0, cv_pool - lab.size)
    if unl.size > room:
        unl = np.sort(np.random.default_rng(random_state).choice(unl, room, replace=False))
    rows = np.sort(np.concatenate([lab, unl]))
    Xf, yf = X[rows], y[rows]
    ffold = folds[rows]
    for f in range(int(folds.max()) + 1):
        held = np.flatnonzero(ffold == f)
        if held.size == 0:
            continue
        y_train = yf.copy()
        y_train[held] = UNLABELED
        seen = np.unique(y_train[y_train != UNLABELED])
        if seen.size < 2:  # nothing to learn from: the prior of what is left
            p = np.zeros((held.size, K))
            if seen.size == 1:
                p[:, seen[0]] = 1.0
            else:
                p[:] = 1.0 / K
        else:
            model = clone(est).fit(Xf, y_train)
            if is_transductive(model) and getattr(model, "fit_proba_", None) is not None:
                raw = np.asarray(model.fit_proba_)[held]
            else:
                raw = model.predict_proba(Xf[held])
            p = align_proba(raw, model.classes_, np.arange(K))
        out[rows[held]] = p
    return out
