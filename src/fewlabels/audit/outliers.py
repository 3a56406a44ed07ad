"""Pool rows far from every class: distance to the nearest class mean of the labelled rows."""

from __future__ import annotations

from typing import Any

import numpy as np

from fewlabels._validation import check_embeddings, check_unit_interval
from fewlabels.errors import FewlabelsError
from fewlabels.learn.class_means import class_means
from fewlabels.learn.features import center_normalize, pool_mean
from fewlabels.typing import UNLABELED

__all__ = ["find_outliers", "outlier_scores"]


def outlier_scores(X: Any, y: Any, *, center: bool = True, block: int = 65_536) -> np.ndarray:
    """Cosine distance of each row to its nearest class mean (of the labelled rows).

    Rows are centred on the pool mean and L2-normalised first (as the learners do).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,), int
        Class codes, ``-1`` for unlabelled rows; at least one labelled row.
    center : bool, default True
    block : int, default 65_536
        Rows scored at a time (bounds memory to ``block x n_classes``).

    Returns
    -------
    ndarray of shape (n_samples,), float64
        ``1 - max_c cos(x, mean_c)``, in [0, 2]; large: far from every class. When every class
    mean is zero (the labelled rows all equal the pool mean), every row scores 1.
    """
    Xa = check_embeddings(X)
    ya = np.asarray(y)
    if ya.shape != (Xa.shape[0],) or not np.issubdtype(ya.dtype, np.integer):
        raise FewlabelsError(
            f"Expected y as integer codes of shape ({Xa.shape[0]},), -1 for unlabelled, but "
            f"got dtype {ya.dtype} and shape {ya.shape}."
        )
    if not (ya != UNLABELED).any():
        raise FewlabelsError(
            "Expected some labelled rows (class means to measure against), but every row of "
            "y is -1. Label a few rows per class first."
        )
    mean = pool_mean(Xa) if center else None
    K = int(ya.max()) + 1
    Zl = center_normalize(Xa[ya != UNLABELED], mean)
    means = class_means(Zl, ya[ya != UNLABELED], K)
    means = means[np.linalg.norm(means, axis=1) > 0]
    if means.shape[0] == 0:  # every labelled row is the pool mean (identical rows): no direction
        return np.ones(len(Xa))
    out = np.empty(len(Xa))
    for start in range(0, len(Xa), block):
        Z = center_normalize(Xa[start : start + block], mean)
        out[start : start + block] = 1.0 - (Z @ means.T).max(axis=1)
    return out


def find_outliers(
    X: Any, y: Any, *, quantile: float = 0.99, center: bool = True
) -> tuple[np.ndarray, np.ndarray, float]:
    """Rows farther from every class mean than a ``quantile`` of the labelled rows are.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,), int, ``-1`` for unlabelled rows
    quantile : float in (0, 1], default 0.99
        The threshold is this quantile of the labelled rows' scores, each measured against
        class means computed without it (leave-one-out, so that the labelled rows, which
        make the means, do not look closer than a new row would); 1: farther than every
        labelled row.
    center : bool, default True

    Returns
    -------
    positions : ndarray of shape (n_outliers,), int64
        Rows whose score exceeds the threshold, farthest first.
    scores : ndarray of shape (n_outliers,), float64
        Their scores.
    threshold : float
    """
    q = check_unit_interval(quantile, name="quantile")
    s = outlier_scores(X, y, center=center)
    ya = np.asarray(y)
    threshold = float(np.quantile(_loo_scores(np.asarray(X, dtype=np.float32), ya, center), q))
    pos = np.flatnonzero(s > threshold)
    pos = pos[np.argsort(-s[pos], kind="stable")]
    return pos.astype(np.int64), s[pos], threshold


def _loo_scores(X: np.ndarray, y: np.ndarray, center: bool) -> np.ndarray:
    """:func:`outlier_scores` of the labelled rows, each without itself in its class mean.

    Assumes checked input. A row alone in its class is measured against the other classes.
    """
    mean = pool_mean(X) if center else None
    lab = y != UNLABELED
    Z = center_normalize(X[lab], mean).astype(np.float64)
    yl = y[lab]
    K = int(yl.max()) + 1
    sums = np.zeros((K, Z.shape[1]))
    np.add.at(sums, yl, Z)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    cos = Z @ np.divide(sums, norms, out=np.zeros_like(sums), where=norms > 0).T
    cos[:, norms[:, 0] == 0] = -np.inf
    own = sums[yl] - Z
    own_norm = np.linalg.norm(own, axis=1)
    own_cos = np.where(
        own_norm > 1e-12,
        np.einsum("ij,ij->i", Z, own) / np.maximum(own_norm, 1e-12),
        -np.inf,
    )
    cos[np.arange(len(yl)), yl] = own_cos
    best = cos.max(axis=1)
    return 1.0 - np.where(np.isfinite(best), best, -1.0)
