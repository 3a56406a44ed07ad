"""Rules of ``store/label_store.py`` that its mutation run found unpinned: the task a store
keeps, label sets' defaults and class order, which labels count and what labelling releases."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from fewlabels.errors import FewlabelsError, MissingFileError, StateError
from fewlabels.store import LabelStore, UndoConflictError


@pytest.fixture
def sets(tmp_path: Path) -> LabelStore:
    s = LabelStore(tmp_path / "sets.db", classes=["owl", "cat", "dog"], task="multilabel")
    s.add_items(["a", "b", "c"], hashes=["h1", "h2", "h3"])
    return s


def test_an_unknown_task_is_refused_with_the_tasks(tmp_path: Path) -> None:
    with pytest.raises(
        FewlabelsError,
        match=r"^Expected a store task in \('single', 'multilabel'\), but got 'multi'\.$",
    ):
        LabelStore(tmp_path / "x.db", task="multi")
    assert not (tmp_path / "x.db").exists()


def test_a_single_label_store_reopens_as_single_and_refuses_multilabel(tmp_path: Path) -> None:
    path = tmp_path / "one.db"
    assert LabelStore(path, classes=["a", "b"]).task == "single"
    again = LabelStore(path, task="single")
    assert again.task == "single" and not again.multilabel
    with pytest.raises(
        FewlabelsError,
        match=re.escape(
            f"Expected the task stored in {path} ('single'), but got 'multilabel'. Keep the "
            "workspace's task, or start a new workspace."
        ),
    ):
        LabelStore(path, task="multilabel")
    # a store created with task="single" said so explicitly, and reads back the same
    explicit = LabelStore(tmp_path / "explicit.db", task="single")
    assert LabelStore(explicit.path).task == "single"


def test_a_missing_store_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(
        MissingFileError,
        match=re.escape(
            "there is no such file. Create a workspace first with "
            "`fewlabels init DIR --data SOURCE --classes a,b`."
        ),
    ):
        LabelStore(tmp_path / "none.db", create=False)


def test_label_sets_default_to_a_human_and_keep_the_source_given(sets: LabelStore) -> None:
    seq_a, seq_b = sets.add_label_sets([("a", ["dog"]), ("b", [])])
    (ev,) = sets.history("a")
    assert (ev.seq, ev.who, ev.source) == (seq_a, "human", "human")
    assert sets.history("b")[0].label == "[]" and seq_b == seq_a + 1
    sets.add_label_sets([("c", ["cat"])], who="importer", source="imported")
    (ev,) = sets.history("c")
    assert (ev.who, ev.source) == ("importer", "imported")


def test_a_label_set_is_stored_in_class_order_and_checked_against_the_classes(
    sets: LabelStore,
) -> None:
    sets.add_label_sets([("a", ["dog", "owl", "cat", "dog"])])
    assert json.loads(str(sets.history("a")[0].label)) == ["owl", "cat", "dog"]
    assert sets.current_label_sets() == {"a": ("owl", "cat", "dog")}
    with pytest.raises(FewlabelsError, match=r"among the classes \['owl', 'cat', 'dog'\]"):
        sets.add_label_sets([("b", ["cat", "emu"])])
    assert sets.history("b") == []


def test_label_sets_on_a_single_label_store_are_refused_with_the_fix(tmp_path: Path) -> None:
    store = LabelStore(tmp_path / "one.db", classes=["a", "b"])
    store.add_items(["x"], hashes=["h"])
    with pytest.raises(
        StateError,
        match=re.escape(
            "(task 'single'). Use add_labels, or a workspace with task = \"multilabel\"."
        ),
    ):
        store.add_label_sets([("x", ["a"])])


def test_current_label_sets_pass_their_sources_and_exclusions_on(sets: LabelStore) -> None:
    sets.add_label_sets([("a", ["cat"]), ("b", ["dog"])])
    sets.add_label_sets([("c", ["owl"])], source="pseudo")
    sets.exclude("b", who="ann")
    # by default: human and imported labels, excluded items included
    assert sets.current_label_sets() == {"a": ("cat",), "b": ("dog",)}
    assert sets.current_label_sets(with_excluded=False) == {"a": ("cat",)}
    assert sets.current_label_sets(sources=("pseudo",)) == {"c": ("owl",)}


def test_excluding_an_unlabelled_item_leaves_current_labels_readable(tmp_path: Path) -> None:
    store = LabelStore(tmp_path / "one.db", classes=["a", "b"])
    store.add_items(["x", "y"], hashes=["h1", "h2"])
    store.add_label("x", "a")
    store.exclude("y", who="ann")  # y has no label to drop
    assert store.current_labels(with_excluded=False) == {"x": "a"}
    assert store.label_counts() == {"a": 1, "b": 0}


def test_a_store_without_classes_counts_each_label_it_holds(tmp_path: Path) -> None:
    store = LabelStore(tmp_path / "free.db")
    store.add_items(["x", "y", "z"], hashes=["h1", "h2", "h3"])
    store.add_labels([("x", "spam"), ("y", "spam"), ("z", "ham")])
    assert store.classes is None
    assert store.label_counts() == {"spam": 2, "ham": 1}


def test_labelling_an_item_releases_its_lease(tmp_path: Path) -> None:
    store = LabelStore(tmp_path / "one.db", classes=["a", "b"])
    store.add_items(["i0", "i1"], hashes=["h0", "h1"])
    # i0 needs two annotators, so it stays in the queue after the first label
    store.add_round("random", ["i0", "i1"], second_opinion=["i0"])
    assert store.next_item(client="page-a") == "i0"
    assert store.next_item(client="page-b") == "i1"  # i0 is held by page a
    store.add_label("i0", "a", who="ann")
    assert store.next_item(client="page-c") == "i0"  # released by the label


def test_nothing_left_to_undo_says_so(tmp_path: Path) -> None:
    store = LabelStore(tmp_path / "one.db", classes=["a", "b"])
    with pytest.raises(
        UndoConflictError, match=r"^Expected a human label to undo, but there is none left\.$"
    ):
        store.undo()


def test_has_item_knows_registered_ids_only(tmp_path: Path) -> None:
    store = LabelStore(tmp_path / "one.db", classes=["a", "b"])
    assert not store.has_item("7")
    store.add_items(["7", "x"], hashes=["h1", "h2"])
    assert store.has_item("7") and store.has_item(7)  # type: ignore[arg-type]
    assert store.has_item("x") and not store.has_item("y") and not store.has_item("X")
