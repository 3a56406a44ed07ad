"""Rounds of suggestions: the selected items in order with the model's guesses, their queue
(skips, leases for several pages, second opinions) and closing a round early."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Mapping, Sequence
from typing import Any

from fewlabels.errors import FewlabelsError, MissingKeyError
from fewlabels.store.records import Round, RoundProgress
from fewlabels.store.reviews import ReviewsMixin
from fewlabels.store.schema import utc_now


class RoundsMixin(ReviewsMixin):
    """:meth:`add_round`, the queue of a round (:meth:`next_item`, :meth:`skip`,
    :meth:`lease`), :meth:`progress` and :meth:`close_round`."""

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
                (strategy, utc_now(), json.dumps(dict(metrics or {}), default=float)),
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
                (int(round_id), str(item_id), utc_now()),
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
                (int(round_id), utc_now(), json.dumps(pending)),
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
        pages labelling the same round at once are shown different items; when every item left
        is leased to another page, None (nothing is taken from it: that page may be labelling
        it; its lease lapses after ``lease_s`` if the page went away). Use :meth:`progress` to
        tell that case from a round that is done. With ``annotator``, a second-opinion item is
        never offered to the annotator who labelled it already.
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
            if not mine and not free:
                return None  # the rest is held by other pages: never show two pages one item
            choice = mine[0] if mine else free[0]
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
