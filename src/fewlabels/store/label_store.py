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
import hashlib
import json
import secrets
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

#: What a store's labels are: one class per item, or a set of classes per item
#: (``"multilabel"``: the ``label`` column holds a JSON list, see :func:`encode_label_set`).
TASKS = ("single", "multilabel")

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

#: One row per forgotten item: a salted hash of its id (never the id or its content), who
#: forgot it, when, and the forget event it belongs to. Created with the schema and, for an
#: older file, when it is opened.
_TOMBSTONES = """
CREATE TABLE IF NOT EXISTS tombstones (
    id_hash TEXT PRIMARY KEY,
    who TEXT NOT NULL,
    time TEXT NOT NULL,
    event TEXT NOT NULL
);
"""

#: Meta keys of forgetting: the salt of the tombstones' id hashes and the journal of a forget
#: whose later steps (outside the store) are not finished yet.
_META_SALT = "tombstone_salt"
_META_PENDING = "pending_forget"
_MAX_WHO = 200


#: Exclusions ("none of these"): one row per decision, the current state of an item is its
#: latest row (``excluded`` 1: out of the pool; 0: brought back). ``review_labels`` marks the
#: label rows that are review decisions (keep or change) rather than independent votes; it
#: holds no item id. Created with the schema and, for an older file, when it is opened. No
#: foreign keys: forgetting an item deletes its rows here too.
_EXCLUSIONS = """
CREATE TABLE IF NOT EXISTS exclusions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id TEXT NOT NULL,
    excluded INTEGER NOT NULL CHECK (excluded IN (0, 1)),
    who TEXT NOT NULL,
    reason TEXT,
    time TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS exclusions_by_item ON exclusions(item_id, seq);
CREATE TABLE IF NOT EXISTS review_labels (
    label_seq INTEGER PRIMARY KEY,
    action TEXT NOT NULL CHECK (action IN ('keep', 'change'))
);
"""

#: Label batches: the label rows written by one bulk action (a grid on the page), so that one
#: undo reverts them all. It holds no item id (a forgotten item's label rows go; a batch row
#: left pointing at them is ignored). Created with the schema and, for an older file, when it
#: is opened.
_LABEL_BATCHES = """
CREATE TABLE IF NOT EXISTS label_batches (
    label_seq INTEGER PRIMARY KEY,
    batch TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS label_batches_by_batch ON label_batches(batch);
"""

#: The longest annotator name (``who``) accepted from a page or the command line.
MAX_ANNOTATOR = 64

#: The review actions: keep the current label, change it, or exclude the item.
REVIEW_ACTIONS = ("keep", "change", "exclude")


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


def check_annotator(name: Any) -> str:
    """Check an annotator name (the ``who`` recorded with each label) and return it stripped.

    Raises
    ------
    FewlabelsError
        When it is not a string, is empty, is longer than :data:`MAX_ANNOTATOR` characters or
        holds control characters.
    """
    if not isinstance(name, str):
        raise FewlabelsError(
            f"Expected an annotator name (a string), but got {type(name).__name__} {name!r}."
        )
    value = name.strip()
    if not value:
        raise FewlabelsError(
            "Expected an annotator name, but it is empty. Pass your name, e.g. --annotator ana."
        )
    if len(value) > MAX_ANNOTATOR:
        raise FewlabelsError(
            f"Expected an annotator name of at most {MAX_ANNOTATOR} characters, but got "
            f"{len(value)} ({value[:20]!r}...). Use a shorter name."
        )
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise FewlabelsError(
            f"Expected an annotator name without control characters, but got {value!r}."
        )
    return value


def _gone(item_id: str) -> str:
    return (
        f"Expected a registered item to review, but {item_id!r} is not in the store any more "
        "(forgotten meanwhile). Nothing was written."
    )


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


def _check_who(who: Any) -> str:
    """Check who asks for a forget: a non-empty name of at most 200 characters."""
    if not isinstance(who, str) or not who.strip() or len(who) > _MAX_WHO:
        shown = who if not isinstance(who, str) else f"{who[:40]!r} ({len(who)} characters)"
        raise FewlabelsError(
            f"Expected who forgets as a name of 1 to {_MAX_WHO} characters, but got {shown}. "
            "Pass e.g. who='alice'."
        )
    return who.strip()


