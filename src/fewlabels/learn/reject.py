"""A reject option: answer "other" when the model is not sure enough (Chow, 1970).

:func:`choose_reject_threshold` picks a confidence threshold on held-out probabilities (the
out-of-sample ones of cross-fitting), and :class:`RejectOption` wraps a learner so that
``predict`` returns ``reject_label`` for rows whose top probability is below it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.validation import check_is_fitted

from fewlabels._validation import check_count, check_param
from fewlabels.errors import FewlabelsError
from fewlabels.learn.crossfit import kfold_proba, label_folds
from fewlabels.learn.targets import encode_targets
from fewlabels.typing import UNLABELED

__all__ = ["RejectOption", "choose_reject_threshold"]


def choose_reject_threshold(
    proba_heldout: Any,
    y_heldout: Any,
    *,
    target_precision: float | None = None,
    max_reject: float | None = None,
) -> float:
    """The lowest confidence threshold that meets a precision target, within a reject budget.

    A row is accepted when its top probability is ``>= threshold`` (rejected below it).
    Among the thresholds at the held-out confidences, the lowest whose accepted rows have
    accuracy ``>= target_precision`` is chosen (it rejects the fewest), but never one that
    rejects more than a share ``max_reject`` of the rows: when the target cannot be met
    within the budget, the threshold that rejects the most the budget allows is returned.
    With ``max_reject`` alone, that threshold is returned. A threshold that rejects no
    held-out row is returned as 0.0 (reject nothing).

    Parameters
    ----------
    proba_heldout : array-like of shape (n_samples, n_classes)
        Out-of-sample probabilities (columns in class-code order).
    y_heldout : array-like of shape (n_samples,), int
        The true class codes of those rows.
    target_precision : float in (0, 1], optional
    max_reject : float in [0, 1], optional
        At least one of the two must be given.

    Returns
    -------
    float
        The threshold; ``inf`` rejects everything (target unattainable, no budget given).
    """
    p = np.asarray(proba_heldout, dtype=np.float64)
    y = np.asarray(y_heldout)
    if p.ndim != 2 or p.shape[0] == 0 or not np.isfinite(p).all():
        raise FewlabelsError(
            f"Expected held-out probabilities as a finite array of shape (n_samples, "
            f"n_classes) with at least one row, but got shape {p.shape}. Pass out-of-sample "
            "probabilities (fewlabels.audit.crossfit_proba) at the labelled rows."
        )
    if y.shape != (p.shape[0],) or not np.issubdtype(y.dtype, np.integer):
        raise FewlabelsError(
            f"Expected y_heldout as integer class codes of shape ({p.shape[0]},), but got "
            f"dtype {y.dtype} and shape {y.shape}."
        )
    if target_precision is None and max_reject is None:
        raise FewlabelsError(
            "Expected target_precision or max_reject (or both), but got neither. Pass e.g. "
            "target_precision=0.9 to reject what is predicted with less than 90 % precision."
        )
    if target_precision is not None:
        check_param(
            "target_precision",
            target_precision,
            low=0,
            high=1,
            low_open=True,
            learner="choose_reject_threshold",
        )
    if max_reject is not None:
        check_param("max_reject", max_reject, low=0, high=1, learner="choose_reject_threshold")
    n = p.shape[0]
    conf = p.max(axis=1)
    correct = p.argmax(axis=1) == y
    order = np.argsort(-conf, kind="stable")
    cs, cc = conf[order], correct[order]
    # accept the top m rows: m must end a group of tied confidences
    ends = np.flatnonzero(np.r_[cs[1:] != cs[:-1], True]) + 1  # candidate m, increasing
    precision = np.cumsum(cc)[ends - 1] / ends
    min_m = 0 if max_reject is None else math.ceil((1.0 - float(max_reject)) * n - 1e-9)
    allowed = ends >= min_m
    if target_precision is not None:
        ok = allowed & (precision >= float(target_precision) - 1e-12)
        if ok.any():
            m = int(ends[np.flatnonzero(ok)[-1]])
        elif max_reject is None:
            return math.inf
        else:
            m = int(ends[np.flatnonzero(allowed)[0]])
    else:
        m = int(ends[np.flatnonzero(allowed)[0]])
    return 0.0 if m >= n else float(cs[m - 1])


class RejectOption(ClassifierMixin, BaseEstimator):
    """Wrap a learner: predict ``reject_label`` when its top probability is below a threshold.

    With ``threshold="auto"`` the threshold is chosen on held-out labels: the learner is
    cross-fitted on the labelled rows (``n_folds`` stratified folds, each fit on the whole
    pool with the fold's labels hidden), and :func:`choose_reject_threshold` picks it from
    those out-of-sample probabilities. The learner is then refitted on every labelled row.

    Parameters
    ----------
    estimator : estimator
        A fewlabels learner (takes the whole pool, ``-1``/None unlabelled).
    threshold : "auto" or float in [0, 1], default "auto"
    reject_label : object, default "other"
        What ``predict`` returns for a rejected row; must not be one of the classes.
    target_precision : float or None, default 0.9
    max_reject : float or None, default 0.5
        See :func:`choose_reject_threshold` (used with ``threshold="auto"``).
    n_folds : int, default 5
    random_state : int or None, default 0

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The learner's classes (``reject_label`` is not among them).
    estimator_ : estimator
        The learner fitted on every labelled row.
    threshold_ : float
        The threshold used.
    heldout_proba_ : ndarray of shape (n_labelled, n_classes) or None
        The out-of-sample probabilities the threshold was chosen on (None for a fixed one).
    heldout_reject_rate_ : float or None
        The share of held-out rows the threshold rejects.
    heldout_precision_ : float or None
        Accuracy on the held-out rows it accepts (NaN when it rejects all).
    n_features_in_ : int
    """

    takes_unlabeled = True

    def __init__(
        self,
        estimator: BaseEstimator,
        *,
        threshold: Any = "auto",
        reject_label: Any = "other",
        target_precision: float | None = 0.9,
        max_reject: float | None = 0.5,
        n_folds: int = 5,
        random_state: int | None = 0,
    ) -> None:
        self.estimator = estimator
        self.threshold = threshold
        self.reject_label = reject_label
        self.target_precision = target_precision
        self.max_reject = max_reject
        self.n_folds = n_folds
        self.random_state = random_state

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True
        return tags

    def fit(self, X: Any, y: Any) -> RejectOption:
        """Choose the threshold (cross-fitted, for ``"auto"``) and fit the learner.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Every row of the pool.
        y : array-like of shape (n_samples,)
            Labels of any type, ``-1`` (numbers) or ``None`` (objects) for unlabelled rows.

        Returns
        -------
        self
        """
        if not isinstance(self.threshold, str):
            check_param("threshold", self.threshold, low=0, high=1, learner="RejectOption")
        elif self.threshold != "auto":
            raise FewlabelsError(
                f"RejectOption expected threshold to be 'auto' or a number in [0, 1], but got "
                f"{self.threshold!r}."
            )
        check_count(self.n_folds, name="n_folds", low=2, owner="RejectOption")
        self.estimator_ = clone(self.estimator).fit(X, y)
        self.classes_ = np.asarray(self.estimator_.classes_)
        self.n_features_in_ = int(getattr(self.estimator_, "n_features_in_", np.shape(X)[1]))
        if any(_same(c, self.reject_label) for c in self.classes_.tolist()):
            raise FewlabelsError(
                f"RejectOption expected a reject_label that is not a class, but "
                f"{self.reject_label!r} is one of {self.classes_.tolist()}. Pick another one."
            )
        self.heldout_proba_: np.ndarray | None = None
        self.heldout_reject_rate_: float | None = None
        self.heldout_precision_: float | None = None
        if not isinstance(self.threshold, str):
            self.threshold_ = float(self.threshold)
            return self
        codes, _ = encode_targets(y, learner="RejectOption")
        Xa = np.asarray(X, dtype=np.float32)
        folds = label_folds(codes, n_folds=int(self.n_folds), random_state=self.random_state)
        proba = kfold_proba(
            Xa,
            codes,
            len(self.classes_),
            self.estimator,
            folds,
            cv_pool=max(20_000, int(np.sum(codes != UNLABELED))),
            random_state=self.random_state,
        )
        lab = codes != UNLABELED
        held, yl = proba[lab], codes[lab]
        self.threshold_ = choose_reject_threshold(
            held, yl, target_precision=self.target_precision, max_reject=self.max_reject
        )
        accept = held.max(axis=1) >= self.threshold_
        self.heldout_proba_ = held
        self.heldout_reject_rate_ = float(1.0 - accept.mean())
        right = held.argmax(axis=1) == yl
        self.heldout_precision_ = float(right[accept].mean()) if accept.any() else float("nan")
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """The learner's probabilities, ndarray of shape (n_samples, n_classes)."""
        check_is_fitted(self, "threshold_")
        return np.asarray(self.estimator_.predict_proba(X))

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class, or ``reject_label`` below the threshold.

        Returns
        -------
        ndarray of shape (n_samples,), object dtype when a row is rejected and the classes
        are not strings, else the classes' dtype.
        """
        proba = self.predict_proba(X)
        pred = self.classes_[proba.argmax(axis=1)]
        reject = proba.max(axis=1) < self.threshold_
        if not reject.any():
            return pred
        out = pred.astype(object)
        out[reject] = self.reject_label
        return out

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Accuracy of the learner without rejection (scikit-learn's ``score``)."""
        check_is_fitted(self, "threshold_")
        return float(self.estimator_.score(X, y, sample_weight=sample_weight))


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False
