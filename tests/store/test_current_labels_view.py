"""The ``current_labels`` view: the one place the rule "latest history row wins" is written."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from fewlabels.store import LabelStore


@pytest.fixture
def store(tmp_path: Path) -> LabelStore:
    s = LabelStore(tmp_path / "labels.db", classes=["cat", "dog"])
    s.add_items(["i0", "i1", "i2"], hashes=["h0", "h1", "h2"])
    return s


def _view(path: Path) -> dict[str, tuple[str, str]]:
    """``{item_id: (label, source)}`` read straight from the view with plain sqlite3."""
    con = sqlite3.connect(path)
    try:
        rows = con.execute("SELECT item_id, label, source FROM current_labels").fetchall()
    finally:
        con.close()
    return {r[0]: (r[1], r[2]) for r in rows}


def _has_view(path: Path) -> bool:
    con = sqlite3.connect(path)
    try:
        row = con.execute(
            "SELECT 1 FROM sqlite_master WHERE type='view' AND name='current_labels'"
        ).fetchone()
    finally:
        con.close()
    return row is not None


def test_a_new_store_has_the_view(store: LabelStore) -> None:
    assert _has_view(store.path)
    assert _view(store.path) == {}


def test_the_view_follows_relabel_and_undo(store: LabelStore) -> None:
    store.add_label("i0", "cat")
    store.add_label("i0", "dog")  # relabel: the latest row wins
    store.add_label("i1", "dog", source="imported")
    store.add_label("i2", "cat")
    assert _view(store.path) == {
        "i0": ("dog", "human"),
        "i1": ("dog", "imported"),
        "i2": ("cat", "human"),
    }
    store.undo()  # i2 back to unlabelled: the clearing row hides it
    assert _view(store.path) == {"i0": ("dog", "human"), "i1": ("dog", "imported")}
    store.undo()  # i0 back to cat (the undo row is now its current label)
    assert _view(store.path) == {"i0": ("cat", "human"), "i1": ("dog", "imported")}
    assert {k: e.label for k, e in store.current().items()} == {"i0": "cat", "i1": "dog"}
    assert store.current_labels() == {"i0": "cat", "i1": "dog"}


def test_pending_items_of_a_round_use_the_same_rule(store: LabelStore) -> None:
    rid = store.add_round("random", ["i0", "i1", "i2"])
    store.add_label("i0", "cat")
    store.add_label("i1", "dog", source="pseudo")  # a pseudo-label leaves an item to label
    progress = store.progress(rid)
    assert progress is not None and (progress.done, progress.total) == (1, 3)
    store.undo()  # i0 is unlabelled again
    assert store.next_item(rid) == "i0"


def test_an_older_file_without_the_view_gets_it_when_opened(store: LabelStore) -> None:
    store.add_label("i0", "cat")
    store.add_label("i0", "dog")
    con = sqlite3.connect(store.path)
    con.execute("DROP VIEW current_labels")  # a labels.db made before the view existed
    con.commit()
    con.close()
    assert not _has_view(store.path)
    reopened = LabelStore(store.path)
    assert _has_view(store.path)
    assert reopened.current_labels() == {"i0": "dog"}
    again = LabelStore(store.path)  # idempotent: opening it again changes nothing
    assert again.current_labels() == {"i0": "dog"}
    assert _view(store.path) == {"i0": ("dog", "human")}
