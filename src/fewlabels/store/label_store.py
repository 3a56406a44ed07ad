"""The label store: items, an append-only label history and rounds, in one SQLite file.

The file runs in WAL mode with short ``BEGIN IMMEDIATE`` transactions and a busy timeout,
so several processes (two labelling pages, a ``suggest`` run) can read and write it at
once without losing a label: every label is an append to the history, and the current
label of an item is its latest history row (the SQL view ``current_labels``).

:class:`LabelStore` is assembled from one module per concern: the schema and file checks
(``schema.py``), the shared connections (``_base.py``), forgetting, exclusions, reviews,
batches and rounds; this module holds opening a store, items and the label history. The
names of those modules are re-exported here, where callers have always imported them.

This file runs just past 400 lines: opening a store (creating, checking and upgrading the
file) and the label history, the core the mixins share; every other concern is its own module.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fewlabels.errors import FewlabelsError, MissingFileError, StateError
from fewlabels.store.annotators import MAX_ANNOTATOR, check_annotator
from fewlabels.store.batches import BatchesMixin
from fewlabels.store.forgetting import ForgettingMixin, scrub_ids
from fewlabels.store.label_sets import decode_label_set, encode_label_set
from fewlabels.store.records import (
    BatchUndo,
    BatchWrite,
    ExclusionRecord,
    ForgetRecord,
    ItemRecord,
    ItemVotes,
    LabelEvent,
    Round,
    RoundProgress,
    Tombstone,
    UndoConflictError,
)
from fewlabels.store.reviews import REVIEW_ACTIONS
from fewlabels.store.rounds import RoundsMixin
from fewlabels.store.schema import (
    _BUSY_TIMEOUT_MS,
    _CLOSED_ROUNDS,
    _CURRENT_LABELS_VIEW,
    _FORMAT,
    _SCHEMA,
    _SCHEMA_VERSION,
    LABEL_SOURCES,
    TASKS,
    CorruptStoreError,
    check_store_file,
    check_timeout,
    is_locked_error,
    utc_now,
)

__all__ = [
    "LABEL_SOURCES",
    "MAX_ANNOTATOR",
    "REVIEW_ACTIONS",
    "TASKS",
    "BatchUndo",
    "BatchWrite",
    "CorruptStoreError",
    "ExclusionRecord",
    "ForgetRecord",
    "ItemRecord",
    "ItemVotes",
    "LabelEvent",
    "LabelStore",
    "Round",
    "RoundProgress",
    "Tombstone",
    "UndoConflictError",
    "check_annotator",
    "check_store_file",
    "decode_label_set",
    "encode_label_set",
    "is_locked_error",
    "scrub_ids",
]


class LabelStore(RoundsMixin, BatchesMixin, ForgettingMixin):
    """The SQLite (WAL) label store of a workspace.

    Parameters
    ----------
    path : str or Path
        The database file. A missing file is created; an existing one is checked first
        (SQLite header, ``PRAGMA quick_check``, the fewlabels tables) and refused with a
        :class:`CorruptStoreError` if it fails, never overwritten.
    classes : sequence of str, optional
        The class names labels must come from. Stored in a new file; an existing file keeps
        its own, and passing different ones is an error.
    create : bool, default True
        Create the file when missing; with False a missing file is a FileNotFoundError.
    busy_timeout_s : float, default 30
        How long a call waits for another writer's lock before SQLite gives up with
        ``sqlite3.OperationalError: database is locked`` (see :func:`is_locked_error`).
    task : {"single", "multilabel"}, optional
        What a label is: one class, or a set of classes (kept as a JSON list in the one
        ``label`` column, :func:`encode_label_set`). Stored in a new file (``"single"`` when
        not given); an existing file keeps its own, and passing another is an error.

    Notes
    -----
    Each public call opens a short-lived connection, so one LabelStore can be shared by
    threads and several processes can hold a store on the same file.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        classes: Sequence[str] | None = None,
        create: bool = True,
        busy_timeout_s: float = _BUSY_TIMEOUT_MS / 1000,
        task: str | None = None,
    ) -> None:
        self.path = Path(path)
        self._classes: tuple[str, ...] | None = None
        if task is not None and task not in TASKS:
            raise FewlabelsError(f"Expected a store task in {TASKS}, but got {task!r}.")
        new_file = not self.path.exists()
        self.busy_timeout_s = check_timeout(busy_timeout_s)
        if self.path.exists():
            check_store_file(self.path)
            with self._connect() as con:
                con.execute("PRAGMA journal_mode=WAL")
                self._ensure_views(con)
        elif not create:
            raise MissingFileError(
                f"Expected a label store at {self.path}, but there is no such file. "
                "Create a workspace first with `fewlabels init DIR --data SOURCE --classes a,b`."
            )
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as con:
                con.execute("PRAGMA journal_mode=WAL")
                con.executescript(
                    "BEGIN IMMEDIATE;" + _SCHEMA + _CLOSED_ROUNDS + _CURRENT_LABELS_VIEW + "COMMIT;"
                )
                with self._write(con):
                    con.execute("INSERT OR IGNORE INTO meta VALUES ('format', ?)", (_FORMAT,))
                    con.execute(
                        "INSERT OR IGNORE INTO meta VALUES ('version', ?)", (_SCHEMA_VERSION,)
                    )
                    con.execute("INSERT OR IGNORE INTO meta VALUES ('created', ?)", (utc_now(),))
        with self._connect() as con:
            self._ensure_tombstones(con)
        with self._connect() as con:
            self._ensure_exclusions(con)
        with self._connect() as con:
            self._ensure_batches(con)
        stored = self._meta("classes")
        if classes is not None:
            names = [str(c) for c in classes]
            if stored is None:
                with self._connect() as con, self._write(con):
                    con.execute(
                        "INSERT OR REPLACE INTO meta VALUES ('classes', ?)", (json.dumps(names),)
                    )
            elif json.loads(stored) != names:
                raise FewlabelsError(
                    f"Expected the classes stored in {self.path} ({json.loads(stored)}), but got "
                    f"{names}. Keep the workspace's classes, or start a new workspace."
                )
        stored_task = self._meta("task")
        if new_file and task is not None and task != "single":
            with self._connect() as con, self._write(con):
                con.execute("INSERT OR REPLACE INTO meta VALUES ('task', ?)", (task,))
        elif task is not None and (stored_task or "single") != task:
            raise FewlabelsError(
                f"Expected the task stored in {self.path} ({stored_task or 'single'!r}), but got "
                f"{task!r}. Keep the workspace's task, or start a new workspace."
            )
        self._task = self._meta("task") or "single"

    # -- items -------------------------------------------------------------------------------
    def add_items(
        self,
        ids: Sequence[str],
        *,
        hashes: Sequence[str],
        sources: Sequence[str] | str = "",
    ) -> int:
        """Register items (id, content hash, where it came from); known ids update their hash.

        Returns
        -------
        int
            How many ids were new.
        """
        ids = [str(i) for i in ids]
        srcs = [sources] * len(ids) if isinstance(sources, str) else [str(s) for s in sources]
        if not (len(ids) == len(hashes) == len(srcs)):
            raise FewlabelsError(
                f"Expected one hash and one source per id, but got {len(ids)} ids, "
                f"{len(hashes)} hashes and {len(srcs)} sources."
            )
        now = utc_now()
        with self._connect() as con, self._write(con):
            before = con.execute("SELECT COUNT(*) FROM items").fetchone()[0]
            con.executemany(
                "INSERT INTO items (id, position, source, hash, added) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET position=excluded.position, source=excluded.source, "
                "hash=excluded.hash",
                [
                    (i, k, s, str(h), now)
                    for k, (i, s, h) in enumerate(zip(ids, srcs, hashes, strict=True))
                ],
            )
            after = con.execute("SELECT COUNT(*) FROM items").fetchone()[0]
        return int(after - before)

    def items(self) -> list[ItemRecord]:
        """Every registered item, in source order."""
        with self._connect() as con:
            rows = con.execute(
                "SELECT id, position, source, hash FROM items ORDER BY position"
            ).fetchall()
        return [ItemRecord(r[0], int(r[1]), r[2], r[3]) for r in rows]

    def has_item(self, item_id: str) -> bool:
        """Whether ``item_id`` is registered."""
        with self._connect() as con:
            row = con.execute("SELECT 1 FROM items WHERE id=?", (str(item_id),)).fetchone()
        return row is not None

    def n_items(self) -> int:
        """How many items are registered."""
        with self._connect() as con:
            return int(con.execute("SELECT COUNT(*) FROM items").fetchone()[0])

    # -- labels ------------------------------------------------------------------------------

    def add_label(
        self, item_id: str, label: str, *, who: str = "human", source: str = "human"
    ) -> int:
        """Append a label to the history; it becomes the item's current label.

        Returns
        -------
        int
            The history row's ``seq`` (pass it to :meth:`undo`).
        """
        return self.add_labels([(item_id, label)], who=who, source=source)[0]

    def add_labels(
        self,
        pairs: Sequence[tuple[str, str]],
        *,
        who: str = "human",
        source: str = "human",
        batch: str | None = None,
    ) -> list[int]:
        """Append many ``(item_id, label)`` rows in one transaction (all or nothing).

        ``batch`` names the rows as one bulk action (see :meth:`undo_batch`); a name already
        used is refused, so one undo never reverts two actions.
        """
        now = utc_now()
        seqs: list[int] = []
        with self._connect() as con, self._write(con):
            if (
                batch is not None
                and con.execute("SELECT 1 FROM label_batches WHERE batch=?", (batch,)).fetchone()
            ):
                raise FewlabelsError(
                    f"Expected a new batch name, but {batch!r} already names labels in "
                    f"{self.path}. Leave it out, or pass a fresh one (secrets.token_hex())."
                )
            for item_id, label in pairs:
                self._check_label(con, str(item_id), str(label), source)
                cur = con.execute(
                    "INSERT INTO labels (item_id, label, who, source, time) VALUES (?, ?, ?, ?, ?)",
                    (str(item_id), self._stored(str(label)), who, source, now),
                )
                seqs.append(int(cur.lastrowid or 0))
                if batch is not None:
                    con.execute("INSERT INTO label_batches VALUES (?, ?)", (seqs[-1], batch))
            con.execute(
                "DELETE FROM leases WHERE item_id IN ({})".format(",".join("?" * len(pairs))),
                [str(p[0]) for p in pairs],
            )
        return seqs

    def add_label_sets(
        self,
        pairs: Sequence[tuple[str, Sequence[str]]],
        *,
        who: str = "human",
        source: str = "human",
    ) -> list[int]:
        """Append ``(item_id, label set)`` rows to a multi-label store (all or nothing).

        Each set (possibly empty) is one history row, kept as a JSON list in class order;
        :meth:`undo` of that row restores the item's previous set.

        Raises
        ------
        StateError
            A single-label store.
        FewlabelsError
            A label outside the classes.
        """
        if not self.multilabel:
            raise StateError(
                f"Expected a multi-label store for label sets, but {self.path} holds one label "
                "per item (task 'single'). Use add_labels, or a workspace with task = "
                '"multilabel".'
            )
        classes = self.classes
        encoded = [(str(i), encode_label_set(labels, classes)) for i, labels in pairs]
        return self.add_labels(encoded, who=who, source=source)

    def current_label_sets(
        self, *, sources: Sequence[str] = ("human", "imported"), with_excluded: bool = True
    ) -> dict[str, tuple[str, ...]]:
        """``{item_id: label set}`` of a multi-label store (see :meth:`current_labels`)."""
        labels = self.current_labels(sources=sources, with_excluded=with_excluded)
        return {k: decode_label_set(v) for k, v in labels.items()}

    def undo(self, seq: int | None = None, *, who: str | None = None) -> LabelEvent:
        """Revert one label by appending a row that restores the item's previous label.

        Parameters
        ----------
        seq : int, optional
            The history row to revert. By default the latest human label (of ``who``, when
            given) that is still its item's current label and not undone yet.
        who : str, optional
            Restrict the default choice to labels by ``who``.

        Returns
        -------
        LabelEvent
            The appended undo row (``label`` None when the item is unlabelled again).

        Raises
        ------
        UndoConflictError
            When the row is no longer its item's current label (someone relabelled it since)
            or there is nothing to undo.
        """
        now = utc_now()
        with self._connect() as con, self._write(con):
            if seq is None:
                q = "SELECT seq FROM current_labels WHERE source='human' AND undoes IS NULL"
                args: list[Any] = []
                if who is not None:
                    q += " AND who=?"
                    args.append(who)
                row = con.execute(q + " ORDER BY seq DESC LIMIT 1", args).fetchone()
                if row is None:
                    raise UndoConflictError(
                        "Expected a human label to undo, but there is none left."
                    )
                seq = int(row[0])
            target = con.execute(
                "SELECT item_id, who FROM labels WHERE seq=?", (int(seq),)
            ).fetchone()
            if target is None:
                raise UndoConflictError(
                    f"Expected a label history row with seq={seq}, but there is none."
                )
            item_id, target_who = target
            latest = self._latest_seq(con, item_id)
            if latest != seq:
                raise UndoConflictError(
                    f"Expected label #{seq} of item {item_id!r} to be its current label, "
                    "but it was "
                    f"changed since (latest is #{latest}); label the item again instead of undoing."
                )
            event = self._append_revert(con, item_id, seq, who or target_who, now)
        return event

    def history(self, item_id: str | None = None) -> list[LabelEvent]:
        """The label history (oldest first), of one item or of all."""
        rows = self._rows_by_seq(
            "SELECT seq, item_id, label, who, source, time, undoes FROM labels", item_id
        )
        return [LabelEvent(int(r[0]), r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows]

    def current(self) -> dict[str, LabelEvent]:
        """The current label of every labelled item: its latest history row (when not cleared)."""
        with self._connect() as con:
            rows = con.execute(
                "SELECT seq, item_id, label, who, source, time, undoes FROM current_labels "
                "ORDER BY seq"
            ).fetchall()
        return {r[1]: LabelEvent(int(r[0]), r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows}

    def current_labels(
        self, *, sources: Sequence[str] = ("human", "imported"), with_excluded: bool = True
    ) -> dict[str, str]:
        """``{item_id: class name}`` of the current labels whose source is in ``sources``
        (without the items excluded now when ``with_excluded`` is False)."""
        out = {k: str(e.label) for k, e in self.current().items() if e.source in sources}
        if not with_excluded:
            for item_id in self.excluded():
                out.pop(item_id, None)
        return out

    def label_counts(self) -> dict[str, int]:
        """Current human/imported labels per class (every class listed, zero included), of the
        items in the pool (excluded items do not count)."""
        counts = dict.fromkeys(self.classes or (), 0)
        for label in self.current_labels(with_excluded=False).values():
            for name in decode_label_set(label) if self.multilabel else (label,):
                counts[name] = counts.get(name, 0) + 1
        return counts
