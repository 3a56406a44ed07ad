"""The workspace: init from each kind of source, source changes, config, suggest and status."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fewlabels.data import load_builtin
from fewlabels.errors import StateError
from fewlabels.store import CorruptStoreError
from fewlabels.workspace import SourceChangedError, Workspace, WorkspaceConfig
from fewlabels.workspace.source import _opaque_id


def _table(path: Path, n: int = 30) -> Path:
    rng = np.random.default_rng(0)
    y = np.array(["low", "high"])[np.arange(n) % 2]
    frame = pd.DataFrame(
        {
            "id": [f"r{k}" for k in range(n)],
            "x1": rng.normal(size=n) + (y == "high") * 4,
            "x2": rng.normal(size=n),
            "y": np.where(np.arange(n) < 4, y, ""),
        }
    )
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def table_ws(tmp_path: Path) -> Workspace:
    src = _table(tmp_path / "rows.csv")
    return Workspace.init(tmp_path / "ws", data=str(src), features=["x1", "x2"], label="y", id="id")


def test_init_table_registers_items_and_imports_labels(table_ws: Workspace) -> None:
    assert table_ws.config.classes == ("high", "low")
    assert table_ws.config.encoder == "tabular"
    assert table_ws.store.n_items() == 30
    cur = table_ws.store.current()
    assert {k: e.label for k, e in cur.items()} == {
        "r0": "low",
        "r1": "high",
        "r2": "low",
        "r3": "high",
    }
    assert {e.source for e in cur.values()} == {"imported"}
    again = Workspace.open(table_ws.root)
    assert again.config == table_ws.config
    assert again.dataset().labeled_mask.sum() == 4
    with pytest.raises(StateError, match="already holds a workspace"):
        Workspace.init(table_ws.root, data=table_ws.config.data.source, features=["x1"])


def test_builtin_source_reveals_no_labels(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws", data="digits")
    assert ws.config.encoder == "pixels"
    assert ws.store.history() == []
    ids = [it.id for it in ws.store.items()]
    assert all(i.startswith("item-") for i in ids)
    assert {it.source for it in ws.store.items()} == {"builtin:digits"}
    train = load_builtin("digits").train
    pairs = zip(train.ids, train.labels, strict=True)
    truth = {_opaque_id("digits", str(i)): int(c) for i, c in pairs}
    in_order = np.array([truth[i] for i in ids])
    # registered order is not grouped by class: neighbours share a class about 1 time in 10
    assert np.mean(in_order[1:] == in_order[:-1]) < 0.3
    with pytest.raises(ValueError, match="Leave --classes out for a built-in"):
        Workspace.init(tmp_path / "ws2", data="digits", classes=["a", "b"])


def test_test_accuracy_needs_a_builtin_source(table_ws: Workspace) -> None:
    with pytest.raises(ValueError, match="Expected a workspace on a built-in dataset"):
        table_ws.test_accuracy(object())


def test_unknown_data_source_is_explained(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="built-in dataset .*image folder or a table"):
        Workspace.init(tmp_path / "ws", data=str(tmp_path / "nowhere"))


def test_open_detects_changed_and_missing_items(table_ws: Workspace) -> None:
    src = Path(table_ws.config.data.source)
    frame = pd.read_csv(src, keep_default_na=False)
    frame.loc[frame["id"] == "r5", "x2"] = 99.0
    frame = frame[frame["id"] != "r7"]
    frame.to_csv(src, index=False)
    with pytest.raises(
        SourceChangedError, match=r"1 item\(s\) missing: \['r7'\]; 1 item\(s\) changed: \['r5'\]"
    ):
        Workspace.open(table_ws.root)
    ws = Workspace.open(table_ws.root, on_source_change="accept")
    assert ws.check_source().changed == []
    assert ws.check_source().missing == ["r7"]


def test_open_says_when_the_source_moved(table_ws: Workspace) -> None:
    src = Path(table_ws.config.data.source)
    src.rename(src.with_name("elsewhere.csv"))
    with pytest.raises(FileNotFoundError, match=r"moved or deleted\?.*\[data\] in fewlabels.toml"):
        Workspace.open(table_ws.root)


def test_open_refuses_a_corrupt_store_and_leaves_it(table_ws: Workspace) -> None:
    db = table_ws.root / "labels.db"
    for extra in ("-wal", "-shm"):
        Path(str(db) + extra).unlink(missing_ok=True)
    db.write_bytes(b"garbage" * 500)
    with pytest.raises(CorruptStoreError, match="never overwrites"):
        Workspace.open(table_ws.root)
    assert db.read_bytes() == b"garbage" * 500


def test_config_refuses_unknown_keys(tmp_path: Path, table_ws: Workspace) -> None:
    text = (table_ws.root / "fewlabels.toml").read_text()
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace("seed = 0", "seed = 0\nencodr = 'x'"))
    with pytest.raises(
        ValueError, match=r"Unknown key\(s\) \['encodr'\] in the top level of fewlabels.toml"
    ):
        WorkspaceConfig.load(bad)
    bad.write_text(text + "colour = 'red'\n")
    with pytest.raises(ValueError, match=r"\['colour'\] in \[data\] of fewlabels.toml"):
        WorkspaceConfig.load(bad)
    with pytest.raises(ValueError, match="Expected exactly one of text="):
        WorkspaceConfig.from_dict(
            {"data": {"kind": "table", "source": "x.csv"}, "classes": ["a", "b"], "encoder": "e"}
        )


def test_suggest_records_rounds_and_the_model_improves(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws", data="digits", learner="knn")
    train = load_builtin("digits").train
    truth = {
        _opaque_id("digits", str(i)): train.classes[int(c)]
        for i, c in zip(train.ids, train.labels, strict=True)
    }
    accs = []
    # cold start picks typiclust; random rounds after it keep the CV estimate unbiased
    for strategy in (None, "random", "random"):
        rnd = ws.suggest(n=30, strategy=strategy)
        assert len(rnd.item_ids) == 30 and len(set(rnd.item_ids)) == 30
        assert not set(rnd.item_ids) & set(ws.store.current_labels())
        ws.store.add_labels([(i, truth[i]) for i in rnd.item_ids])
        accs.append(ws.status().cv_accuracy)
    rounds = ws.store.rounds()
    assert [r.strategy for r in rounds] == ["typiclust", "random", "random"]
    assert rounds[0].guesses[0] is None and rounds[1].guesses[0] in train.classes
    assert 0 < rounds[1].confidences[0] <= 1
    assert rounds[1].metrics["n_labelled"] == 30 and rounds[2].metrics["cv_accuracy"] is not None
    # built-in sources also record accuracy on their held-out test split
    assert "test_accuracy" not in rounds[0].metrics and rounds[2].metrics["test_accuracy"] > 0.7
    assert all(a is not None for a in accs) and accs[-1] > accs[0] and accs[-1] > 0.7
    assert (ws.root / "reports" / "round-0003.json").exists()
    status = ws.status()
    assert status.n_labelled == 90 and status.progress == (30, 30)
    assert ws.suggest(n=5).strategy == "badge"  # the default once a model exists
    with pytest.raises(ValueError, match="whole number >= 1"):
        ws.suggest(n=0)


def test_image_folder_changes_are_named(image_folder: Path, tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws", data=str(image_folder), encoder="pixels")
    assert ws.store.label_counts() == {"a": 3, "b": 3}
    assert {e.source for e in ws.store.current().values()} == {"imported"}
    (image_folder / "unlabeled" / "u1.jpg").unlink()
    with open(image_folder / "a" / "a0.png", "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(
        SourceChangedError, match=r"missing: \['unlabeled/u1.jpg'\].*changed: \['a/a0.png'\]"
    ):
        Workspace.open(ws.root)


def test_open_refuses_classes_edited_in_the_config(table_ws: Workspace) -> None:
    cfg = table_ws.root / "fewlabels.toml"
    cfg.write_text(
        cfg.read_text().replace('classes = ["high", "low"]', 'classes = ["high", "mid"]')
    )
    with pytest.raises(ValueError, match=r"Classes cannot change once labels exist"):
        Workspace.open(table_ws.root)