def scrub_ids(value: Any, gone: set[str]) -> Any:
    """``value`` (parsed JSON) without the strings in ``gone``: dropped from lists, None else."""
    if isinstance(value, list):
        return [scrub_ids(v, gone) for v in value if not (isinstance(v, str) and v in gone)]
    if isinstance(value, dict):
        return {k: scrub_ids(v, gone) for k, v in value.items()}
    if isinstance(value, str) and value in gone:
        return None
    return value


def encode_label_set(labels: Sequence[str], classes: Sequence[str] | None) -> str:
    """A label set as the text a multi-label store keeps: a JSON list in class order.

    One history row holds an item's whole set, so that its latest row is its current set,
    an undo restores the previous set in one step and ``[]`` (the empty set) differs from
    no label at all (NULL).

    Parameters
    ----------
    labels : sequence of str
        The set (repeats collapse).
    classes : sequence of str or None
        The store's classes; the set is written in their order (sorted when None).

    Raises
    ------
    FewlabelsError
        A label outside ``classes``.
    """
    if isinstance(labels, str):
        raise FewlabelsError(
            f"Expected a label set (a list of class names) for a multi-label store, but got "
            f"the single str {labels!r}. Pass a list, e.g. [{labels!r}] or [] for none."
        )
    names = [str(v) for v in labels]
    if classes is None:
        return json.dumps(sorted(set(names)), ensure_ascii=False)
    unknown = sorted(set(names) - set(classes))
    if unknown:
        raise FewlabelsError(
            f"Expected every label of the set among the classes {list(classes)}, but got "
            f"{unknown}. Fix the labels, or pick them from the classes."
        )
    return json.dumps([c for c in classes if c in set(names)], ensure_ascii=False)


