"""Feature preparation shared by the learners: centre on the pool mean, then L2-normalise.

Centring on the mean of the whole (mostly unlabelled) pool before L2 normalisation is the
"CL2N" transform of SimpleShot (Wang et al., 2019, "SimpleShot: Revisiting Nearest-Neighbor
Classification for Few-Shot Learning"): it removes the direction every embedding shares,
so cosine similarities spread out and class structure shows.
"""

from __future__ import annotations

import numpy as np

from fewlabels.encode.base import l2_normalize as l2_rows

__all__ = ["center_normalize", "l2_rows", "pool_mean"]


def pool_mean(X: np.ndarray) -> np.ndarray:
    """Mean of the L2-normalised rows of ``X``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)

    Returns
    -------
    ndarray of shape (n_features,), float32
    """
    return l2_rows(X).mean(axis=0, dtype=np.float64).astype(np.float32)


def center_normalize(X: np.ndarray, mean: np.ndarray | None) -> np.ndarray:
    """L2-normalise, subtract ``mean`` (when given) and L2-normalise again.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    mean : ndarray of shape (n_features,) or None
        Usually :func:`pool_mean` of the fitted pool; None skips centring.

    Returns
    -------
    ndarray of shape (n_samples, n_features), float32, rows of unit norm
    """
    Z = l2_rows(X)
    if mean is None:
        return Z
    return l2_rows(Z - mean.astype(np.float32)[None, :])
