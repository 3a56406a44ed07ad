"""The embedding cache's error values and forgetting across several encoder folders."""

from __future__ import annotations

import errno
import json
import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from fakes import FakeTextEncoder
from fewlabels._atomic import atomic_path
from fewlabels.data import Dataset
from fewlabels.encode import cache_files, embed
from fewlabels.encode.cache import CacheDiskFullError, _size, forget_cached
from fewlabels.encode.fingerprint import fingerprints
from fewlabels.encode.images import UnreadableInputError
from fewlabels.errors import FewlabelsError


def texts(n: int) -> Dataset:
    return Dataset(
        ids=[f"d{i}" for i in range(n)],
        inputs=[f"w{i % 7} text {i}" for i in range(n)],
        labels=np.full(n, -1),
        classes=("x", "y"),
        modality="text",
        name="texts",
    )


def test_the_disk_full_error_is_an_enospc_oserror_with_its_message() -> None:
    exc = CacheDiskFullError("Expected 1 GiB", needed=7, n_cached=2, n_total=9)
    assert isinstance(exc, OSError) and isinstance(exc, FewlabelsError)
    assert exc.args == (errno.ENOSPC, "Expected 1 GiB")
    assert exc.errno == errno.ENOSPC and exc.strerror == "Expected 1 GiB"
    assert str(exc) == "Expected 1 GiB"
    assert (exc.needed, exc.n_cached, exc.n_total) == (7, 2, 9)


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (1, "1 KiB"),  # rounded up: never "0 KiB" for something
        (1024, "1 KiB"),
        (1025, "2 KiB"),
        (2**20 - 1, "1024 KiB"),
        (2**20, "1.0 MiB"),  # the boundary belongs to the larger unit
        (3 * 2**19, "1.5 MiB"),
        (2**30 - 2**20, "1023.0 MiB"),
        (2**30, "1.0 GiB"),
        (5 * 2**29, "2.5 GiB"),
    ],
)
def test_sizes_are_shown_in_the_largest_unit_reached(n: int, text: str) -> None:
    assert _size(n) == text


def _two_folders(root: Path) -> tuple[Dataset, list[Path]]:
    ds = texts(12)
    for dim in (8, 16):
        embed(ds, FakeTextEncoder(dim=dim), cache_dir=root, chunk_size=5, progress=False)
    folders = sorted(p for p in root.iterdir() if p.is_dir())
    assert len(folders) == 2
    return ds, folders


def test_forgetting_counts_the_rows_of_every_encoder_folder(tmp_path: Path) -> None:
    ds, _ = _two_folders(tmp_path)
    removed = forget_cached(fingerprints(ds.subset(np.array([0, 5]))), cache_dir=tmp_path)
    assert removed == 2 * 2


def test_a_folder_without_a_readable_manifest_is_emptied_and_the_next_still_forgotten(
    tmp_path: Path,
) -> None:
    ds, folders = _two_folders(tmp_path)
    first, second = folders
    manifest = json.loads((first / "manifest.json").read_text())
    # an identity but a dim that is not a number: not a manifest this code can trust
    (first / "manifest.json").write_text(json.dumps({**manifest, "dim": str(manifest["dim"])}))
    removed = forget_cached(fingerprints(ds.subset(np.array([1]))), cache_dir=tmp_path)
    assert removed == 1  # from the second folder only
    assert not list(first.glob("chunk-*")) and not (first / "manifest.json").exists()
    assert list(second.glob("chunk-*"))


def test_a_manifest_without_an_identity_also_empties_its_folder(tmp_path: Path) -> None:
    ds, folders = _two_folders(tmp_path)
    first = folders[0]
    manifest = json.loads((first / "manifest.json").read_text())
    del manifest["identity"]
    (first / "manifest.json").write_text(json.dumps(manifest))
    assert forget_cached(fingerprints(ds.subset(np.array([1]))), cache_dir=tmp_path) == 1
    assert not list(first.glob("chunk-*"))


def test_forgetting_under_a_root_that_is_not_there_removes_nothing(tmp_path: Path) -> None:
    assert forget_cached(["a" * 32], cache_dir=tmp_path / "nowhere") == 0


def test_skipped_inputs_come_back_with_their_reason(tmp_path: Path) -> None:
    class FailsOnBad(FakeTextEncoder):
        def encode(self, inputs: list[str]) -> np.ndarray:
            bad = [i for i, t in enumerate(inputs) if t.startswith("bad")]
            if bad:
                raise UnreadableInputError(bad, [f"cannot read {inputs[i]!r}" for i in bad])
            return super().encode(inputs)

    ds = Dataset(
        ids=["a", "b", "c"],
        inputs=["fine one", "bad two", "fine three"],
        labels=np.full(3, -1),
        classes=("x", "y"),
        modality="text",
        name="some",
    )
    out = embed(ds, FailsOnBad(), cache_dir=tmp_path, progress=False)
    assert out.skipped == [("b", "cannot read 'bad two'")]
    assert list(out.dataset.ids) == ["a", "c"] and out.X.shape == (2, 16)
    again = embed(ds, FailsOnBad(), cache_dir=tmp_path, progress=False)  # from the view
    assert again.skipped == [("b", "cannot read 'bad two'")] and again.n_encoded == 0


def test_the_full_disk_message_in_full(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = cache_files.atomic_write_bytes
    calls: list[str] = []

    def write(path, data: bytes, **kwargs):  # the 4th write (chunk 1's data) fills the disk
        calls.append(Path(path).name)
        if len(calls) != 4:
            return real(path, data, **kwargs)
        with atomic_path(path) as tmp, open(tmp, "xb") as fh:
            fh.write(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def no_usage(path):
        raise OSError("no statvfs here")

    monkeypatch.setattr(cache_files, "atomic_write_bytes", write)
    monkeypatch.setattr(shutil, "disk_usage", no_usage)
    with pytest.raises(CacheDiskFullError) as info:
        embed(texts(30), FakeTextEncoder(), cache_dir=tmp_path, chunk_size=10, progress=False)
    (entry,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    needed = 20 * (16 * 4 + 32) + 30 * 16 * 4
    assert info.value.needed == needed
    assert str(info.value) == (
        f"Expected about {_size(needed)} free for the embedding cache in {str(entry)!r} (20 rows "
        "x 16 dims x 4 bytes still to write, and the dataset's view of 30 rows), but the disk "
        "is full (free space unknown; No space left on device). 10 of 30 rows are cached and "
        "kept. Free some space, or put the cache on another disk (cache_dir=, --cache-dir or "
        "$FEWLABELS_CACHE), then run the same command again to resume."
    )
    monkeypatch.setattr(shutil, "disk_usage", lambda path: SimpleNamespace(free=3072))
    calls.clear()
    with pytest.raises(CacheDiskFullError, match=r"the disk is full \(3 KiB free; No space left"):
        embed(texts(30), FakeTextEncoder(), cache_dir=tmp_path / "b", chunk_size=10, progress=False)
