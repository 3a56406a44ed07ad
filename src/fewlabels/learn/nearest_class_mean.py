"""Nearest class mean: cosine similarity to the mean embedding of each class.

The simple baseline that keeps questioning pretrained models: a nearest-class-mean
classifier on frozen features (Mensink et al., 2013; SimpleShot, Wang et al., 2019, whose
centring on the mean feature is the ``center`` option here).
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

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    means_ : ndarray of shape (n_classes, n_features)
        Unit-norm class means of the labelled rows (in the centred space).
    mean_ : ndarray of shape (n_features,) or None
        The pool mean used for centring.
    n_features_in_ : int
    """

    def __init__(self, *, temperature: float = 0.05, center: bool = True) -> None:
        self.temperature = temperature
        self.center = center

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
        self.means_ = class_means(Z, ya, len(self.classes_), sample_weight=w)
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """Cosine similarity of each row to each class mean.

        Returns
        -------
        ndarray of shape (n_samples, n_classes), or (n_samples,) for two classes (the
        similarity to ``classes_[1]`` minus that to ``classes_[0]``), as in scikit-learn.
        """
        Xa = self._check_predict(X)
        return sklearn_decision(self._features(Xa) @ self.means_.T)

    def _predict_proba(self, X: np.ndarray) -> np.ndarray:
        return softmax((self._features(X) @ self.means_.T) / self.temperature)
