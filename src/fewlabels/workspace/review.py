"""The review queue: items whose label needs a second look, and what each one shows.

Two kinds of items wait for review: **conflicts** (two or more annotators gave different
labels, see :meth:`fewlabels.store.LabelStore.votes`) and **suspects** (labels the audit flags
as likely wrong, :meth:`fewlabels.workspace.Workspace.audit`). A review decision (keep, change
or exclude: :meth:`fewlabels.store.LabelStore.review`) takes an item off the queue until it is
labelled again.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fewlabels.store.label_store import ItemVotes

__all__ = ["ReviewItem", "review_queue"]


@dataclass(frozen=True)
class ReviewItem:
    """One item of the review queue.

    Attributes
    ----------
    item_id : str
    kind : {"conflict", "suspect"}
    given : str
        Its current label ("you said X").
    suggested : str or None
        The class a model that never saw the label thinks it is ("the model thinks Y"); None
        for a conflict the audit did not look at.
    p_suggested : float or None
        That class's probability.
    votes : dict of str to str
        Each annotator's label (a conflict has two different ones or more).
    """

    item_id: str
    kind: str
    given: str
    suggested: str | None = None
    p_suggested: float | None = None
    votes: dict[str, str] = field(default_factory=dict)

    def message(self) -> str:
        """``you said X, the model thinks Y (p 0.93)`` or ``ana said X, ben said Y``."""
        parts = []
        if self.kind == "conflict":
            parts.append(", ".join(f"{w} said {lab}" for w, lab in sorted(self.votes.items())))
        else:
            parts.append(f"you said {self.given}")
        if self.suggested is not None:
            p = "" if self.p_suggested is None else f" ({self.p_suggested:.2f})"
            parts.append(f"the model thinks {self.suggested}{p}")
        return ", ".join(parts)


def review_queue(
    votes: Mapping[str, ItemVotes],
    current: Mapping[str, str],
    *,
    excluded: Collection[str] = (),
    audit_rows: Iterable[Any] = (),
) -> list[ReviewItem]:
    """The items waiting for review: conflicts first (in history order), then suspects.

    Parameters
    ----------
    votes : mapping of item id to ItemVotes
        From :meth:`fewlabels.store.LabelStore.votes`.
    current : mapping of item id to str
        The current labels.
    excluded : collection of str
        Items out of the pool: never listed.
    audit_rows : iterable of AuditRow, optional
        The audit's rows (``item_id``, ``given``, ``suggested``, ``p_suggested``, ``flagged``),
        most suspect first; flagged rows whose label is unchanged since become suspects.

    Returns
    -------
    list of ReviewItem
        An item whose current label is a review decision is not listed (it was decided).
    """
    gone = set(excluded)
    rows = {str(r.item_id): r for r in audit_rows}
    out: list[ReviewItem] = []
    seen: set[str] = set()

    def decided(item_id: str) -> bool:
        v = votes.get(item_id)
        return v is not None and v.current_is_review

    for item_id, v in votes.items():
        if item_id in gone or item_id not in current or not v.conflicting or decided(item_id):
            continue
        r = rows.get(item_id)
        out.append(
            ReviewItem(
                item_id,
                "conflict",
                current[item_id],
                None if r is None else str(r.suggested),
                None if r is None else float(r.p_suggested),
                dict(v.votes),
            )
        )
        seen.add(item_id)
    for item_id, r in rows.items():
        if (
            not r.flagged
            or item_id in seen
            or item_id in gone
            or current.get(item_id) != str(r.given)  # relabelled since the audit
            or decided(item_id)
        ):
            continue
        known = votes.get(item_id)
        out.append(
            ReviewItem(
                item_id,
                "suspect",
                str(r.given),
                str(r.suggested),
                float(r.p_suggested),
                {} if known is None else dict(known.votes),
            )
        )
    return out
