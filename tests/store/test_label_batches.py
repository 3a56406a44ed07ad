"""Label batches: one bulk action's labels, undone together."""

from __future__ import annotations

from pathlib import Path

import pytest

from fewlabels.errors import FewlabelsError
from fewlabels.store import LabelStore, UndoConflictError


@pytest.fixture
def store(tmp_path: Path) -> LabelStore:
    s = LabelStore(tmp_path / "labels.db", classes=["a", "b"])
    s.add_items(["i0", "i1", "i2", "i3"], hashes=["h"] * 4, sources=["x"] * 4)
    return s


def test_undo_batch_reverts_every_label_of_the_batch_and_only_those(store: LabelStore) -> None:
    store.add_label("i0", "b", who="ana")
    store.add_labels([("i0", "a"), ("i1", "a"), ("i2", "a")], who="ana", batch="g1")
    store.add_label("i3", "b", who="ana")
    out = store.undo_batch("g1")
    assert sorted(e.item_id for e in out.undone) == ["i0", "i1", "i2"] and out.changed == []
    assert store.current_labels() == {"i0": "b", "i3": "b"}  # i0 back to its previous label


def test_undo_batch_twice_is_refused_and_writes_nothing(store: LabelStore) -> None:
    store.add_labels([("i0", "a"), ("i1", "a")], who="ana", batch="g1")
    store.undo_batch("g1")
    n = len(store.history())
    with pytest.raises(UndoConflictError, match="were undone already"):
        store.undo_batch("g1")
    assert len(store.history()) == n


def test_undo_batch_leaves_an_item_relabelled_since(store: LabelStore) -> None:
    store.add_labels([("i0", "a"), ("i1", "a")], who="ana", batch="g1")
    store.add_label("i1", "b", who="ben")
    out = store.undo_batch("g1")
    assert [e.item_id for e in out.undone] == ["i0"] and out.changed == ["i1"]
    assert store.current_labels() == {"i1": "b"}


def test_unknown_and_reused_batch_names(store: LabelStore) -> None:
    with pytest.raises(UndoConflictError, match="no label has batch 'nope'"):
        store.undo_batch("nope")
    store.add_labels([("i0", "a")], batch="g1")
    with pytest.raises(FewlabelsError, match="already names labels"):
        store.add_labels([("i1", "a")], batch="g1")
    assert store.current_labels() == {"i0": "a"}


def test_an_older_file_gains_the_batches_table(tmp_path: Path) -> None:
    import sqlite3

    s = LabelStore(tmp_path / "labels.db", classes=["a"])
    with sqlite3.connect(s.path) as con:
        con.execute("DROP TABLE label_batches")
    again = LabelStore(s.path)
    again.add_items(["i0"], hashes=["h"], sources=["x"])
    again.add_labels([("i0", "a")], batch="g")
    assert [e.label for e in again.undo_batch("g").undone] == [None]


def test_add_batch_leaves_items_labelled_meanwhile_and_reports_them(store: LabelStore) -> None:
    seq = store.add_label("i1", "b", who="ben")  # shown unlabelled, labelled by ben since
    out = store.add_batch([("i0", None), ("i1", None), ("i2", None)], "a", batch="g", who="ana")
    assert sorted(out.written) == ["i0", "i2"]
    assert [(e.item_id, e.label, e.who, e.seq) for e in out.changed] == [("i1", "b", "ben", seq)]
    assert store.current_labels() == {"i0": "a", "i1": "b", "i2": "a"}
    again = store.add_batch([("i1", seq)], "a", batch="g2", who="ana")  # confirmed: the seq seen
    assert list(again.written) == ["i1"] and again.changed == []
    assert store.current_labels()["i1"] == "a"
    store.undo_batch("g2")
    assert store.current_labels()["i1"] == "b"  # back to ben's label


def test_add_batch_is_all_or_nothing_on_a_bad_item(store: LabelStore) -> None:
    from fewlabels.errors import MissingKeyError

    with pytest.raises(MissingKeyError, match="not in"):
        store.add_batch([("i0", None), ("ghost", None)], "a", batch="g")
    assert store.history() == []
