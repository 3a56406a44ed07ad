"""Out-of-sample probabilities for every labelled row, by cross-fitting a learner.

Confident learning (Northcutt et al., 2021, "Confident Learning: Estimating Uncertainty in
Dataset Labels") needs, for each labelled row, class probabilities from a model that never
saw that row's label. :func:`crossfit_proba` gives them:

* For any fewlabels learner: stratified K-fold over the labelled rows (:func:`label_folds`,
  which adapts to classes with fewer rows than folds). In each fold the learner is fitted on
  the whole pool with the held-out fold's labels hidden (set to ``-1``), as
  :class:`fewlabels.learn.Auto` does, so the transductive learners still see every row; the
  held-out rows are read from ``fit_proba_`` (transductive) or ``predict_proba``.
* The cheap path for the embedding learners: nearest class mean and kNN (with their default
  ``class_weight="balanced"`` and no sample weights) get exact leave-one-out probabilities
  in closed form, from one pass over the labelled rows (equal to refitting without each
  row); the linear probe settles its ``C`` once on every labelled row instead of in each
  fold (slightly optimistic for it, as in ``Auto``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, clone

from fewlabels._validation import check_count, check_embeddings
from fewlabels.errors import FewlabelsError
from fewlabels.learn.base import softmax
from fewlabels.learn.crossfit import kfold_proba, label_folds
from fewlabels.learn.features import center_normalize, pool_mean
from fewlabels.learn.knn import KNN, knn_vote
from fewlabels.learn.knn_graph import knn_search
from fewlabels.learn.linear_probe import LinearProbe
from fewlabels.learn.nearest_class_mean import NearestClassMean
from fewlabels.learn.registry import LEARNERS
from fewlabels.typing import UNLABELED

__all__ = ["CrossFit", "crossfit_proba", "label_folds", "resolve_learner"]


@dataclass(frozen=True)
class CrossFit:
    """Out-of-sample probabilities of the labelled rows.

    Attributes
    ----------
    proba : ndarray of shape (n_samples, n_classes), float64
        Row ``i`` (labelled) is predicted by a model fitted without ``y[i]``; unlabelled rows
        are NaN. Columns follow the codes ``0 .. n_classes - 1``.
    method : str
        ``"leave-one-out"`` (the closed forms) or ``"k-fold"``.
    n_folds : int
        Folds used (the number of labelled rows for leave-one-out).
    learner : str
        The learner's class name.
    """

    proba: np.ndarray
    method: str
    n_folds: int
    learner: str

    @property
    def labelled(self) -> np.ndarray:
        """Positions of the labelled rows, ndarray of shape (n_labelled,)."""
        return np.flatnonzero(~np.isnan(self.proba[:, 0])) if self.proba.size else np.zeros(0, int)


def resolve_learner(learner: Any) -> BaseEstimator:
    """A new, unfitted learner from a registry name or an estimator (cloned).

    Parameters
    ----------
    learner : str or estimator
        A name of :func:`fewlabels.learn.list_learners` that needs labels, or a fewlabels
        estimator.
    """
    if isinstance(learner, str):
        entry = LEARNERS.entry(learner)  # an unknown name is explained by the registry
        if not entry.needs_labels or entry.needs_text_side:
            usable = [e.name for e in LEARNERS.select(needs_labels=True) if not e.needs_text_side]
            raise FewlabelsError(
                f"Expected a learner that learns from labels to audit them, but {learner!r} "
                f"does not (or needs a text side). Pick one of {usable}."
            )
        est: BaseEstimator = LEARNERS.create(learner)
        return est
    if not hasattr(learner, "fit") or not hasattr(learner, "get_params"):
        raise FewlabelsError(
            f"Expected a learner name or a fewlabels estimator, but got "
            f"{type(learner).__name__}. Pass e.g. learner='ncm'."
        )
    return clone(learner)


def _check_inputs(X: Any, y: Any, n_classes: int | None) -> tuple[np.ndarray, np.ndarray, int]:
    Xa = check_embeddings(X)
    ya = np.asarray(y)
    if ya.shape != (Xa.shape[0],) or not np.issubdtype(ya.dtype, np.integer):
        raise FewlabelsError(
            f"Expected y as integer class codes of shape ({Xa.shape[0]},) (one per row of X, "
            f"-1 for unlabelled), but got dtype {ya.dtype} and shape {ya.shape}. Encode labels "
            "with fewlabels.learn.targets.encode_targets first."
        )
    K = int(ya.max()) + 1 if n_classes is None else int(n_classes)
    if ya.min() < UNLABELED or ya.max() >= max(K, 1):
        raise FewlabelsError(
            f"Expected class codes in [-1, {K - 1}], but y holds values from {int(ya.min())} "
            f"to {int(ya.max())}. Pass n_classes, or encode the labels as 0 .. n_classes - 1."
        )
    if not (ya != UNLABELED).any():
        raise FewlabelsError(
            "Expected some labelled rows to cross-fit, but every row of y is -1. Label a few "
            "rows per class first."
        )
    return Xa, ya.astype(np.int64), K


def crossfit_proba(
    X: Any,
    y: Any,
    *,
    learner: Any = "ncm",
    n_folds: int = 5,
    n_classes: int | None = None,
    cheap: bool = True,
    cv_pool: int = 20_000,
    random_state: int | None = 0,
) -> CrossFit:
    """Out-of-sample class probabilities for every labelled row.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Every row of the pool.
    y : array-like of shape (n_samples,), int
        Class codes ``0 .. n_classes - 1``, ``-1`` for unlabelled rows.
    learner : str or estimator, default "ncm"
        A registry name or a fewlabels estimator (cloned for each fold).
    n_folds : int, default 5
        Folds of the K-fold path (clipped to the number of labelled rows).
    n_classes : int, optional
        Columns of the result (default ``max(y) + 1``).
    cheap : bool, default True
        Use the closed forms for ``NearestClassMean`` and ``KNN`` and settle the linear
        probe's ``C`` once (see the module docstring); False always runs K-fold refits.
    cv_pool : int, default 20_000
        In the K-fold path, the learner is fitted on every labelled row plus a fixed random
        sample of the unlabelled ones, up to this many rows in all.
    random_state : int or None, default 0

    Returns
    -------
    CrossFit
        ``proba`` of shape (n_samples, n_classes): NaN rows for the unlabelled rows. A row
        whose class has no other labelled row gets probability 0 for its own class (the
        model never saw that class).
    """
    Xa, ya, K = _check_inputs(X, y, n_classes)
    check_count(n_folds, name="n_folds", low=2, what="folds of the cross-fitting")
    check_count(cv_pool, name="cv_pool", low=1, what="rows given to each fit")
    est = resolve_learner(learner)
    name = type(est).__name__
    if cheap and _closed_form_ok(est):
        if isinstance(est, NearestClassMean):
            proba = _loo_ncm(Xa, ya, K, est)
        else:
            assert isinstance(est, KNN)
            proba = _loo_knn(Xa, ya, K, est)
        n_lab = int(np.sum(ya != UNLABELED))
        return CrossFit(proba=proba, method="leave-one-out", n_folds=n_lab, learner=name)
    if cheap and isinstance(est, LinearProbe):
        lab = ya != UNLABELED
        if len(np.unique(ya[lab])) >= 2:
            est = est.with_settled_params(Xa, ya)
    folds = label_folds(ya, n_folds=n_folds, random_state=random_state)
    proba = kfold_proba(Xa, ya, K, est, folds, cv_pool=cv_pool, random_state=random_state)
    return CrossFit(proba=proba, method="k-fold", n_folds=int(folds.max()) + 1, learner=name)


def _closed_form_ok(est: BaseEstimator) -> bool:
    """Whether ``est`` has an exact leave-one-out closed form here (default class weights)."""
    return isinstance(est, (NearestClassMean, KNN)) and est.class_weight == "balanced"


def _loo_ncm(X: np.ndarray, y: np.ndarray, K: int, est: NearestClassMean) -> np.ndarray:
    """Exact leave-one-out ``NearestClassMean`` probabilities; assumes checked input.

    Row ``i``'s own class mean is recomputed without it (``(S_c - z_i) / (n_c - 1)``); a
    class left with no row is not a class of that fit (probability 0).
    """
    Z = center_normalize(X, pool_mean(X) if est.center else None).astype(np.float64)
    lab = np.flatnonzero(y != UNLABELED)
    yl = y[lab]
    Zl = Z[lab]
    counts = np.bincount(yl, minlength=K).astype(np.float64)
    sums = np.zeros((K, Z.shape[1]))
    np.add.at(sums, yl, Zl)
    norms = np.linalg.norm(sums, axis=1)
    means = np.divide(sums, norms[:, None], out=np.zeros_like(sums), where=norms[:, None] > 0)
    cos = Zl @ means.T  # (n_lab, K)
    own = sums[yl] - Zl  # own class without the row
    own_norm = np.linalg.norm(own, axis=1)
    own_cos = np.divide(
        np.einsum("ij,ij->i", Zl, own), own_norm, out=np.zeros(lab.size), where=own_norm > 1e-12
    )
    cos[np.arange(lab.size), yl] = own_cos
    scores = cos / float(est.temperature)
    missing = counts[None, :].repeat(lab.size, axis=0)
    missing[np.arange(lab.size), yl] -= 1
    scores[missing <= 0] = -np.inf
    none = ~np.isfinite(scores).any(axis=1)  # a lone labelled row: nothing to learn from
    scores[none] = 0.0
    out = np.full((len(y), K), np.nan)
    out[lab] = softmax(scores)
    return out


def _loo_knn(X: np.ndarray, y: np.ndarray, K: int, est: KNN) -> np.ndarray:
    """Exact leave-one-out ``KNN`` probabilities; assumes checked input.

    One search of ``n_neighbors + 1`` labelled neighbours per labelled row, without the row
    itself; the balanced vote weights ``1 / count_c`` use the counts without the row (their
    common scale cancels in the vote).
    """
    Z = center_normalize(X, pool_mean(X) if est.center else None)
    lab = np.flatnonzero(y != UNLABELED)
    yl = y[lab]
    Zl = Z[lab]
    k = int(min(int(est.n_neighbors), lab.size - 1))
    out = np.full((len(y), K), np.nan)
    if k < 1:
        out[lab] = 1.0 / K
        return out
    sims, idx = knn_search(Zl, Zl, k + 1)
    me = np.arange(lab.size)[:, None]
    is_self = idx == me
    # drop the row itself; when ties hid it, drop the last neighbour instead
    drop = np.where(is_self.any(axis=1), is_self.argmax(axis=1), k)
    keep = np.ones_like(idx, dtype=bool)
    keep[np.arange(lab.size), drop] = False
    idx = idx[keep].reshape(lab.size, k)
    sims = sims[keep].reshape(lab.size, k)
    counts = np.bincount(yl, minlength=K).astype(np.float64)
    nb = yl[np.maximum(idx, 0)]
    c = counts[nb] - (nb == yl[:, None])
    weight = np.where(idx >= 0, 1.0 / np.maximum(c, 1.0), 0.0)
    out[lab] = knn_vote(sims, nb, K, temperature=float(est.temperature), neighbor_weight=weight)
    return out
