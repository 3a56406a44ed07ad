"""Exact forgetting: items leave the store with every row about them, one tombstone each.

After "Label-Agnostic Forgetting": the write runs with ``PRAGMA secure_delete`` and is followed
by a WAL checkpoint, so the ids and labels are no longer in the file's bytes.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from fewlabels.errors import FewlabelsError, MissingKeyError
from fewlabels.store._base import StoreBase
from fewlabels.store.records import ForgetRecord, Tombstone
from fewlabels.store.schema import utc_now

#: Meta keys of forgetting: the salt of the tombstones' id hashes and the journal of a forget
#: whose later steps (outside the store) are not finished yet.
_META_SALT = "tombstone_salt"
_META_PENDING = "pending_forget"
_MAX_WHO = 200


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


class ForgettingMixin(StoreBase):
    """:meth:`forget` and what goes with it (tombstones, the pending journal, the pool's
    fingerprint)."""

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
        now = utc_now()
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
