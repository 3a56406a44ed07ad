"""The audit of a pool's labels: :func:`audit_labels` and the :class:`Audit` it returns.

::

    audit = audit_labels(X, codes, classes=("cat", "dog"), ids=ids)
    for row in audit.rows[:10]:
        print(row.item_id, row.given, "->", row.suggested, row.p_suggested)
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from fewlabels._atomic import atomic_write_text
from fewlabels._validation import check_count
from fewlabels.audit.crossfit import crossfit_proba
from fewlabels.audit.duplicates import near_duplicates
from fewlabels.audit.label_issues import rank_label_issues
from fewlabels.audit.outliers import find_outliers
from fewlabels.errors import FewlabelsError
from fewlabels.typing import UNLABELED

__all__ = ["INFORMATIVE_LIFT", "Audit", "AuditRow", "DuplicatePair", "Outlier", "audit_labels"]

#: An audit is informative when its cross-fitted model's balanced accuracy against the given
#: labels is at least ``chance + INFORMATIVE_LIFT * (1 - chance)`` (chance = 1 / classes): a
#: quarter of the way from chance to perfect. Below it, most of what it flags is the model's own
#: error (on finefoods with MiniLM, top-k precision 0.00 to 0.17: docs/benchmarks.md).
INFORMATIVE_LIFT = 0.25


def informative_floor(n_classes: int) -> float:
    """The balanced accuracy an audit's model needs to be informative (see
    :data:`INFORMATIVE_LIFT`)."""
    chance = 1.0 / max(int(n_classes), 1)
    return chance + INFORMATIVE_LIFT * (1.0 - chance)


@dataclass(frozen=True)
class AuditRow:
    """One labelled item: what it was labelled and what a model that never saw it thinks.

    Attributes
    ----------
    item_id : str
    given : str
        The label it has.
    suggested : str
        The most probable class of the out-of-sample model.
    p_suggested : float
        That class's probability.
    quality : float
        Label quality in [0, 1] (cleanlab's ``self_confidence``: the probability of the
        given label); low means likely wrong.
    flagged : bool
        Confident learning says the label is wrong (``cleanlab.filter.find_label_issues``).
    rank : int
        1 for the most suspect label.
    p_given : float
        The probability of the given label.
    """

    item_id: str
    given: str
    suggested: str
    p_suggested: float
    quality: float
    flagged: bool
    rank: int = 0
    p_given: float = float("nan")


@dataclass(frozen=True)
class Outlier:
    """A pool item far from every class (see :func:`fewlabels.audit.find_outliers`)."""

    item_id: str
    score: float


@dataclass(frozen=True)
class DuplicatePair:
    """Two items whose embeddings are (nearly) the same (cosine ``>= threshold``)."""

    first: str
    second: str
    similarity: float


@dataclass(frozen=True)
class Audit:
    """The audit of the labels.

    Attributes
    ----------
    rows : list of AuditRow
        Labelled items, most suspect first (every flagged one, then the others, each by
        quality); only the first ``top`` when a ``top`` was asked.
    n_labelled : int
        Labelled items audited.
    n_flagged : int
        How many labels confident learning flags (all of them, also beyond ``top``).
    learner : str
        The cross-fitted learner.
    method : str
        ``"leave-one-out"`` or ``"k-fold"`` (:class:`fewlabels.audit.CrossFit`).
    outliers : list of Outlier
        Pool items farther from every class mean than 99 % of the labelled items.
    duplicates : list of DuplicatePair
    agreement : float
        Share of the labels that the cross-fitted model's most probable class agrees with.
    balanced_agreement : float
        The same, averaged per given class (balanced accuracy against the given labels).
    n_classes : int
        Classes of the task (chance is ``1 / n_classes``).
    """

    rows: list[AuditRow]
    n_labelled: int
    n_flagged: int
    learner: str
    method: str
    outliers: list[Outlier] = field(default_factory=list)
    duplicates: list[DuplicatePair] = field(default_factory=list)
    agreement: float = float("nan")
    balanced_agreement: float = float("nan")
    n_classes: int = 0

    @property
    def informative(self) -> bool:
        """Whether the cross-fitted model beats chance clearly enough for its suspicions to mean
        much: ``balanced_agreement >= informative_floor(n_classes)`` (inclusive)."""
        if not np.isfinite(self.balanced_agreement) or self.n_classes < 2:
            return True  # nothing measured: no claim either way
        return bool(self.balanced_agreement >= informative_floor(self.n_classes))

    @property
    def warning(self) -> str | None:
        """What to tell a user whose audit model is too weak to trust, or None."""
        if self.informative:
            return None
        floor = informative_floor(self.n_classes)
        return (
            f"The cross-fitted {self.learner} barely beats chance on these labels (balanced "
            f"accuracy {self.balanced_agreement:.2f}; chance {1 / self.n_classes:.2f}, an "
            f"informative audit needs {floor:.2f}): most of what it flags is its own error. "
            "Label more items or use a better encoder before acting on these suspicions."
        )

    @property
    def flagged(self) -> list[AuditRow]:
        """The flagged rows (those among ``rows``)."""
        return [r for r in self.rows if r.flagged]

    def summary(self) -> str:
        """One line: ``3 of 120 label(s) look suspect (cross-fitted NearestClassMean)``."""
        agree = (
            f"; it agrees with {100 * self.agreement:.0f}% of the labels"
            if np.isfinite(self.agreement)
            else ""
        )
        return (
            f"{self.n_flagged} of {self.n_labelled} label(s) look suspect "
            f"(confident learning on cross-fitted {self.learner}{agree})"
        )

    def write_csv(self, path: str | Path) -> Path:
        """Write ``rows`` as CSV (one column per :class:`AuditRow` field), atomically."""
        out = Path(path)
        names = [f.name for f in fields(AuditRow)]
        import io

        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=names, lineterminator="\n")
        writer.writeheader()
        for row in self.rows:
            writer.writerow(asdict(row))
        atomic_write_text(out, buf.getvalue())
        return out


def audit_labels(
    X: Any,
    y: Any,
    *,
    classes: Sequence[Any],
    ids: Sequence[Any] | None = None,
    learner: Any = "ncm",
    n_folds: int = 5,
    top: int | None = None,
    outliers: bool = True,
    duplicates: bool = False,
    duplicate_threshold: float = 0.98,
    random_state: int | None = 0,
) -> Audit:
    """Cross-fit a learner, rank likely wrong labels, and find outliers (and duplicates).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The embeddings of the whole pool.
    y : array-like of shape (n_samples,), int
        Codes into ``classes``, ``-1`` for unlabelled rows.
    classes : sequence
        The class names (``classes[code]``).
    ids : sequence of shape (n_samples,), optional
        Item ids (default the row positions).
    learner : str or estimator, default "ncm"
        Cross-fitted by :func:`fewlabels.audit.crossfit_proba`.
    n_folds : int, default 5
    top : int, optional
        Keep only the ``top`` most suspect rows (at least 1).
    outliers : bool, default True
        Also list pool items far from every class (:func:`fewlabels.audit.find_outliers`).
    duplicates : bool, default False
        Also list near-duplicate pairs (:func:`fewlabels.audit.near_duplicates`).
    duplicate_threshold : float, default 0.98
    random_state : int or None, default 0

    Returns
    -------
    Audit
    """
    if top is not None:
        check_count(top, name="top", low=1, what="how many suspect labels to list")
    names = [str(c) for c in classes]
    ya = np.asarray(y)
    n = len(ya)
    item_ids = [str(i) for i in (ids if ids is not None else range(n))]
    if len(item_ids) != n:
        raise FewlabelsError(
            f"Expected one id per row ({n}), but got {len(item_ids)} ids. Pass the pool's ids."
        )
    fit = crossfit_proba(
        X, ya, learner=learner, n_folds=n_folds, n_classes=len(names), random_state=random_state
    )
    lab = np.flatnonzero(ya != UNLABELED)
    given = ya[lab].astype(np.int64)
    proba = fit.proba[lab]
    issues = rank_label_issues(proba, given)
    order = issues.order if top is None else issues.top(top)
    rows = [
        AuditRow(
            item_id=item_ids[lab[i]],
            given=names[given[i]],
            suggested=names[issues.suggested[i]],
            p_suggested=float(proba[i, issues.suggested[i]]),
            quality=float(issues.quality[i]),
            flagged=bool(issues.flagged[i]),
            rank=rank + 1,
            p_given=float(proba[i, given[i]]),
        )
        for rank, i in enumerate(order.tolist())
    ]
    found_outliers: list[Outlier] = []
    if outliers:
        pos, scores, _ = find_outliers(X, ya)
        found_outliers = [Outlier(item_ids[p], float(s)) for p, s in zip(pos, scores, strict=True)]
    found_pairs: list[DuplicatePair] = []
    if duplicates:
        pairs, sims = near_duplicates(X, threshold=duplicate_threshold)
        found_pairs = [
            DuplicatePair(item_ids[a], item_ids[b], float(s))
            for (a, b), s in zip(pairs.tolist(), sims.tolist(), strict=True)
        ]
    pred = proba.argmax(axis=1)
    present = np.unique(given)
    return Audit(
        rows=rows,
        n_labelled=int(lab.size),
        n_flagged=issues.n_flagged,
        learner=fit.learner,
        method=fit.method,
        outliers=found_outliers,
        duplicates=found_pairs,
        agreement=float(np.mean(pred == given)) if lab.size else float("nan"),
        balanced_agreement=(
            float(np.mean([np.mean(pred[given == c] == c) for c in present]))
            if lab.size
            else float("nan")
        ),
        n_classes=len(names),
    )
