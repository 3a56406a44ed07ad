"""Rank likely wrong labels by confident learning, on out-of-sample probabilities.

The two steps are cleanlab's (Northcutt et al., 2021, "Confident Learning: Estimating
Uncertainty in Dataset Labels"), called rather than written again:
``cleanlab.filter.find_label_issues`` flags the rows whose given label the confident joint
says is wrong (``prune_by_noise_rate``), and ``cleanlab.rank.get_label_quality_scores``
scores every label (``self_confidence``: the probability of the given label). The ranking
puts the flagged rows first, then every other row, each group by quality, lowest first, so
that its top ``k`` is cleanlab's flags topped up with the next most doubtful labels.

The probabilities must be out-of-sample (:func:`fewlabels.audit.crossfit_proba`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from fewlabels._validation import check_choice
from fewlabels.errors import FewlabelsError, MissingExtraError

__all__ = ["QUALITY_METHODS", "LabelIssues", "rank_label_issues"]

#: Label quality scores cleanlab offers (``cleanlab.rank.get_label_quality_scores``).
QUALITY_METHODS: tuple[str, ...] = (
    "self_confidence",
    "normalized_margin",
    "confidence_weighted_entropy",
)


@dataclass(frozen=True)
class LabelIssues:
    """Likely wrong labels among ``n`` labelled rows.

    Attributes
    ----------
    order : ndarray of shape (n,), int64
        Row indices, most suspect first (flagged rows first, then by quality).
    quality : ndarray of shape (n,), float64
        Label quality in [0, 1] per row (low: likely wrong).
    flagged : ndarray of shape (n,), bool
        The rows cleanlab's ``find_label_issues`` flags.
    suggested : ndarray of shape (n,), int64
        The most probable class of each row (a code).
    """

    order: np.ndarray
    quality: np.ndarray
    flagged: np.ndarray
    suggested: np.ndarray

    @property
    def n_flagged(self) -> int:
        return int(self.flagged.sum())

    def top(self, k: int) -> np.ndarray:
        """The ``k`` most suspect rows, ndarray of shape (min(k, n),)."""
        return self.order[: max(0, int(k))]


def _cleanlab() -> tuple[Any, Any]:
    try:
        import cleanlab.filter
        import cleanlab.rank
    except ImportError as exc:  # pragma: no cover - cleanlab is a dependency of the extra
        raise MissingExtraError(
            f"The label audit needs cleanlab, which is not installed ({exc}): pip install 'cleanlab>=2.6'"
        ) from None
    return cleanlab.filter, cleanlab.rank


def check_audit_inputs(proba: Any, labels: Any) -> tuple[np.ndarray, np.ndarray]:
    """Check out-of-sample probabilities and given labels; return them as arrays.

    Parameters
    ----------
    proba : array-like of shape (n, n_classes)
    labels : array-like of shape (n,), int codes in ``[0, n_classes)``
    """
    p = np.asarray(proba, dtype=np.float64)
    y = np.asarray(labels)
    if p.ndim != 2 or p.shape[0] == 0 or p.shape[1] < 2:
        raise FewlabelsError(
            f"Expected probabilities of shape (n_labelled, n_classes) with n_classes >= 2, but "
            f"got shape {p.shape}. Pass crossfit_proba(...).proba at the labelled rows."
        )
    if not np.isfinite(p).all() or (p < -1e-9).any():
        raise FewlabelsError(
            "Expected finite, non-negative probabilities, but some are NaN, infinite or "
            "negative (NaN marks the unlabelled rows of crossfit_proba: keep only the labelled "
            "ones)."
        )
    if y.shape != (p.shape[0],) or not np.issubdtype(y.dtype, np.integer):
        raise FewlabelsError(
            f"Expected labels as integer codes of shape ({p.shape[0]},), one per row of the "
            f"probabilities, but got dtype {y.dtype} and shape {y.shape}."
        )
    if y.min() < 0 or y.max() >= p.shape[1]:
        raise FewlabelsError(
            f"Expected label codes in [0, {p.shape[1] - 1}] (columns of the probabilities), "
            f"but got values from {int(y.min())} to {int(y.max())}. Drop unlabelled rows (-1)."
        )
    return p, y.astype(np.int64)


def rank_label_issues(
    proba: Any,
    labels: Any,
    *,
    method: str = "self_confidence",
    filter_by: str = "prune_by_noise_rate",
) -> LabelIssues:
    """Flag and rank likely wrong labels (confident learning, through cleanlab).

    Classes with no row in ``labels`` are left out before cleanlab runs (their columns are
    dropped and each row renormalised), so a workspace whose labels cover some classes only
    can be audited.

    Parameters
    ----------
    proba : array-like of shape (n, n_classes)
        Out-of-sample probabilities of the labelled rows (rows need not sum to 1 exactly).
    labels : array-like of shape (n,), int
        The given labels, codes into the columns.
    method : {"self_confidence", "normalized_margin", "confidence_weighted_entropy"}
        The label quality score (``cleanlab.rank.get_label_quality_scores``).
    filter_by : str, default "prune_by_noise_rate"
        ``cleanlab.filter.find_label_issues``'s rule.

    Returns
    -------
    LabelIssues
    """
    p, y = check_audit_inputs(proba, labels)
    check_choice("method", method, QUALITY_METHODS, learner="rank_label_issues")
    present = np.unique(y)
    if present.size < 2:
        raise FewlabelsError(
            f"Expected labels of at least 2 classes to audit, but every label is class code "
            f"{int(present[0])}. Label rows of another class first."
        )
    remap = np.full(p.shape[1], -1, dtype=np.int64)
    remap[present] = np.arange(present.size)
    sub = p[:, present]
    total = sub.sum(axis=1, keepdims=True)
    sub = np.where(total > 0, sub / np.where(total > 0, total, 1.0), 1.0 / present.size)
    ys = remap[y]
    cl_filter, cl_rank = _cleanlab()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # cleanlab warns about tiny classes; we handle them
        quality = np.asarray(
            cl_rank.get_label_quality_scores(ys, sub, method=method), dtype=np.float64
        )
        flagged = np.asarray(
            cl_filter.find_label_issues(ys, sub, filter_by=filter_by, n_jobs=1), dtype=bool
        )
    order = np.lexsort((np.arange(len(y)), quality, ~flagged))
    suggested = present[sub.argmax(axis=1)]
    return LabelIssues(
        order=order.astype(np.int64), quality=quality, flagged=flagged, suggested=suggested
    )
