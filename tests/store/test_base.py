"""What the store's mixins share: opening a file never writes unless something is missing."""

import sqlite3
from pathlib import Path

import pytest

from fewlabels.errors import FewlabelsError, MissingKeyError
from fewlabels.store import LabelStore


def test_opening_a_current_store_writes_nothing_so_a_held_write_lock_does_not_block_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "labels.db"
    store = LabelStore(path, classes=["a", "b"])
    store.add_items(["1"], hashes=["h"])
    store.add_label("1", "a")
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another page is writing right now
        other.execute("INSERT INTO meta VALUES ('other', 'writer')")
        # With no wait for a lock, any write on open (a schema upgrade re-run) would fail.
        again = LabelStore(path, busy_timeout_s=0, classes=["a", "b"])
        assert again.classes == ("a", "b")
        assert {k: e.label for k, e in again.current().items()} == {"1": "a"}
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_an_old_file_gets_the_view_and_the_closed_rounds_table_once(tmp_path: Path) -> None:
    path = tmp_path / "labels.db"
    store = LabelStore(path, classes=["a", "b"])
    store.add_items(["1", "2"], hashes=["h1", "h2"])
    store.add_label("1", "a")
    con = sqlite3.connect(path)
    con.execute("DROP VIEW current_labels")
    con.execute("DROP TABLE closed_rounds")
    con.commit()
    con.close()
    again = LabelStore(path)
    names = {
        r[0]
        for r in sqlite3.connect(path).execute(
            "SELECT name FROM sqlite_master WHERE name IN ('current_labels', 'closed_rounds')"
        )
    }
    assert names == {"current_labels", "closed_rounds"}
    assert {k: e.label for k, e in again.current().items()} == {"1": "a"}
    assert LabelStore(path).current().keys() == {"1"}  # opened again: nothing to add, no error


def test_a_set_given_as_text_is_kept_in_the_stores_class_order_not_sorted(tmp_path: Path) -> None:
    store = LabelStore(tmp_path / "labels.db", classes=["dog", "cat"], task="multilabel")
    store.add_items(["1"], hashes=["h"])
    store.add_label("1", '["cat", "dog", "cat"]')  # a set written as JSON text, repeats collapse
    assert [e.label for e in store.history("1")] == ['["dog", "cat"]']
    assert store.current_label_sets() == {"1": ("dog", "cat")}


def _columns(path: Path, table: str) -> set[str]:
    return {r[1] for r in sqlite3.connect(path).execute(f"PRAGMA table_info({table})")}


def test_an_old_file_missing_only_the_second_opinion_column_gets_it(tmp_path: Path) -> None:
    path = tmp_path / "labels.db"
    LabelStore(path, classes=["a", "b"]).add_items(["1"], hashes=["h"])
    con = sqlite3.connect(path)
    con.execute("ALTER TABLE round_items DROP COLUMN second")  # exclusions tables still there
    con.commit()
    con.close()
    assert "second" not in _columns(path, "round_items")
    store = LabelStore(path)
    assert "second" in _columns(path, "round_items")
    store.add_round("random", ["1"], second_opinion=["1"])
    assert store.rounds()[-1].second_ids == ("1",)


def test_an_old_file_missing_only_the_exclusion_tables_gets_them(tmp_path: Path) -> None:
    path = tmp_path / "labels.db"
    LabelStore(path, classes=["a", "b"]).add_items(["1"], hashes=["h"])
    con = sqlite3.connect(path)
    con.execute("DROP TABLE exclusions")  # the second column of round_items is still there
    con.commit()
    con.close()
    store = LabelStore(path)
    assert store.exclude("1", who="ana").excluded
    assert set(store.excluded()) == {"1"}


def test_an_old_file_missing_the_batch_table_gets_it(tmp_path: Path) -> None:
    path = tmp_path / "labels.db"
    LabelStore(path, classes=["a", "b"]).add_items(["1"], hashes=["h"])
    con = sqlite3.connect(path)
    con.execute("DROP TABLE label_batches")
    con.commit()
    con.close()
    store = LabelStore(path)
    store.add_labels([("1", "a")], batch="grid-1")
    assert "batch" in _columns(path, "label_batches")


def test_an_unregistered_item_is_refused_with_where_labels_may_come_from(tmp_path: Path) -> None:
    store = LabelStore(tmp_path / "labels.db", classes=["a", "b"])
    with pytest.raises(
        MissingKeyError,
        match=r"but 'nope' is not in .*\. Only items of the workspace's data source can be "
        r"labelled\.$",
    ):
        store.add_label("nope", "a")


def test_a_set_given_as_text_must_come_from_the_classes(tmp_path: Path) -> None:
    store = LabelStore(tmp_path / "labels.db", classes=["dog", "cat"], task="multilabel")
    store.add_items(["1"], hashes=["h"])
    with pytest.raises(
        FewlabelsError, match=r"among the classes \['dog', 'cat'\], but got \['z'\]"
    ):
        store.add_label("1", '["dog", "z"]')
    assert store.history() == []
