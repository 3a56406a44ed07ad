"""Per-label decision thresholds of a multi-label learner, chosen on held-out probabilities to
maximise each label's F1 (Fan and Lin, 2007, "A study on threshold selection for multi-label
classification"), and the folds that hold the labels out."""

from __future__ import annotations

import numpy as np

#: The threshold of a label that cannot have one chosen (too few positives), and of
#: ``threshold="auto"`` before any choice.
DEFAULT_THRESHOLD = 0.5


def best_f1_threshold(proba: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """The threshold on one label's probabilities that maximises its F1.

    Rows with ``proba >= threshold`` are predicted positive. Cuts are tried between each
    pair of distinct probabilities; the threshold is the midpoint of the best cut (the
    highest one among ties), or the lowest probability when every row should be positive.

    Parameters
    ----------
    proba : ndarray of shape (n_samples,)
        Held-out probabilities of the label.
    truth : ndarray of shape (n_samples,), 0/1
        Whether each row has the label (assumed to hold at least one 1).

    Returns
    -------
    threshold : float
    f1 : float
        The F1 on these rows at that threshold.
    """
    p = np.asarray(proba, dtype=np.float64)
    t = np.asarray(truth).astype(bool)
    order = np.argsort(-p, kind="stable")
    ps, ts = p[order], t[order]
    tp = np.cumsum(ts)
    f1 = 2.0 * tp / (np.arange(1, p.size + 1) + t.sum())
    cut = np.r_[ps[:-1] > ps[1:], True]  # a cut only between two distinct values
    best = int(np.argmax(np.where(cut, f1, -1.0)))
    threshold = (ps[best] + ps[best + 1]) / 2.0 if best < p.size - 1 else ps[best]
    return float(threshold), float(f1[best])


def choose_thresholds(
    proba: np.ndarray,
    Y: np.ndarray,
    *,
    min_positives: int = 3,
    default: float = DEFAULT_THRESHOLD,
) -> tuple[np.ndarray, np.ndarray]:
    """One threshold per label, chosen on held-out probabilities to maximise its F1.

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_labels)
        Held-out (cross-fitted) probabilities of the labelled rows.
    Y : ndarray of shape (n_samples, n_labels), 0/1
        Their labels.
    min_positives : int, default 3
        A label with fewer positives (or without a negative) keeps ``default``.
    default : float, default 0.5

    Returns
    -------
    thresholds : ndarray of shape (n_labels,)
    chosen : ndarray of shape (n_labels,), bool
        True where the threshold was chosen on the held-out rows, False where it is
        ``default``.
    """
    P = np.asarray(proba, dtype=np.float64)
    T = np.asarray(Y).astype(bool)
    K = T.shape[1]
    thresholds = np.full(K, float(default))
    chosen = np.zeros(K, dtype=bool)
    for k in range(K):
        pos = int(T[:, k].sum())
        if pos < min_positives or pos == T.shape[0]:
            continue
        thresholds[k], _ = best_f1_threshold(P[:, k], T[:, k])
        chosen[k] = True
    return thresholds, chosen


def row_folds(n_labelled: int, n_folds: int, *, random_state: int | None) -> np.ndarray:
    """Deal ``n_labelled`` rows at random into ``min(n_folds, n_labelled)`` folds."""
    k = max(1, min(int(n_folds), n_labelled))
    order = np.random.default_rng(random_state).permutation(n_labelled)
    folds = np.empty(n_labelled, dtype=np.int64)
    folds[order] = np.arange(n_labelled) % k
    return folds
