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


def test_exclude_many_passes_over_items_excluded_already_and_goes_on(store: LabelStore) -> None:
    store.exclude("i0", who="ana")
    done = store.exclude_many(["i0", "i1", "i2"], who="ben")  # i0 first: skipped, not the end
    assert [(r.item_id, r.who, r.reason) for r in done] == [
        ("i1", "ben", "none of these"),
        ("i2", "ben", "none of these"),
    ]
    assert set(store.excluded()) == {"i0", "i1", "i2"}
    back = store.include_many(["i3", "i1"], who="ana")  # i3 is in the pool: skipped
    assert [(r.item_id, r.excluded, r.reason) for r in back] == [("i1", False, None)]


def test_the_records_returned_are_the_rows_of_the_history(store: LabelStore) -> None:
    written = [store.exclude("i0", who="ana", reason="blurry"), store.include("i0", who="ben")]
    written += store.exclude_many(["i1"], who="ana", reason="off topic")
    assert store.exclusion_history() == written
    assert all(r.time and r.seq > 0 for r in written)
    assert store.exclusion_history("i1") == written[2:]  # one item's rows only
    assert store.exclusion_history("i4") == []


def test_unknown_ids_are_listed_up_to_ten_then_an_ellipsis(store: LabelStore) -> None:
    ten = [f"u{k:02d}" for k in range(10)]
    with pytest.raises(MissingKeyError) as caught:
        store.exclude_many(ten, who="ana")
    assert f"10 are not: {ten} (unknown, or forgotten). Nothing was written; check the ids" in (
        str(caught.value)
    )
    assert "(`fewlabels export` lists them)." in str(caught.value)
    with pytest.raises(MissingKeyError) as caught:
        store.exclude_many([*ten, "u10"], who="ana")
    assert f"11 are not: {ten} ... (unknown, or forgotten)." in str(caught.value)
    assert store.exclusion_history() == []


def test_excluding_again_says_how_to_bring_it_back(store: LabelStore) -> None:
    store.exclude("i0", who="ana", reason="blurry")
    with pytest.raises(
        StateError,
        match=r"already excluded by ana at .* \(blurry\)\. Nothing was written; bring it back "
        r"first with `fewlabels include`\.$",
    ):
        store.exclude("i0", who="ben")


def test_exclusion_drops_the_items_leases_bringing_back_leaves_leases_alone(
    store: LabelStore,
) -> None:
    def leased() -> set[str]:
        return {r[0] for r in sqlite3.connect(store.path).execute("SELECT item_id FROM leases")}

    store.lease("i0", "page-1")
    store.lease("i1", "page-2")
    store.exclude("i0", who="ana")
    assert leased() == {"i1"}
    store.lease("i0", "page-3")  # a page holds the excluded item (e.g. to show it again)
    store.include("i0", who="ana")
    assert leased() == {"i0", "i1"}


def test_votes_of_some_items_only_and_items_without_a_human_vote(store: LabelStore) -> None:
    store.add_label("i0", "a", who="ana")
    store.add_label("i1", "b", who="ben")
    store.add_label("i2", "a", who="importer", source="imported")  # no human vote
    store.undo(store.add_label("i3", "a", who="imp", source="imported"))  # undo of a non-vote
    assert set(store.votes(["i0"])) == {"i0"}
    some = store.votes(["i1", "i0"])
    assert {k: (v.item_id, v.votes) for k, v in some.items()} == {
        "i0": ("i0", {"ana": "a"}),
        "i1": ("i1", {"ben": "b"}),
    }
    assert store.votes([]) == {}
    every = store.votes()
    assert every["i2"].votes == {} and every["i2"].current_seq is not None
    assert every["i3"].votes == {} and every["i3"].current_seq is None  # undone: unlabelled


def test_an_undone_item_has_no_current_seq(store: LabelStore) -> None:
    seq = store.add_label("i0", "a", who="ana")
    assert store.votes()["i0"].current_seq == seq
    store.undo(seq)
    after = store.votes()["i0"]
    assert after.current_seq is None and after.votes == {} and after.item_id == "i0"


def test_a_review_returns_its_history_row(store: LabelStore) -> None:
    store.add_label("i0", "a", who="ana")
    kept = store.review("i0", "keep", who="ben")
    changed = store.review("i0", "change", who="cleo", label="b")
    assert store.history("i0")[1:] == [kept, changed]
    assert kept.item_id == "i0" and kept.time


def test_reviewing_a_gone_item_names_it_and_writes_nothing(store: LabelStore) -> None:
    for action, label in (("keep", None), ("change", "a"), ("exclude", None)):
        with pytest.raises(
            MissingKeyError,
            match=r"^Expected a registered item to review, but 'gone' is not in the store any "
            r"more \(forgotten meanwhile\)\. Nothing was written\.$",
        ):
            store.review("gone", action, who="ana", label=label)
    with pytest.raises(
        StateError,
        match=r"to keep, but it has none now \(undone meanwhile\)\. Nothing was written; "
        r"choose a label instead\.$",
    ):
        store.review("i1", "keep", who="ana")
    assert store.history() == [] and store.exclusion_history() == []


def test_the_excluded_state_is_each_items_latest_record(store: LabelStore) -> None:
    store.exclude("i0", who="ana", reason="blurry")
    store.include("i0", who="ben")
    latest = store.exclude("i0", who="cleo", reason="off topic")
    other = store.exclude("i3", who="ana")
    assert store.excluded() == {"i0": latest, "i3": other}
    assert store.excluded()["i0"] == store.exclusion_history("i0")[-1]
