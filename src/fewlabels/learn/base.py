"""The shared shape of every learner: a scikit-learn classifier on embeddings.

``fit(X, y)`` takes every row of the pool; ``y`` holds the user's own labels (integers,
strings, booleans) with ``-1`` (numbers) or ``None`` (objects) marking unlabelled rows,
which the semi-supervised learners use. ``classes_`` holds the labelled values, sorted
(:mod:`fewlabels.learn.targets` encodes them once, here, at the edge); ``predict_proba``
columns follow ``classes_``; ``predict`` is its argmax, in the user's values.

``predict`` is always inductive: it depends only on the row it is given, never on the other
rows passed with it or on their order. A transductive learner's answer for the fitted rows
is a fitted attribute (``transduction_``, and ``fit_proba_`` for its probabilities).

Tags are class attributes, read with :func:`takes_unlabeled` and :func:`is_transductive`:

* ``takes_unlabeled``: ``fit`` takes the whole pool with unlabelled rows marked (True for
  every fewlabels learner; other scikit-learn classifiers would read -1 as a class).
* ``transductive``: ``fit`` also labels the fitted rows (``transduction_`` and
  ``fit_proba_``), which a wrapper such as :class:`~fewlabels.learn.SelfTraining` reuses.
* ``needs_text_side``: the learner needs an encoder that embeds prompts (``ZeroShot``).

Every learner records, at the end of ``fit`` (:meth:`EmbeddingClassifier._record_shares`),
``class_shares_`` (the share of its predictions over the fitted pool given to each class)
and ``labelled_shares_`` (the class shares of the labelled rows), which
:func:`fewlabels.learn.imbalance.warn_if_collapsed` reads to tell a model that predicts one
class only.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from fewlabels.errors import FewlabelsError
from fewlabels.learn.features import center_normalize, pool_mean
from fewlabels.learn.imbalance import predicted_shares, resolve_class_weight
from fewlabels.learn.targets import encode_targets
from fewlabels.typing import UNLABELED

#: ``_record_shares`` predicts on at most this many rows of the pool (a fixed random
#: sample of larger pools, drawn with seed 0), so that recording the shares adds little
#: to ``fit``.
SHARES_SAMPLE = 20_000


def takes_unlabeled(estimator: Any) -> bool:
    """Whether ``estimator.fit`` takes the whole pool with unlabelled rows marked (a tag)."""
    return bool(getattr(type(estimator), "takes_unlabeled", False))


def is_transductive(estimator: Any) -> bool:
    """Whether a fitted ``estimator`` labels its fitted rows (``fit_proba_``; a tag)."""
    return bool(getattr(type(estimator), "transductive", False))


def _hint(exc: ValueError, *, learner: str) -> FewlabelsError:
    """scikit-learn's message about ``X``, with what to do about it in fewlabels."""
    msg = str(exc)
    if "is expecting" in msg:
        fix = "Embed the new rows with the same encoder as the training rows."
    elif "2D array" in msg or "dimension" in msg:
        fix = "Pass embeddings as a 2-d array of shape (n_samples, n_features)."
    elif "sample" in msg:
        fix = "Pass at least one row."
    else:
        fix = "Pass embeddings: a 2-d array of finite numbers, one row per item."
    return FewlabelsError(f"{learner}: {msg} {fix}")


def _check_finite(X: np.ndarray) -> None:
    finite = np.isfinite(X)
    if not finite.all():
        rows = np.flatnonzero(~finite.all(axis=1))
        raise FewlabelsError(
            f"Expected finite values in X, but {rows.size} row(s) hold NaN or infinity, "
            f"e.g. rows {rows[:10].tolist()}. Re-embed those items or drop them."
        )


