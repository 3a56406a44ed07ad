"""Random selection: the baseline every strategy is measured against."""

from __future__ import annotations

import numpy as np

from fewlabels.active.base import Strategy
from fewlabels.typing import BoolArray, FloatArray


class RandomStrategy(Strategy):
    """Select unlabelled rows uniformly at random.

    ``score`` is constant (0 for every row); ``select`` orders the unlabelled rows by a
    seeded random permutation and, like every strategy, skips near-duplicates within
    the batch (``dedup_threshold``).

    Parameters
    ----------
    dedup_threshold : float or None, default=0.99
        See :class:`fewlabels.active.base.Strategy`.
    """

    name = "random"

    def _score(
        self, X: FloatArray, proba: FloatArray | None, labeled_mask: BoolArray
    ) -> FloatArray:
        return np.zeros(X.shape[0], dtype=np.float64)
