"""The label audit of a workspace: :func:`audit_workspace` (``Workspace.audit``, ``fewlabels audit``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from fewlabels._validation import check_count
from fewlabels.audit import Audit, audit_labels
from fewlabels.audit.crossfit import resolve_learner
from fewlabels.errors import FewlabelsError
from fewlabels.typing import UNLABELED

if TYPE_CHECKING:
    from fewlabels.workspace.workspace import Workspace

__all__ = ["AUDIT_LEARNER", "STATUS_AUDIT_LEARNER", "audit_workspace", "can_audit"]

#: The learner cross-fitted by default (5 folds): it ranked flipped labels best on digits.
AUDIT_LEARNER = "label-spreading"

#: The learner of the quick audit behind ``status``'s suspect count (closed-form
#: leave-one-out, milliseconds).
STATUS_AUDIT_LEARNER = "knn"


def can_audit(y: np.ndarray) -> bool:
    """Whether labels ``y`` (codes, ``-1`` unlabelled) can be audited: 2 classes labelled."""
    return bool(np.unique(y[y != UNLABELED]).size >= 2)


def audit_workspace(
    ws: Workspace,
    *,
    learner: str | None = None,
    top: int | None = None,
    k: int = 5,
    outliers: bool = True,
    duplicates: bool = False,
) -> Audit:
    """Audit the workspace's current labels: likely wrong ones first.

    Parameters
    ----------
    ws : Workspace
    learner : str, optional
        A learner name (``fewlabels.learn.list_learners()``); default ``AUDIT_LEARNER``.
    top : int, optional
        Keep only the ``top`` most suspect labels (>= 1).
    k : int, default 5
        Folds of the cross-fitting (for learners without a closed form).
    outliers, duplicates : bool
        Also list pool outliers (default) and near-duplicate pairs.

    Returns
    -------
    Audit
    """
    if top is not None:
        check_count(top, name="top", low=1, what="how many suspect labels to list")
    name = AUDIT_LEARNER if learner is None else learner
    resolve_learner(name)  # an unknown or unusable name fails before the pool is embedded
    emb = ws.embeddings()
    ds = emb.dataset
    y = np.asarray(ds.labels)
    if not can_audit(y):
        raise FewlabelsError(
            f"Expected labels of at least 2 classes to audit, but the workspace has "
            f"{int(np.sum(y != UNLABELED))} label(s) of {np.unique(y[y != UNLABELED]).size} "
            "class(es). Label more items first (fewlabels label -w WS)."
        )
    return audit_labels(
        np.asarray(emb.X),
        y,
        classes=ds.classes,
        ids=list(ds.ids),
        learner=name,
        n_folds=k,
        top=top,
        outliers=outliers,
        duplicates=duplicates,
        random_state=ws.config.seed,
    )