class EmbeddingClassifier(ClassifierMixin, BaseEstimator):
    """Base class: validation at ``fit``/``predict`` and ``predict`` from ``predict_proba``.

    Subclasses implement ``fit`` (calling :meth:`_validate_fit` first, then working on the
    integer codes it returns) and ``_predict_proba`` (on rows already checked).
    """

    takes_unlabeled: ClassVar[bool] = True
    transductive: ClassVar[bool] = False
    needs_text_side: ClassVar[bool] = False

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True  # few labels: no accuracy promise on toy data
        return tags

    def _check_X(self, X: Any, *, reset: bool) -> np.ndarray:
        """``X`` as a finite float32 array, through scikit-learn's ``validate_data``.

        scikit-learn checks the shape, the dtype, the number of rows and (``reset``)
        records ``n_features_in_``; the finiteness and width checks here name the rows
        and say what to do.
        """
        name = type(self).__name__
        try:
            Xa = validate_data(self, X, reset=reset, dtype=np.float32, ensure_all_finite=False)
        except ValueError as exc:
            raise _hint(exc, learner=name) from None
        Xa = np.asarray(Xa)
        _check_finite(Xa)
        return Xa

    def _validate_fit(
        self, X: Any, y: Any, *, require_labels: bool = True
    ) -> tuple[np.ndarray, np.ndarray]:
        """Check ``X`` and ``y``; set ``classes_`` and ``n_features_in_``.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features), float32
        codes : ndarray of shape (n_samples,), int64
            Index into ``classes_``; ``-1`` for unlabelled rows.
        """
        name = type(self).__name__
        Xa = self._check_X(X, reset=True)
        if y is None:
            raise FewlabelsError(
                f"{name} requires y to be passed, but the target y is None. Pass one label "
                "per row of X, with -1 (or None) for unlabelled rows."
            )
        codes, classes = encode_targets(y, learner=name)
        if codes.shape[0] != Xa.shape[0]:
            raise FewlabelsError(
                f"Expected X and y of the same length, but X has {Xa.shape[0]} rows and y has "
                f"shape {np.shape(y)}. Pass one label per row (-1 or None for unlabelled)."
            )
        if require_labels and classes.size == 0:
            raise FewlabelsError(
                f"{name} needs labelled rows, but every label in y marks an unlabelled row. "
                "Label a few rows per class, or use fewlabels.learn.ZeroShot, which needs none."
            )
        if require_labels and classes.size < 2:
            raise FewlabelsError(
                f"Expected labelled rows of at least 2 classes, but the labelled rows hold one "
                f"class only: class {classes.tolist()}. Label at least one row of another class."
            )
        self.classes_ = classes
        return Xa, codes

    @staticmethod
    def _check_weights(sample_weight: Any, X: np.ndarray) -> np.ndarray | None:
        """``sample_weight`` as float64 of shape (n_samples,), finite, >= 0, not all 0."""
        if sample_weight is None:
            return None
        try:
            w = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
        except ValueError as exc:
            raise FewlabelsError(
                f"{exc} Pass one finite weight >= 0 per row of X (or leave sample_weight out)."
            ) from None
        if not (w > 0).any():
            raise FewlabelsError(
                "Expected some rows with sample_weight > 0, but every weight is 0. Leave "
                "sample_weight out to weigh every row 1."
            )
        return w

    def _class_weights(
        self, codes: np.ndarray, sample_weight: np.ndarray | None = None
    ) -> np.ndarray:
        """``self.class_weight`` as one weight per class of ``classes_``; sets ``class_weight_``.

        See :func:`fewlabels.learn.imbalance.resolve_class_weight`; a row whose
        ``sample_weight`` is 0 does not count as labelled (a weight of 0 drops a row).
        Assumes ``codes`` and ``classes_`` from :meth:`_validate_fit`, and checked weights.
        """
        if sample_weight is not None:
            codes = np.where(sample_weight > 0, codes, UNLABELED)
        self.class_weight_ = resolve_class_weight(
            getattr(self, "class_weight", None),
            codes,
            len(self.classes_),
            classes=self.classes_,
            learner=type(self).__name__,
        )
        return self.class_weight_

    def _record_shares(
        self, X: np.ndarray, codes: np.ndarray, *, proba: np.ndarray | None = None
    ) -> None:
        """Record ``class_shares_`` and ``labelled_shares_``; call it at the end of ``fit``.

        Assumes a fitted learner (``classes_`` set) and ``X``, ``codes`` as returned by
        :meth:`_validate_fit`.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The checked rows of the fitted pool.
        codes : ndarray of shape (n_samples,), int
            Codes into ``classes_``, ``-1`` for unlabelled rows.
        proba : ndarray of shape (n_samples, n_classes), optional
            The learner's own answer for the fitted rows, columns in ``classes_`` order.
            By default ``fit_proba_`` for a transductive learner, else ``_predict_proba``
            on the pool (on a fixed random sample of ``SHARES_SAMPLE`` rows when larger).

        Notes
        -----
        Sets ``class_shares_``, ndarray of shape (n_classes,): the share of the predicted
        classes (argmax) over the fitted pool, summing to 1; and ``labelled_shares_``,
        ndarray of shape (n_classes,): the share of each class among the labelled rows.
        """
        K = len(self.classes_)
        if proba is None and is_transductive(self):
            proba = getattr(self, "fit_proba_", None)
        if proba is None:
            rows = X
            if len(X) > SHARES_SAMPLE:
                pick = np.random.default_rng(0).choice(len(X), SHARES_SAMPLE, replace=False)
                rows = X[np.sort(pick)]
            proba = self._predict_proba(rows)
        pred = np.asarray(proba).argmax(axis=1)
        self.class_shares_ = predicted_shares(pred, K)
        labelled = np.asarray(codes)
        self.labelled_shares_ = predicted_shares(labelled[labelled != UNLABELED], K)

    def _fit_features(self, X: np.ndarray, *, center: bool) -> np.ndarray:
        """Store the pool mean (``mean_``) and return centred, L2-normalised rows."""
        self.mean_ = pool_mean(X) if center else None
        return center_normalize(X, self.mean_)

    def _features(self, X: np.ndarray) -> np.ndarray:
        """Apply the fitted centring and normalisation to new rows."""
        return center_normalize(X, getattr(self, "mean_", None))

    def _check_predict(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "classes_")
        return self._check_X(X, reset=False)

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
        return self._predict_proba(self._check_predict(X))

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


def sklearn_decision(scores: np.ndarray) -> np.ndarray:
    """Per-class scores in scikit-learn's ``decision_function`` shape.

    Parameters
    ----------
    scores : ndarray of shape (n_samples, n_classes)

    Returns
    -------
    ndarray of shape (n_samples,) for two classes (the second class's score minus the
    first's, positive for ``classes_[1]``), else the scores unchanged.
    """
    if scores.shape[1] == 2:
        return scores[:, 1] - scores[:, 0]
    return scores


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
