"""The embedding cache's files: committed chunks, each with a checksum verified once per call.

Every chunk (``chunk-*.npy`` and its ``.keys.npy``) and every view (``views/<hash>.npy``) has
a CRC-32 of its whole file (header and data) in the manifest (chunks) or in the view's JSON
(views). ``zlib.crc32`` is in the standard library and runs at several GB/s, several times
faster than ``hashlib.blake2b``, and it catches what a cache meets: flipped bytes, torn writes,
files swapped or replaced (docs/benchmarks.md has the measured cost on a 1,000,000 x 384 cache).
It is not a defence against someone who wants to forge a cache, which needs write access to
the user's files anyway.

A :class:`FileCheck` remembers which files it verified (by path, size and modification time),
so that one :func:`fewlabels.encode.embed` call reads each file at most once to verify it. It
is an object the caller holds, never module-level state.
"""

from __future__ import annotations

import io
import json
import os
import re
import warnings
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fewlabels._atomic import atomic_write_bytes
from fewlabels.encode.fingerprint import FINGERPRINT_DTYPE
from fewlabels.errors import StateError

__all__ = [
    "MANIFEST_FORMAT",
    "CorruptCacheFileError",
    "FileCheck",
    "Store",
    "file_crc32",
    "load_npy",
    "read_json",
]

MANIFEST_FORMAT = "fewlabels.embedding-cache/1"

_BLOCK = 1 << 24  # 16 MiB per read: verification never maps the file into memory


class CorruptCacheFileError(StateError):
    """A cache file is unreadable or does not match its checksum (the message names it)."""


def file_crc32(path: str | os.PathLike[str]) -> str:
    """CRC-32 of a file's bytes, as 8 hex digits, read in 16 MiB blocks."""
    crc = 0
    buf = bytearray(_BLOCK)
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as fh:
        while n := fh.readinto(buf):
            crc = zlib.crc32(view[:n], crc)
    return f"{crc & 0xFFFFFFFF:08x}"


