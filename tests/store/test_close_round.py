"""A round can be closed with items left: they return to the pool, nothing is lost silently."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from fewlabels.store import LabelStore


@pytest.fixture
def store(tmp_path: Path) -> LabelStore:
    s = LabelStore(tmp_path / "labels.db", classes=["cat", "dog"])
    s.add_items([f"i{k}" for k in range(6)], hashes=[f"h{k}" for k in range(6)], sources="test")
    return s


def test_an_item_that_fits_no_class_no_longer_blocks_the_round(store: LabelStore) -> None:
    rid = store.add_round("random", ["i0", "i1", "i2"])
    store.add_label("i0", "cat")
    store.skip(rid, "i1")  # fits no class: skipping only moves it to the end
    assert store.next_item(client="c" * 32) is not None
    assert store.latest_round().closed is None  # type: ignore[union-attr]
    left = store.close_round()
    assert left == ["i2", "i1"]  # still unlabelled, in queue order
    assert store.next_item() is None and store.next_item(client="c" * 32) is None
    rnd = store.latest_round()
    assert rnd is not None and rnd.closed is not None and rnd.left_ids == ("i2", "i1")
    prog = store.progress()
    assert prog is not None and prog.closed and (prog.done, prog.total) == (1, 3)
    assert store.current_labels() == {"i0": "cat"}  # no label written for the leftovers
    assert store.close_round(rid) == []  # closing again changes nothing
    assert store.latest_round().left_ids == ("i2", "i1")  # type: ignore[union-attr]
    store.add_round("random", ["i1", "i3"])  # the leftovers can be picked again
    assert store.next_item() == "i1" and not store.progress().closed  # type: ignore[union-attr]


def test_closing_needs_a_round(store: LabelStore) -> None:
    with pytest.raises(KeyError, match="a round to close, but there is none"):
        store.close_round()
    store.add_round("random", ["i0"])
    with pytest.raises(KeyError, match="round 7"):
        store.close_round(7)


def test_a_file_made_before_closed_rounds_gets_the_table(store: LabelStore) -> None:
    store.add_round("random", ["i0", "i1"])
    con = sqlite3.connect(store.path)
    con.execute("DROP TABLE closed_rounds")
    con.commit()
    con.close()
    again = LabelStore(store.path)
    assert again.latest_round().closed is None  # type: ignore[union-attr]
    assert again.close_round() == ["i0", "i1"]
