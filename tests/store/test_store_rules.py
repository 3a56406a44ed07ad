"""Rules of the label store that mutation testing found unpinned: boundaries, defaults,
the fields every record carries back and the messages that say what to fix."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest

from fewlabels.errors import FewlabelsError
from fewlabels.store import CorruptStoreError, LabelStore


@pytest.fixture
def store(tmp_path: Path) -> LabelStore:
    s = LabelStore(tmp_path / "labels.db", classes=["cat", "dog", "owl"])
    s.add_items([f"i{k}" for k in range(6)], hashes=[f"h{k}" for k in range(6)], sources="test")
    return s


@pytest.mark.parametrize("seconds", [0, 0.5, 3600])
def test_busy_timeout_between_zero_and_an_hour_is_accepted(
    store: LabelStore, seconds: float
) -> None:
    assert store.with_busy_timeout(seconds).busy_timeout_s == float(seconds)


@pytest.mark.parametrize("seconds", [-0.1, 3600.5, True, "5"])
def test_busy_timeout_outside_or_not_a_number_is_refused(
    store: LabelStore, seconds: object
) -> None:
    with pytest.raises(
        FewlabelsError, match=r"busy timeout in seconds between 0 and 3600, but got"
    ):
        store.with_busy_timeout(seconds)  # type: ignore[arg-type]


def test_a_store_in_a_new_nested_folder_is_created(tmp_path: Path) -> None:
    s = LabelStore(tmp_path / "a" / "b" / "labels.db")
    assert s.path.exists() and s.n_items() == 0


def test_add_items_counts_only_new_ids_and_keeps_each_source(tmp_path: Path) -> None:
    s = LabelStore(tmp_path / "labels.db")
    assert s.add_items(["a", "b"], hashes=["ha", "hb"], sources=["x.csv", "y.csv"]) == 2
    assert s.add_items(["b", "c", "d"], hashes=["hb2", "hc", "hd"]) == 2
    items = {it.id: it for it in s.items()}
    assert (items["a"].source, items["a"].hash, items["a"].position) == ("x.csv", "ha", 0)
    # a known id takes its new position, source and hash; the default source is ""
    assert (items["b"].source, items["b"].hash, items["b"].position) == ("", "hb2", 0)
    assert (items["c"].position, items["d"].position) == (1, 2)
    assert all(isinstance(it.position, int) for it in s.items())
    with pytest.raises(FewlabelsError, match=r"one hash and one source per id, but got 2 ids, 1"):
        s.add_items(["e", "f"], hashes=["he"])


def test_current_events_carry_every_field(store: LabelStore) -> None:
    store.add_label("i0", "cat", who="ann")
    store.add_label("i0", "dog", who="bob")
    store.add_label("i1", "owl", who="cy", source="imported")
    event = store.current()["i0"]
    assert (event.item_id, event.label, event.who, event.source) == ("i0", "dog", "bob", "human")
    assert isinstance(event.seq, int) and event.undoes is None
    assert datetime.fromisoformat(event.time).tzinfo == timezone.utc
    imported = store.current()["i1"]
    assert (imported.label, imported.who, imported.source) == ("owl", "cy", "imported")
    store.undo()
    back = store.current()["i0"]
    assert back.label == "cat" and back.undoes == event.seq and back.seq > event.seq


def test_default_annotator_is_human(store: LabelStore) -> None:
    store.add_label("i1", "owl")
    assert store.current()["i1"].who == "human"
    store.add_labels([("i2", "cat"), ("i3", "dog")])
    assert {k: store.current()[k].label for k in ("i2", "i3")} == {"i2": "cat", "i3": "dog"}
    assert {store.current()[k].who for k in ("i2", "i3")} == {"human"}


def test_label_counts_list_every_class_and_count_up(store: LabelStore) -> None:
    assert store.label_counts() == {"cat": 0, "dog": 0, "owl": 0}
    store.add_labels([("i0", "cat"), ("i1", "cat"), ("i2", "dog")])
    assert store.label_counts() == {"cat": 2, "dog": 1, "owl": 0}


def test_a_round_reads_back_every_field(store: LabelStore) -> None:
    rid = store.add_round(
        "margin",
        ["i2", "i0", "i5"],
        metrics={"cv_accuracy": 0.75, "n": 3},
        guesses=["dog", None, "cat"],
        confidences=[0.8, None, 0.4],
        second_opinion=["i5"],
    )
    plain = store.add_round("random", ["i1"])
    first, second = store.rounds()
    assert first.id == rid and second.id == plain == rid + 1
    assert first.strategy == "margin" and first.item_ids == ("i2", "i0", "i5")
    assert first.metrics == {"cv_accuracy": 0.75, "n": 3}
    assert first.guesses == ("dog", None, "cat") and first.confidences == (0.8, None, 0.4)
    assert first.second_ids == ("i5",)
    assert datetime.fromisoformat(first.time).tzinfo == timezone.utc
    assert first.closed is None and first.left_ids == ()
    assert second.metrics == {} and second.guesses == (None,) and second.confidences == (None,)
    assert second.second_ids == ()
    left = store.close_round(plain)
    closed = store.latest_round()
    assert left == ["i1"] and closed is not None and closed.left_ids == ("i1",)
    assert closed.closed is not None and datetime.fromisoformat(closed.closed).tzinfo is not None
    with pytest.raises(
        FewlabelsError, match=r"one guess and one confidence per selected id, but got 2"
    ):
        store.add_round("margin", ["i0", "i1"], confidences=[0.5])


def test_progress_names_its_round(store: LabelStore) -> None:
    first = store.add_round("random", ["i0", "i1"])
    store.add_round("random", ["i2"])
    prog = store.progress(first)
    assert prog is not None and prog.round_id == first and (prog.done, prog.total) == (0, 2)
    latest = store.progress()
    assert latest is not None and latest.round_id == first + 1


def test_a_second_opinion_item_is_done_at_two_annotators_not_three(store: LabelStore) -> None:
    rid = store.add_round("random", ["i0", "i1"], second_opinion=["i0"])
    store.add_label("i0", "cat", who="ann")
    prog = store.progress(rid)
    assert prog is not None and prog.done == 0
    store.add_label("i0", "cat", who="bob")
    prog = store.progress(rid)
    assert prog is not None and prog.done == 1


def test_skipping_releases_the_lease_and_reloads_keep_the_first_leased_item(
    store: LabelStore,
) -> None:
    rid = store.add_round("random", ["i0", "i1", "i2", "i3"])
    a = store.next_item(client="a")
    assert a == "i0" and store.next_item(client="a") == "i0"
    store.skip(rid, "i0")
    # i0 is free again: another client may be shown it once it comes round
    assert store.next_item(client="a") == "i1"
    assert store.next_item(client="b") == "i2"
    store.add_labels([("i1", "cat"), ("i2", "cat"), ("i3", "dog")])
    assert store.next_item(client="b") == "i0"


def test_a_skip_is_recorded_for_its_item_only(store: LabelStore) -> None:
    rid = store.add_round("random", ["i0", "i1", "i2"])
    store.skip(rid, "i1")
    store.skip(rid, "i0")
    assert store.next_item() == "i2"
    store.add_label("i2", "cat")
    assert store.next_item() == "i1"  # skipped first, so it comes back first
    prog = store.progress(rid)
    assert prog is not None and prog.skipped == 2


def test_undo_of_a_row_that_does_not_exist_says_which(store: LabelStore) -> None:
    store.add_label("i0", "cat")
    with pytest.raises(
        FewlabelsError, match=r"a label history row with seq=999, but there is none"
    ):
        store.undo(999)


def test_a_sqlite_file_with_the_tables_but_no_format_marker_is_refused(
    store: LabelStore, tmp_path: Path
) -> None:
    con = sqlite3.connect(store.path)
    con.execute("DELETE FROM meta WHERE key='format'")
    con.commit()
    con.close()
    with pytest.raises(
        CorruptStoreError, match=r"without the tables \[\] / format marker \(found None\)"
    ):
        LabelStore(store.path)
