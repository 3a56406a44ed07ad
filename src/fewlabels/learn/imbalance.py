"""Imbalanced classes: class weights, a collapse warning, and prior re-estimation.

Pure functions on arrays, used by every learner:

* :func:`resolve_class_weight` turns a learner's ``class_weight`` option (``None``,
  ``"balanced"`` or a dict keyed by the user's label values) into one weight per class.
* :func:`predicted_shares`, :func:`collapse_message` and :func:`warn_if_collapsed` tell when
  a fitted model gives (almost) every row the same class although the labels showed more
  than one (a near-constant teacher on an imbalanced pool).
* :func:`estimate_priors` and :func:`adjust_to_priors` re-estimate the class priors of an
  unlabelled pool by EM and move predictions to them (Saerens, Latinne & Decaestecker,
  "Adjusting the outputs of a classifier to new a priori probabilities: a simple
  procedure", Neural Computation 14(1), 2002).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from fewlabels._validation import _preview
from fewlabels.errors import FewlabelsError

__all__ = [
    "CLASS_WEIGHT_NAMES",
    "COLLAPSE_SHARE",
    "LABELLED_IMBALANCE_SHARE",
    "CollapseWarning",
    "adjust_to_priors",
    "collapse_message",
    "estimate_priors",
    "predicted_shares",
    "resolve_class_weight",
    "warn_if_collapsed",
]

CLASS_WEIGHT_NAMES: tuple[str, ...] = ("balanced",)
"""The named ``class_weight`` choices (besides ``None`` and a dict)."""

COLLAPSE_SHARE = 0.95
"""A model whose predictions give one class at least this share is said to collapse."""

LABELLED_IMBALANCE_SHARE = 0.9
"""No collapse warning when the labelled rows themselves give the class this share."""


class CollapseWarning(UserWarning):
    """A fitted model predicts (almost) one class only, although the labels hold more."""


def resolve_class_weight(
    class_weight: Any,
    y_codes: np.ndarray,
    n_classes: int,
    *,
    classes: np.ndarray,
    learner: str,
) -> np.ndarray:
    """One weight per class from a learner's ``class_weight`` option.

    Parameters
    ----------
    class_weight : None, "balanced" or dict
        ``None``: every class weighs 1. ``"balanced"``: ``n_labelled / (n_classes *
        count_c)``, scikit-learn's rule, counted on the labelled rows only; a class with
        no labelled row weighs 1. A dict maps the user's label values (those of
        ``classes``) to a weight; a class it leaves out weighs 1.
    y_codes : ndarray of shape (n_samples,), int
        Codes into ``classes``; ``-1`` marks unlabelled rows.
    n_classes : int
        The number of classes, ``len(classes)``.
    classes : ndarray of shape (n_classes,)
        The estimator's ``classes_`` (the user's values), to read the dict's keys.
    learner : str
        Named in error messages.

    Returns
    -------
    ndarray of shape (n_classes,), float64
        Finite weights > 0.

    Raises
    ------
    FewlabelsError
        An unknown name, a dict key that is not a class, or a weight that is not a
        finite number > 0.
    """
    if class_weight is None:
        return np.ones(n_classes, dtype=np.float64)
    if isinstance(class_weight, str):
        if class_weight != "balanced":
            raise FewlabelsError(
                f"{learner} expected class_weight to be None, 'balanced' or a dict of "
                f"{{class: weight}}, but got the name {class_weight!r}. Use "
                "class_weight='balanced' to weigh each class by the inverse of its labelled "
                "count, or None to weigh every class 1."
            )
        codes = np.asarray(y_codes)
        counts = np.bincount(codes[codes >= 0], minlength=n_classes)[:n_classes]
        counts = counts.astype(np.float64)
        weights = np.ones(n_classes, dtype=np.float64)
        seen = counts > 0
        if seen.any():
            weights[seen] = counts.sum() / (n_classes * counts[seen])
        return weights
    if isinstance(class_weight, Mapping):
        classes_list = np.asarray(classes).tolist()
        index = {v: i for i, v in enumerate(classes_list)}
        weights = np.ones(n_classes, dtype=np.float64)
        for key, value in class_weight.items():
            k = key.item() if isinstance(key, np.generic) else key
            if k not in index:
                raise FewlabelsError(
                    f"{learner} expected class_weight keys among the classes "
                    f"{_preview(classes_list)}, but got the key {key!r}. Key the dict by the "
                    "label values passed in y (the fitted classes_)."
                )
            try:
                w = float(value)
            except (TypeError, ValueError):
                w = float("nan")
            if not (np.isfinite(w) and w > 0):
                raise FewlabelsError(
                    f"{learner} expected every class_weight to be a finite number > 0, but "
                    f"class {key!r} has weight {value!r}. Give each class a positive weight "
                    "(1 is neutral), or leave the class out of the dict."
                )
            weights[index[k]] = w
        return weights
    raise FewlabelsError(
        f"{learner} expected class_weight to be None, 'balanced' or a dict of "
        f"{{class: weight}}, but got {type(class_weight).__name__} {class_weight!r}. "
        "Pass one of those."
    )


def predicted_shares(pred_codes: npt.ArrayLike, n_classes: int) -> np.ndarray:
    """The share of rows given each class.

    Parameters
    ----------
    pred_codes : ndarray of shape (n_samples,), int
        Predicted class codes ``0 .. n_classes-1`` (entries ``< 0`` are ignored).
    n_classes : int

    Returns
    -------
    ndarray of shape (n_classes,), float64
        Sums to 1 (all zeros when no row is given).
    """
    codes = np.asarray(pred_codes, dtype=np.int64).ravel()
    codes = codes[codes >= 0]
    counts = np.bincount(codes, minlength=n_classes)[:n_classes].astype(np.float64)
    total = counts.sum()
    return counts / total if total > 0 else counts


def collapse_message(
    shares: npt.ArrayLike,
    classes: Any,
    *,
    labelled_shares: npt.ArrayLike | None = None,
    max_share: float = COLLAPSE_SHARE,
    who: str = "the model",
) -> str | None:
    """A warning text when one class takes (almost) every prediction, else ``None``.

    Parameters
    ----------
    shares : array-like of shape (n_classes,)
        Shares of the predictions (:func:`predicted_shares`).
    classes : array-like of shape (n_classes,)
        The class values, to name the class.
    labelled_shares : array-like of shape (n_classes,), optional
        Shares of the labelled rows. When they give the dominant class at least
        ``LABELLED_IMBALANCE_SHARE`` (0.9), the labels showed that imbalance: no message.
    max_share : float
        A class with a share ``>= max_share`` (inclusive) collapses the model.
    who : str
        Names the model in the message.

    Returns
    -------
    str or None
    """
    s = np.asarray(shares, dtype=np.float64)
    if s.size < 2 or s.sum() <= 0:
        return None
    top = int(s.argmax())
    # a small tolerance keeps the inclusive boundary exact for shares such as 95/100
    if s[top] < max_share - 1e-12:
        return None
    labelled = None if labelled_shares is None else np.asarray(labelled_shares, np.float64)
    if labelled is not None and labelled[top] >= LABELLED_IMBALANCE_SHARE - 1e-12:
        return None
    name = np.asarray(classes, dtype=object)[top]
    seen = "" if labelled is None else f", while the labelled rows give it {labelled[top]:.0%}"
    return (
        f"{who[:1].upper()}{who[1:]} predicts class {name!r} for {s[top]:.1%} of the rows{seen}: it has "
        "collapsed towards one class. Fit with class_weight='balanced', or label more rows "
        "of the other classes."
    )


def warn_if_collapsed(estimator: Any, *, who: str | None = None) -> str | None:
    """Warn (:class:`CollapseWarning`) when a fitted estimator predicts one class only.

    Reads ``estimator.class_shares_`` and ``estimator.labelled_shares_`` (recorded at the
    end of ``fit``) and ``estimator.classes_``.

    Parameters
    ----------
    estimator : fitted fewlabels learner
    who : str, optional
        Names the model in the message; the estimator's class name by default.

    Returns
    -------
    str or None
        The message warned, or ``None`` when the model did not collapse (or records no
        shares).
    """
    shares = getattr(estimator, "class_shares_", None)
    if shares is None:
        return None
    msg = collapse_message(
        shares,
        estimator.classes_,
        labelled_shares=getattr(estimator, "labelled_shares_", None),
        who=who or type(estimator).__name__,
    )
    if msg is not None:
        warnings.warn(msg, CollapseWarning, stacklevel=2)
    return msg


def _check_proba_priors(proba: Any, train_priors: Any, *, name: str) -> tuple[Any, Any]:
    p = np.asarray(proba, dtype=np.float64)
    t = np.asarray(train_priors, dtype=np.float64).ravel()
    if p.ndim != 2 or p.shape[1] != t.size:
        raise FewlabelsError(
            f"{name} expected proba of shape (n_samples, n_classes) and train_priors of "
            f"shape (n_classes,), but got shapes {p.shape} and {t.shape}. Pass "
            "model.predict_proba(X) and one prior per column."
        )
    if not (np.isfinite(t).all() and (t > 0).all()):
        raise FewlabelsError(
            f"{name} expected train_priors > 0, but got {t.tolist()}. Pass the class shares "
            "of the labelled rows the model was fitted on (each class at least one row)."
        )
    if not (np.isfinite(p).all() and (p >= 0).all()):
        raise FewlabelsError(
            f"{name} expected probabilities (finite, >= 0) in proba, but it holds other "
            "values. Pass model.predict_proba(X)."
        )
    return p, t / t.sum()


def adjust_to_priors(proba: Any, *, train_priors: Any, priors: Any) -> np.ndarray:
    """Move posteriors from the training priors to new priors (Bayes' rule).

    ``p'(c|x) = p(c|x) * priors[c] / train_priors[c]``, renormalised per row
    (Saerens et al. 2002, eq. 2.4).

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_classes)
        Posteriors of a model fitted with class priors ``train_priors``.
    train_priors : ndarray of shape (n_classes,)
        Class priors at training time (> 0; normalised here).
    priors : ndarray of shape (n_classes,)
        The new class priors (>= 0; normalised here).

    Returns
    -------
    ndarray of shape (n_samples, n_classes), float64, rows sum to 1
    """
    p, t = _check_proba_priors(proba, train_priors, name="adjust_to_priors")
    q = np.asarray(priors, dtype=np.float64).ravel()
    if q.shape != t.shape or not (np.isfinite(q).all() and (q >= 0).all() and q.sum() > 0):
        raise FewlabelsError(
            f"adjust_to_priors expected priors of shape {t.shape}, >= 0 and not all 0, but "
            f"got {q.tolist()}. Pass one prior per class, e.g. from estimate_priors."
        )
    out = p * (q / q.sum() / t)
    total = out.sum(axis=1, keepdims=True)
    # a row whose mass the new priors remove entirely keeps its old posterior
    bad = total[:, 0] <= 0
    out[bad] = p[bad]
    total[bad] = p[bad].sum(axis=1, keepdims=True)
    total[total <= 0] = 1.0
    return out / total


def estimate_priors(
    proba: Any, *, train_priors: Any, max_iter: int = 100, tol: float = 1e-6
) -> np.ndarray:
    """Class priors of an unlabelled pool, by EM on a model's posteriors.

    The EM of Saerens, Latinne & Decaestecker (2002): start from the training priors;
    E-step, move every posterior to the current priors (:func:`adjust_to_priors`);
    M-step, the new priors are the mean adjusted posterior. Stops when no prior moves by
    more than ``tol`` or after ``max_iter`` rounds. It assumes the class-conditional
    densities ``p(x|c)`` are the same in training and in the pool (label shift) and that
    the posteriors are calibrated.

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_classes)
        Posteriors on the pool's rows, from a model fitted with priors ``train_priors``.
    train_priors : ndarray of shape (n_classes,)
        Class priors at training time (> 0), e.g. the labelled shares.
    max_iter : int
        At most this many EM rounds (>= 1).
    tol : float
        Stop when the largest change of a prior is below this (> 0).

    Returns
    -------
    ndarray of shape (n_classes,), float64
        Sums to 1.
    """
    p, t = _check_proba_priors(proba, train_priors, name="estimate_priors")
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise FewlabelsError(
            f"estimate_priors expected max_iter to be an integer >= 1, but got {max_iter!r}."
        )
    if not (isinstance(tol, (int, float, np.number)) and np.isfinite(tol) and tol > 0):
        raise FewlabelsError(f"estimate_priors expected tol to be a number > 0, but got {tol!r}.")
    if p.shape[0] == 0:
        return t.copy()
    priors = t.copy()
    for _ in range(int(max_iter)):
        new = adjust_to_priors(p, train_priors=t, priors=priors).mean(axis=0)
        new = new / new.sum()
        moved = float(np.abs(new - priors).max())
        priors = new
        if moved < tol:
            break
    return priors
