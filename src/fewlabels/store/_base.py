"""What every part of the label store shares: the file's path, its connections and write
transactions, the schema upgrades of an older file, and the checks of one label.

:class:`~fewlabels.store.label_store.LabelStore` is this base plus one mixin per concern
(forgetting, exclusions, reviews, batches, rounds), each in its own module; every public call
opens a short-lived connection through :meth:`StoreBase._connection`.
"""

from __future__ import annotations

import copy
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

from fewlabels.errors import FewlabelsError, MissingKeyError
from fewlabels.store.label_sets import decode_label_set, encode_label_set
from fewlabels.store.records import LabelEvent
from fewlabels.store.schema import (
    _CLOSED_ROUNDS,
    _CURRENT_LABELS_VIEW,
    _EXCLUSIONS,
    _LABEL_BATCHES,
    _TOMBSTONES,
    LABEL_SOURCES,
    check_timeout,
)


class StoreBase:
    """The connections, schema upgrades and label checks shared by the store's mixins.

    Attributes
    ----------
    path : Path
        The database file.
    busy_timeout_s : float
        How long a call waits for another writer's lock.
    """

    path: Path
    busy_timeout_s: float
    _classes: tuple[str, ...] | None
    _task: str

    # -- connections -------------------------------------------------------------------------
    def with_busy_timeout(self, seconds: float) -> Self:
        """The same store (same file, no new checks) whose calls wait at most ``seconds`` for a
        lock: the labelling page uses a short one and answers "busy, retry" instead of hanging."""
        other = copy.copy(self)
        other.busy_timeout_s = check_timeout(seconds)
        return other

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        con = sqlite3.connect(self.path, timeout=self.busy_timeout_s, isolation_level=None)
        try:
            con.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_s * 1000)}")
            con.execute("PRAGMA synchronous=FULL")
            con.execute("PRAGMA foreign_keys=ON")
            yield con
        finally:
            con.close()

    def _connect(self) -> Any:
        return self._connection()

    @staticmethod
    def _ensure_views(con: sqlite3.Connection) -> None:
        """Add the ``current_labels`` view and the ``closed_rounds`` table to a file made before
        they existed (idempotent)."""
        found = {
            r[0]
            for r in con.execute(
                "SELECT name FROM sqlite_master WHERE name IN ('current_labels', 'closed_rounds')"
            )
        }
        missing = ("" if "closed_rounds" in found else _CLOSED_ROUNDS) + (
            "" if "current_labels" in found else _CURRENT_LABELS_VIEW
        )
        if missing:
            con.executescript("BEGIN IMMEDIATE;" + missing + "COMMIT;")

    @staticmethod
    def _ensure_exclusions(con: sqlite3.Connection) -> None:
        """Add the ``exclusions`` and ``review_labels`` tables and the ``second`` column of
        ``round_items`` (an item sent to a second annotator) to a file made before they existed
        (idempotent; writes only when something is missing)."""
        found = {
            r[0]
            for r in con.execute(
                "SELECT name FROM sqlite_master WHERE name IN ('exclusions', 'review_labels')"
            )
        }

        def has_second() -> bool:
            return "second" in {r[1] for r in con.execute("PRAGMA table_info(round_items)")}

        if {"exclusions", "review_labels"} <= found and has_second():
            return
        with StoreBase._write(con):  # checked again under the lock: two openers, one change
            for statement in _EXCLUSIONS.split(";"):
                if statement.strip():
                    con.execute(statement)
            if not has_second():
                con.execute("ALTER TABLE round_items ADD COLUMN second INTEGER NOT NULL DEFAULT 0")

    @staticmethod
    def _ensure_table(con: sqlite3.Connection, name: str, script: str) -> None:
        """Run ``script`` (which creates table ``name``) on a file made before the table existed
        (idempotent)."""
        found = con.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)
        ).fetchone()
        if found is None:
            con.executescript("BEGIN IMMEDIATE;" + script + "COMMIT;")

    @staticmethod
    def _ensure_batches(con: sqlite3.Connection) -> None:
        """Add the ``label_batches`` table to a file made before it existed (idempotent)."""
        StoreBase._ensure_table(con, "label_batches", _LABEL_BATCHES)

    @staticmethod
    @contextmanager
    def _write(con: sqlite3.Connection) -> Iterator[None]:
        """One short write transaction, taken with BEGIN IMMEDIATE so writers queue, not fail."""
        con.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    def _meta(self, key: str) -> str | None:
        with self._connect() as con:
            row = con.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _rows_by_seq(self, select: str, item_id: str | None) -> list[Any]:
        """The rows of ``select`` (``SELECT ... FROM`` a table with ``seq`` and ``item_id``),
        oldest first, of one item or (``item_id`` None) of all."""
        args: tuple[Any, ...] = ()
        if item_id is not None:
            select += " WHERE item_id=?"
            args = (str(item_id),)
        with self._connect() as con:
            return list(con.execute(select + " ORDER BY seq", args).fetchall())

    @property
    def journal_mode(self) -> str:
        """The SQLite journal mode of the file (``"wal"``)."""
        with self._connect() as con:
            return str(con.execute("PRAGMA journal_mode").fetchone()[0])

    @property
    def classes(self) -> tuple[str, ...] | None:
        """The class names labels must come from, or None when not set (read once: they never
        change once set)."""
        if self._classes is None:
            stored = self._meta("classes")
            self._classes = None if stored is None else tuple(json.loads(stored))
        return self._classes

    @property
    def task(self) -> str:
        """``"single"`` (one class per label) or ``"multilabel"`` (a set of classes)."""
        return self._task

    @property
    def multilabel(self) -> bool:
        """Whether a label is a set of classes (kept as a JSON list)."""
        return self._task == "multilabel"

    # -- forgetting --------------------------------------------------------------------------
    @staticmethod
    def _ensure_tombstones(con: sqlite3.Connection) -> None:
        """Add the ``tombstones`` table to a file made before it existed (idempotent)."""
        StoreBase._ensure_table(con, "tombstones", _TOMBSTONES)

    # -- one label ------------------------------------------------------------------------
    def _check_label(self, con: sqlite3.Connection, item_id: str, label: str, source: str) -> None:
        if source not in LABEL_SOURCES:
            raise FewlabelsError(f"Expected a label source in {LABEL_SOURCES}, but got {source!r}.")
        if con.execute("SELECT 1 FROM items WHERE id=?", (item_id,)).fetchone() is None:
            raise MissingKeyError(
                f"Expected the id of a registered item, but {item_id!r} is not in {self.path}. "
                "Only items of the workspace's data source can be labelled."
            )
        classes = self.classes
        if self.multilabel:
            encode_label_set(decode_label_set(label), classes)
        elif classes is not None and label not in classes:
            raise FewlabelsError(
                f"Expected a label among the classes {list(classes)}, but got {label!r}."
            )

    def _stored(self, label: str) -> str:
        """The text a label is kept as: a multi-label store's sets in canonical form."""
        if self.multilabel:
            return encode_label_set(decode_label_set(label), self.classes)
        return label

    @staticmethod
    def _latest_seq(con: sqlite3.Connection, item_id: str) -> Any:
        """The ``seq`` of the item's latest history row (None when it has none)."""
        return con.execute("SELECT MAX(seq) FROM labels WHERE item_id=?", (item_id,)).fetchone()[0]

    @staticmethod
    def _append_revert(
        con: sqlite3.Connection, item_id: str, seq: int, by: str, now: str
    ) -> LabelEvent:
        """Append the row that undoes label ``seq`` of ``item_id`` (assumed its current one).

        The row restores the label before ``seq`` (None, by a human, when there was none).
        """
        prev = con.execute(
            "SELECT label, source FROM labels WHERE item_id=? AND seq<? ORDER BY seq DESC LIMIT 1",
            (item_id, seq),
        ).fetchone()
        label, source = (prev[0], prev[1]) if prev is not None else (None, "human")
        cur = con.execute(
            "INSERT INTO labels (item_id, label, who, source, time, undoes) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (item_id, label, by, source, now, seq),
        )
        return LabelEvent(int(cur.lastrowid or 0), item_id, label, by, source, now, seq)