def decode_label_set(text: str) -> tuple[str, ...]:
    """The label set kept as ``text`` by :func:`encode_label_set` (a JSON list of str).

    Raises
    ------
    FewlabelsError
        Text that is not a JSON list of strings.
    """
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, TypeError):
        value = None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise FewlabelsError(
            f"Expected a label set written as a JSON list of class names (e.g. "
            f'["a", "b"], or [] for the empty set), but got {text!r}.'
        )
    return tuple(value)


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
        with LabelStore._write(con):  # checked again under the lock: two openers, one change
            for statement in _EXCLUSIONS.split(";"):
                if statement.strip():
                    con.execute(statement)
            if not has_second():
                con.execute("ALTER TABLE round_items ADD COLUMN second INTEGER NOT NULL DEFAULT 0")

    @staticmethod
    def _ensure_batches(con: sqlite3.Connection) -> None:
        """Add the ``label_batches`` table to a file made before it existed (idempotent)."""
        found = con.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='label_batches'"
        ).fetchone()
        if found is None:
            con.executescript("BEGIN IMMEDIATE;" + _LABEL_BATCHES + "COMMIT;")

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

    @property
    def task(self) -> str:
        """``"single"`` (one class per label) or ``"multilabel"`` (a set of classes)."""
        return self._task

    @property
    def multilabel(self) -> bool:
        """Whether a label is a set of classes (kept as a JSON list)."""
        return self._task == "multilabel"

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

    # -- forgetting --------------------------------------------------------------------------
    @staticmethod
    def _ensure_tombstones(con: sqlite3.Connection) -> None:
        """Add the ``tombstones`` table to a file made before it existed (idempotent)."""
        row = con.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='tombstones'"
        ).fetchone()
        if row is None:
            con.executescript("BEGIN IMMEDIATE;" + _TOMBSTONES + "COMMIT;")

    @staticmethod
    def _salt(con: sqlite3.Connection, *, create: bool) -> bytes | None:
        """The key of the tombstones' id hashes (made on the first forget, inside its write)."""
        row = con.execute("SELECT value FROM meta WHERE key=?", (_META_SALT,)).fetchone()
        if row is not None:
            return bytes.fromhex(str(row[0]))
        if not create:
            return None
        salt = secrets.token_hex(16)
        con.execute("INSERT INTO meta VALUES (?, ?)", (_META_SALT, salt))
        return bytes.fromhex(salt)

    @staticmethod
    def _id_hash(salt: bytes, item_id: str) -> str:
        return hashlib.blake2b(item_id.encode("utf-8"), key=salt, digest_size=16).hexdigest()

    def forget(
        self, ids: Sequence[str], *, who: str, pending: Mapping[str, Any] | None = None
    ) -> ForgetRecord:
        """Remove items and every row about them, leaving one tombstone each (one transaction).

        Deleted: the items' rows of ``items`` and of every table with an ``item_id`` column
        (``labels``, ``round_items``, ``skips``, ``leases`` and any added later, such as
        exclusions), and the ids in the JSON of ``closed_rounds`` and of the rounds' metrics.
        Each item gets a :class:`Tombstone` (a salted hash of its id, ``who``, when, the event).
        The write runs with ``PRAGMA secure_delete`` (SQLite overwrites the deleted content
        with zeros) and is followed by a WAL checkpoint, so the ids and labels are no longer in
        the file's bytes (after "Label-Agnostic Forgetting": the items leave without a trace).

        Parameters
        ----------
        ids : sequence of str
            Registered item ids (repeats are ignored).
        who : str
            Who asked for it (1 to 200 characters).
        pending : mapping, optional
            A JSON journal written in the same transaction under the meta key
            ``pending_forget`` (with the event id added): the steps the caller still has to do
            outside the store (the workspace's embedding cache); read it back with
            :meth:`pending_forget`, clear it with :meth:`clear_pending_forget`.

        Returns
        -------
        ForgetRecord

        Raises
        ------
        MissingKeyError
            When some ids are not registered: up to 10 of them are listed and nothing is
            written.
        """
        if isinstance(ids, str | bytes):
            raise FewlabelsError(
                f"Expected a list of item ids to forget, but got the single string {ids!r}. "
                f"Pass [{ids!r}]."
            )
        wanted = list(dict.fromkeys(str(i) for i in ids))
        if not wanted:
            raise FewlabelsError("Expected at least one item id to forget, but got none.")
        who = _check_who(who)
        event = secrets.token_hex(8)
        now = _now()
        n_rows: dict[str, int] = {}
        with self._connect() as con:
            con.execute("PRAGMA secure_delete=ON")
            con.execute("PRAGMA temp_store=MEMORY")  # the id list never touches a temp file
            with self._write(con):
                con.execute("PRAGMA defer_foreign_keys=ON")
                con.execute("CREATE TEMP TABLE forget_ids (id TEXT PRIMARY KEY)")
                con.executemany("INSERT INTO forget_ids VALUES (?)", [(i,) for i in wanted])
                unknown = [
                    r[0]
                    for r in con.execute(
                        "SELECT id FROM forget_ids WHERE id NOT IN (SELECT id FROM items)"
                    )
                ]
                if unknown:
                    raise MissingKeyError(
                        f"Expected ids of items registered in {self.path}, but "
                        f"{len(unknown)} of the {len(wanted)} id(s) to forget are not: "
                        f"{unknown[:10]}{' ...' if len(unknown) > 10 else ''}. Nothing was "
                        "forgotten; check the ids (`fewlabels export` lists them) and run again."
                    )
                self._delete_item_rows(con, set(wanted), n_rows)
                salt = self._salt(con, create=True)
                assert salt is not None
                con.executemany(
                    "INSERT OR REPLACE INTO tombstones VALUES (?, ?, ?, ?)",
                    [(self._id_hash(salt, i), who, now, event) for i in wanted],
                )
                if pending is not None:
                    con.execute(
                        "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                        (_META_PENDING, json.dumps({**dict(pending), "event": event})),
                    )
                con.execute("DROP TABLE forget_ids")
        return ForgetRecord(
            event=event,
            who=who,
            time=now,
            n_items=len(wanted),
            n_rows=n_rows,
            pool_fingerprint=self.pool_fingerprint(),
            checkpointed=self.checkpoint(),
        )

    @staticmethod
    def _delete_item_rows(con: sqlite3.Connection, gone: set[str], n_rows: dict[str, int]) -> None:
        """Delete the ``forget_ids`` items' rows everywhere (assumes the write is open)."""
        tables = [
            str(r[0])
            for r in con.execute(
                "SELECT name FROM main.sqlite_master WHERE type='table' "
                "AND name NOT IN ('items', 'tombstones') AND name NOT LIKE 'sqlite_%'"
            )
        ]
        for table in tables:
            columns = {r[1] for r in con.execute(f'PRAGMA main.table_info("{table}")')}
            if "item_id" in columns:
                cur = con.execute(
                    f'DELETE FROM main."{table}" WHERE item_id IN (SELECT id FROM forget_ids)'
                )
                n_rows[table] = int(cur.rowcount)
        for round_id, left in con.execute(
            "SELECT round_id, left_ids FROM closed_rounds"
        ).fetchall():
            kept = scrub_ids(json.loads(left), gone)
            if kept != json.loads(left):
                con.execute(
                    "UPDATE closed_rounds SET left_ids=? WHERE round_id=?",
                    (json.dumps(kept), round_id),
                )
        for round_id, metrics in con.execute("SELECT id, metrics FROM rounds").fetchall():
            kept = scrub_ids(json.loads(metrics), gone)
            if kept != json.loads(metrics):
                con.execute("UPDATE rounds SET metrics=? WHERE id=?", (json.dumps(kept), round_id))
        cur = con.execute("DELETE FROM items WHERE id IN (SELECT id FROM forget_ids)")
        n_rows["items"] = int(cur.rowcount)

    def checkpoint(self) -> bool:
        """Copy the WAL into ``labels.db`` and truncate it; False when a reader kept it busy."""
        with self._connect() as con:
            busy = con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        return int(busy) == 0

    def tombstones(self) -> list[Tombstone]:
        """Every forgotten item's tombstone, oldest first."""
        with self._connect() as con:
            rows = con.execute(
                "SELECT id_hash, who, time, event FROM tombstones ORDER BY time, id_hash"
            ).fetchall()
        return [Tombstone(str(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows]

    def forgotten(self, ids: Sequence[str]) -> list[str]:
        """Those of ``ids`` that were forgotten (their salted hash has a tombstone), in order."""
        with self._connect() as con:
            salt = self._salt(con, create=False)
            if salt is None:
                return []
            hashes = {str(r[0]) for r in con.execute("SELECT id_hash FROM tombstones")}
        return [str(i) for i in ids if self._id_hash(salt, str(i)) in hashes]

    def pending_forget(self) -> dict[str, Any] | None:
        """The journal of a forget whose steps outside the store are not done, or None."""
        stored = self._meta(_META_PENDING)
        return None if stored is None else dict(json.loads(stored))

    def clear_pending_forget(self, event: str) -> None:
        """Remove the journal of forget ``event`` (a journal of another event is kept), its
        bytes overwritten (``secure_delete``) and the WAL checkpointed."""
        with self._connect() as con:
            con.execute("PRAGMA secure_delete=ON")
            with self._write(con):
                row = con.execute("SELECT value FROM meta WHERE key=?", (_META_PENDING,)).fetchone()
                if row is not None and json.loads(row[0]).get("event") == event:
                    con.execute("DELETE FROM meta WHERE key=?", (_META_PENDING,))
        self.checkpoint()

    def pool_fingerprint(self) -> str:
        """A digest of the current items (sorted ids and content hashes), 32 hex digits.

        It changes when an item is forgotten, added or its content changes: a model that
        records it can tell whether it was trained on the pool as it is now.
        """
        digest = hashlib.blake2b(b"fewlabels-pool\0", digest_size=16)
        with self._connect() as con:
            for item_id, content in con.execute("SELECT id, hash FROM items ORDER BY id"):
                digest.update(json.dumps([item_id, content]).encode("utf-8") + b"\n")
        return digest.hexdigest()

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
        now = _now()
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
            latest = self._latest_seq(con, item_id)
            if latest != seq:
                raise UndoConflictError(
                    f"Expected label #{seq} of item {item_id!r} to be its current label, "
                    "but it was "
                    f"changed since (latest is #{latest}); label the item again instead of undoing."
                )
            event = self._append_revert(con, item_id, seq, who or target_who, now)
        return event

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

    def add_batch(
        self,
        items: Sequence[tuple[str, int | None]],
        label: str,
        *,
        batch: str,
        who: str = "human",
        source: str = "human",
    ) -> BatchWrite:
        """Label many items as ``label`` in one transaction, unless they changed meanwhile.

        Each item comes with the ``seq`` of the current label its page showed (None: shown
        unlabelled). An item whose current label is another row now (someone labelled it
        meanwhile) is left as it is and reported; every other item is labelled, each with its
        own history row, all named ``batch`` (see :meth:`undo_batch`). To label a reported
        item anyway, send it again with the ``seq`` the report gives.

        Returns
        -------
        BatchWrite
        """
        now = _now()
        written: dict[str, int] = {}
        changed: list[LabelEvent] = []
        with self._connect() as con, self._write(con):
            if con.execute("SELECT 1 FROM label_batches WHERE batch=?", (batch,)).fetchone():
                raise FewlabelsError(
                    f"Expected a new batch name, but {batch!r} already names labels in "
                    f"{self.path}. Pass a fresh one (secrets.token_hex())."
                )
            for item_id, seen in items:
                item_id = str(item_id)
                self._check_label(con, item_id, str(label), source)
                row = con.execute(
                    "SELECT seq, item_id, label, who, source, time, undoes FROM current_labels "
                    "WHERE item_id=?",
                    (item_id,),
                ).fetchone()
                now_seq = None if row is None else int(row[0])
                if now_seq != seen:
                    if row is not None:
                        changed.append(LabelEvent(int(row[0]), *row[1:]))
                    else:  # its label was undone meanwhile: shown labelled, now it is not
                        changed.append(LabelEvent(0, item_id, None, "", "human", now))
                    continue
                if item_id in written:
                    continue
                cur = con.execute(
                    "INSERT INTO labels (item_id, label, who, source, time) VALUES (?, ?, ?, ?, ?)",
                    (item_id, str(label), who, source, now),
                )
                written[item_id] = int(cur.lastrowid or 0)
                con.execute("INSERT INTO label_batches VALUES (?, ?)", (written[item_id], batch))
            if written:
                con.execute(
                    "DELETE FROM leases WHERE item_id IN ({})".format(",".join("?" * len(written))),
                    list(written),
                )
        return BatchWrite(batch=batch, label=str(label), written=written, changed=changed)

    def undo_batch(self, batch: str, *, who: str | None = None) -> BatchUndo:
        """Revert every label of one bulk action (:meth:`add_labels` with ``batch``) at once.

        In one transaction, each label of the batch that is still its item's current label is
        reverted as :meth:`undo` would; a label changed since (someone relabelled the item) is
        left as it is and reported.

        Parameters
        ----------
        batch : str
            The batch name given to :meth:`add_labels`.
        who : str, optional
            Who undoes (default: who made each label).

        Returns
        -------
        BatchUndo

        Raises
        ------
        UndoConflictError
            When no label has that batch name, or the batch was undone already.
        """
        now = _now()
        undone: list[LabelEvent] = []
        changed: list[str] = []
        with self._connect() as con, self._write(con):
            rows = con.execute(
                "SELECT l.seq, l.item_id, l.who FROM label_batches b "
                "JOIN labels l ON l.seq = b.label_seq WHERE b.batch=? ORDER BY l.seq",
                (batch,),
            ).fetchall()
            if not rows:
                raise UndoConflictError(
                    f"Expected the name of a batch of labels, but no label has batch {batch!r}."
                )
            done = {
                int(r[0])
                for r in con.execute(
                    "SELECT undoes FROM labels WHERE undoes IN ({})".format(
                        ",".join("?" * len(rows))
                    ),
                    [int(r[0]) for r in rows],
                )
            }
            if len(done) == len(rows):
                raise UndoConflictError(
                    f"Expected a batch with labels to undo, but the {len(rows)} label(s) of batch "
                    f"{batch!r} were undone already."
                )
            for seq, item_id, target_who in rows:
                if int(seq) in done:
                    continue
                if self._latest_seq(con, item_id) != seq:
                    changed.append(str(item_id))
                    continue
                undone.append(self._append_revert(con, item_id, seq, who or target_who, now))
        return BatchUndo(batch=batch, undone=undone, changed=changed)

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

    # -- exclusions, votes and reviews ------------------------------------------------------
    @staticmethod
    def _exclusion_state(con: sqlite3.Connection) -> dict[str, ExclusionRecord]:
        """The latest exclusion record of every item that has one (excluded or brought back)."""
        rows = con.execute(
            "SELECT e.seq, e.item_id, e.excluded, e.who, e.reason, e.time FROM exclusions e "
            "JOIN (SELECT item_id, MAX(seq) AS seq FROM exclusions GROUP BY item_id) m "
            "ON e.seq = m.seq ORDER BY e.seq"
        ).fetchall()
        return {r[1]: ExclusionRecord(int(r[0]), r[1], bool(r[2]), r[3], r[4], r[5]) for r in rows}

    def _excluded_ids(self, con: sqlite3.Connection) -> set[str]:
        return {i for i, rec in self._exclusion_state(con).items() if rec.excluded}

    def _unknown_ids(self, con: sqlite3.Connection, ids: Sequence[str]) -> list[str]:
        known = {r[0] for r in con.execute("SELECT id FROM items")}
        return [i for i in ids if i not in known]

    def _set_excluded(
        self,
        ids: Sequence[str],
        *,
        excluded: bool,
        who: str,
        reason: str | None,
        strict: bool,
    ) -> list[ExclusionRecord]:
        """Append one exclusion row per id whose state changes, in one transaction.

        Unknown ids are an error (listed, nothing written); an id already in the asked state is
        an error with ``strict``, else left as it is (no row).
        """
        by = check_annotator(who)
        wanted = list(dict.fromkeys(str(i) for i in ids))
        now = _now()
        written: list[ExclusionRecord] = []
        with self._connect() as con, self._write(con):
            unknown = self._unknown_ids(con, wanted)
            if unknown:
                raise MissingKeyError(
                    f"Expected ids of registered items, but {len(unknown)} are not: "
                    f"{unknown[:10]}{' ...' if len(unknown) > 10 else ''} (unknown, or forgotten). "
                    "Nothing was written; check the ids (`fewlabels export` lists them)."
                )
            state = self._exclusion_state(con)
            for item_id in wanted:
                cur = state.get(item_id)
                if (cur is not None and cur.excluded) == excluded:
                    if not strict:
                        continue
                    if excluded and cur is not None:
                        raise StateError(
                            f"Expected an item of the pool to exclude, but {item_id!r} was "
                            f"already excluded by {cur.who} at {cur.time} ({cur.reason}). "
                            "Nothing was written; bring it back first with `fewlabels include`."
                        )
                    raise StateError(
                        f"Expected an excluded item to bring back, but {item_id!r} is in the "
                        "pool (not excluded). Nothing was written."
                    )
                cur_row = con.execute(
                    "INSERT INTO exclusions (item_id, excluded, who, reason, time) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (item_id, int(excluded), by, reason if excluded else None, now),
                )
                written.append(
                    ExclusionRecord(
                        int(cur_row.lastrowid or 0),
                        item_id,
                        excluded,
                        by,
                        reason if excluded else None,
                        now,
                    )
                )
            if excluded and written:
                con.execute(
                    "DELETE FROM leases WHERE item_id IN ({})".format(",".join("?" * len(written))),
                    [r.item_id for r in written],
                )
        return written

    def exclude(self, item_id: str, *, who: str, reason: str = "none of these") -> ExclusionRecord:
        """Take an item out of the pool ("none of these"): it leaves learning and suggestions,
        counts as done in its round, and stays in the store (:meth:`include` brings it back).

        Raises
        ------
        MissingKeyError
            When the item is not registered (or was forgotten).
        StateError
            When it is excluded already (the message says by whom and when).
        """
        return self._set_excluded(
            [item_id], excluded=True, who=who, reason=str(reason), strict=True
        )[0]

    def include(self, item_id: str, *, who: str) -> ExclusionRecord:
        """Bring an excluded item back into the pool (its labels, if any, count again).

        Raises
        ------
        MissingKeyError
            When the item is not registered (or was forgotten).
        StateError
            When it is not excluded.
        """
        return self._set_excluded([item_id], excluded=False, who=who, reason=None, strict=True)[0]

    def exclude_many(
        self, ids: Sequence[str], *, who: str, reason: str = "none of these"
    ) -> list[ExclusionRecord]:
        """Exclude many items in one transaction; those excluded already are left as they are.

        Returns the records written (one per newly excluded item). Unknown ids: an error
        listing them, nothing written.
        """
        return self._set_excluded(ids, excluded=True, who=who, reason=str(reason), strict=False)

    def include_many(self, ids: Sequence[str], *, who: str) -> list[ExclusionRecord]:
        """Bring many items back in one transaction; those not excluded are left as they are."""
        return self._set_excluded(ids, excluded=False, who=who, reason=None, strict=False)

    def excluded(self) -> dict[str, ExclusionRecord]:
        """``{item_id: record}`` of the items excluded now (their latest record excludes them)."""
        with self._connect() as con:
            return {i: r for i, r in self._exclusion_state(con).items() if r.excluded}

    def exclusion_history(self, item_id: str | None = None) -> list[ExclusionRecord]:
        """Every exclusion decision (oldest first), of one item or of all."""
        q = "SELECT seq, item_id, excluded, who, reason, time FROM exclusions"
        args: tuple[Any, ...] = ()
        if item_id is not None:
            q += " WHERE item_id=?"
            args = (str(item_id),)
        with self._connect() as con:
            rows = con.execute(q + " ORDER BY seq", args).fetchall()
        return [ExclusionRecord(int(r[0]), r[1], bool(r[2]), r[3], r[4], r[5]) for r in rows]

    @staticmethod
    def _votes(
        con: sqlite3.Connection, item_ids: Sequence[str] | None = None
    ) -> dict[str, ItemVotes]:
        """Per item, each annotator's latest independent human label (see :meth:`votes`)."""
        q = (
            "SELECT l.seq, l.item_id, l.label, l.who, l.source, l.undoes, "
            "r.label_seq IS NOT NULL FROM labels l "
            "LEFT JOIN review_labels r ON r.label_seq = l.seq"
        )
        args: list[Any] = []
        if item_ids is not None:
            wanted = [str(i) for i in item_ids]
            if not wanted:
                return {}
            q += " WHERE l.item_id IN ({})".format(",".join("?" * len(wanted)))
            args = wanted
        per: dict[str, dict[str, list[tuple[int, str]]]] = {}
        owner: dict[int, tuple[str, str]] = {}
        last: dict[str, tuple[int, str | None, bool]] = {}
        for seq, item, label, who, source, undoes, is_review in con.execute(
            q + " ORDER BY l.seq", args
        ):
            last[item] = (int(seq), label, bool(is_review))
            if undoes is not None:
                gone = owner.pop(int(undoes), None)
                if gone is not None:
                    lst = per[gone[0]][gone[1]]
                    per[gone[0]][gone[1]] = [v for v in lst if v[0] != int(undoes)]
            elif source == "human" and not is_review and label is not None:
                per.setdefault(item, {}).setdefault(who, []).append((int(seq), label))
                owner[int(seq)] = (item, who)
        out: dict[str, ItemVotes] = {}
        for item, (seq, label, is_review) in last.items():
            votes = {w: lst[-1][1] for w, lst in per.get(item, {}).items() if lst}
            out[item] = ItemVotes(item, votes, None if label is None else seq, is_review)
        return out

    def votes(self, item_ids: Sequence[str] | None = None) -> dict[str, ItemVotes]:
        """The independent human labels of each labelled item, per annotator (``who``).

        An annotator's vote is their latest human label of the item; an undone label no longer
        counts, and review decisions (:meth:`review`) are not votes. Items with conflicting
        votes whose current label is not a review decision wait for review.
        """
        with self._connect() as con:
            return self._votes(con, item_ids)

    def review(
        self, item_id: str, action: str, *, who: str, label: str | None = None
    ) -> LabelEvent | ExclusionRecord:
        """Record a review decision on an item, with who and when, in one transaction.

        Parameters
        ----------
        item_id : str
        action : {"keep", "change", "exclude"}
            ``keep`` appends a human label equal to the current one (the decision is in the
            history), ``change`` appends ``label``, ``exclude`` excludes the item. Two reviews
            of one item both stay in the history; the later one is the current label.
        who : str
            The reviewer (checked with :func:`check_annotator`).
        label : str, optional
            The new label, for ``change`` only.

        Raises
        ------
        MissingKeyError
            When the item is not registered (forgotten meanwhile): nothing is written.
        StateError
            When the item was excluded meanwhile, or ``keep`` finds no current label.
        """
        if action not in REVIEW_ACTIONS:
            raise FewlabelsError(
                f"Expected a review action in {REVIEW_ACTIONS}, but got {action!r}."
            )
        if (label is None) != (action != "change"):
            raise FewlabelsError(
                f"Expected a label with the review action 'change' only, but got action "
                f"{action!r} and label {label!r}."
            )
        by = check_annotator(who)
        item_id = str(item_id)
        if action == "exclude":
            with self._connect() as con:
                if self._unknown_ids(con, [item_id]):
                    raise MissingKeyError(_gone(item_id))
            return self.exclude(item_id, who=by, reason="review")
        now = _now()
        with self._connect() as con, self._write(con):
            if self._unknown_ids(con, [item_id]):
                raise MissingKeyError(_gone(item_id))
            state = self._exclusion_state(con).get(item_id)
            if state is not None and state.excluded:
                raise StateError(
                    f"Expected an item of the pool to review, but {item_id!r} was excluded by "
                    f"{state.who} at {state.time} ({state.reason}) meanwhile. Nothing was "
                    "written; bring it back with `fewlabels include` to review it."
                )
            if action == "keep":
                row = con.execute(
                    "SELECT label FROM current_labels WHERE item_id=?", (item_id,)
                ).fetchone()
                if row is None:
                    raise StateError(
                        f"Expected a current label of {item_id!r} to keep, but it has none now "
                        "(undone meanwhile). Nothing was written; choose a label instead."
                    )
                label = str(row[0])
            assert label is not None
            self._check_label(con, item_id, str(label), "human")
            cur = con.execute(
                "INSERT INTO labels (item_id, label, who, source, time) VALUES (?, ?, ?, ?, ?)",
                (item_id, str(label), by, "human", now),
            )
            seq = int(cur.lastrowid or 0)
            con.execute("INSERT INTO review_labels VALUES (?, ?)", (seq, action))
        return LabelEvent(seq, item_id, str(label), by, "human", now)

    # -- rounds ------------------------------------------------------------------------------
    def add_round(
        self,
        strategy: str,
        item_ids: Sequence[str],
        *,
        metrics: Mapping[str, Any] | None = None,
        guesses: Sequence[str | None] | None = None,
        confidences: Sequence[float | None] | None = None,
        second_opinion: Sequence[str] = (),
    ) -> int:
        """Record a round: the strategy, the selected ids in order, the model's metrics and guesses.

        ``second_opinion`` lists selected ids sent to a second annotator: such an item is done
        once two annotators labelled it, and is never offered to the one who labelled it.

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
            second = {str(i) for i in second_opinion}
            con.executemany(
                "INSERT INTO round_items (round_id, rank, item_id, guess, confidence, second) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        rid,
                        k,
                        i,
                        None if gg is None else str(gg),
                        None if cc is None else float(cc),
                        int(i in second),
                    )
                    for k, (i, gg, cc) in enumerate(zip(ids, g, c, strict=True))
                ],
            )
        return rid

    def _round(self, con: sqlite3.Connection, row: Any) -> Round:
        items = con.execute(
            "SELECT item_id, guess, confidence, second FROM round_items WHERE round_id=? "
            "ORDER BY rank",
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
            second_ids=tuple(r[0] for r in items if r[3]),
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

    def _pending(
        self, con: sqlite3.Connection, round_id: int, annotator: str | None = None
    ) -> tuple[list[str], int, int]:
        """Unlabelled ids of a round in queue order (skipped last), done and total.

        An excluded item is done; a second-opinion item is done once two annotators labelled
        it. With ``annotator``, the second-opinion items they labelled are not listed.
        """
        rows = con.execute(
            "SELECT item_id, second FROM round_items WHERE round_id=? ORDER BY rank", (round_id,)
        ).fetchall()
        ids = [r[0] for r in rows]
        second = [r[0] for r in rows if r[1]]
        voters = {i: v.votes for i, v in self._votes(con, second).items()} if second else {}
        labelled = {
            r[0] for r in con.execute("SELECT item_id FROM current_labels WHERE source != 'pseudo'")
        }
        excluded = self._excluded_ids(con)
        labelled = {i for i in labelled if i not in voters or len(voters[i]) >= 2} | excluded
        last_skip = {
            r[0]: int(r[1])
            for r in con.execute(
                "SELECT item_id, MAX(seq) FROM skips WHERE round_id=? GROUP BY item_id", (round_id,)
            )
        }
        todo = [i for i in ids if i not in labelled]
        done = len(ids) - len(todo)
        if annotator is not None:
            todo = [i for i in todo if annotator not in voters.get(i, {})]
        fresh = [i for i in todo if i not in last_skip]
        skipped = sorted((i for i in todo if i in last_skip), key=lambda i: last_skip[i])
        return fresh + skipped, done, len(ids)

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
        self,
        round_id: int | None = None,
        *,
        client: str | None = None,
        lease_s: float = 60.0,
        annotator: str | None = None,
    ) -> str | None:
        """The next unlabelled item of a round (the latest by default), or None when it is done.

        With ``client``, the item is leased to that client for ``lease_s`` seconds so that two
        pages labelling the same round at once are shown different items. With ``annotator``,
        a second-opinion item is never offered to the annotator who labelled it already.
        """
        with self._connect() as con, self._write(con):
            if round_id is None:
                row = con.execute("SELECT MAX(id) FROM rounds").fetchone()
                if row[0] is None:
                    return None
                round_id = int(row[0])
            pending, _, _ = self._pending(con, round_id, annotator)
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
