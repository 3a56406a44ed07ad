"""Fashion-MNIST from Debian's dataset-fashion-mnist: the idx reader, the file search, the
fixed subset; the real files are read by tests/data/test_builtin.py."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from fewlabels.data import fashion_mnist as fm
from fewlabels.errors import MissingFileError


def write_idx(path: Path, values: np.ndarray, *, code: int = 0x08) -> None:
    header = bytes([0, 0, code, values.ndim]) + struct.pack(f">{values.ndim}I", *values.shape)
    with gzip.open(path, "wb") as fh:
        fh.write(header + values.astype(np.uint8).tobytes())


def fake_package(folder: Path, n_train: int = 6, n_test: int = 3) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for part, n in (("train", n_train), ("t10k", n_test)):
        images = np.arange(n * 28 * 28).reshape(n, 28, 28) % 256
        write_idx(folder / f"{part}-images-idx3-ubyte.gz", images)
        write_idx(folder / f"{part}-labels-idx1-ubyte.gz", np.arange(n) % 10)
    return folder


def test_read_idx_gives_the_header_shape_and_the_values(tmp_path: Path) -> None:
    values = np.array([[[0, 1, 2], [3, 4, 255]]])
    write_idx(tmp_path / "x.gz", values)
    got = fm.read_idx(tmp_path / "x.gz")
    assert got.shape == (1, 2, 3) and got.dtype == np.uint8 and got.flags.writeable
    assert got.tolist() == values.tolist()


def test_read_idx_refuses_a_wrong_header_and_a_truncated_file(tmp_path: Path) -> None:
    write_idx(tmp_path / "float.gz", np.zeros((2, 2)), code=0x0D)
    with pytest.raises(ValueError, match=r"unsigned bytes.*starts with 00 00 0d 02"):
        fm.read_idx(tmp_path / "float.gz")
    with gzip.open(tmp_path / "short.gz", "wb") as fh:
        fh.write(bytes([0, 0, 8, 1]) + struct.pack(">I", 5) + b"\x01\x02")
    with pytest.raises(ValueError, match=r"Expected 5 values .* holds 2: the file is truncated"):
        fm.read_idx(tmp_path / "short.gz")


def test_files_are_found_in_the_search_dirs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = fake_package(tmp_path / "fm")
    monkeypatch.setattr(fm, "SEARCH_DIRS", (tmp_path / "absent", folder))
    monkeypatch.setattr(fm, "_dpkg_files", lambda package: pytest.fail("dpkg asked"))
    images, labels = fm.load_part("train")
    assert images.shape == (6, 28, 28) and labels.tolist() == [0, 1, 2, 3, 4, 5]
    assert fm.load_part("test")[0].shape == (3, 28, 28)


def test_dpkg_is_the_fallback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = fake_package(tmp_path / "elsewhere")
    asked: list[str] = []

    def dpkg(package: str) -> list[Path]:
        asked.append(package)
        return [tmp_path / "elsewhere", *sorted(folder.iterdir())]

    monkeypatch.setattr(fm, "SEARCH_DIRS", (tmp_path / "absent",))
    monkeypatch.setattr(fm, "_dpkg_files", dpkg)
    assert fm.find_files() == folder
    assert asked == ["dataset-fashion-mnist"]


def test_missing_package_names_it_and_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fm, "SEARCH_DIRS", (tmp_path,))
    monkeypatch.setattr(fm, "_dpkg_files", lambda package: [])
    with pytest.raises(MissingFileError, match=r"Debian package dataset-fashion-mnist") as err:
        fm.load_part("train")
    assert "sudo apt-get install dataset-fashion-mnist" in str(err.value)
    assert "make datasets" in str(err.value) and str(tmp_path) in str(err.value)


def test_missing_package_reaches_load_builtin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fewlabels.data import load_builtin

    monkeypatch.setattr(fm, "SEARCH_DIRS", (tmp_path,))
    monkeypatch.setattr(fm, "_dpkg_files", lambda package: [])
    for name in ("fashion-mnist", "fashion5k"):
        with pytest.raises(FileNotFoundError, match="apt-get install dataset-fashion-mnist"):
            load_builtin(name)


def test_fixed_subset_is_stratified_sorted_and_repeatable() -> None:
    labels = np.repeat(np.arange(3), [5, 7, 9])
    a, b = fm.fixed_subset(labels, 4), fm.fixed_subset(labels, 4)
    assert a.tolist() == b.tolist() and a.tolist() == sorted(a.tolist())
    assert np.bincount(labels[a]).tolist() == [4, 4, 4]
    with pytest.raises(ValueError, match="at least 6 items of class 0, but it has 5"):
        fm.fixed_subset(labels, 6)
