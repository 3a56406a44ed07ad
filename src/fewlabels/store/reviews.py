"""Several annotators: each one's independent votes on an item, and review decisions (keep,
change, exclude) that settle a conflict or a suspect label."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from fewlabels.errors import FewlabelsError, MissingKeyError, StateError
from fewlabels.store.annotators import check_annotator
from fewlabels.store.exclusions import ExclusionsMixin
from fewlabels.store.records import ExclusionRecord, ItemVotes, LabelEvent
from fewlabels.store.schema import utc_now

#: The review actions: keep the current label, change it, or exclude the item.
REVIEW_ACTIONS = ("keep", "change", "exclude")


def _gone(item_id: str) -> str:
    return (
        f"Expected a registered item to review, but {item_id!r} is not in the store any more "
        "(forgotten meanwhile). Nothing was written."
    )


class ReviewsMixin(ExclusionsMixin):
    """:meth:`votes` per annotator and :meth:`review` decisions."""

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
        now = utc_now()
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
            label = self._stored(str(label))  # a multi-label set in class order, like any set
            cur = con.execute(
                "INSERT INTO labels (item_id, label, who, source, time) VALUES (?, ?, ?, ?, ?)",
                (item_id, label, by, "human", now),
            )
            seq = int(cur.lastrowid or 0)
            con.execute("INSERT INTO review_labels VALUES (?, ?)", (seq, action))
        return LabelEvent(seq, item_id, str(label), by, "human", now)
