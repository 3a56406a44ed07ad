"""Exclusion ("none of these"), annotator votes, review decisions and second opinions."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from fewlabels.errors import FewlabelsError, MissingKeyError, StateError
from fewlabels.store import LabelStore, check_annotator
from fewlabels.store.label_store import _CLOSED_ROUNDS, _CURRENT_LABELS_VIEW, _SCHEMA


@pytest.fixture
def store(tmp_path: Path) -> LabelStore:
    s = LabelStore(tmp_path / "labels.db", classes=["a", "b"])
    s.add_items([f"i{k}" for k in range(5)], hashes=["h"] * 5)
    return s


def test_exclude_include_twice_keeps_the_history_and_the_latest_state(store: LabelStore) -> None:
    first = store.exclude("i1", who="ana")
    assert first.excluded and first.reason == "none of these" and first.who == "ana"
    assert set(store.excluded()) == {"i1"}
    with pytest.raises(StateError, match=r"already excluded by ana .*Nothing was written"):
        store.exclude("i1", who="ben")
    store.include("i1", who="ben")
    assert store.excluded() == {}
    with pytest.raises(StateError, match="is in the pool"):
        store.include("i1", who="ben")
    store.exclude("i1", who="ben", reason="off topic")
    store.include("i1", who="ana")
    hist = store.exclusion_history("i1")
    assert [(e.excluded, e.who, e.reason) for e in hist] == [
        (True, "ana", "none of these"),
        (False, "ben", None),
        (True, "ben", "off topic"),
        (False, "ana", None),
    ]
    assert [e.seq for e in hist] == sorted(e.seq for e in hist)
    assert store.excluded() == {} and store.n_items() == 5  # the item stays in the store


def test_exclude_many_refuses_unknown_ids_and_writes_nothing(store: LabelStore) -> None:
    with pytest.raises(MissingKeyError, match=r"1 are not: \['nope'\].*Nothing was written"):
        store.exclude_many(["i0", "nope"], who="ana")
    assert store.exclusion_history() == []
    done = store.exclude_many(["i0", "i2", "i0"], who="ana")
    assert [r.item_id for r in done] == ["i0", "i2"]
    assert store.exclude_many(["i0"], who="ana") == []  # excluded already: unchanged
    assert [r.item_id for r in store.include_many(["i0", "i3"], who="ana")] == ["i0"]
    assert set(store.excluded()) == {"i2"}


def test_an_excluded_item_counts_as_done_and_is_not_shown(store: LabelStore) -> None:
    store.add_round("random", ["i0", "i1", "i2"])
    store.add_label("i0", "a")
    assert store.next_item(client="c1") == "i1"
    store.exclude("i1", who="ana")
    prog = store.progress()
    assert prog is not None and (prog.done, prog.total) == (2, 3)
    assert store.next_item(client="c1") == "i2"
    store.add_label("i2", "b")
    assert store.next_item() is None  # the round is done: the off-topic item no longer blocks it
    store.include("i1", who="ana")
    assert store.next_item() == "i1"


def test_excluded_labels_leave_the_counts_but_stay_in_the_history(store: LabelStore) -> None:
    store.add_label("i0", "a")
    store.add_label("i1", "a")
    store.exclude("i1", who="ana")
    assert store.label_counts() == {"a": 1, "b": 0}
    assert store.current_labels(with_excluded=False) == {"i0": "a"}
    assert store.current_labels() == {"i0": "a", "i1": "a"}


def test_an_old_file_without_the_tables_gets_them_on_open(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    con = sqlite3.connect(path, isolation_level=None)
    con.executescript(_SCHEMA + _CLOSED_ROUNDS + _CURRENT_LABELS_VIEW)
    con.execute("INSERT INTO meta VALUES ('format', 'fewlabels-labels')")
    con.execute("INSERT INTO meta VALUES ('version', '1')")
    con.execute("INSERT INTO items VALUES ('x', 0, '', 'h', 'now')")
    con.execute("INSERT INTO rounds (strategy, time, metrics) VALUES ('random', 'now', '{}')")
    con.execute("INSERT INTO round_items VALUES (1, 0, 'x', NULL, NULL)")
    con.close()
    store = LabelStore(path)
    names = {r[0] for r in sqlite3.connect(path).execute("SELECT name FROM sqlite_master")}
    assert {"exclusions", "review_labels"} <= names
    rnd = store.latest_round()
    assert rnd is not None and rnd.item_ids == ("x",) and rnd.second_ids == ()
    store.exclude("x", who="ana")
    assert set(LabelStore(path).excluded()) == {"x"}  # opening again changes nothing


def test_annotator_names_are_checked() -> None:
    assert check_annotator("  ana ") == "ana"
    with pytest.raises(FewlabelsError, match="annotator name, but it is empty"):
        check_annotator("   ")
    with pytest.raises(FewlabelsError, match="at most 64 characters, but got 65"):
        check_annotator("x" * 65)
    assert check_annotator("x" * 64) == "x" * 64
    with pytest.raises(FewlabelsError, match="control characters"):
        check_annotator("a\nb")
    with pytest.raises(FewlabelsError, match="a string"):
        check_annotator(3)


def test_empty_annotator_writes_nothing(store: LabelStore) -> None:
    with pytest.raises(FewlabelsError, match="empty"):
        store.exclude("i0", who="")
    assert store.exclusion_history() == []


def test_votes_follow_undo_and_leave_reviews_out(store: LabelStore) -> None:
    store.add_label("i0", "a", who="ana")
    seq = store.add_label("i0", "b", who="ben")
    votes = store.votes()["i0"]
    assert votes.votes == {"ana": "a", "ben": "b"} and votes.conflicting
    assert not votes.current_is_review
    store.undo(seq)
    assert store.votes()["i0"].votes == {"ana": "a"}
    store.add_label("i0", "b", who="ben")
    ev = store.review("i0", "keep", who="cleo")
    assert ev.label == "b" and ev.who == "cleo" and ev.source == "human"
    after = store.votes()["i0"]
    assert after.votes == {"ana": "a", "ben": "b"} and after.current_is_review
    assert after.current_seq == ev.seq


def test_review_change_exclude_and_the_later_decision_wins(store: LabelStore) -> None:
    store.add_label("i0", "a", who="ana")
    store.review("i0", "change", who="ben", label="b")
    store.review("i0", "keep", who="cleo")  # a second page decides later: it wins
    hist = store.history("i0")
    assert [(e.label, e.who) for e in hist] == [("a", "ana"), ("b", "ben"), ("b", "cleo")]
    assert store.current_labels() == {"i0": "b"}
    rec = store.review("i0", "exclude", who="dan")
    assert rec.excluded and rec.reason == "review"
    with pytest.raises(StateError, match=r"excluded by dan .* meanwhile\. Nothing was written"):
        store.review("i0", "keep", who="ana")
    with pytest.raises(StateError, match="already excluded by dan"):
        store.review("i0", "exclude", who="ana")
    assert len(store.history("i0")) == 3


def test_review_refuses_bad_input_and_missing_items(store: LabelStore) -> None:
    with pytest.raises(MissingKeyError, match="forgotten meanwhile"):
        store.review("gone", "keep", who="ana")
    with pytest.raises(StateError, match="has none now"):
        store.review("i1", "keep", who="ana")
    with pytest.raises(FewlabelsError, match="review action in"):
        store.review("i1", "drop", who="ana")
    with pytest.raises(FewlabelsError, match="label with the review action 'change' only"):
        store.review("i1", "change", who="ana")
    with pytest.raises(FewlabelsError, match="among the classes"):
        store.review("i1", "change", who="ana", label="zzz")
    assert store.history() == []


def test_a_second_opinion_item_waits_for_another_annotator(store: LabelStore) -> None:
    store.add_label("i0", "a", who="ana")
    store.add_round("random", ["i0", "i3"], second_opinion=["i0"])
    rnd = store.latest_round()
    assert rnd is not None and rnd.second_ids == ("i0",)
    assert store.next_item(annotator="ana") == "i3"  # never back to who labelled it
    assert store.next_item(annotator="ben") == "i0"
    prog = store.progress()
    assert prog is not None and prog.done == 0
    store.add_label("i0", "b", who="ben")
    prog = store.progress()
    assert prog is not None and prog.done == 1
    assert store.next_item(annotator="ben") == "i3"
