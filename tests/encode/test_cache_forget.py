"""Dropping rows from the embedding cache: the vectors' bytes leave every file, crash-safely."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fakes import FakeTextEncoder
from fewlabels.data import Dataset
from fewlabels.encode import embed
from fewlabels.encode.cache import forget_cached
from fewlabels.encode.cache_files import Store
from fewlabels.encode.fingerprint import fingerprints


def texts(n: int) -> Dataset:
    return Dataset(
        ids=[f"d{i}" for i in range(n)],
        inputs=[f"w{i % 7} text {i}" for i in range(n)],
        labels=np.full(n, -1),
        classes=("x", "y"),
        modality="text",
        name="texts",
    )


def _all_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def _rows_present(folder: Path, X: np.ndarray) -> list[bool]:
    raw = _all_bytes(folder)
    return [np.ascontiguousarray(row, np.float32).tobytes() in raw for row in X]


class _Killed(BaseException):
    """Stands for the process dying at that point (not caught by ``except Exception``)."""


@pytest.fixture
def cached(tmp_path: Path) -> tuple[Dataset, np.ndarray]:
    ds = texts(25)
    X = np.array(embed(ds, FakeTextEncoder(), cache_dir=tmp_path, chunk_size=10, progress=False).X)
    return ds, X


GONE = np.array([3, 12, 13, 24])


def test_forgotten_vectors_leave_every_file_and_the_rest_stays_cached(
    tmp_path: Path, cached: tuple[Dataset, np.ndarray]
) -> None:
    ds, X = cached
    assert all(_rows_present(tmp_path, X[GONE]))  # the check can fail: they are there first
    keep = np.setdiff1d(np.arange(len(ds)), GONE)
    removed = forget_cached(fingerprints(ds.subset(GONE)), cache_dir=tmp_path)
    assert removed == len(GONE)
    assert not any(_rows_present(tmp_path, X[GONE]))  # chunks rewritten, views deleted
    assert all(_rows_present(tmp_path, X[keep]))
    enc = FakeTextEncoder()
    again = embed(ds.subset(keep), enc, cache_dir=tmp_path, progress=False)
    assert enc.encoded == 0  # the remaining rows come from the cache
    np.testing.assert_array_equal(np.asarray(again.X), X[keep])
    full = embed(ds, enc, cache_dir=tmp_path, progress=False)
    assert enc.encoded == len(GONE)  # only the forgotten inputs are encoded again
    np.testing.assert_array_equal(np.asarray(full.X), X)


def test_a_chunk_whose_rows_all_go_is_removed_and_a_rerun_changes_nothing(
    tmp_path: Path, cached: tuple[Dataset, np.ndarray]
) -> None:
    ds, _ = cached
    first_chunk = np.arange(10)
    assert forget_cached(fingerprints(ds.subset(first_chunk)), cache_dir=tmp_path) == 10
    (entry,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    manifest = json.loads((entry / "manifest.json").read_text())
    assert [c["rows"] for c in manifest["chunks"]] == [10, 5]
    assert sorted(p.name for p in entry.glob("chunk-*.npy")) == [
        "chunk-000001.keys.npy",
        "chunk-000001.npy",
        "chunk-000002.keys.npy",
        "chunk-000002.npy",
    ]
    assert (
        forget_cached(
            [k.decode() for k in fingerprints(ds.subset(first_chunk))], cache_dir=tmp_path
        )
        == 0
    )
    assert json.loads((entry / "manifest.json").read_text()) == manifest
    assert forget_cached([], cache_dir=tmp_path / "absent") == 0


@pytest.mark.parametrize("where", ["_write_manifest", "remove_unlisted"])
def test_a_rewrite_killed_half_way_leaves_a_consistent_cache_and_a_rerun_finishes(
    tmp_path: Path,
    cached: tuple[Dataset, np.ndarray],
    monkeypatch: pytest.MonkeyPatch,
    where: str,
) -> None:
    ds, X = cached
    keys = fingerprints(ds.subset(GONE))

    def die(self: Store) -> None:
        raise _Killed

    with monkeypatch.context() as m:
        m.setattr(Store, where, die)
        with pytest.raises(_Killed):
            forget_cached(keys, cache_dir=tmp_path)
    # killed before the manifest: the old chunks are still listed; after it: the new ones.
    enc = FakeTextEncoder()
    with_items = embed(ds, enc, cache_dir=tmp_path, progress=False)
    assert enc.encoded == (0 if where == "_write_manifest" else len(GONE))
    np.testing.assert_array_equal(np.asarray(with_items.X), X)
    assert forget_cached(keys, cache_dir=tmp_path) == len(GONE)
    assert not any(_rows_present(tmp_path, X[GONE]))
    entry = next(p for p in tmp_path.iterdir() if p.is_dir())
    listed = {c["name"] for c in json.loads((entry / "manifest.json").read_text())["chunks"]}
    assert {p.name.split(".")[0] for p in entry.glob("chunk-*")} == listed  # no left-overs


def test_a_folder_with_an_unreadable_manifest_loses_its_files(
    tmp_path: Path, cached: tuple[Dataset, np.ndarray]
) -> None:
    ds, X = cached
    entry = next(p for p in tmp_path.iterdir() if p.is_dir())
    (entry / "manifest.json").write_bytes(b"{torn")
    forget_cached(fingerprints(ds.subset(GONE)), cache_dir=tmp_path)
    assert not any(_rows_present(tmp_path, X))
    assert not (entry / "manifest.json").exists()
