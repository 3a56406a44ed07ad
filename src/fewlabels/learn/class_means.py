"""Class means (prototypes) of labelled embeddings."""

from __future__ import annotations

import numpy as np

from fewlabels.learn.features import l2_rows
from fewlabels.typing import UNLABELED


def class_means(
    X: np.ndarray,
    y: np.ndarray,
    n_classes: int,
    *,
    sample_weight: np.ndarray | None = None,
    normalize: bool = True,
) -> np.ndarray:
    """Weighted mean embedding of each class over the labelled rows.

    Assumes valid input (finite ``X``, codes ``y`` in ``[-1, n_classes)``).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Class codes; rows with ``-1`` are ignored.
    n_classes : int
    sample_weight : ndarray of shape (n_samples,), optional
        Non-negative row weights (default 1).
    normalize : bool, default True
        Scale each mean to unit L2 norm (for cosine similarity).

    Returns
    -------
    ndarray of shape (n_classes, n_features), float32
        Row ``c`` is the mean of class ``c``; a class without labelled rows (or with zero
        total weight) gets a zero row.
    """
    X = np.asarray(X, dtype=np.float32)
    y = np.asarray(y)
    w = (
        np.ones(len(y), dtype=np.float64)
        if sample_weight is None
        else np.asarray(sample_weight, dtype=np.float64)
    )
    keep = (y != UNLABELED) & (w > 0)
    onehot = np.zeros((n_classes, int(keep.sum())), dtype=np.float64)
    onehot[y[keep], np.arange(onehot.shape[1])] = w[keep]
    sums = onehot @ X[keep].astype(np.float64)
    totals = onehot.sum(axis=1, keepdims=True)
    means = np.divide(sums, totals, out=np.zeros_like(sums), where=totals > 0).astype(np.float32)
    return l2_rows(means) if normalize else means
