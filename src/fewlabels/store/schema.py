"""The label store's file: its SQL schema, the checks of a file before it is opened, and
the small shared helpers of its modules (the time stamp, the busy timeout)."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from fewlabels.errors import FewlabelsError, StateError

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


class CorruptStoreError(StateError):
    """``labels.db`` is not a readable fewlabels label store; it was left untouched."""


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def check_timeout(seconds: Any) -> float:
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
