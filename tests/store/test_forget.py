"""Forgetting in the store: rows gone everywhere, a tombstone without the id, nothing on error."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from pathlib import Path

import pytest

from fewlabels.errors import FewlabelsError
from fewlabels.store import LabelStore

IDS = [f"secret-{k}" for k in range(8)]


@pytest.fixture
def store(tmp_path: Path) -> LabelStore:
    s = LabelStore(tmp_path / "labels.db", classes=["cat", "dog"])
    s.add_items(IDS, hashes=[f"h{k}" for k in range(8)], sources="test")
    s.add_label("secret-0", "cat")
    s.add_label("secret-1", "dog")
    s.add_label("secret-1", "cat")
    s.undo()  # secret-1 is dog again, through an undo row
    s.add_label("secret-5", "dog")
    return s


def _raw(store: LabelStore) -> bytes:
    """Every byte of the store's files (the database, its WAL and shared memory)."""
    files = [store.path, *store.path.parent.glob(store.path.name + "-*")]
    return b"".join(p.read_bytes() for p in files if p.is_file())


def test_forget_removes_every_row_and_leaves_a_tombstone_without_the_id(
    store: LabelStore,
) -> None:
    rid = store.add_round("random", ["secret-0", "secret-2", "secret-3"])
    store.skip(rid, "secret-2")
    assert store.next_item(client="c" * 32) == "secret-3"
    before = store.pool_fingerprint()
    record = store.forget(["secret-0", "secret-1", "secret-2", "secret-0"], who="alice")
    assert record.n_items == 3 and record.who == "alice"
    assert record.n_rows["items"] == 3 and record.n_rows["labels"] == 4
    assert record.n_rows["round_items"] == 2 and record.n_rows["skips"] == 1
    assert record.pool_fingerprint == store.pool_fingerprint() != before
    assert [it.id for it in store.items()] == IDS[3:]
    assert {e.item_id for e in store.history()} == {"secret-5"}
    assert store.current_labels() == {"secret-5": "dog"}
    rnd = store.latest_round()
    assert rnd is not None and rnd.item_ids == ("secret-3",)
    tombs = store.tombstones()
    assert len(tombs) == 3 and {t.event for t in tombs} == {record.event}
    assert all(t.who == "alice" and len(t.id_hash) == 32 for t in tombs)
    assert not any(i in repr(tombs) for i in IDS)
    assert store.forgotten(IDS) == ["secret-0", "secret-1", "secret-2"]
    assert record.checkpointed
    raw = _raw(store)
    for gone in ("secret-0", "secret-1", "secret-2"):
        assert gone.encode() not in raw  # secure_delete + checkpoint: not even in free pages
    assert b"secret-3" in raw  # the check can fail: kept ids are found in the same bytes


def test_ids_in_closed_rounds_and_round_metrics_are_scrubbed(store: LabelStore) -> None:
    store.add_round("random", ["secret-2", "secret-3"])
    assert store.close_round() == ["secret-2", "secret-3"]
    store.add_round(
        "random", ["secret-4"], metrics={"previous_round": {"left": 2, "left_ids": IDS[2:4]}}
    )
    store.forget(["secret-2"], who="bob")
    first, second = store.rounds()
    assert first.left_ids == ("secret-3",)
    assert second.metrics["previous_round"] == {"left": 2, "left_ids": ["secret-3"]}
    assert b"secret-2" not in _raw(store)


def test_unknown_ids_are_listed_and_nothing_is_written(store: LabelStore) -> None:
    history, fingerprint = store.history(), store.pool_fingerprint()
    unknown = [f"nope-{k}" for k in range(12)]
    with pytest.raises(KeyError, match=r"12 of the 13 id\(s\) to forget are not") as info:
        store.forget(["secret-0", *unknown], who="alice")
    assert "nope-9" in str(info.value) and "nope-10" not in str(info.value)  # 10 listed
    assert "Nothing was forgotten" in str(info.value)
    assert store.history() == history and store.pool_fingerprint() == fingerprint
    assert store.tombstones() == [] and store.n_items() == 8
    assert store.pending_forget() is None


@pytest.mark.parametrize(
    ("ids", "who", "match"),
    [
        ("secret-0", "alice", "single string 'secret-0'"),
        ([], "alice", "at least one item id"),
        (["secret-0"], "", "who forgets as a name of 1 to 200"),
        (["secret-0"], "x" * 201, "201 characters"),
    ],
)
def test_bad_calls_are_refused(store: LabelStore, ids: object, who: str, match: str) -> None:
    with pytest.raises(FewlabelsError, match=match):
        store.forget(ids, who=who)  # type: ignore[arg-type]
    assert store.n_items() == 8


