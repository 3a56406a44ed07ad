"""The shared shape of every learner: a scikit-learn classifier on embeddings.

``fit(X, y)`` takes every row of the pool, ``y == -1`` marking unlabelled rows (the
transductive learners use them); ``predict_proba`` columns follow ``classes_``; ``predict``
is its argmax. Labels are integer codes ``0 .. K-1`` (a Dataset's ``labels``): ``classes_``
is ``0 .. max(y)``, and a code in between with no labelled row is an error.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from fewlabels._validation import check_class_codes, check_predict_X, check_X_y
from fewlabels.learn.features import center_normalize, pool_mean


class EmbeddingClassifier(ClassifierMixin, BaseEstimator):
    """Base class: validation at ``fit``/``predict`` and ``predict`` from ``predict_proba``.

    Subclasses implement ``fit`` (calling :meth:`_validate_fit` first) and
    ``_predict_proba`` (on rows already checked).
    """

    def _validate_fit(
        self, X: Any, y: Any, *, require_labels: bool = True
    ) -> tuple[np.ndarray, np.ndarray]:
        """Check ``X``, ``y``; set ``classes_`` and ``n_features_in_``; return arrays."""
        name = type(self).__name__
        Xa, ya = check_X_y(X, y, require_labels=require_labels, learner=name)
        if require_labels:
            self.classes_ = check_class_codes(ya, learner=name)
        self.n_features_in_ = Xa.shape[1]
        return Xa, ya

    def _fit_features(self, X: np.ndarray, *, center: bool) -> np.ndarray:
        """Store the pool mean (``mean_``) and return centred, L2-normalised rows."""
        self.mean_ = pool_mean(X) if center else None
        return center_normalize(X, self.mean_)

    def _features(self, X: np.ndarray) -> np.ndarray:
        """Apply the fitted centring and normalisation to new rows."""
        return center_normalize(X, getattr(self, "mean_", None))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Columns in ``classes_`` order; rows sum to 1.
        """
        check_is_fitted(self, "classes_")
        Xa = check_predict_X(X, self.n_features_in_, learner=type(self).__name__)
        return self._predict_proba(Xa)

    def predict(self, X: Any) -> np.ndarray:
        """Most probable class of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
            Values from ``classes_``.
        """
        proba = self.predict_proba(X)
        return np.asarray(self.classes_)[proba.argmax(axis=1)]

    def _predict_proba(self, X: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax.

    Parameters
    ----------
    logits : ndarray of shape (n_samples, n_classes)

    Returns
    -------
    ndarray of shape (n_samples, n_classes), float64, rows sum to 1
    """
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)
