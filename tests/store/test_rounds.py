"""Rounds: leases for several pages, no item when every one left is held, second opinions
beside ordinary items, and the messages of a missing round or unknown ids."""

import sqlite3
import time
from pathlib import Path

import numpy as np
import pytest

from fewlabels.errors import MissingKeyError
from fewlabels.store import LabelStore


@pytest.fixture
def store(tmp_path: Path) -> LabelStore:
    s = LabelStore(tmp_path / "labels.db", classes=["a", "b"])
    s.add_items([f"i{k}" for k in range(4)], hashes=["h"] * 4)
    return s


def _expires(store: LabelStore) -> dict[str, float]:
    rows = sqlite3.connect(store.path).execute("SELECT item_id, expires FROM leases")
    return {str(r[0]): float(r[1]) for r in rows}


def test_a_lease_lasts_sixty_seconds_by_default_and_keeps_others_away(store: LabelStore) -> None:
    store.add_round("random", ["i0", "i1"])
    before = time.time()
    store.lease("i0", "page-a")
    after = time.time()
    assert before + 60.0 <= _expires(store)["i0"] <= after + 60.0
    assert store.next_item(client="page-b") == "i1"  # i0 is held by page-a
    held = _expires(store)
    assert store.next_item(client="page-c") is None  # every item leased to another page
    assert _expires(store) == held  # and no lease was taken from them


def test_when_every_item_is_held_by_other_pages_a_page_gets_none(store: LabelStore) -> None:
    # found by the two-page browser test: a page shown another page's last item labelled it
    # twice (and took over that page's lease)
    store.add_round("random", ["i0", "i1", "i2"])
    assert [store.next_item(client=c) for c in ("a", "b", "c")] == ["i0", "i1", "i2"]
    assert store.next_item(client="d") is None  # nothing free, none of its own
    assert store.next_item(client="b") == "i1"  # a page keeps its own item
    assert store.next_item() == "i0"  # without a client: the queue's head, no lease
    store.add_label("i0", "a")
    assert store.next_item(client="d") is None  # i1, i2 still held
    store.add_label("i1", "b")  # page b labels its item: its lease goes
    assert store.next_item(client="d") is None  # b did not ask again yet, i2 held by c
    progress = store.progress()
    assert progress is not None and (progress.done, progress.total) == (2, 3)


def test_second_opinion_items_leave_ordinary_items_done_at_one_label(store: LabelStore) -> None:
    store.add_round("random", ["i0", "i1", "i2"], second_opinion=["i0"])
    store.add_label("i1", "a", who="ana")
    store.add_label("i0", "a", who="ana")
    prog = store.progress()
    assert prog is not None and (prog.done, prog.total) == (1, 3)  # i1 done, i0 waits for two
    assert store.next_item() == "i0"
    store.add_label("i0", "b", who="ben")
    prog = store.progress()
    assert prog is not None and prog.done == 2
    assert store.next_item() == "i2"


def test_a_round_of_unknown_ids_lists_the_first_ten(store: LabelStore) -> None:
    ids = [f"u{k:02d}" for k in range(11)]
    with pytest.raises(MissingKeyError) as caught:
        store.add_round("random", ["i0", *ids])
    assert str(caught.value).endswith(f"registered items in a round, but {ids[:10]!r} are not.")
    assert store.rounds() == []


def test_closing_without_any_round_says_how_to_make_one(store: LabelStore) -> None:
    with pytest.raises(
        MissingKeyError,
        match=r"^Expected a round to close, but there is none yet\. Make one with "
        r"`fewlabels suggest`\.$",
    ):
        store.close_round()


def test_numpy_metrics_are_kept_as_plain_numbers(store: LabelStore) -> None:
    store.add_round("margin", ["i0"], metrics={"f1": np.float32(0.5), "n": np.int64(3)})
    assert store.rounds()[-1].metrics == {"f1": 0.5, "n": 3.0}
