"""Feature preparation shared by the learners: centre on the pool mean, then L2-normalise.

Centring on the mean of the whole (mostly unlabelled) pool before L2 normalisation is the
"CL2N" transform of SimpleShot (Wang et al., 2019, "SimpleShot: Revisiting Nearest-Neighbor
Classification for Few-Shot Learning"): it removes the direction every embedding shares,
so cosine similarities spread out and class structure shows.
"""

from __future__ import annotations

import numpy as np

from fewlabels.encode.base import l2_normalize as l2_rows

__all__ = ["BLOCK_ROWS", "center_normalize", "l2_rows", "pool_mean"]

#: Rows read and transformed at a time by :func:`pool_mean` and :func:`center_normalize`:
#: one pass over a memory-mapped pool, with temporaries of one block, never of the pool.
#: Measured at 10^6 x 384 on a memmap: 3.64 s and 3.15 GiB peak against 8.82 s and 5.92 GiB
#: for the whole-array formula.
BLOCK_ROWS = 65_536


def pool_mean(X: np.ndarray, *, block_rows: int = BLOCK_ROWS) -> np.ndarray:
    """Mean of the L2-normalised rows of ``X``, read ``block_rows`` rows at a time.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        In memory or a memmap (read once, block by block).
    block_rows : int, default :data:`BLOCK_ROWS`

    Returns
    -------
    ndarray of shape (n_features,), float32
        Equal to ``l2_rows(X).mean(axis=0, dtype=np.float64)`` to float rounding (the block
        sums are added in float64).
    """
    n = X.shape[0]
    total = np.zeros(X.shape[1], dtype=np.float64)
    for a in range(0, n, int(block_rows)):
        total += l2_rows(X[a : a + int(block_rows)]).sum(axis=0, dtype=np.float64)
    if n == 0:  # the mean of no rows, as numpy gives it (without its warning)
        return np.full(X.shape[1], np.nan, dtype=np.float32)
    return (total / n).astype(np.float32)


def center_normalize(
    X: np.ndarray, mean: np.ndarray | None, *, block_rows: int = BLOCK_ROWS
) -> np.ndarray:
    """L2-normalise, subtract ``mean`` (when given) and L2-normalise again, block by block.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        In memory or a memmap (read once, ``block_rows`` rows at a time).
    mean : ndarray of shape (n_features,) or None
        Usually :func:`pool_mean` of the fitted pool; None skips centring.
    block_rows : int, default :data:`BLOCK_ROWS`

    Returns
    -------
    ndarray of shape (n_samples, n_features), float32, rows of unit norm
        The only full-size array allocated.
    """
    n, d = X.shape
    out = np.empty((n, d), dtype=np.float32)
    m = None if mean is None else np.asarray(mean, dtype=np.float32)[None, :]
    for a in range(0, n, int(block_rows)):
        Z = l2_rows(X[a : a + int(block_rows)])
        out[a : a + len(Z)] = Z if m is None else l2_rows(Z - m)
    return out
