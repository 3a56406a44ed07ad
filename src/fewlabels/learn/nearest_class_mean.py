"""Nearest class mean: cosine similarity to the mean embedding of each class.

The simple baseline that keeps questioning pretrained models: a nearest-class-mean
classifier on frozen features (Mensink et al., 2013; SimpleShot, Wang et al., 2019, whose
centring on the mean feature is the ``center`` option here).

Classes of very different sizes: the class means ignore how many rows each class has, so the
rule is class-balanced as it stands (``class_weight="balanced"``, the default); with
``class_weight=None`` the scores get the log of the labelled class shares added, the Bayes
prior shift that lets a class labelled more often win the close calls.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fewlabels._validation import check_param
from fewlabels.learn.base import EmbeddingClassifier, sklearn_decision, softmax
from fewlabels.learn.class_means import class_means


class NearestClassMean(EmbeddingClassifier):
    """Cosine nearest class mean with a temperature.

    Parameters
    ----------
    temperature : float, default 0.05
        ``proba = softmax(cos(x, mean_c) / temperature)``; smaller is sharper.
    center : bool, default True
        Centre every row on the mean of the whole pool passed to ``fit`` (labelled and
        unlabelled rows) before L2 normalisation.
    class_weight : None, "balanced" or dict, default "balanced"
        A prior shift: ``proba = softmax(cos(x, mean_c) / temperature + log prior_c)`` with
        ``prior_c`` proportional to ``count_c * weight_c`` (``count_c`` labelled rows of
        class ``c``). ``"balanced"`` (weights ``n / (K count_c)``) gives every class the
        same prior, which is the plain nearest-class-mean rule; ``None`` (weights 1) uses
        the labelled class shares as the prior; a dict ``{class: weight}`` (user values,
        missing classes 1) scales the labelled shares.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    means_ : ndarray of shape (n_classes, n_features)
        Unit-norm class means of the labelled rows (in the centred space).
    class_weight_ : ndarray of shape (n_classes,)
        The resolved class weights.
    log_prior_ : ndarray of shape (n_classes,)
        ``log prior_c`` minus its mean (all zeros for ``"balanced"``).
    class_shares_ : ndarray of shape (n_classes,)
        Shares of the predicted classes over the fitted pool.
    labelled_shares_ : ndarray of shape (n_classes,)
        Class shares of the labelled rows.
    mean_ : ndarray of shape (n_features,) or None
        The pool mean used for centring.
    n_features_in_ : int
    """

    def __init__(
        self,
        *,
        temperature: float = 0.05,
        center: bool = True,
        class_weight: Any = "balanced",
    ) -> None:
        self.temperature = temperature
        self.center = center
        self.class_weight = class_weight

    def fit(self, X: Any, y: Any, *, sample_weight: Any = None) -> NearestClassMean:
        """Compute the class means of the labelled rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Every row of the pool.
        y : array-like of shape (n_samples,)
            Labels of any type, ``-1`` (numbers) or ``None`` (objects) for unlabelled rows.
        sample_weight : array-like of shape (n_samples,), optional
            Weights of the labelled rows in their class mean.

        Returns
        -------
        self
        """
        check_param(
            "temperature",
            self.temperature,
            low=0,
            high=np.inf,
            low_open=True,
            learner="NearestClassMean",
        )
        Xa, ya = self._validate_fit(X, y)
        Z = self._fit_features(Xa, center=self.center)
        w = self._check_weights(sample_weight, Xa)
        K = len(self.classes_)
        self.means_ = class_means(Z, ya, K, sample_weight=w)
        weights = self._class_weights(ya, w)
        kept = (ya >= 0) if w is None else (ya >= 0) & (w > 0)
        counts = np.bincount(ya[kept], minlength=K).astype(np.float64)
        log_prior = np.log(np.maximum(counts * weights, 1e-300))
        # equal priors (up to rounding) shift nothing: exactly the plain rule
        flat = np.ptp(log_prior) < 1e-9
        self.log_prior_ = np.zeros(K) if flat else log_prior - log_prior.mean()
        self._record_shares(Xa, ya)
        return self

    def _scores(self, X: np.ndarray) -> np.ndarray:
        """Cosine to each class mean plus the prior shift, in cosine units."""
        return self._features(X) @ self.means_.T + float(self.temperature) * self.log_prior_

    def decision_function(self, X: Any) -> np.ndarray:
        """Cosine similarity of each row to each class mean, plus ``temperature * log_prior_``.

        Returns
        -------
        ndarray of shape (n_samples, n_classes), or (n_samples,) for two classes (the
        similarity to ``classes_[1]`` minus that to ``classes_[0]``), as in scikit-learn.
        """
        Xa = self._check_predict(X)
        return sklearn_decision(self._scores(Xa))

    def _predict_proba(self, X: np.ndarray) -> np.ndarray:
        return softmax(self._scores(X) / self.temperature)
