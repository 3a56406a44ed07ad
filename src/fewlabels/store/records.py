"""What the label store returns: records of items, labels, batches, rounds, forgetting,
exclusions and votes (frozen dataclasses), and the error of an undo that conflicts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fewlabels.errors import StateError


class UndoConflictError(StateError):
    """The label to undo is no longer the current label of its item."""


@dataclass(frozen=True)
class ItemRecord:
    """One registered item: its id, position in the data source, source and content hash."""

    id: str
    position: int
    source: str
    hash: str


@dataclass(frozen=True)
class LabelEvent:
    """One row of the label history.

    ``label`` is None when the row clears the item (an undo back to unlabelled);
    ``undoes`` is the ``seq`` of the row an undo reverts.
    """

    seq: int
    item_id: str
    label: str | None
    who: str
    source: str
    time: str
    undoes: int | None = None


@dataclass(frozen=True)
class BatchWrite:
    """What :meth:`LabelStore.add_batch` wrote.

    Attributes
    ----------
    batch : str
    label : str
    written : dict of str to int
        Item id -> the ``seq`` of its new label row.
    changed : list of LabelEvent
        Items labelled (or unlabelled) by someone else since their page showed them: their
        current label row (``seq`` 0 and ``label`` None when it is now unlabelled), left as
        it is.
    """

    batch: str
    label: str
    written: dict[str, int]
    changed: list[LabelEvent]


@dataclass(frozen=True)
class BatchUndo:
    """What :meth:`LabelStore.undo_batch` did.

    Attributes
    ----------
    batch : str
    undone : list of LabelEvent
        The undo rows appended, one per label reverted.
    changed : list of str
        Items of the batch relabelled since: their labels were left as they are.
    """

    batch: str
    undone: list[LabelEvent]
    changed: list[str]


@dataclass(frozen=True)
class Round:
    """One round of suggestions: the strategy, the selected ids in order and the model's metrics.

    ``closed`` is the time the round was closed with items still unlabelled (None while it is
    open) and ``left_ids`` those items, which returned to the pool.
    """

    id: int
    strategy: str
    time: str
    item_ids: tuple[str, ...]
    metrics: dict[str, Any] = field(default_factory=dict)
    guesses: tuple[str | None, ...] = ()
    confidences: tuple[float | None, ...] = ()
    closed: str | None = None
    left_ids: tuple[str, ...] = ()
    second_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class RoundProgress:
    """How far a round is: ``done`` of ``total`` selected items carry a label."""

    round_id: int
    done: int
    total: int
    skipped: int
    closed: bool = False


@dataclass(frozen=True)
class Tombstone:
    """What the history keeps of a forgotten item: no id, no content.

    ``id_hash`` is a keyed BLAKE2b hash of the id (the key, a random salt, lives in the store's
    meta table), so the workspace can keep the item out of the pool when the data source still
    holds it, but the table alone names no item.
    """

    id_hash: str
    who: str
    time: str
    event: str


@dataclass(frozen=True)
class ForgetRecord:
    """What one :meth:`LabelStore.forget` removed.

    Attributes
    ----------
    event : str
        The forget event's id (shared by its tombstones).
    who, time : str
    n_items : int
        Items removed (one tombstone each).
    n_rows : dict of str to int
        Rows deleted per table (``labels``: history rows, ``round_items``...).
    pool_fingerprint : str
        :meth:`LabelStore.pool_fingerprint` after the deletion.
    checkpointed : bool
        Whether the WAL was checkpointed and truncated afterwards, so that no copy of the
        deleted pages is left in ``labels.db-wal`` (False while another connection reads).
    """

    event: str
    who: str
    time: str
    n_items: int
    n_rows: dict[str, int]
    pool_fingerprint: str
    checkpointed: bool


@dataclass(frozen=True)
class ExclusionRecord:
    """One exclusion decision: ``excluded`` True takes the item out of the pool ("none of
    these"), False brings it back; the item's current state is its latest record."""

    seq: int
    item_id: str
    excluded: bool
    who: str
    reason: str | None
    time: str


@dataclass(frozen=True)
class ItemVotes:
    """The independent human labels of one item, per annotator (review decisions aside).

    Attributes
    ----------
    item_id : str
    votes : dict of str to str
        Each annotator's latest label of the item (an undone label no longer counts).
    current_seq : int or None
        The ``seq`` of the item's current label row (None when unlabelled).
    current_is_review : bool
        Whether that row is a review decision (keep or change), which settles a conflict.
    """

    item_id: str
    votes: dict[str, str]
    current_seq: int | None
    current_is_review: bool

    @property
    def conflicting(self) -> bool:
        """Two or more annotators gave different labels."""
        return len(set(self.votes.values())) > 1
