"""The exact rules of ``store/batches.py``: what a batch write and its undo report and keep."""

from __future__ import annotations

from pathlib import Path

import pytest

from fewlabels.errors import FewlabelsError
from fewlabels.store import LabelStore


@pytest.fixture
def store(tmp_path: Path) -> LabelStore:
    s = LabelStore(tmp_path / "labels.db", classes=["a", "b"])
    s.add_items(["i0", "i1", "i2", "i3"], hashes=["h"] * 4, sources=["x"] * 4)
    return s


@pytest.fixture
def sets(tmp_path: Path) -> LabelStore:
    """A multi-label store whose classes are not in alphabetical order."""
    s = LabelStore(tmp_path / "sets.db", classes=["c", "a", "b"], task="multilabel")
    s.add_items(["i0", "i1", "i2"], hashes=["h"] * 3, sources=["x"] * 3)
    return s


def test_a_batch_write_reports_its_name_and_label_and_defaults_to_a_human(
    store: LabelStore,
) -> None:
    out = store.add_batch([("i0", None)], "a", batch="g1")
    assert (out.batch, out.label) == ("g1", "a")
    (event,) = store.history()
    assert (event.who, event.source, event.label) == ("human", "human", "a")
    undone = store.undo_batch("g1")
    assert undone.batch == "g1" and [e.item_id for e in undone.undone] == ["i0"]


def test_adding_to_label_sets_defaults_to_a_human(sets: LabelStore) -> None:
    out = sets.add_to_label_sets([("i0", None)], "a", batch="g1")
    assert (out.batch, out.label) == ("g1", "a")
    (event,) = sets.history()
    assert (event.who, event.source) == ("human", "human")


def test_an_item_is_written_once_per_batch_and_the_items_after_it_still_are(
    store: LabelStore,
) -> None:
    # The second entry names the row the first one writes (seq 1, the store's first label),
    # so it is not "changed meanwhile": it is skipped as already written, and i1 after it
    # is still labelled.
    out = store.add_batch([("i0", None), ("i0", 1), ("i1", None)], "b", batch="g1")
    assert out.written == {"i0": 1, "i1": 2} and out.changed == []
    assert [e.item_id for e in store.history()] == ["i0", "i1"]
    # Sent again with the seq shown before the batch, the repeat is reported as changed.
    again = store.add_batch([("i2", None), ("i2", None)], "a", batch="g2")
    assert list(again.written) == ["i2"] and [e.item_id for e in again.changed] == ["i2"]


def test_an_item_undone_meanwhile_is_reported_as_an_unlabelled_human_row(
    store: LabelStore,
) -> None:
    seq = store.add_label("i0", "a", who="ana")
    store.undo(seq)
    out = store.add_batch([("i0", seq), ("i1", None)], "b", batch="g1", who="ben")
    assert list(out.written) == ["i1"]
    (event,) = out.changed
    assert (event.seq, event.item_id, event.label, event.who, event.source) == (
        0,
        "i0",
        None,
        "",
        "human",
    )
    assert isinstance(event.time, str) and event.time == store.history("i1")[-1].time


def test_a_set_grows_in_class_order_not_alphabetical_order(sets: LabelStore) -> None:
    sets.add_label_sets([("i0", ["b"]), ("i1", ["a"])], who="ana")
    items = [(i, sets.current()[i].seq) for i in ("i0", "i1")]
    sets.add_to_label_sets(items, "c", batch="g1", who="ana")
    assert sets.current_label_sets() == {"i0": ("c", "b"), "i1": ("c", "a")}
    assert sets.current()["i0"].label == '["c", "b"]'


def test_a_class_outside_the_classes_is_refused_even_for_no_items(sets: LabelStore) -> None:
    with pytest.raises(FewlabelsError, match=r"among the classes \['c', 'a', 'b'\]"):
        sets.add_to_label_sets([], "z", batch="g1")
    assert sets.history() == []


def test_undo_batch_goes_on_past_a_label_undone_alone_before(store: LabelStore) -> None:
    seqs = store.add_labels([("i0", "a"), ("i1", "a"), ("i2", "a")], who="ana", batch="g1")
    store.undo(seqs[0])  # the first label of the batch, undone on its own
    out = store.undo_batch("g1")
    assert [e.item_id for e in out.undone] == ["i1", "i2"] and out.changed == []
    assert store.current_labels() == {}


def test_undo_batch_goes_on_past_an_item_relabelled_since(store: LabelStore) -> None:
    store.add_labels([("i0", "a"), ("i1", "a"), ("i2", "a")], who="ana", batch="g1")
    store.add_label("i0", "b", who="ben")  # the first item of the batch, relabelled
    out = store.undo_batch("g1")
    assert [e.item_id for e in out.undone] == ["i1", "i2"] and out.changed == ["i0"]
    assert store.current_labels() == {"i0": "b"}


def test_the_wrong_kind_of_batch_says_which_call_to_use(
    store: LabelStore, sets: LabelStore
) -> None:
    with pytest.raises(
        FewlabelsError,
        match=r"holds label sets \(task 'multilabel'\)\. Use add_to_label_sets to add a class "
        r"to each item's set\.$",
    ):
        sets.add_batch([("i0", None)], "a", batch="g1")
    with pytest.raises(
        FewlabelsError, match=r"holds one label per item \(task 'single'\)\. Use add_batch\.$"
    ):
        store.add_to_label_sets([("i0", None)], "a", batch="g1")
    assert store.history() == [] and sets.history() == []
