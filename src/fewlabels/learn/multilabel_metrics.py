"""Multi-label scores: per-label F1, micro- and macro-F1 on indicator matrices.

The definitions of scikit-learn's ``f1_score(average="micro" | "macro")`` on label
indicators (Tsoumakas et al., 2010, "Mining Multi-label Data"): micro-F1 pools every
(item, label) decision, macro-F1 averages the per-label F1. A label absent from both the
truth and the prediction scores 1 (nothing to find, nothing found: scikit-learn's
``zero_division=1``); ``support`` tells which labels those are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from fewlabels.errors import FewlabelsError

__all__ = ["MultiLabelScores", "multilabel_scores", "per_label_f1"]


def _check_pair(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    T = np.asarray(y_true)
    P = np.asarray(y_pred)
    if T.ndim != 2 or T.shape != P.shape:
        raise FewlabelsError(
            f"Expected two label indicator matrices of the same shape (n_samples, n_labels), "
            f"but got shapes {T.shape} and {P.shape}. Pass the true and the predicted 0/1 "
            "matrices, e.g. model.predict(X)."
        )
    for name, M in (("y_true", T), ("y_pred", P)):
        if M.size and not np.isin(M, (0, 1)).all():
            raise FewlabelsError(
                f"Expected {name} to hold 0 and 1 only, but it holds "
                f"{sorted(set(np.unique(M).tolist()) - {0, 1})[:5]}. Drop unlabelled rows "
                "(rows of -1) before scoring."
            )
    return T.astype(bool), P.astype(bool)


def per_label_f1(y_true: Any, y_pred: Any) -> np.ndarray:
    """F1 of each label (column).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples, n_labels), 0/1

    Returns
    -------
    ndarray of shape (n_labels,), float64
        ``2 tp / (2 tp + fp + fn)``; 1 for a label absent from both.
    """
    T, P = _check_pair(y_true, y_pred)
    tp = (T & P).sum(axis=0)
    denom = T.sum(axis=0) + P.sum(axis=0)
    return np.divide(2.0 * tp, denom, out=np.ones(T.shape[1]), where=denom > 0)


@dataclass(frozen=True)
class MultiLabelScores:
    """Micro- and macro-F1 with the per-label F1 behind them.

    Attributes
    ----------
    micro_f1 : float
        F1 over every (item, label) decision pooled.
    macro_f1 : float
        Mean of ``per_label``.
    per_label : ndarray of shape (n_labels,)
    support : ndarray of shape (n_labels,), int
        True positives plus false negatives of each label (how often it is in the truth).
    """

    micro_f1: float
    macro_f1: float
    per_label: np.ndarray
    support: np.ndarray

    def as_dict(self, classes: Any = None) -> dict[str, Any]:
        """JSON-ready: the two F1 and the per-label F1 by class name (or column index)."""
        names = [str(c) for c in (range(len(self.per_label)) if classes is None else classes)]
        return {
            "micro_f1": self.micro_f1,
            "macro_f1": self.macro_f1,
            "per_label_f1": {n: float(f) for n, f in zip(names, self.per_label, strict=True)},
        }


def multilabel_scores(y_true: Any, y_pred: Any) -> MultiLabelScores:
    """Micro-F1, macro-F1 and per-label F1 of predicted label sets.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples, n_labels), 0/1

    Returns
    -------
    MultiLabelScores
    """
    T, P = _check_pair(y_true, y_pred)
    tp = float((T & P).sum())
    denom = float(T.sum() + P.sum())
    micro = 2.0 * tp / denom if denom > 0 else 1.0
    per = per_label_f1(T, P)
    return MultiLabelScores(
        micro_f1=micro,
        macro_f1=float(per.mean()) if per.size else 1.0,
        per_label=per,
        support=T.sum(axis=0).astype(np.int64),
    )
