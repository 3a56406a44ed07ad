"""Pseudo-label selection and confidence weights: pure functions on predicted probabilities.

- A fixed confidence threshold (FixMatch, Sohn et al., 2020; scikit-learn's
  ``SelfTrainingClassifier``).
- A curriculum: the threshold is a percentile of the current confidences that relaxes round
  by round (Cascante-Bonilla et al., 2021, "Curriculum Labeling").
- Class-balanced selection: the same share of the rows predicted as each class, so that an
  easy or majority class does not swallow the pool (Zou et al., 2018, "Unsupervised Domain
  Adaptation for Semantic Segmentation via Class-Balanced Self-Training").
- Confidence weights for pseudo-labels (Xu et al., 2021, "End-to-End Semi-Supervised
  Object Detection with Soft Teacher").
"""

from __future__ import annotations

import numpy as np


def curriculum_threshold(confidence: np.ndarray, *, round_: int, step: float = 20.0) -> float:
    """The confidence threshold that admits the top ``round_ * step`` percent of rows.

    Parameters
    ----------
    confidence : ndarray of shape (n_samples,)
        Maximum predicted probability of each candidate row.
    round_ : int
        Round number, starting at 1.
    step : float, default 20.0
        Percent of the rows admitted per round (round 1: top 20 %, round 5: all).

    Returns
    -------
    float
        The ``ceil(share * n)``-th largest confidence, ``share = round_ * step / 100``, so
        that at least that share of rows is admitted (``-inf`` once the share reaches
        100 %, ``inf`` when there are no rows).
    """
    if confidence.size == 0:
        return float("inf")
    share = min(100.0, max(0.0, round_ * step))
    if share >= 100.0:
        return float("-inf")
    take = max(1, int(np.ceil(share / 100.0 * confidence.size - 1e-9)))
    return float(np.sort(confidence)[::-1][take - 1])


def select_pseudo_labels(
    proba: np.ndarray,
    *,
    threshold: float,
    class_balanced: bool = False,
) -> np.ndarray:
    """Which rows to pseudo-label.

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_classes)
        Predicted probabilities of the candidate rows.
    threshold : float
        A row is confident when its maximum probability is ``>= threshold``.
    class_balanced : bool, default False
        Instead of taking every confident row, take the same share of each predicted class:
        the overall share ``s`` of confident rows, applied per class, the most confident
        ``round(s * n_c)`` of the ``n_c`` rows predicted as class ``c``.

    Returns
    -------
    ndarray of shape (n_samples,), bool
        True for the selected rows; their pseudo-label is ``proba.argmax(axis=1)``.
    """
    proba = np.asarray(proba)
    n = proba.shape[0]
    if n == 0:
        return np.zeros(0, dtype=bool)
    confidence = proba.max(axis=1)
    confident = confidence >= threshold
    if not class_balanced:
        return confident
    share = confident.mean()
    pred = proba.argmax(axis=1)
    chosen = np.zeros(n, dtype=bool)
    for c in np.unique(pred):
        rows = np.flatnonzero(pred == c)
        take = round(share * rows.size)
        if take:
            order = np.argsort(-confidence[rows], kind="stable")
            chosen[rows[order[:take]]] = True
    return chosen


def confidence_weights(proba: np.ndarray, *, power: float = 1.0) -> np.ndarray:
    """Per-row weights for pseudo-labels from the teacher's confidence (Soft Teacher).

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_classes)
    power : float, default 1.0
        ``0`` gives equal weights; larger values trust only the surest rows.

    Returns
    -------
    ndarray of shape (n_samples,), float64
        ``max(proba, axis=1) ** power``, in ``(0, 1]`` for probability rows.
    """
    proba = np.asarray(proba, dtype=np.float64)
    if proba.shape[0] == 0:
        return np.zeros(0)
    return proba.max(axis=1) ** power


def pseudo_label_round(
    proba: np.ndarray,
    candidates: np.ndarray,
    originally_unlabeled: np.ndarray,
    *,
    round_: int,
    criterion: str,
    threshold: float,
    step: float,
    class_balanced: bool,
) -> tuple[np.ndarray, float]:
    """One round of self-training: the threshold, and the candidates it pseudo-labels.

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_classes)
        Predicted probabilities of every pool row.
    candidates : ndarray of shape (n_candidates,), int
        Positions of the rows still unlabelled.
    originally_unlabeled : ndarray of shape (n_samples,), bool
        The rows unlabelled before round 1 (the curriculum's percentile is over them).
    round_ : int
        The round, from 1.
    criterion : {"threshold", "curriculum"}
        ``"curriculum"``: :func:`curriculum_threshold` with ``step``; otherwise the fixed
        ``threshold``.
    threshold, step : float
    class_balanced : bool
        See :func:`select_pseudo_labels`.

    Returns
    -------
    chosen : ndarray of shape (n_chosen,), int
        The positions (a subset of ``candidates``, in their order) to pseudo-label; their
        pseudo-label is ``proba[chosen].argmax(axis=1)``.
    threshold : float
        The threshold of this round.
    """
    if criterion == "curriculum":
        pool = proba[originally_unlabeled].max(axis=1)
        thr = curriculum_threshold(pool, round_=round_, step=float(step))
    else:
        thr = float(threshold)
    picked = select_pseudo_labels(proba[candidates], threshold=thr, class_balanced=class_balanced)
    return candidates[picked], thr