def test_the_journal_is_written_with_the_forget_and_cleared_by_its_event(
    store: LabelStore,
) -> None:
    record = store.forget(["secret-3"], who="alice", pending={"cache_keys": ["k1"]})
    assert store.pending_forget() == {"cache_keys": ["k1"], "event": record.event}
    store.clear_pending_forget("another-event")
    assert store.pending_forget() is not None  # another forget's journal is kept
    store.clear_pending_forget(record.event)
    assert store.pending_forget() is None


def test_pool_fingerprint_follows_the_items_not_their_order(tmp_path: Path) -> None:
    a = LabelStore(tmp_path / "a.db", classes=["x", "y"])
    b = LabelStore(tmp_path / "b.db", classes=["x", "y"])
    a.add_items(["p", "q"], hashes=["1", "2"])
    b.add_items(["q", "p"], hashes=["2", "1"])
    assert a.pool_fingerprint() == b.pool_fingerprint()
    b.add_items(["q"], hashes=["changed"])
    assert a.pool_fingerprint() != b.pool_fingerprint()


def test_a_file_made_before_tombstones_gets_the_table(store: LabelStore) -> None:
    con = sqlite3.connect(store.path)
    con.execute("DROP TABLE tombstones")
    con.commit()
    con.close()
    again = LabelStore(store.path)
    assert again.tombstones() == [] and again.forgotten(IDS) == []
    again.forget(["secret-7"], who="alice")
    assert again.forgotten(IDS) == ["secret-7"]


def _meta(store: LabelStore, key: str) -> str | None:
    row = sqlite3.connect(store.path).execute("SELECT value FROM meta WHERE key=?", (key,))
    found = row.fetchone()
    return None if found is None else str(found[0])


def test_a_tombstone_is_the_ids_blake2b_keyed_by_the_16_byte_salt_with_the_forget_time(
    store: LabelStore,
) -> None:
    assert store.forgotten(["secret-0"]) == []
    assert _meta(store, "tombstone_salt") is None  # asking does not make the salt
    record = store.forget(["secret-0", "secret-2"], who="ana")
    assert re.fullmatch(r"[0-9a-f]{16}", record.event)  # 8 random bytes
    salt_hex = _meta(store, "tombstone_salt")
    assert salt_hex is not None and re.fullmatch(r"[0-9a-f]{32}", salt_hex)  # 16 random bytes
    salt = bytes.fromhex(salt_hex)
    expected = {
        hashlib.blake2b(i.encode("utf-8"), key=salt, digest_size=16).hexdigest()
        for i in ("secret-0", "secret-2")
    }
    stones = store.tombstones()
    assert {t.id_hash for t in stones} == expected
    assert {(t.who, t.time, t.event) for t in stones} == {("ana", record.time, record.event)}
    assert record.time and record.who == "ana" and record.n_items == 2
    assert store.forgotten(["secret-2", "secret-3", "secret-0"]) == ["secret-2", "secret-0"]


def test_who_forgets_is_1_to_200_characters_and_the_message_shows_what_came(
    store: LabelStore,
) -> None:
    assert store.forget(["secret-3"], who="x" * 200).who == "x" * 200
    with pytest.raises(FewlabelsError, match=re.escape(f"but got {'y' * 40!r} (201 characters).")):
        store.forget(["secret-4"], who="y" * 201)
    with pytest.raises(
        FewlabelsError,
        match=r"as a name of 1 to 200 characters, but got 5\. Pass e\.g\. who='alice'\.$",
    ):
        store.forget(["secret-4"], who=5)  # type: ignore[arg-type]
    with pytest.raises(
        FewlabelsError, match=r"^Expected at least one item id to forget, but got none\.$"
    ):
        store.forget([], who="ana")


def test_unknown_ids_to_forget_are_listed_up_to_ten_then_an_ellipsis(store: LabelStore) -> None:
    ten = [f"u{k:02d}" for k in range(10)]
    with pytest.raises(FewlabelsError) as caught:
        store.forget(ten, who="ana")
    assert f"are not: {ten}. Nothing was forgotten" in str(caught.value)
    with pytest.raises(FewlabelsError) as caught:
        store.forget([*ten, "u10"], who="ana")
    assert f"11 of the 11 id(s) to forget are not: {ten} .... Nothing was" in str(caught.value)


def test_the_pool_fingerprint_is_a_16_byte_blake2b_of_the_sorted_items(tmp_path: Path) -> None:
    store = LabelStore(tmp_path / "labels.db")
    store.add_items(["b", "a"], hashes=["hb", "ha"])
    # The documented digest, spelled out: a model records it, so it must not drift.
    digest = hashlib.blake2b(b"fewlabels-pool\0", digest_size=16)
    for item_id, content in (("a", "ha"), ("b", "hb")):
        digest.update(json.dumps([item_id, content]).encode("utf-8") + b"\n")
    assert store.pool_fingerprint() == digest.hexdigest()
    assert len(store.pool_fingerprint()) == 32
