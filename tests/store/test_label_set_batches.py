"""Bulk actions of a multi-label store: add one class to each item's set, undone as one."""

from __future__ import annotations

from pathlib import Path

import pytest

import fewlabels.store as store_pkg
from fewlabels.errors import FewlabelsError, MissingKeyError, StateError
from fewlabels.store import LabelStore, decode_label_set, encode_label_set


@pytest.fixture
def store(tmp_path: Path) -> LabelStore:
    s = LabelStore(tmp_path / "labels.db", classes=["a", "b", "c"], task="multilabel")
    s.add_items(["i0", "i1", "i2", "i3"], hashes=["h"] * 4, sources=["x"] * 4)
    return s


def _seen(s: LabelStore, item_id: str) -> int | None:
    ev = s.current().get(item_id)
    return None if ev is None else ev.seq


def test_label_set_codec_is_exported_from_the_store_package() -> None:
    assert "encode_label_set" in store_pkg.__all__ and "decode_label_set" in store_pkg.__all__
    text = encode_label_set(["c", "a", "a"], ["a", "b", "c"])
    assert text == '["a", "c"]' and decode_label_set(text) == ("a", "c")


def test_adds_the_class_to_each_current_set(store: LabelStore) -> None:
    store.add_label_sets([("i0", ["c"]), ("i1", []), ("i2", ["b"])], who="ana")
    items = [(i, _seen(store, i)) for i in ("i0", "i1", "i2", "i3")]
    out = store.add_to_label_sets(items, "b", batch="g1", who="ben")
    assert sorted(out.written) == ["i0", "i1", "i2", "i3"] and out.changed == []
    assert out.label == "b"
    assert store.current_label_sets() == {
        "i0": ("b", "c"),  # class order, not order of adding
        "i1": ("b",),  # the empty set grows too
        "i2": ("b",),  # already held: the same set again, now from ben
        "i3": ("b",),  # unlabelled: {b}
    }
    assert {e.who for e in store.current().values()} == {"ben"}


def test_undo_batch_gives_every_item_its_previous_set(store: LabelStore) -> None:
    store.add_label_sets([("i0", ["c"]), ("i1", [])], who="ana")
    items = [(i, _seen(store, i)) for i in ("i0", "i1", "i2")]
    store.add_to_label_sets(items, "a", batch="g1", who="ana")
    out = store.undo_batch("g1")
    assert sorted(e.item_id for e in out.undone) == ["i0", "i1", "i2"] and out.changed == []
    assert store.current_label_sets() == {"i0": ("c",), "i1": ()}  # i2 unlabelled again


def test_an_item_labelled_meanwhile_is_left_and_reported(store: LabelStore) -> None:
    shown = {i: _seen(store, i) for i in ("i0", "i1")}  # both shown unlabelled
    store.add_label_sets([("i1", ["c"])], who="carl")  # another page, meanwhile
    out = store.add_to_label_sets(list(shown.items()), "a", batch="g1", who="ana")
    assert list(out.written) == ["i0"]
    assert [(e.item_id, e.label, e.who) for e in out.changed] == [("i1", '["c"]', "carl")]
    assert store.current_label_sets() == {"i0": ("a",), "i1": ("c",)}
    # sent again with the seq the report gives, it is labelled: c and a
    again = store.add_to_label_sets([("i1", out.changed[0].seq)], "a", batch="g2", who="ana")
    assert list(again.written) == ["i1"] and store.current_label_sets()["i1"] == ("a", "c")


def test_a_set_undone_meanwhile_is_reported_unlabelled(store: LabelStore) -> None:
    seq = store.add_label_sets([("i0", ["b"])], who="ana")[0]
    store.undo(seq)
    out = store.add_to_label_sets([("i0", seq)], "a", batch="g1", who="ana")
    assert out.written == {} and [(e.item_id, e.label, e.seq) for e in out.changed] == [
        ("i0", None, 0)
    ]


def test_bad_input_writes_nothing(store: LabelStore) -> None:
    n = len(store.history())
    with pytest.raises(FewlabelsError, match=r"among the classes .* but got \['z'\]"):
        store.add_to_label_sets([("i0", None)], "z", batch="g1")
    with pytest.raises(MissingKeyError, match="'nope' is not in"):
        store.add_to_label_sets([("i0", None), ("nope", None)], "a", batch="g1")
    store.add_to_label_sets([("i0", None)], "a", batch="g1")
    with pytest.raises(FewlabelsError, match="already names labels"):
        store.add_to_label_sets([("i1", None)], "a", batch="g1")
    assert len(store.history()) == n + 1
    with pytest.raises(StateError, match="Use add_to_label_sets"):
        store.add_batch([("i1", None)], "a", batch="g2")


def test_a_single_label_store_refuses_set_batches(tmp_path: Path) -> None:
    s = LabelStore(tmp_path / "one.db", classes=["a", "b"])
    s.add_items(["i0"], hashes=["h"], sources=["x"])
    with pytest.raises(StateError, match="one label per item .* Use add_batch"):
        s.add_to_label_sets([("i0", None)], "a", batch="g1")
    assert s.history() == []
