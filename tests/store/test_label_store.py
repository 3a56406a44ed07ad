"""The SQLite label store: history, latest wins, undo, rounds, WAL, corrupt files refused."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from fewlabels.store import CorruptStoreError, LabelStore, UndoConflictError


@pytest.fixture
def store(tmp_path: Path) -> LabelStore:
    s = LabelStore(tmp_path / "labels.db", classes=["cat", "dog"])
    s.add_items([f"i{k}" for k in range(6)], hashes=[f"h{k}" for k in range(6)], sources="test")
    return s


def test_new_store_is_wal_and_keeps_classes(store: LabelStore) -> None:
    assert store.journal_mode == "wal"
    assert store.classes == ("cat", "dog")
    assert [it.id for it in store.items()] == [f"i{k}" for k in range(6)]
    again = LabelStore(store.path)
    assert again.classes == ("cat", "dog")
    with pytest.raises(ValueError, match=r"Expected the classes stored .*\['cat', 'dog'\]"):
        LabelStore(store.path, classes=["cat", "cow"])


def test_latest_label_wins_and_history_is_append_only(store: LabelStore) -> None:
    store.add_label("i0", "cat")
    store.add_label("i0", "dog", who="bob")
    store.add_label("i1", "cat", source="imported")
    assert store.current_labels() == {"i0": "dog", "i1": "cat"}
    hist = store.history("i0")
    assert [(e.label, e.who, e.source) for e in hist] == [
        ("cat", "human", "human"),
        ("dog", "bob", "human"),
    ]
    assert hist[0].seq < hist[1].seq
    assert store.label_counts() == {"cat": 1, "dog": 1}


def test_pseudo_labels_are_not_current_labels_by_default(store: LabelStore) -> None:
    store.add_label("i2", "dog", source="pseudo")
    assert store.current_labels() == {}
    assert store.current_labels(sources=("pseudo",)) == {"i2": "dog"}


def test_labels_for_unknown_items_classes_or_sources_are_refused(store: LabelStore) -> None:
    with pytest.raises(KeyError, match="'nope' is not in"):
        store.add_label("nope", "cat")
    with pytest.raises(
        ValueError, match=r"Expected a label among the classes \['cat', 'dog'\], but got 'cow'"
    ):
        store.add_label("i0", "cow")
    with pytest.raises(ValueError, match="Expected a label source in"):
        store.add_label("i0", "cat", source="robot")
    # all or nothing: a batch with one bad row writes nothing
    with pytest.raises(KeyError):
        store.add_labels([("i0", "cat"), ("zzz", "dog")])
    assert store.history() == []


def test_undo_restores_the_previous_label(store: LabelStore) -> None:
    store.add_label("i0", "cat", source="imported")
    seq = store.add_label("i0", "dog")
    ev = store.undo(seq)
    assert (ev.label, ev.source, ev.undoes) == ("cat", "imported", seq)
    assert store.current_labels() == {"i0": "cat"}
    # the history keeps all three rows
    assert [e.label for e in store.history("i0")] == ["cat", "dog", "cat"]


def test_undo_to_unlabelled_and_default_undo(store: LabelStore) -> None:
    store.add_label("i0", "cat", who="ann")
    store.add_label("i1", "dog", who="bob")
    ev = store.undo(who="ann")
    assert ev.item_id == "i0" and ev.label is None
    assert store.current_labels() == {"i1": "dog"}
    ev2 = store.undo()  # the latest human label not undone yet: bob's
    assert ev2.item_id == "i1"
    with pytest.raises(UndoConflictError, match="no human label to undo|none left"):
        store.undo()


def test_undo_refuses_a_label_changed_since(store: LabelStore) -> None:
    first = store.add_label("i0", "cat")
    store.add_label("i0", "dog")
    with pytest.raises(UndoConflictError, match=r"was changed since .*label the item again"):
        store.undo(first)


def test_rounds_queue_skip_and_progress(store: LabelStore) -> None:
    assert store.latest_round() is None and store.next_item() is None
    rid = store.add_round(
        "margin",
        ["i3", "i1", "i4"],
        metrics={"cv_accuracy": 0.5},
        guesses=["cat", "dog", None],
        confidences=[0.9, 0.6, None],
    )
    rnd = store.latest_round()
    assert rnd is not None and rnd.id == rid and rnd.item_ids == ("i3", "i1", "i4")
    assert rnd.metrics == {"cv_accuracy": 0.5} and rnd.guesses == ("cat", "dog", None)
    assert store.next_item() == "i3"
    store.skip(rid, "i3")
    assert store.next_item() == "i1"
    store.add_label("i1", "dog")
    assert store.next_item() == "i4"
    store.add_label("i4", "cat")
    assert store.next_item() == "i3"  # skipped items come back at the end
    prog = store.progress()
    assert prog is not None and (prog.done, prog.total, prog.skipped) == (2, 3, 1)
    store.add_label("i3", "cat")
    assert store.next_item() is None
    with pytest.raises(KeyError, match="registered items in a round"):
        store.add_round("random", ["ghost"])


def test_leases_give_two_clients_different_items(store: LabelStore) -> None:
    store.add_round("random", ["i0", "i1", "i2"])
    a = store.next_item(client="a")
    b = store.next_item(client="b")
    assert a != b
    assert store.next_item(client="a") == a  # a reload shows the same item
    store.add_label(a, "cat")
    assert store.next_item(client="a") not in (a, b)


def test_concurrent_writers_lose_nothing(store: LabelStore) -> None:
    def write(who: str) -> None:
        s = LabelStore(store.path)
        for k in range(25):
            s.add_label(f"i{k % 6}", "cat" if k % 2 else "dog", who=who)

    threads = [threading.Thread(target=write, args=(f"w{t}",)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    hist = store.history()
    assert len(hist) == 100
    assert {e.who for e in hist} == {"w0", "w1", "w2", "w3"}


def test_corrupt_store_is_refused_and_left_untouched(tmp_path: Path) -> None:
    bad = tmp_path / "labels.db"
    bad.write_bytes(b"this is not a database at all" * 100)
    before = bad.read_bytes()
    with pytest.raises(CorruptStoreError, match=r"not the SQLite header.*never overwrites"):
        LabelStore(bad)
    assert bad.read_bytes() == before
    assert not (tmp_path / "labels.db-wal").exists()


def test_damaged_pages_are_refused_and_left_untouched(store: LabelStore) -> None:
    for k in range(6):
        store.add_label(f"i{k}", "cat")
    data = bytearray(store.path.read_bytes())
    # checkpoint happened on close? make sure the main file holds the tables, then damage page 2+
    con = sqlite3.connect(store.path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    data = bytearray(store.path.read_bytes())
    page = 4096
    data[page : page + 200] = b"\xff" * 200
    store.path.write_bytes(bytes(data))
    before = store.path.read_bytes()
    with pytest.raises(CorruptStoreError, match="Expected"):
        LabelStore(store.path)
    assert store.path.read_bytes() == before


def test_a_foreign_sqlite_file_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE x (a)")
    con.commit()
    con.close()
    with pytest.raises(CorruptStoreError, match="without the tables"):
        LabelStore(other)


def test_missing_store_without_create(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="fewlabels init"):
        LabelStore(tmp_path / "none.db", create=False)


def test_a_second_default_undo_never_redoes_the_first(store: LabelStore) -> None:
    # Relabel cat -> dog, then press undo twice (the page's "u" key). The first undo restores
    # cat; the undo row itself is not a label to undo, so the second finds nothing left and
    # must not re-apply dog.
    store.add_label("i0", "cat")
    store.add_label("i0", "dog")
    assert store.undo().label == "cat"
    with pytest.raises(UndoConflictError, match="none left"):
        store.undo()
    assert store.current_labels() == {"i0": "cat"}
    assert [e.label for e in store.history("i0")] == ["cat", "dog", "cat"]


def test_default_undo_walks_back_through_labels_newest_first(store: LabelStore) -> None:
    # i1 is relabelled, so its first undo restores a human label; the next undo goes on to
    # the older label of i0 instead of undoing that undo.
    store.add_label("i0", "dog")
    store.add_label("i1", "cat")
    store.add_label("i1", "dog")
    first = store.undo()
    assert (first.item_id, first.label) == ("i1", "cat")
    second = store.undo()
    assert (second.item_id, second.label) == ("i0", None)
    assert store.current_labels() == {"i1": "cat"}


def test_two_labels_are_undone_in_reverse_order(store: LabelStore) -> None:
    store.add_label("i0", "cat")
    store.add_label("i1", "dog")
    assert [store.undo().item_id, store.undo().item_id] == ["i1", "i0"]
    assert store.current_labels() == {}
    with pytest.raises(UndoConflictError, match="none left"):
        store.undo()


def test_undo_returns_the_history_row_it_appended(store: LabelStore) -> None:
    # The event undo returns is exactly the row it wrote: seq, who, time and what it undoes.
    first = store.add_label("i0", "cat", who="ann")
    second = store.add_label("i0", "dog", who="ann")
    event = store.undo(who="ann")
    last = store.history("i0")[-1]
    assert event == last
    assert event.seq > second > first  # add_label returns the seq of its row
    assert (event.item_id, event.label, event.who, event.undoes) == ("i0", "cat", "ann", second)
    assert event.time and event.source == last.source
