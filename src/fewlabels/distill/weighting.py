"""How far to trust the teacher on each row: confidence weights and dropping the least trusted.

Pure functions on probability arrays. The idea comes from Robust Active Distillation
(Baykal, Trinh, Iliopoulos, Bhatt and Moseley, ICLR 2023): a teacher's soft labels are
wrong most often where it is least confident, so those rows get less weight, or none.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from fewlabels.typing import BoolArray, FloatArray

#: How a teacher's confidence on a row is measured.
ConfidenceMeasure = Literal["max", "margin", "entropy"]
#: How rows are weighted by the teacher's confidence ("none" = every row weighs 1).
Weighting = Literal["none", "max", "margin", "entropy"]


def teacher_confidence(proba: FloatArray, *, measure: ConfidenceMeasure = "max") -> FloatArray:
    """The teacher's confidence on each row, scaled to ``[0, 1]``.

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_classes)
        Teacher probabilities; rows sum to 1.
    measure : {"max", "margin", "entropy"}
        ``"max"``: ``(p_max - 1/K) / (1 - 1/K)``; ``"margin"``: ``p_(1) - p_(2)``;
        ``"entropy"``: ``1 - H(p) / log K``. Each is 0 for the uniform row and 1 for a one-hot row.

    Returns
    -------
    ndarray of shape (n_samples,), float64 in ``[0, 1]``

    Notes
    -----
    Assumes valid input (checked by the public entry points).
    """
    p = np.asarray(proba, dtype=np.float64)
    k = p.shape[1]
    if measure == "max":
        conf = (p.max(axis=1) - 1.0 / k) / (1.0 - 1.0 / k)
    elif measure == "margin":
        top2 = np.sort(p, axis=1)[:, -2:]
        conf = top2[:, 1] - top2[:, 0]
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
        conf = 1.0 + plogp.sum(axis=1) / np.log(k)
    return np.clip(conf, 0.0, 1.0)


def drop_least_trusted(
    confidence: FloatArray,
    *,
    fraction: float,
    protected: BoolArray | None = None,
    groups: np.ndarray | None = None,
) -> BoolArray:
    """Keep-mask that drops the ``fraction`` least confident unprotected rows of each group.

    Parameters
    ----------
    confidence : ndarray of shape (n_samples,)
        Teacher confidence per row (higher = more trusted).
    fraction : float in [0, 1)
        Share of the unprotected rows of each group to drop, rounded down.
    protected : ndarray of shape (n_samples,) of bool, optional
        Rows never dropped (human-labelled rows).
    groups : ndarray of shape (n_samples,), optional
        Drop within each group (e.g. the teacher's predicted class), so that no group loses
        more than its share; one group when None.

    Returns
    -------
    keep : ndarray of shape (n_samples,) of bool
        ``sum over groups of floor(fraction * n_unprotected_in_group)`` rows are False; ties go
        to the earlier row being dropped, so the result is deterministic.
    """
    conf = np.asarray(confidence, dtype=np.float64)
    n = conf.shape[0]
    prot = np.zeros(n, dtype=bool) if protected is None else np.asarray(protected, dtype=bool)
    grp = np.zeros(n, dtype=np.int64) if groups is None else np.asarray(groups)
    keep = np.ones(n, dtype=bool)
    for g in np.unique(grp[~prot]):
        candidates = np.flatnonzero(~prot & (grp == g))
        n_drop = int(np.floor(fraction * candidates.size))
        if n_drop:
            order = candidates[np.argsort(conf[candidates], kind="stable")]
            keep[order[:n_drop]] = False
    return keep


def trust_weights(
    proba: FloatArray,
    *,
    human_mask: BoolArray | None = None,
    weighting: Weighting = "none",
    drop_fraction: float = 0.0,
    measure_for_drop: ConfidenceMeasure = "max",
    balance_classes: bool = True,
) -> FloatArray:
    """Per-row weights of the distillation loss.

    Human-labelled rows always weigh 1; teacher rows weigh their confidence (or 1 when
    ``weighting="none"``), and the ``drop_fraction`` least confident teacher rows weigh 0.

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_classes)
        Teacher probabilities.
    human_mask : ndarray of shape (n_samples,) of bool, optional
        Rows with a human label.
    weighting : {"none", "max", "margin", "entropy"}
        Confidence measure used as the weight of teacher rows.
    drop_fraction : float in [0, 1)
        Share of teacher rows to drop, the least confident first.
    measure_for_drop : {"max", "margin", "entropy"}
        Confidence measure that ranks rows for dropping when ``weighting="none"``.
    balance_classes : bool, default True
        Drop and weight within each class the teacher predicts: every class loses
        ``drop_fraction`` of its rows, and confidence weights are divided by their class
        mean, so each class keeps the weight it would have unweighted (up to one global
        scale). Without it, classes the teacher finds hard (low confidence everywhere) lose
        most of their rows and weight, and the student stops predicting them.

    Returns
    -------
    ndarray of shape (n_samples,), float32 in ``[0, 1]``
    """
    p = np.asarray(proba)
    n = p.shape[0]
    human = np.zeros(n, dtype=bool) if human_mask is None else np.asarray(human_mask, dtype=bool)
    measure: ConfidenceMeasure = measure_for_drop if weighting == "none" else weighting
    conf = teacher_confidence(p, measure=measure)
    groups = p.argmax(axis=1) if balance_classes else None
    weights = np.ones(n, dtype=np.float64) if weighting == "none" else conf.copy()
    keep = np.ones(n, dtype=bool)
    if drop_fraction > 0:
        keep = drop_least_trusted(conf, fraction=drop_fraction, protected=human, groups=groups)
    weights[~keep] = 0.0
    teacher_rows = ~human & keep
    if weighting != "none" and balance_classes and teacher_rows.any():
        for g in np.unique(groups[teacher_rows]):  # type: ignore[index]
            rows = teacher_rows & (groups == g)
            mean = weights[rows].mean()
            weights[rows] = weights[rows] / mean if mean > 0 else 1.0
        weights[teacher_rows] /= weights[teacher_rows].max()
    weights[human] = 1.0
    return weights.astype(np.float32)
