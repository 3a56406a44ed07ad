"""The label store: items, an append-only label history and rounds, in one SQLite file.

The file runs in WAL mode with short ``BEGIN IMMEDIATE`` transactions and a busy timeout,
so several processes (two labelling pages, a ``suggest`` run) can read and write it at
once without losing a label: every label is an append to the history, and the current
label of an item is its latest history row (the SQL view ``current_labels``).

This file runs past 400 lines because it is one class over one schema, each method a short
SQL statement; splitting it would scatter that schema over several files.
"""

from __future__ import annotations

import copy
import json
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from fewlabels.errors import FewlabelsError, MissingFileError, MissingKeyError, StateError

#: Where a label came from.
LABEL_SOURCES = ("human", "imported", "pseudo")

_FORMAT = "fewlabels-labels"
_SCHEMA_VERSION = "1"
_SQLITE_HEADER = b"SQLite format 3\x00"
_BUSY_TIMEOUT_MS = 30_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS items (
    id TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    source TEXT NOT NULL,
    hash TEXT NOT NULL,
    added TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS labels (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id TEXT NOT NULL REFERENCES items(id),
    label TEXT,
    who TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('human', 'imported', 'pseudo')),
    time TEXT NOT NULL,
    undoes INTEGER REFERENCES labels(seq)
);
CREATE INDEX IF NOT EXISTS labels_by_item ON labels(item_id, seq);
CREATE TABLE IF NOT EXISTS rounds (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    strategy TEXT NOT NULL,
    time TEXT NOT NULL,
    metrics TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS round_items (
    round_id INTEGER NOT NULL REFERENCES rounds(id),
    rank INTEGER NOT NULL,
    item_id TEXT NOT NULL REFERENCES items(id),
    guess TEXT,
    confidence REAL,
    PRIMARY KEY (round_id, rank)
);
CREATE TABLE IF NOT EXISTS skips (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    round_id INTEGER NOT NULL REFERENCES rounds(id),
    item_id TEXT NOT NULL REFERENCES items(id),
    time TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS leases (
    item_id TEXT PRIMARY KEY,
    client TEXT NOT NULL,
    expires REAL NOT NULL
);
"""

#: Rounds closed before every item was labelled (``left``: how many were still unlabelled; they
#: return to the pool). Created with the schema and, for an older file, when it is opened.
_CLOSED_ROUNDS = """
CREATE TABLE IF NOT EXISTS closed_rounds (
    round_id INTEGER PRIMARY KEY REFERENCES rounds(id),
    time TEXT NOT NULL,
    left_ids TEXT NOT NULL
);
"""

#: The current label of each labelled item: its latest history row, unless that row clears
#: it (an undo back to unlabelled). The one place this rule is written; created with the schema
#: and, for a file made before the view existed, when the file is opened.
_CURRENT_LABELS_VIEW = """
CREATE VIEW IF NOT EXISTS current_labels AS
SELECT l.seq, l.item_id, l.label, l.who, l.source, l.time, l.undoes
FROM labels l
JOIN (SELECT item_id, MAX(seq) AS seq FROM labels GROUP BY item_id) m ON l.seq = m.seq
WHERE l.label IS NOT NULL;
"""

_TABLES = ("meta", "items", "labels", "rounds", "round_items", "skips", "leases")


class CorruptStoreError(StateError):
    """``labels.db`` is not a readable fewlabels label store; it was left untouched."""


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


@dataclass(frozen=True)
class RoundProgress:
    """How far a round is: ``done`` of ``total`` selected items carry a label."""

    round_id: int
    done: int
    total: int
    skipped: int
    closed: bool = False


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _check_timeout(seconds: Any) -> float:
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, int | float)
        or not 0 <= seconds <= 3600
    ):
        raise FewlabelsError(
            f"Expected a busy timeout in seconds between 0 and 3600, but got {seconds!r}."
        )
    return float(seconds)


def is_locked_error(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLite giving up on a lock another connection holds (the call may be
    retried once that writer is done)."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def check_store_file(path: Path) -> None:
    """Refuse a file that is not a healthy fewlabels label store, without writing to it.

    Raises
    ------
    CorruptStoreError
        When the header is not SQLite's, ``PRAGMA quick_check`` fails or the tables are missing.
    """
    fix = (
        f"fewlabels never overwrites it. Move it aside (e.g. `mv {path} {path}.bad`) and "
        "restore a backup, or re-create the workspace; export what you can with `sqlite3 .recover`."
    )
    with open(path, "rb") as fh:
        header = fh.read(len(_SQLITE_HEADER))
    if header != _SQLITE_HEADER:
        raise CorruptStoreError(
            f"Expected a SQLite label store at {path}, but its first bytes are {header[:16]!r}, "
            f"not the SQLite header. {fix}"
        )
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
        try:
            result = con.execute("PRAGMA quick_check").fetchall()
            tables = {
                r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            fmt = None
            if "meta" in tables:
                row = con.execute("SELECT value FROM meta WHERE key='format'").fetchone()
                fmt = row[0] if row else None
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise CorruptStoreError(
            f"Expected a readable SQLite label store at {path}, but {exc}. {fix}"
        ) from exc
    if [r[0] for r in result] != ["ok"]:
        shown = "; ".join(str(r[0]) for r in result[:3])
        raise CorruptStoreError(
            f"Expected {path} to pass PRAGMA quick_check, but it reports: {shown}. {fix}"
        )
    missing = [t for t in _TABLES if t not in tables]
    if missing or fmt != _FORMAT:
        raise CorruptStoreError(
            f"Expected a fewlabels label store at {path}, but it is a SQLite file without "
            f"the tables {missing or []} / format marker (found {fmt!r}). {fix}"
        )


class LabelStore:
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
    ) -> None:
        self.path = Path(path)
        self._classes: tuple[str, ...] | None = None
        self.busy_timeout_s = _check_timeout(busy_timeout_s)
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
                    con.execute("INSERT OR IGNORE INTO meta VALUES ('created', ?)", (_now(),))
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

    # -- connections -------------------------------------------------------------------------
    def with_busy_timeout(self, seconds: float) -> LabelStore:
        """The same store (same file, no new checks) whose calls wait at most ``seconds`` for a
        lock: the labelling page uses a short one and answers "busy, retry" instead of hanging."""
        other = copy.copy(self)
        other.busy_timeout_s = _check_timeout(seconds)
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
        now = _now()
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
    def _check_label(self, con: sqlite3.Connection, item_id: str, label: str, source: str) -> None:
        if source not in LABEL_SOURCES:
            raise FewlabelsError(f"Expected a label source in {LABEL_SOURCES}, but got {source!r}.")
        if con.execute("SELECT 1 FROM items WHERE id=?", (item_id,)).fetchone() is None:
            raise MissingKeyError(
                f"Expected the id of a registered item, but {item_id!r} is not in {self.path}. "
                "Only items of the workspace's data source can be labelled."
            )
        classes = self.classes
        if classes is not None and label not in classes:
            raise FewlabelsError(
                f"Expected a label among the classes {list(classes)}, but got {label!r}."
            )

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
    ) -> list[int]:
        """Append many ``(item_id, label)`` rows in one transaction (all or nothing)."""
        now = _now()
        seqs: list[int] = []
        with self._connect() as con, self._write(con):
            for item_id, label in pairs:
                self._check_label(con, str(item_id), str(label), source)
                cur = con.execute(
                    "INSERT INTO labels (item_id, label, who, source, time) VALUES (?, ?, ?, ?, ?)",
                    (str(item_id), str(label), who, source, now),
                )
                seqs.append(int(cur.lastrowid or 0))
            con.execute(
                "DELETE FROM leases WHERE item_id IN ({})".format(",".join("?" * len(pairs))),
                [str(p[0]) for p in pairs],
            )
        return seqs

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
        now = _now()
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
            latest = con.execute(
                "SELECT MAX(seq) FROM labels WHERE item_id=?", (item_id,)
            ).fetchone()[0]
            if latest != seq:
                raise UndoConflictError(
                    f"Expected label #{seq} of item {item_id!r} to be its current label, "
                    "but it was "
                    f"changed since (latest is #{latest}); label the item again instead of undoing."
                )
            prev = con.execute(
                "SELECT label, source FROM labels WHERE item_id=? AND seq<? "
                "ORDER BY seq DESC LIMIT 1",
                (item_id, seq),
            ).fetchone()
            label, source = (prev[0], prev[1]) if prev is not None else (None, "human")
            by = who or target_who
            cur = con.execute(
                "INSERT INTO labels (item_id, label, who, source, time, undoes) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (item_id, label, by, source, now, seq),
            )
            new_seq = int(cur.lastrowid or 0)
        return LabelEvent(new_seq, item_id, label, by, source, now, seq)

    def history(self, item_id: str | None = None) -> list[LabelEvent]:
        """The label history (oldest first), of one item or of all."""
        q = "SELECT seq, item_id, label, who, source, time, undoes FROM labels"
        args: tuple[Any, ...] = ()
        if item_id is not None:
            q += " WHERE item_id=?"
            args = (str(item_id),)
        with self._connect() as con:
            rows = con.execute(q + " ORDER BY seq", args).fetchall()
        return [LabelEvent(int(r[0]), r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows]

    def current(self) -> dict[str, LabelEvent]:
        """The current label of every labelled item: its latest history row (when not cleared)."""
        with self._connect() as con:
            rows = con.execute(
                "SELECT seq, item_id, label, who, source, time, undoes FROM current_labels "
                "ORDER BY seq"
            ).fetchall()
        return {r[1]: LabelEvent(int(r[0]), r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows}

    def current_labels(self, *, sources: Sequence[str] = ("human", "imported")) -> dict[str, str]:
        """``{item_id: class name}`` of the current labels whose source is in ``sources``."""
        return {k: str(e.label) for k, e in self.current().items() if e.source in sources}

    def label_counts(self) -> dict[str, int]:
        """Current human/imported labels per class (every class listed, zero included)."""
        counts = dict.fromkeys(self.classes or (), 0)
        for label in self.current_labels().values():
            counts[label] = counts.get(label, 0) + 1
        return counts

    # -- rounds ------------------------------------------------------------------------------
    def add_round(
        self,
        strategy: str,
        item_ids: Sequence[str],
        *,
        metrics: Mapping[str, Any] | None = None,
        guesses: Sequence[str | None] | None = None,
        confidences: Sequence[float | None] | None = None,
    ) -> int:
        """Record a round: the strategy, the selected ids in order, the model's metrics and guesses.

        Returns
        -------
        int
            The round id.
        """
        ids = [str(i) for i in item_ids]
        g = list(guesses) if guesses is not None else [None] * len(ids)
        c = list(confidences) if confidences is not None else [None] * len(ids)
        if not (len(g) == len(c) == len(ids)):
            raise FewlabelsError(
                f"Expected one guess and one confidence per selected id, but got {len(ids)} ids, "
                f"{len(g)} guesses and {len(c)} confidences."
            )
        with self._connect() as con, self._write(con):
            known = {r[0] for r in con.execute("SELECT id FROM items")}
            unknown = [i for i in ids if i not in known]
            if unknown:
                raise MissingKeyError(
                    f"Expected ids of registered items in a round, but {unknown[:10]} are not."
                )
            cur = con.execute(
                "INSERT INTO rounds (strategy, time, metrics) VALUES (?, ?, ?)",
                (strategy, _now(), json.dumps(dict(metrics or {}), default=float)),
            )
            rid = int(cur.lastrowid or 0)
            con.executemany(
                "INSERT INTO round_items VALUES (?, ?, ?, ?, ?)",
                [
                    (rid, k, i, None if gg is None else str(gg), None if cc is None else float(cc))
                    for k, (i, gg, cc) in enumerate(zip(ids, g, c, strict=True))
                ],
            )
        return rid

    def _round(self, con: sqlite3.Connection, row: Any) -> Round:
        items = con.execute(
            "SELECT item_id, guess, confidence FROM round_items WHERE round_id=? ORDER BY rank",
            (row[0],),
        ).fetchall()
        closed = con.execute(
            "SELECT time, left_ids FROM closed_rounds WHERE round_id=?", (row[0],)
        ).fetchone()
        return Round(
            closed=None if closed is None else str(closed[0]),
            left_ids=() if closed is None else tuple(json.loads(closed[1])),
            id=int(row[0]),
            strategy=row[1],
            time=row[2],
            metrics=json.loads(row[3]),
            item_ids=tuple(r[0] for r in items),
            guesses=tuple(r[1] for r in items),
            confidences=tuple(r[2] for r in items),
        )

    def rounds(self) -> list[Round]:
        """Every round, oldest first."""
        with self._connect() as con:
            rows = con.execute(
                "SELECT id, strategy, time, metrics FROM rounds ORDER BY id"
            ).fetchall()
            return [self._round(con, r) for r in rows]

    def latest_round(self) -> Round | None:
        """The current round (the latest), or None before the first ``suggest``."""
        with self._connect() as con:
            row = con.execute(
                "SELECT id, strategy, time, metrics FROM rounds ORDER BY id DESC LIMIT 1"
            ).fetchone()
            return None if row is None else self._round(con, row)

    def skip(self, round_id: int, item_id: str) -> None:
        """Move an item of a round to the end of its queue."""
        with self._connect() as con, self._write(con):
            con.execute(
                "INSERT INTO skips (round_id, item_id, time) VALUES (?, ?, ?)",
                (int(round_id), str(item_id), _now()),
            )
            con.execute("DELETE FROM leases WHERE item_id=?", (str(item_id),))

    def _pending(self, con: sqlite3.Connection, round_id: int) -> tuple[list[str], int, int]:
        """Unlabelled ids of a round in queue order (skipped last), done and total."""
        ids = [
            r[0]
            for r in con.execute(
                "SELECT item_id FROM round_items WHERE round_id=? ORDER BY rank", (round_id,)
            )
        ]
        labelled = {
            r[0] for r in con.execute("SELECT item_id FROM current_labels WHERE source != 'pseudo'")
        }
        last_skip = {
            r[0]: int(r[1])
            for r in con.execute(
                "SELECT item_id, MAX(seq) FROM skips WHERE round_id=? GROUP BY item_id", (round_id,)
            )
        }
        todo = [i for i in ids if i not in labelled]
        fresh = [i for i in todo if i not in last_skip]
        skipped = sorted((i for i in todo if i in last_skip), key=lambda i: last_skip[i])
        return fresh + skipped, len(ids) - len(todo), len(ids)

    def progress(self, round_id: int | None = None) -> RoundProgress | None:
        """Labelled, total and skipped counts of a round (the latest by default)."""
        with self._connect() as con:
            if round_id is None:
                row = con.execute("SELECT MAX(id) FROM rounds").fetchone()
                if row[0] is None:
                    return None
                round_id = int(row[0])
            pending, done, total = self._pending(con, round_id)
            n_skipped = con.execute(
                "SELECT COUNT(DISTINCT item_id) FROM skips WHERE round_id=?", (round_id,)
            ).fetchone()[0]
            closed = self._is_closed(con, round_id)
        return RoundProgress(round_id, done, total, int(min(n_skipped, len(pending))), closed)

    @staticmethod
    def _is_closed(con: sqlite3.Connection, round_id: int) -> bool:
        row = con.execute("SELECT 1 FROM closed_rounds WHERE round_id=?", (round_id,)).fetchone()
        return row is not None

    def close_round(self, round_id: int | None = None) -> list[str]:
        """End a round (the latest by default) even though some of its items have no label.

        Its unlabelled items return to the pool: no page shows them for this round any more,
        and the next ``suggest`` may pick them again. Closing a closed round changes nothing.

        Returns
        -------
        list of str
            The ids that were still unlabelled when the round was closed (empty when every item
            had a label, or when the round was closed before).

        Raises
        ------
        MissingKeyError
            When there is no such round.
        """
        with self._connect() as con, self._write(con):
            if round_id is None:
                row = con.execute("SELECT MAX(id) FROM rounds").fetchone()
                if row[0] is None:
                    raise MissingKeyError(
                        "Expected a round to close, but there is none yet. "
                        "Make one with `fewlabels suggest`."
                    )
                round_id = int(row[0])
            if con.execute("SELECT 1 FROM rounds WHERE id=?", (int(round_id),)).fetchone() is None:
                raise MissingKeyError(
                    f"Expected the id of a round of {self.path}, but round {round_id!r} is not one."
                )
            if self._is_closed(con, int(round_id)):
                return []
            pending, _, _ = self._pending(con, int(round_id))
            con.execute(
                "INSERT INTO closed_rounds VALUES (?, ?, ?)",
                (int(round_id), _now(), json.dumps(pending)),
            )
            if pending:
                con.execute(
                    "DELETE FROM leases WHERE item_id IN ({})".format(",".join("?" * len(pending))),
                    pending,
                )
        return pending

    def next_item(
        self, round_id: int | None = None, *, client: str | None = None, lease_s: float = 60.0
    ) -> str | None:
        """The next unlabelled item of a round (the latest by default), or None when it is done.

        With ``client``, the item is leased to that client for ``lease_s`` seconds so that two
        pages labelling the same round at once are shown different items.
        """
        with self._connect() as con, self._write(con):
            if round_id is None:
                row = con.execute("SELECT MAX(id) FROM rounds").fetchone()
                if row[0] is None:
                    return None
                round_id = int(row[0])
            pending, _, _ = self._pending(con, round_id)
            if not pending or self._is_closed(con, round_id):
                return None
            if client is None:
                return pending[0]
            now = time.time()
            con.execute("DELETE FROM leases WHERE expires < ?", (now,))
            leased = dict(con.execute("SELECT item_id, client FROM leases").fetchall())
            mine = [i for i in pending if leased.get(i) == client]
            free = [i for i in pending if i not in leased]
            choice = mine[0] if mine else (free[0] if free else pending[0])
            con.execute("DELETE FROM leases WHERE client=? AND item_id!=?", (client, choice))
            con.execute(
                "INSERT OR REPLACE INTO leases VALUES (?, ?, ?)", (choice, client, now + lease_s)
            )
            return choice

    def lease(self, item_id: str, client: str, *, lease_s: float = 60.0) -> None:
        """Hold ``item_id`` for ``client`` (its only lease), e.g. to show an undone item again."""
        with self._connect() as con, self._write(con):
            con.execute("DELETE FROM leases WHERE client=?", (client,))
            con.execute(
                "INSERT OR REPLACE INTO leases VALUES (?, ?, ?)",
                (str(item_id), client, time.time() + lease_s),
            )
