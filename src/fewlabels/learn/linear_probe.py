"""Linear probe: multinomial logistic regression on frozen embeddings.

The standard evaluation of a representation (Alain and Bengio, 2016; Radford et al., 2021
report CLIP's linear probes), with its L2 regularisation chosen by cross-validation on the
labelled rows.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from fewlabels._validation import check_param
from fewlabels.learn.base import EmbeddingClassifier, sklearn_decision, softmax
from fewlabels.learn.threads import limit_threads_if_small
from fewlabels.typing import UNLABELED

#: Inverse regularisation strengths tried by cross-validation (rows are unit-norm, so good
#: values are larger than scikit-learn's default of 1).
DEFAULT_CS: tuple[float, ...] = (1.0, 3.0, 10.0, 30.0, 100.0)


def _fit_lr(
    Z: np.ndarray, y: np.ndarray, C: float, w: np.ndarray | None, max_iter: int
) -> LogisticRegression:
    model = LogisticRegression(C=C, max_iter=max_iter)
    with warnings.catch_warnings(), limit_threads_if_small(Z.size):
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(Z, y, sample_weight=w)
    return model


def choose_C(
    Z: np.ndarray,
    y: np.ndarray,
    Cs: tuple[float, ...],
    *,
    sample_weight: np.ndarray | None = None,
    max_iter: int = 200,
    random_state: int | None = 0,
) -> tuple[float, dict[float, float]]:
    """Pick ``C`` by stratified k-fold accuracy (``k = min(3, smallest class)``).

    Assumes valid input with at least 2 rows in every class. Ties go to the smaller ``C``
    (stronger regularisation), after mean log-likelihood.

    Parameters
    ----------
    Z : ndarray of shape (n_labelled, n_features)
    y : ndarray of shape (n_labelled,)
    Cs : tuple of float
    sample_weight : ndarray of shape (n_labelled,), optional

    Returns
    -------
    C : float
    scores : dict
        Mean held-out accuracy per ``C``.
    """
    counts = np.bincount(y)
    n_splits = int(min(3, counts[counts > 0].min()))
    folds = list(
        StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=random_state).split(Z, y)
    )
    scores: dict[float, float] = {}
    best: tuple[float, float, float] | None = None
    for C in Cs:
        acc, ll = [], []
        for tr, te in folds:
            w = None if sample_weight is None else sample_weight[tr]
            model = _fit_lr(Z[tr], y[tr], C, w, max_iter)
            proba = np.full((len(te), counts.size), 1e-12)
            proba[:, model.classes_] = np.maximum(model.predict_proba(Z[te]), 1e-12)
            acc.append(float(np.mean(proba.argmax(axis=1) == y[te])))
            ll.append(float(np.mean(np.log(proba[np.arange(len(te)), y[te]]))))
        scores[float(C)] = float(np.mean(acc))
        key = (float(np.mean(acc)), float(np.mean(ll)), -float(C))
        if best is None or key > best:
            best = key
    assert best is not None
    return -best[2], scores


class LinearProbe(EmbeddingClassifier):
    """Multinomial logistic regression on the labelled rows.

    Parameters
    ----------
    C : float or None, default None
        Inverse L2 regularisation. None chooses it from ``Cs`` by stratified
        cross-validation on the labelled rows when every class has at least 2 of them,
        and uses ``default_C`` otherwise.
    Cs : tuple of float, default (1, 3, 10, 30, 100)
    default_C : float, default 10.0
        Used when ``C`` is None and some class has a single labelled row.
    center : bool, default True
        Centre on the pool mean (all rows given to ``fit``) before L2 normalisation.
    max_iter : int, default 500
    random_state : int or None, default 0
        Seeds the cross-validation folds.
    class_weight : None, "balanced" or dict, default "balanced"
        Logistic regression's class weights: each labelled row's loss (and its weight in
        the cross-validation fits) is multiplied by its class's weight, times its
        ``sample_weight``. ``"balanced"``: ``n_labelled / (K count_c)``, scikit-learn's
        rule, so every class weighs the same in the loss (with equal labelled counts every
        weight is 1: nothing changes); a dict ``{class: weight}`` in the user's values
        (missing classes 1); ``None``: every row weighs 1. The default is measured
        (``benchmarks/class_weight.py``): with labels drawn at random from the pool,
        "balanced" gained 18.7, 2.9 and 2.2 points of balanced accuracy (and 1.3, 7.0 and
        2.8 of macro-F1) on ``default`` (3 % positive), finefoods and digits.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    class_weight_ : ndarray of shape (n_classes,)
        The resolved class weights.
    class_shares_ : ndarray of shape (n_classes,)
        Shares of the predicted classes over the fitted pool.
    labelled_shares_ : ndarray of shape (n_classes,)
        Class shares of the labelled rows.
    C_ : float
        The regularisation used.
    cv_scores_ : dict or None
        Held-out accuracy per candidate ``C`` (None when no cross-validation ran).
    coef_ : ndarray of shape (n_classes, n_features)
    intercept_ : ndarray of shape (n_classes,)
    n_iter_ : int
        Iterations of the final logistic regression.
    mean_ : ndarray of shape (n_features,) or None
    n_features_in_ : int
    """

    def __init__(
        self,
        *,
        C: float | None = None,
        Cs: tuple[float, ...] = DEFAULT_CS,
        default_C: float = 10.0,
        center: bool = True,
        max_iter: int = 500,
        random_state: int | None = 0,
        class_weight: Any = "balanced",
    ) -> None:
        self.C = C
        self.Cs = Cs
        self.default_C = default_C
        self.center = center
        self.max_iter = max_iter
        self.random_state = random_state
        self.class_weight = class_weight

    def fit(self, X: Any, y: Any, *, sample_weight: Any = None) -> LinearProbe:
        """Fit logistic regression on the labelled rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,), ``-1`` for unlabelled rows
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        self
        """
        if self.C is not None:
            check_param("C", self.C, low=0, high=np.inf, low_open=True, learner="LinearProbe")
        Xa, ya = self._validate_fit(X, y)
        Z = self._fit_features(Xa, center=self.center)
        keep = ya != UNLABELED
        checked = self._check_weights(sample_weight, Xa)
        w = None if checked is None else checked[keep]
        Zl, yl = Z[keep], ya[keep]
        cw = self._class_weights(ya, checked)
        if not np.all(cw == 1.0):
            w = cw[yl] if w is None else w * cw[yl]
        counts = np.bincount(yl, minlength=len(self.classes_))
        self.cv_scores_: dict[float, float] | None = None
        if self.C is not None:
            C = float(self.C)
        elif counts.min() >= 2:
            C, self.cv_scores_ = choose_C(
                Zl, yl, tuple(self.Cs), sample_weight=w, random_state=self.random_state
            )
        else:
            C = float(self.default_C)
        self.C_ = C
        model = _fit_lr(Zl, yl, C, w, self.max_iter)
        coef = np.zeros((len(self.classes_), Z.shape[1]))
        intercept = np.zeros(len(self.classes_))
        if len(model.classes_) == 2 and model.coef_.shape[0] == 1:
            coef[model.classes_[1]], intercept[model.classes_[1]] = (
                model.coef_[0],
                model.intercept_[0],
            )
        else:
            coef[model.classes_], intercept[model.classes_] = model.coef_, model.intercept_
        self.coef_, self.intercept_ = coef, intercept
        self.n_iter_ = int(np.max(model.n_iter_))
        self._record_shares(Xa, ya)
        return self

    def with_settled_params(self, X: Any, y: Any) -> LinearProbe:
        """A clone whose ``C`` is the one its cross-validation picks on ``X``, ``y``.

        :class:`Auto` scores this clone in its repeats instead of running the inner search
        in each one. A probe with a fixed ``C`` is returned unchanged.
        """
        if self.C is not None:
            return self
        return clone(self).set_params(C=clone(self).fit(X, y).C_)

    def decision_function(self, X: Any) -> np.ndarray:
        """Logits.

        Returns
        -------
        ndarray of shape (n_samples, n_classes), or (n_samples,) for two classes (positive
        for ``classes_[1]``), as in scikit-learn.
        """
        Xa = self._check_predict(X)
        return sklearn_decision(self._features(Xa) @ self.coef_.T + self.intercept_)

    def _predict_proba(self, X: np.ndarray) -> np.ndarray:
        return softmax(self._features(X) @ self.coef_.T + self.intercept_)
