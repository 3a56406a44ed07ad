"""Label batches: one bulk action (a grid on the page) written and undone as one, without
overwriting an item someone else labelled meanwhile."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from fewlabels.errors import FewlabelsError, StateError
from fewlabels.store._base import StoreBase
from fewlabels.store.label_sets import decode_label_set, encode_label_set
from fewlabels.store.records import BatchUndo, BatchWrite, LabelEvent, UndoConflictError
from fewlabels.store.schema import utc_now


class BatchesMixin(StoreBase):
    """:meth:`add_batch`, :meth:`add_to_label_sets` and :meth:`undo_batch`."""

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
        if self.multilabel:
            raise StateError(
                f"Expected a single-label store for add_batch, but {self.path} holds label sets "
                "(task 'multilabel'). Use add_to_label_sets to add a class to each item's set."
            )
        return self._write_batch(
            items, str(label), lambda current: str(label), batch=batch, who=who, source=source
        )

    def add_to_label_sets(
        self,
        items: Sequence[tuple[str, int | None]],
        label: str,
        *,
        batch: str,
        who: str = "human",
        source: str = "human",
    ) -> BatchWrite:
        """Add the class ``label`` to each item's current label set, in one transaction.

        The bulk action of a multi-label store ("add X to these"): an item's new set is its
        current set with ``label`` added (``{label}`` for an unlabelled item; an item whose
        set holds ``label`` already gets the same set again, now from ``who``). Every new
        set is its own history row, all named ``batch``, so :meth:`undo_batch` gives each
        item its previous set back in one action. Each item comes with the ``seq`` of the
        current label its page showed (None: shown unlabelled); an item labelled meanwhile
        is left as it is and reported in ``changed``, as in :meth:`add_batch`.

        Returns
        -------
        BatchWrite
            ``label`` is the class added; ``written`` maps each item to its new row.

        Raises
        ------
        StateError
            A single-label store (use :meth:`add_batch`).
        FewlabelsError
            A class outside the store's classes, or a batch name used before.
        """
        if not self.multilabel:
            raise StateError(
                f"Expected a multi-label store to add a class to label sets, but {self.path} "
                "holds one label per item (task 'single'). Use add_batch."
            )
        classes = self.classes
        name = str(label)
        encode_label_set([name], classes)  # a class outside the classes: refused up front

        def grown(current: str | None) -> str:
            now_set = () if current is None else decode_label_set(current)
            return encode_label_set([*now_set, name], classes)

        return self._write_batch(items, name, grown, batch=batch, who=who, source=source)

    def _write_batch(
        self,
        items: Sequence[tuple[str, int | None]],
        label: str,
        value: Callable[[str | None], str],
        *,
        batch: str,
        who: str,
        source: str,
    ) -> BatchWrite:
        """The transaction of :meth:`add_batch` and :meth:`add_to_label_sets`: ``value``
        maps an item's current label text (None: unlabelled) to the text to write."""
        now = utc_now()
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
                row = con.execute(
                    "SELECT seq, item_id, label, who, source, time, undoes FROM current_labels "
                    "WHERE item_id=?",
                    (item_id,),
                ).fetchone()
                text = value(None if row is None else row[2])
                self._check_label(con, item_id, text, source)
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
                    (item_id, text, who, source, now),
                )
                written[item_id] = int(cur.lastrowid or 0)
                con.execute("INSERT INTO label_batches VALUES (?, ?)", (written[item_id], batch))
            if written:
                con.execute(
                    "DELETE FROM leases WHERE item_id IN ({})".format(",".join("?" * len(written))),
                    list(written),
                )
        return BatchWrite(batch=batch, label=label, written=written, changed=changed)

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
        now = utc_now()
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