def load_npy(path: Path, *, mmap: bool = True) -> np.ndarray:
    """``np.load`` of a cache file, any failure (torn header, short file) naming the file.

    Raises
    ------
    CorruptCacheFileError
        For a missing, truncated or malformed file.
    """
    try:
        return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except Exception as exc:  # TokenError, ValueError("mmap length ..."), OSError, EOFError
        raise CorruptCacheFileError(
            f"Expected a readable .npy file in the embedding cache, but {str(path)!r} is not "
            f"one ({type(exc).__name__}: {str(exc)[:200]}). It is encoded again; remove the "
            "cache folder if this repeats."
        ) from None


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from a cache file; a torn or non-object file is an error naming it."""
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise CorruptCacheFileError(
            f"Expected a JSON file written by fewlabels, but {str(path)!r} cannot be read "
            f"({type(exc).__name__}: {str(exc)[:200]})."
        ) from None
    if not isinstance(data, dict):
        raise CorruptCacheFileError(
            f"Expected a JSON object in {str(path)!r}, but it holds a {type(data).__name__}."
        )
    return data


class FileCheck:
    """Verifies cache files against their checksums, each file at most once.

    Parameters
    ----------
    enabled : bool
        When False, :meth:`verify` checks nothing (``embed(..., verify=False)``).
    """

    def __init__(self, *, enabled: bool = True) -> None:
        self.enabled = enabled
        self._verified: set[tuple[str, int, int]] = set()

    @staticmethod
    def _stamp(path: Path) -> tuple[str, int, int]:
        st = path.stat()
        return (str(path), st.st_size, st.st_mtime_ns)

    def verify(self, path: Path, expected: str | None) -> str:
        """Check ``path`` against ``expected`` (8 hex digits); return its checksum.

        ``expected=None`` (a cache written before checksums) computes the checksum without
        comparing: the caller records it, so the file is verified from then on.

        Raises
        ------
        CorruptCacheFileError
            When the file is missing or its checksum differs.
        """
        try:
            stamp = self._stamp(path)
        except OSError:
            raise CorruptCacheFileError(
                f"Expected the cache file {str(path)!r} listed in its manifest, but it is gone."
            ) from None
        if expected is not None and (not self.enabled or stamp in self._verified):
            return expected
        actual = file_crc32(path)
        if expected is not None and actual != expected:
            raise CorruptCacheFileError(
                f"Expected the cache file {str(path)!r} to have checksum crc32:{expected}, but it "
                f"has crc32:{actual} (changed or damaged on disk); its rows are encoded again."
            )
        self._verified.add(stamp)
        return actual


_CHUNK_NAME = re.compile(r"chunk-\d{6}")


def _npy_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


class Store:
    """The committed chunks of one encoder (assumes the caller holds the lock).

    Each chunk's two files are checked against the manifest's checksums when the store opens
    (through ``check``); a chunk that fails is dropped from the manifest, so its rows are
    encoded again. A chunk of a cache written before checksums gets them on that first use.
    A manifest that cannot be read (a torn or flipped byte) is replaced: every row is encoded
    again, with a warning naming the file.
    """

    def __init__(self, entry: Path, identity: str, dim: int, check: FileCheck) -> None:
        self.entry = entry
        self.identity = identity
        self.dim = dim
        self.check = check
        self.dropped: list[str] = []
        for stale in [*entry.glob("*.tmp"), *entry.glob("views/*.tmp"), *entry.glob(".*.tmp")]:
            stale.unlink(missing_ok=True)  # of killed writers
        self.chunks: list[dict[str, Any]] = []
        manifest = entry / "manifest.json"
        if not manifest.exists():
            return
        try:
            data = read_json(manifest)
            listed = _manifest_chunks(data, manifest)
        except CorruptCacheFileError as exc:
            warnings.warn(f"{exc} Rebuilding that embedding cache.", stacklevel=3)
            self._write_manifest()
            return
        if data.get("format") != MANIFEST_FORMAT or data.get("identity") != identity:
            raise StateError(
                f"Expected an embedding cache of {identity!r} in {entry}, but its manifest "
                f"{str(manifest)!r} says {data.get('identity')!r} (format "
                f"{data.get('format')!r}). Remove that folder or use another cache_dir."
            )
        before = json.dumps(listed, sort_keys=True)
        self.chunks = [c for c in listed if self._intact(c)]
        if json.dumps(self.chunks, sort_keys=True) != before:
            self._write_manifest()

    def _intact(self, chunk: dict[str, Any]) -> bool:
        """Whether a chunk's files match the manifest (filling in missing checksums)."""
        files = {"crc32": f"{chunk['name']}.npy", "keys_crc32": f"{chunk['name']}.keys.npy"}
        try:
            for key, name in files.items():
                chunk[key] = self.check.verify(self.entry / name, chunk.get(key))
            emb = load_npy(self.entry / files["crc32"])
            keys = load_npy(self.entry / files["keys_crc32"])
        except CorruptCacheFileError as exc:
            self.dropped.append(str(exc))
            return False
        if emb.shape == (chunk["rows"], self.dim) and keys.shape == (chunk["rows"],):
            return True
        self.dropped.append(
            f"{str(self.entry / files['crc32'])!r} has shape {emb.shape} (keys {keys.shape}), "
            f"not the manifest's ({chunk['rows']}, {self.dim})"
        )
        return False

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        """Global row (over chunks in order) of each key, -1 where it is not cached."""
        parts = [load_npy(self.entry / f"{c['name']}.keys.npy", mmap=False) for c in self.chunks]
        index = pd.Index(np.concatenate(parts) if parts else np.zeros(0, FINGERPRINT_DTYPE))
        if index.is_unique:
            return np.asarray(index.get_indexer(pd.Index(keys)))
        first = np.flatnonzero(~index.duplicated())
        where = np.asarray(index[first].get_indexer(pd.Index(keys)))
        return np.where(where >= 0, first[np.maximum(where, 0)], -1)

    def append(self, keys: np.ndarray, emb: np.ndarray) -> None:
        """Commit one chunk: data files first, then the manifest."""
        number = 1 + max((int(c["name"].split("-")[1]) for c in self.chunks), default=-1)
        self.chunks.append(self._write_chunk(f"chunk-{number:06d}", keys, emb))
        self._write_manifest()

    def drop(self, keys: np.ndarray) -> int:
        """Remove the rows of ``keys`` from the cache's files (assumes the caller holds the lock).

        Every chunk holding one of them is written again without those rows under a new name
        (data files first), then the manifest lists the new chunks instead of the old ones (one
        atomic replace), then every chunk file the manifest does not list is deleted. A process
        killed at any point leaves the old chunks or the new ones listed, never a mix, and
        calling ``drop`` again finishes the job (it deletes the unlisted files, holding the
        dropped vectors, that a killed run left).

        Parameters
        ----------
        keys : ndarray of shape (n_keys,), dtype S32
            Input fingerprints (:func:`fewlabels.encode.fingerprint.fingerprints`).

        Returns
        -------
        int
            How many rows were removed from the listed chunks (0 on a re-run that only deleted
            left-over files).
        """
        gone = np.asarray(keys).astype(FINGERPRINT_DTYPE)
        number = 1 + max((int(c["name"].split("-")[1]) for c in self.chunks), default=-1)
        kept: list[dict[str, Any]] = []
        removed = 0
        for chunk in self.chunks:
            chunk_keys = load_npy(self.entry / f"{chunk['name']}.keys.npy", mmap=False)
            hit = np.isin(chunk_keys, gone)
            if not hit.any():
                kept.append(chunk)
                continue
            removed += int(hit.sum())
            if hit.all():
                continue
            emb = np.array(load_npy(self.entry / f"{chunk['name']}.npy", mmap=False)[~hit])
            kept.append(self._write_chunk(f"chunk-{number:06d}", chunk_keys[~hit], emb))
            number += 1
        if removed:
            self.chunks = kept
            self._write_manifest()
        self.remove_unlisted()
        return removed

    def remove_unlisted(self) -> list[str]:
        """Delete the chunk files the manifest does not list (left by a killed rewrite)."""
        listed = {c["name"] for c in self.chunks}
        removed = []
        for path in sorted(self.entry.glob("chunk-*.npy")):
            name = path.name.split(".")[0]
            if _CHUNK_NAME.fullmatch(name) and name not in listed:
                path.unlink(missing_ok=True)
                removed.append(path.name)
        return removed

    def _write_chunk(self, name: str, keys: np.ndarray, emb: np.ndarray) -> dict[str, Any]:
        """Write one chunk's two files atomically and return its manifest entry."""
        data = _npy_bytes(np.ascontiguousarray(emb, np.float32))
        key_data = _npy_bytes(keys.astype(FINGERPRINT_DTYPE))
        atomic_write_bytes(self.entry / f"{name}.npy", data)
        atomic_write_bytes(self.entry / f"{name}.keys.npy", key_data)
        return {
            "name": name,
            "rows": len(keys),
            "crc32": f"{zlib.crc32(data) & 0xFFFFFFFF:08x}",
            "keys_crc32": f"{zlib.crc32(key_data) & 0xFFFFFFFF:08x}",
        }

    def _write_manifest(self) -> None:
        manifest = {
            "format": MANIFEST_FORMAT,
            "identity": self.identity,
            "dim": self.dim,
            "chunks": self.chunks,
        }
        atomic_write_bytes(self.entry / "manifest.json", json.dumps(manifest).encode())

    def chunk_arrays(self) -> Iterator[np.ndarray]:
        for c in self.chunks:
            yield load_npy(self.entry / f"{c['name']}.npy")


def _manifest_chunks(data: dict[str, Any], path: Path) -> list[dict[str, Any]]:
    """The manifest's chunk list, checked entry by entry (a flipped byte is an error)."""
    chunks = data.get("chunks")
    ok = isinstance(chunks, list) and all(
        isinstance(c, dict)
        and isinstance(c.get("name"), str)
        and _CHUNK_NAME.fullmatch(c["name"])
        and isinstance(c.get("rows"), int)
        and not isinstance(c.get("rows"), bool)
        and c["rows"] >= 0
        and all(isinstance(c.get(k, ""), str) for k in ("crc32", "keys_crc32"))
        for c in chunks
    )
    if not ok:
        raise CorruptCacheFileError(
            f"Expected a list of chunks (name chunk-NNNNNN, rows) in {str(path)!r}, but its "
            "'chunks' entry is malformed."
        )
    return [dict(c) for c in chunks]  # type: ignore[union-attr]
