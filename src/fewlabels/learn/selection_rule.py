"""The rule that picks one learner from held-out predictions (what ``Auto`` decides with).

Three pure steps on arrays:

- :func:`pool_class_weights`: held-out labelled rows weighted so that their classes count as
  often as in the pool. A label budget drawn per class (or by active learning) is not a sample
  of the pool: on a pool that is 97 % one class, an unweighted hold-out of 4 labels per class
  measures balanced accuracy, not the accuracy ``predict`` will have on the pool. Weighting
  each held-out row by ``prior_c / labelled_share_c`` (importance weights under label shift,
  with ``prior`` estimated on the pool) makes the hold-out estimate the pool's score; with
  labels drawn at random from the pool the weights are close to 1.
- :func:`paired_standard_error`: the standard error of the weighted mean of the per-row
  difference between two candidates' held-out hits (both scored on the same rows).
- :func:`pick_by_margin`: the first candidate, in a prior order of preference, whose score is
  within its margin (so many standard errors) of the best score; Breiman et al.'s
  one-standard-error rule (1984) with the preference order in place of "the simplest model".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from fewlabels.errors import FewlabelsError

__all__ = ["paired_standard_error", "pick_by_margin", "pool_class_weights"]


def pool_class_weights(labelled: np.ndarray, priors: np.ndarray) -> np.ndarray:
    """Per-class weights that move the labelled rows' class shares to the pool's.

    Parameters
    ----------
    labelled : ndarray of shape (n_labelled,)
        Class codes ``0 .. n_classes - 1`` of the labelled rows.
    priors : ndarray of shape (n_classes,)
        The pool's class shares (>= 0, not all 0; normalised here), e.g. from
        :func:`fewlabels.learn.imbalance.estimate_priors`.

    Returns
    -------
    ndarray of shape (n_classes,)
        ``w_c = priors_c / share_c``, rescaled so that the labelled rows' mean weight is 1;
        0 for a class without labelled rows.

    Raises
    ------
    FewlabelsError
        Priors that are negative, not finite or all 0, or codes outside the priors.
    """
    q = np.asarray(priors, dtype=np.float64).ravel()
    codes = np.asarray(labelled).ravel()
    if not (np.isfinite(q).all() and (q >= 0).all() and q.sum() > 0):
        raise FewlabelsError(
            f"pool_class_weights expected priors >= 0 and not all 0, but got {q.tolist()}. "
            "Pass the pool's class shares, e.g. from estimate_priors."
        )
    if codes.size and (codes.min() < 0 or codes.max() >= q.size):
        raise FewlabelsError(
            f"pool_class_weights expected class codes in 0..{q.size - 1}, but got codes from "
            f"{int(codes.min())} to {int(codes.max())}. Pass one prior per class."
        )
    counts = np.bincount(codes.astype(np.int64), minlength=q.size).astype(np.float64)
    if counts.sum() == 0:
        return np.ones(q.size)
    share = counts / counts.sum()
    w = np.divide(q / q.sum(), share, out=np.zeros(q.size), where=share > 0)
    mean = float((w * share).sum())
    return w / mean if mean > 0 else np.ones(q.size)


def paired_standard_error(
    hits_a: np.ndarray, hits_b: np.ndarray, weights: np.ndarray | None = None
) -> float:
    """Standard error of the weighted mean of ``hits_a - hits_b``.

    Parameters
    ----------
    hits_a, hits_b : ndarray of shape (n_rows,)
        Per held-out row, 1.0 where the candidate was right (or any per-row score); the same
        rows in the same order for both.
    weights : ndarray of shape (n_rows,), optional
        Row weights (>= 0); equal when None.

    Returns
    -------
    float
        ``sqrt(n / (n - 1) * sum(v_i^2 (d_i - dbar)^2))`` with ``v = weights / sum(weights)``
        (with equal weights: ``std(d, ddof=1) / sqrt(n)``); 0.0 for fewer than 2 rows.
    """
    d = np.asarray(hits_a, dtype=np.float64) - np.asarray(hits_b, dtype=np.float64)
    n = d.size
    if n < 2:
        return 0.0
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    total = float(w.sum())
    if total <= 0:
        return 0.0
    v = w / total
    mean = float((v * d).sum())
    return float(np.sqrt(n / (n - 1) * float((v**2 * (d - mean) ** 2).sum())))


def pick_by_margin(
    scores: Mapping[str, float],
    standard_errors: Mapping[str, float],
    order: Sequence[str],
    *,
    margins: Mapping[str, float],
    tie_tol: float = 0.0,
) -> str:
    """The first candidate in ``order`` within its margin of the best score.

    Candidate ``c`` is kept when ``scores[c] >= best - max(margins[c] * standard_errors[c],
    tie_tol)`` (``>=``: a candidate exactly at the margin is kept); the best candidate is
    always within its own margin, so some candidate is returned.

    Parameters
    ----------
    scores : mapping of name to float
        Held-out score per candidate.
    standard_errors : mapping of name to float
        Standard error of each candidate's paired difference with the best one.
    order : sequence of str
        The candidates in order of preference (each a key of ``scores``).
    margins : mapping of name to float
        Standard errors each candidate may trail the best by (missing names: 0).
    tie_tol : float, default 0.0
        Score differences up to this always count as ties.

    Returns
    -------
    str
    """
    if not scores:
        raise FewlabelsError("pick_by_margin expected at least one scored candidate, got none.")
    missing = [n for n in scores if n not in order]
    if missing:
        raise FewlabelsError(
            f"pick_by_margin expected every scored candidate in order, but {missing} are not "
            f"in {list(order)}. Pass the order of preference of all candidates."
        )
    best = max(scores, key=lambda n: scores[n])
    for name in order:
        if name not in scores:
            continue
        margin = max(float(margins.get(name, 0.0)) * float(standard_errors[name]), tie_tol)
        if scores[name] >= scores[best] - margin - 1e-12:
            return name
    return best  # pragma: no cover - the best is always within its own margin
