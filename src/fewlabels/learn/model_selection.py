"""Model selection on a pool with unlabelled rows: score and split on the labelled rows only.

scikit-learn's ``GridSearchCV`` over a fewlabels learner fitted on the whole pool would score
the unlabelled rows as if ``-1`` were a class (every one wrong) and would hold unlabelled
rows out of training. Use both helpers together::

    from sklearn.model_selection import GridSearchCV
    from fewlabels.learn import LabelSpreading, LabelledKFold, labelled_scorer

    search = GridSearchCV(
        LabelSpreading(),
        {"n_neighbors": [5, 10, 20]},
        scoring=labelled_scorer("accuracy"),
        cv=LabelledKFold(n_splits=3),
    ).fit(X, y)  # y: -1 (or None) for unlabelled rows

``LabelledKFold`` folds only the labelled rows (stratified): each test fold is a share of
them and every unlabelled row stays in every training fold, where the semi-supervised
learners use it. ``labelled_scorer`` scores only the rows that carry a label.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from sklearn.metrics import get_scorer
from sklearn.model_selection import StratifiedKFold

from fewlabels.errors import FewlabelsError
from fewlabels.learn.targets import unlabeled_mask

__all__ = ["LabelledKFold", "labelled_scorer"]


def labelled_scorer(scoring: str | Callable[..., float] = "accuracy") -> Callable[..., float]:
    """A scorer ``(estimator, X, y) -> float`` that ignores the unlabelled rows of ``y``.

    Parameters
    ----------
    scoring : str or callable, default "accuracy"
        A scikit-learn scoring name (``"accuracy"``, ``"balanced_accuracy"``,
        ``"f1_macro"``, ``"roc_auc"`` ...) or a scorer ``(estimator, X, y)``.

    Returns
    -------
    callable
        ``scorer(estimator, X, y)``: the score on the rows of ``X`` whose label in ``y``
        is not ``-1`` / ``None``; ``nan`` when there are none.
    """
    inner = get_scorer(scoring) if isinstance(scoring, str) else scoring

    def score(estimator: Any, X: Any, y: Any) -> float:
        y_arr = np.asarray(y)
        keep = ~unlabeled_mask(y_arr)
        if not keep.any():
            return float("nan")
        # A list (or tuple) of rows has ``__getitem__`` but takes no boolean mask.
        indexable = hasattr(X, "__getitem__") and not isinstance(X, (list, tuple))
        X_arr = X[keep] if indexable else np.asarray(X)[keep]
        return float(inner(estimator, X_arr, y_arr[keep]))

    score.__name__ = f"labelled_{getattr(scoring, '__name__', scoring)}"
    return score


class LabelledKFold:
    """Stratified k-fold over the labelled rows; unlabelled rows are always trained on.

    Parameters
    ----------
    n_splits : int, default 3
    shuffle : bool, default True
    random_state : int or None, default 0
    """

    def __init__(
        self, n_splits: int = 3, *, shuffle: bool = True, random_state: int | None = 0
    ) -> None:
        self.n_splits = n_splits
        self.shuffle = shuffle
        self.random_state = random_state

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        """The number of folds."""
        return int(self.n_splits)

    def split(
        self, X: Any, y: Any = None, groups: Any = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(train, test)`` row indices.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Labels, ``-1`` or ``None`` for unlabelled rows (required).

        Yields
        ------
        train : ndarray of int
            Every unlabelled row plus the labelled rows of the other folds.
        test : ndarray of int
            One fold of the labelled rows.
        """
        if y is None:
            raise FewlabelsError(
                "LabelledKFold needs y to know which rows are labelled: pass it to split "
                "(GridSearchCV does)."
            )
        y_arr = np.asarray(y)
        labelled = np.flatnonzero(~unlabeled_mask(y_arr))
        unlabelled = np.flatnonzero(unlabeled_mask(y_arr))
        _, counts = np.unique(y_arr[labelled].astype(str), return_counts=True)
        if labelled.size == 0 or counts.min() < int(self.n_splits):
            raise FewlabelsError(
                f"LabelledKFold(n_splits={self.n_splits}) needs at least {self.n_splits} "
                f"labelled rows in every class, but the smallest class has "
                f"{int(counts.min()) if counts.size else 0}. Lower n_splits or label more rows."
            )
        folds = StratifiedKFold(
            n_splits=int(self.n_splits),
            shuffle=bool(self.shuffle),
            random_state=self.random_state if self.shuffle else None,
        )
        for tr, te in folds.split(labelled, y_arr[labelled].astype(str)):
            yield np.sort(np.concatenate([unlabelled, labelled[tr]])), labelled[te]
