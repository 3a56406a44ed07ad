"""The simulated oracle: true labels revealed on request, as a human labeller would."""

from __future__ import annotations

from typing import Any

import numpy as np

from fewlabels._validation import _preview
from fewlabels.errors import FewlabelsError
from fewlabels.typing import UNLABELED, IntArray


class SimulatedOracle:
    """Answers label queries from known true labels and keeps count.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True integer labels of the pool, none of them ``-1``.

    Attributes
    ----------
    n_queries_ : int
        Labels revealed so far.
    history_ : list of ndarray
        The positions asked for, one array per call to :meth:`reveal`.
    """

    def __init__(self, y_true: Any) -> None:
        y = np.asarray(y_true)
        if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
            raise FewlabelsError(
                f"Expected the oracle's true labels as a 1-d integer array, but got shape "
                f"{y.shape} and dtype {y.dtype}."
            )
        if (y == UNLABELED).any():
            raise FewlabelsError(
                f"Expected a fully labelled pool for the simulated oracle, but "
                f"{int((y == UNLABELED).sum())} row(s) have label -1. Simulate on a "
                "fully labelled split (load_builtin(...).train)."
            )
        self.y_true = y.astype(np.int64)
        self.n_queries_ = 0
        self.history_: list[IntArray] = []

    def reveal(self, positions: Any) -> IntArray:
        """Return the true labels of the rows at ``positions``.

        Parameters
        ----------
        positions : array-like of int of shape (n_asked,)

        Returns
        -------
        ndarray of shape (n_asked,), int64
        """
        pos = np.asarray(positions, dtype=np.int64).ravel()
        bad = pos[(pos < 0) | (pos >= self.y_true.size)]
        if bad.size:
            raise FewlabelsError(
                f"Expected positions in [0, {self.y_true.size - 1}], "
                f"but got {_preview(bad.tolist())}."
            )
        self.n_queries_ += int(pos.size)
        self.history_.append(pos.copy())
        return self.y_true[pos]
