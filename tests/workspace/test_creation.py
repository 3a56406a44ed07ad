"""Workspace.init checks its encoder before writing anything, and is all or nothing."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from fewlabels.errors import FewlabelsError
from fewlabels.store.label_store import LabelStore
from fewlabels.workspace import CONFIG_NAME, STORE_NAME, Workspace
from fewlabels.workspace.creation import check_encoder_fits


def _texts(path: Path) -> Path:
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text", "label"])
        w.writerows([("a", "great food", "good"), ("b", "awful", "bad"), ("c", "fine", "")])
    return path


def test_init_refuses_an_unknown_encoder_and_writes_nothing(tmp_path: Path) -> None:
    src = _texts(tmp_path / "rows.csv")
    with pytest.raises(FewlabelsError, match=r"Unknown encoder 'bert'.*minilm-int8"):
        Workspace.init(tmp_path / "ws", data=str(src), text="text", label="label", encoder="bert")
    assert not (tmp_path / "ws").exists()
    with pytest.raises(FewlabelsError, match=r"model id after 'st:'"):
        Workspace.init(tmp_path / "ws", data=str(src), text="text", label="label", encoder="st:")
    assert not (tmp_path / "ws").exists()


def test_init_refuses_an_encoder_of_another_modality(image_folder: Path, tmp_path: Path) -> None:
    with pytest.raises(
        FewlabelsError,
        match=r"Expected an encoder for image data, but 'minilm' embeds text\. Use one of "
        r"efficientnet-lite0, pixels, clip:<model-id>, hf-image:<model-id>",
    ):
        Workspace.init(tmp_path / "ws", data=str(image_folder), encoder="minilm")
    assert not (tmp_path / "ws").exists()
    src = _texts(tmp_path / "rows.csv")
    with pytest.raises(FewlabelsError, match=r"encoder for text data, but 'pixels' embeds image"):
        Workspace.init(tmp_path / "ws", data=str(src), text="text", label="label", encoder="pixels")
    assert check_encoder_fits("st:org/model", "text") == "st:org/model"  # nothing is loaded


def test_a_failure_mid_init_leaves_nothing_and_init_then_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = _texts(tmp_path / "rows.csv")

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(LabelStore, "add_labels", broken)
    with pytest.raises(OSError, match="disk full"):
        Workspace.init(tmp_path / "ws", data=str(src), text="text", label="label", id="id")
    assert not (tmp_path / "ws").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["rows.csv"]  # no temporary folder left
    monkeypatch.undo()
    ws = Workspace.init(tmp_path / "ws", data=str(src), text="text", label="label", id="id")
    assert ws.store.current_labels() == {"a": "good", "b": "bad"}
    assert Workspace.open(tmp_path / "ws").store.n_items() == 3


def test_a_failure_in_an_existing_folder_leaves_it_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = _texts(tmp_path / "rows.csv")
    folder = tmp_path / "project"
    (folder / "cache").mkdir(parents=True)
    (folder / "cache" / "mine.txt").write_text("keep me")
    (folder / "notes.md").write_text("mine")

    def broken(self: object, path: object) -> None:
        raise OSError("no space left on device")

    from fewlabels.workspace.config import WorkspaceConfig

    monkeypatch.setattr(WorkspaceConfig, "save", broken)
    with pytest.raises(OSError, match="no space"):
        Workspace.init(folder, data=str(src), text="text", label="label", id="id")
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")) == [
        "cache",
        "cache/mine.txt",
        "notes.md",
    ]
    monkeypatch.undo()
    ws = Workspace.init(folder, data=str(src), text="text", label="label", id="id")
    assert (folder / CONFIG_NAME).is_file() and (folder / STORE_NAME).is_file()
    assert (folder / "cache" / "mine.txt").read_text() == "keep me"
    assert (folder / "models").is_dir() and (folder / "reports").is_dir()
    assert ws.store.path == folder / STORE_NAME and ws.store.n_items() == 3
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
