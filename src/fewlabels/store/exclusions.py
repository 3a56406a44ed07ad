"""Exclusions ("none of these"): items taken out of the pool and brought back, each decision
a row with who, when and why; an item's state is its latest row."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from fewlabels.errors import MissingKeyError, StateError
from fewlabels.store._base import StoreBase
from fewlabels.store.annotators import check_annotator
from fewlabels.store.records import ExclusionRecord
from fewlabels.store.schema import utc_now


class ExclusionsMixin(StoreBase):
    """:meth:`exclude`, :meth:`include` and the exclusion state of the pool."""

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
        now = utc_now()
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
        rows = self._rows_by_seq(
            "SELECT seq, item_id, excluded, who, reason, time FROM exclusions", item_id
        )
        return [ExclusionRecord(int(r[0]), r[1], bool(r[2]), r[3], r[4], r[5]) for r in rows]
