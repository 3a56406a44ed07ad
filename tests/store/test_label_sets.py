"""A multi-label store: one history row per label set, undo restores the previous set."""

import pytest

from fewlabels.store.label_store import LabelStore, decode_label_set, encode_label_set


def _store(tmp_path):
    store = LabelStore(tmp_path / "labels.db", classes=["a", "b", "c"], task="multilabel")
    store.add_items(["1", "2", "3"], hashes=["h1", "h2", "h3"])
    return store


def test_sets_are_kept_in_class_order_and_the_empty_set_is_a_label(tmp_path):
    store = _store(tmp_path)
    store.add_label_sets([("1", ["c", "a", "a"]), ("2", [])])
    assert store.current_label_sets() == {"1": ("a", "c"), "2": ()}
    assert store.label_counts() == {"a": 1, "b": 0, "c": 1}
    assert [e.label for e in store.history()] == ['["a", "c"]', "[]"]


def test_undo_restores_the_previous_set_in_one_step(tmp_path):
    store = _store(tmp_path)
    store.add_label_sets([("1", ["a"])])
    store.add_label_sets([("1", ["b", "c"])])
    event = store.undo()
    assert store.current_label_sets() == {"1": ("a",)}
    assert event.label == '["a"]'
    assert [e.label for e in store.history("1")] == ['["a"]', '["b", "c"]', '["a"]']


def test_bad_sets_and_tasks_are_refused(tmp_path):
    store = _store(tmp_path)
    with pytest.raises(ValueError, match=r"among the classes \['a', 'b', 'c'\], but got \['z'\]"):
        store.add_label_sets([("1", ["a", "z"])])
    with pytest.raises(ValueError, match="JSON list of class names"):
        store.add_label("1", "a")  # a bare class is no set
    assert store.history() == []  # nothing written
    with pytest.raises(ValueError, match=r"task stored in .* \('multilabel'\), but got 'single'"):
        LabelStore(tmp_path / "labels.db", task="single")
    assert LabelStore(tmp_path / "labels.db").task == "multilabel"
    single = LabelStore(tmp_path / "single.db", classes=["a", "b"])
    single.add_items(["1"], hashes=["h"])
    with pytest.raises(ValueError, match="holds one label per item"):
        single.add_label_sets([("1", ["a"])])
    with pytest.raises(ValueError, match=r"single str 'a'. Pass a list"):
        encode_label_set("a", ["a"])
    assert decode_label_set(encode_label_set(["b", "a"], None)) == ("a", "b")


def test_non_ascii_class_names_are_kept_as_written_not_escaped():
    # The stored text is read by people (`sqlite3`, exports): "café" stays "café", not "caf\u00e9".
    assert encode_label_set(["été", "café"], None) == '["café", "été"]'
    assert encode_label_set(["été", "café"], ["été", "café"]) == '["été", "café"]'
    assert decode_label_set('["café"]') == ("café",)


def test_text_that_is_not_a_json_list_of_names_is_refused():
    for text in ("not json", "", '"a"', '{"a": 1}', "[1, 2]", '["a", null]'):
        with pytest.raises(ValueError, match=r"JSON list of class names .* but got "):
            decode_label_set(text)
    assert decode_label_set("[]") == ()


def test_a_review_change_of_a_set_is_kept_like_any_set(tmp_path):
    # The review path wrote the text as given: repeats kept and not in class order (a bug).
    store = LabelStore(tmp_path / "labels.db", classes=["dog", "cat"], task="multilabel")
    store.add_items(["1"], hashes=["h"])
    store.add_label_sets([("1", ["dog"])])
    event = store.review("1", "change", who="ana", label='["cat", "dog", "cat"]')
    assert event.label == '["dog", "cat"]'
    assert store.history("1")[-1] == event
    assert store.current_label_sets() == {"1": ("dog", "cat")}
    with pytest.raises(ValueError, match=r"among the classes \['dog', 'cat'\], but got \['z'\]"):
        store.review("1", "change", who="ana", label='["z"]')
