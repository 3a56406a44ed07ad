"""Atomic writes: the old file or the new one, never a torn one, and no temporary left behind."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from fewlabels import _atomic
from fewlabels._atomic import (
    atomic_folder,
    atomic_path,
    atomic_save_npy,
    atomic_write_bytes,
    atomic_write_text,
)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_writes_replace_the_target(tmp_path: Path) -> None:
    target = tmp_path / "a.json"
    assert atomic_write_text(target, "old ü") == target
    atomic_write_text(target, "new ü")
    assert target.read_text(encoding="utf-8") == "new ü"
    atomic_write_bytes(tmp_path / "b.bin", b"\x00\x01")
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    atomic_save_npy(tmp_path / "c.npy", np.arange(6, dtype=np.float32).reshape(2, 3))
    np.testing.assert_array_equal(np.load(tmp_path / "c.npy"), [[0, 1, 2], [3, 4, 5]])
    with atomic_path(tmp_path / "d.txt", fsync_dir=True) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".d.txt.")
        tmp.write_text("via a path")
    assert (tmp_path / "d.txt").read_text() == "via a path"
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("write", ["text", "bytes", "npy"])
def test_a_failed_rename_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write: str
) -> None:
    target = tmp_path / "kept.dat"
    target.write_bytes(b"the old content")

    def fail(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        if write == "text":
            atomic_write_text(target, "new")
        elif write == "bytes":
            atomic_write_bytes(target, b"new")
        else:
            atomic_save_npy(target, np.zeros(3))
    assert target.read_bytes() == b"the old content"
    assert _leftovers(tmp_path) == []


def test_an_error_while_writing_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "kept.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed half way")
    assert target.read_text() == "old"
    assert _leftovers(tmp_path) == []
    with pytest.raises(ValueError, match="pickle"):  # np.save refuses object arrays
        atomic_save_npy(target, np.array([{"a": 1}], dtype=object))
    assert target.read_text() == "old"
    assert _leftovers(tmp_path) == []


def test_the_file_is_fsynced_before_the_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(
        os, "replace", lambda a, b: (events.append("replace"), real_replace(a, b))[1]
    )
    atomic_write_text(tmp_path / "x", "data")
    assert events == ["fsync", "replace"]
    events.clear()
    atomic_write_text(tmp_path / "x", "data", fsync_dir=True)
    assert events == ["fsync", "replace", "fsync"]


def test_atomic_folder_replaces_the_whole_folder(tmp_path: Path) -> None:
    root = tmp_path / "images"
    (root / "old").mkdir(parents=True)
    with atomic_folder(root) as tmp:
        (tmp / "train").mkdir()
        (tmp / "train" / "a.png").write_bytes(b"png")
        assert not (root / "train").exists()  # nothing shows before the end
    assert sorted(p.name for p in root.iterdir()) == ["train"]
    with pytest.raises(RuntimeError), atomic_folder(root) as tmp:
        (tmp / "half").mkdir()
        raise RuntimeError("stopped")
    assert sorted(p.name for p in root.iterdir()) == ["train"]
    assert _leftovers(tmp_path) == []


def test_every_writer_goes_through_the_one_module() -> None:
    """No other module of the package renames temporary files itself."""
    src = Path(_atomic.__file__).parent
    offenders = [
        str(p.relative_to(src))
        for p in src.rglob("*.py")
        if p.name != "_atomic.py" and "os.replace(" in p.read_text(encoding="utf-8")
    ]
    assert offenders == []
