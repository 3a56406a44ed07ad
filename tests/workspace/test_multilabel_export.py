"""Label sets survive export and import (CSV and JSONL); the config records the task."""

import json

import pytest

from fewlabels.store.label_store import LabelStore
from fewlabels.workspace.config import DataSourceConfig, WorkspaceConfig
from fewlabels.workspace.export import export_labels, import_labels


def _store(path):
    store = LabelStore(path, classes=["a", "b", "c"], task="multilabel")
    store.add_items(["1", "2", "3"], hashes=["h1", "h2", "h3"])
    return store


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_label_sets_round_trip(tmp_path, fmt):
    src = _store(tmp_path / "src.db")
    src.add_label_sets([("1", ["a", "c"]), ("2", [])])
    out = tmp_path / f"labels.{fmt}"
    assert export_labels(src, out) == 2
    if fmt == "jsonl":
        first = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
        assert first["label"] == ["a", "c"]  # a list, not the text of one
    dst = _store(tmp_path / "dst.db")
    report = import_labels(dst, out)
    assert report.ok and report.written == 2
    assert dst.current_label_sets() == {"1": ("a", "c"), "2": ()}
    again = import_labels(dst, out)
    assert again.written == 0 and again.unchanged == 2


def test_a_label_outside_the_classes_in_a_set_writes_nothing(tmp_path):
    store = _store(tmp_path / "s.db")
    path = tmp_path / "in.jsonl"
    path.write_text(
        '{"id": "1", "label": ["a", "zzz"]}\n{"id": "2", "label": ["b"]}\n', encoding="utf-8"
    )
    report = import_labels(store, path)
    assert not report.ok and report.unknown_classes == [("1", "zzz")]
    assert "outside the classes" in report.summary()
    assert store.current_label_sets() == {}
    path.write_text('{"id": "1", "label": "a"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="item '1' has 'a'. Write its labels as a list"):
        import_labels(store, path)


def test_config_task_round_trips_and_is_checked(tmp_path):
    data = DataSourceConfig(kind="builtin", source="digits")
    cfg = WorkspaceConfig(data=data, classes=("a", "b"), encoder="minilm", task="multilabel")
    path = tmp_path / "fewlabels.toml"
    cfg.save(path)
    assert 'task = "multilabel"' in path.read_text(encoding="utf-8")
    assert WorkspaceConfig.load(path).task == "multilabel"
    single = WorkspaceConfig(data=data, classes=("a", "b"), encoder="minilm")
    assert "task" not in single.to_toml()  # old files stay as they were
    with pytest.raises(ValueError, match=r"Expected task in \['single', 'multilabel'\]"):
        WorkspaceConfig(data=data, classes=("a", "b"), encoder="minilm", task="multi")
