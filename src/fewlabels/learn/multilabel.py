"""Multi-label learners: one-vs-rest over the embedding learners, per-label thresholds.

Each item has a set of labels, possibly empty. ``y`` is a label indicator matrix of shape
(n_samples, n_labels), 1 where a row has a label and 0 where it has not, with a whole row
of ``-1`` for an unlabelled row (the row mask: a row is labelled, empty set included, or
not at all); or a sequence of label collections (lists, tuples, sets of any values) with
``None`` for an unlabelled row. ``classes_`` holds the labels (column indices for an
indicator ``y``, the sorted label values otherwise); ``predict`` returns an indicator matrix
whose columns follow ``classes_``, ``predict_sets`` the label sets.

One binary learner per label (Zhang et al., 2018, "Binary relevance for multi-label
learning: an overview") sees the pool with that label's 0/1 targets; its positive-class
probability is thresholded per label. With ``threshold="auto"`` the thresholds are chosen
on held-out labels (cross-fitting: each labelled row is predicted by a fit that did not see
its labels) to maximise each label's F1 (Fan and Lin, 2007, "A study on threshold selection
for multi-label classification"); a label with fewer than ``min_positives`` positives (or no
negative) keeps 0.5. With ``base="label-spreading"`` every label's positives and negatives
spread over one shared kNN graph of the pool (label spreading over the label indicator
columns).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, clone

from fewlabels.errors import FewlabelsError
from fewlabels.learn.base import EmbeddingClassifier, is_transductive
from fewlabels.learn.multilabel_targets import encode_label_targets, indicator_to_sets
from fewlabels.learn.multilabel_thresholds import (
    DEFAULT_THRESHOLD,
    best_f1_threshold,
    choose_thresholds,
    row_folds,
)
from fewlabels.typing import UNLABELED

__all__ = [
    "BASES",
    "DEFAULT_THRESHOLD",
    "OneVsRest",
    "best_f1_threshold",
    "choose_thresholds",
    "encode_label_targets",
    "indicator_to_sets",
    "row_folds",
]

#: The base learners of :class:`OneVsRest` (names of :data:`fewlabels.learn.LEARNERS`).
BASES = ("linear", "ncm", "knn", "label-spreading")


def _positive_proba(model: Any, X: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
    """P(label) of ``rows`` (all when None) from a fitted binary learner with classes 0/1.

    A transductive learner answers its fitted rows from ``fit_proba_``.
    """
    col = int(np.flatnonzero(np.asarray(model.classes_) == 1)[0])
    if (
        rows is not None
        and is_transductive(model)
        and getattr(model, "fit_proba_", None) is not None
    ):
        return np.asarray(model.fit_proba_)[rows, col]
    Xq = X if rows is None else X[rows]
    return np.asarray(model.predict_proba(Xq))[:, col]


class OneVsRest(EmbeddingClassifier):
    """One-vs-rest over an embedding learner, with per-label thresholds.

    Binary relevance (Zhang et al., 2018): one ``base`` learner per label on the whole pool;
    a row has a label when that learner's probability reaches the label's threshold,
    chosen on cross-fitted held-out labels (Fan and Lin, 2007). See the module docstring for
    the ``y`` convention (an indicator matrix with rows of -1 for unlabelled rows).

    Parameters
    ----------
    base : {"linear", "ncm", "knn", "label-spreading"}, default "linear"
        The binary learner of each label (:func:`fewlabels.learn.get_learner`).
        ``"label-spreading"`` builds the pool's kNN graph once and spreads every label's
        positives and negatives over it.
    threshold : "auto" or float, default "auto"
        ``"auto"``: per label, the threshold that maximises F1 on held-out labels
        (``n_folds`` cross-fitting), 0.5 for a label with fewer than ``min_positives``
        positives; a float in (0, 1): that threshold for every label.
    n_folds : int, default 5
        Folds of the cross-fitting (clipped to the number of labelled rows).
    min_positives : int, default 3
        Labelled positives a label needs for its threshold to be chosen.
    base_params : dict, optional
        Parameters of the base learner (``{"C": 1.0}`` for ``"linear"``).
    random_state : int or None, default 0
        Seeds the folds.

    Attributes
    ----------
    classes_ : ndarray of shape (n_labels,)
    thresholds_ : ndarray of shape (n_labels,)
    threshold_chosen_ : ndarray of shape (n_labels,), bool
        True where the threshold was chosen on held-out labels, False where it is the
        default 0.5 (too few positives) or the fixed ``threshold``.
    heldout_proba_ : ndarray of shape (n_samples, n_labels) or None
        The cross-fitted probabilities of the labelled rows (NaN on unlabelled rows) the
        thresholds were chosen on; None for a fixed threshold.
    n_positives_ : ndarray of shape (n_labels,), int
        Labelled positives of each label.
    estimators_ : list of estimator or float
        The fitted binary learner of each label; a float (its constant probability) for a
        label whose labelled rows are all positive or all negative.
    n_features_in_ : int
    """

    takes_unlabeled: ClassVar[bool] = True
    transductive: ClassVar[bool] = False
    multilabel: ClassVar[bool] = True

    def __init__(
        self,
        *,
        base: str = "linear",
        threshold: str | float = "auto",
        n_folds: int = 5,
        min_positives: int = 3,
        base_params: dict[str, Any] | None = None,
        random_state: int | None = 0,
    ) -> None:
        self.base = base
        self.threshold = threshold
        self.n_folds = n_folds
        self.min_positives = min_positives
        self.base_params = base_params
        self.random_state = random_state

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        tags.target_tags.multi_output = True
        return tags

    # -- checks ------------------------------------------------------------------------
    def _check_params(self) -> None:
        if self.base not in BASES:
            raise FewlabelsError(
                f"OneVsRest expected base in {list(BASES)}, but got {self.base!r}. Pick one "
                "of them, e.g. base='linear'."
            )
        t = self.threshold
        if isinstance(t, str):
            if t != "auto":
                raise FewlabelsError(
                    f"OneVsRest expected threshold 'auto' or a number in (0, 1), but got {t!r}."
                )
        elif isinstance(t, bool) or not isinstance(t, (int, float)) or not 0.0 < float(t) < 1.0:
            raise FewlabelsError(
                f"OneVsRest expected threshold 'auto' or a number in (0, 1), but got {t!r}. "
                "Pass e.g. threshold=0.5."
            )
        for name, low in (("n_folds", 2), ("min_positives", 1)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
                raise FewlabelsError(
                    f"OneVsRest expected {name} to be an integer >= {low}, but got {v!r}."
                )

    def _new_base(self) -> BaseEstimator:
        from fewlabels.learn.registry import get_learner

        return get_learner(self.base, **(self.base_params or {}))

    # -- fitting -----------------------------------------------------------------------
    def _fit_label(
        self, proto: BaseEstimator, X: np.ndarray, yk: np.ndarray, graph: Any
    ) -> BaseEstimator | float:
        """Fit one label's learner on targets ``yk`` (1/0, -1 unlabelled); a constant
        probability when its labelled rows hold one value. Assumes checked input."""
        seen = np.unique(yk[yk != UNLABELED])
        if seen.size < 2:
            return float(seen[0]) if seen.size else DEFAULT_THRESHOLD
        model = clone(proto)
        if graph is not None:
            return model.fit(X, yk, graph=graph)
        return model.fit(X, yk)

    def _fit_all(
        self, proto: BaseEstimator, X: np.ndarray, Y: np.ndarray, graph: Any
    ) -> list[BaseEstimator | float]:
        return [
            self._fit_label(proto, X, Y[:, k].astype(np.int64), graph) for k in range(Y.shape[1])
        ]

    def fit(self, X: Any, y: Any) -> OneVsRest:
        """Fit one learner per label on the pool; choose the thresholds.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Every row of the pool.
        y : array-like of shape (n_samples, n_labels), or sequence of length n_samples
            A 0/1 indicator with whole rows of -1 for unlabelled rows, or one collection of
            labels per row (None for unlabelled).

        Returns
        -------
        self
        """
        self._check_params()
        Xa = self._check_X(X, reset=True)
        if y is None:
            raise FewlabelsError(
                "OneVsRest requires y, but it is None. Pass a 0/1 label indicator matrix of "
                "shape (n_samples, n_labels) with rows of -1 for unlabelled rows."
            )
        Y, classes = encode_label_targets(y)
        if Y.shape[0] != Xa.shape[0]:
            raise FewlabelsError(
                f"Expected X and y of the same length, but X has {Xa.shape[0]} rows and y has "
                f"{Y.shape[0]}. Pass one label set per row (a row of -1 for unlabelled)."
            )
        # With no label column, all() of an empty row is True: no row counts as labelled.
        labelled = np.flatnonzero(~(Y == UNLABELED).all(axis=1))
        if labelled.size == 0 or Y.shape[1] == 0:
            raise FewlabelsError(
                "OneVsRest needs labelled rows and at least one label, but y has "
                f"{labelled.size} labelled row(s) and {Y.shape[1]} label(s). Label a few rows."
            )
        self.classes_ = classes
        proto = self._new_base()
        graph = proto.build_graph(Xa) if getattr(proto, "accepts_graph", False) else None
        self.n_positives_ = (Y[labelled] == 1).sum(axis=0).astype(np.int64)
        if self.threshold == "auto":
            self.heldout_proba_: np.ndarray | None = self._heldout_proba(
                proto, Xa, Y, labelled, graph
            )
            self.thresholds_, self.threshold_chosen_ = choose_thresholds(
                self.heldout_proba_[labelled],
                Y[labelled],
                min_positives=int(self.min_positives),
            )
        else:
            self.heldout_proba_ = None
            self.thresholds_ = np.full(Y.shape[1], float(self.threshold))
            self.threshold_chosen_ = np.zeros(Y.shape[1], dtype=bool)
        self.estimators_ = self._fit_all(proto, Xa, Y, graph)
        return self

    def _heldout_proba(
        self,
        proto: BaseEstimator,
        X: np.ndarray,
        Y: np.ndarray,
        labelled: np.ndarray,
        graph: Any,
    ) -> np.ndarray:
        """Cross-fitted probabilities of the labelled rows: each fold's rows predicted by the
        learners fitted with that fold's labels hidden. Assumes checked input."""
        out = np.full(Y.shape, np.nan)
        folds = row_folds(labelled.size, int(self.n_folds), random_state=self.random_state)
        for f in range(int(folds.max()) + 1):
            held = labelled[folds == f]
            Y_train = Y.copy()
            Y_train[held] = UNLABELED
            for k, model in enumerate(self._fit_all(proto, X, Y_train, graph)):
                if isinstance(model, float):
                    out[held, k] = model
                else:
                    out[held, k] = _positive_proba(model, X, held)
        return out

    # -- predicting --------------------------------------------------------------------
    def _predict_proba(self, X: np.ndarray) -> np.ndarray:
        cols = [
            np.full(len(X), m) if isinstance(m, float) else _positive_proba(m, X, None)
            for m in self.estimators_
        ]
        return np.stack(cols, axis=1)  # fit refuses a y without label columns

    def predict_proba(self, X: Any) -> np.ndarray:
        """Per-label probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_labels)
            Column ``k`` is P(row has ``classes_[k]``); rows need not sum to 1.
        """
        return self._predict_proba(self._check_predict(X))

    def predict(self, X: Any) -> np.ndarray:
        """The label indicator of each row: ``predict_proba(X) >= thresholds_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_labels), int64 (0/1)
        """
        return (self.predict_proba(X) >= self.thresholds_[None, :]).astype(np.int64)

    def predict_sets(self, X: Any) -> list[tuple[Any, ...]]:
        """The label set of each row, labels from ``classes_`` in their order.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        list of tuple, one per row (empty tuples allowed)
        """
        names = np.asarray(self.classes_, dtype=object)
        return [tuple(names[row == 1].tolist()) for row in self.predict(X)]
