"""Atomic writes: a reader (or a process killed mid-write) sees the old file or the new one.

Every writer of fewlabels that must not leave a torn file (the embedding cache's chunks and
manifest, bench cells and results, budget splits, the unpacked built-in image folders) goes
through this module. The data goes to a temporary file in the target's folder (so that the
rename stays on one file system), is flushed and fsynced, then :func:`os.replace` puts it in
place in one step. On an error the temporary file is removed and the old target is left as it
was. A process killed between the write and the rename leaves a hidden
``.<name>.<pid>.<random>.tmp`` beside the target, which readers never open (the embedding
cache removes them under its lock).

``fsync_dir=True`` also fsyncs the folder after the rename, so the rename itself survives a
power cut; none of the writers needs that today (a lost rename leaves the old, valid state).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np

__all__ = [
    "atomic_fill_folder",
    "atomic_folder",
    "atomic_path",
    "atomic_save_npy",
    "atomic_write_bytes",
    "atomic_write_text",
]


def _temp_name(target: Path) -> Path:
    return target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


def _fsync(path: Path) -> None:
    """fsync a file or a folder (a read-only descriptor is enough on POSIX)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], *, fsync_dir: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; write a file there, and it replaces ``path``.

    When the block ends normally the temporary file is fsynced and renamed onto ``path``;
    when it raises (or the rename fails) the temporary file is removed and ``path`` is
    unchanged. For writers that need a file name (``DataFrame.to_parquet``, ``open_memmap``).

    Examples
    --------
    >>> with atomic_path("results.parquet") as tmp:  # doctest: +SKIP
    ...     frame.to_parquet(tmp)
    """
    target = Path(path)
    tmp = _temp_name(target)
    try:
        yield tmp
        _fsync(tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if fsync_dir:
        _fsync(target.parent)


def atomic_write_bytes(
    path: str | os.PathLike[str], data: bytes, *, fsync_dir: bool = False
) -> Path:
    """Write ``data`` to ``path`` atomically; return the path."""
    target = Path(path)
    with atomic_path(target, fsync_dir=fsync_dir) as tmp, open(tmp, "xb") as fh:
        fh.write(data)
    return target


def atomic_write_text(path: str | os.PathLike[str], text: str, *, fsync_dir: bool = False) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; return the path."""
    return atomic_write_bytes(path, text.encode("utf-8"), fsync_dir=fsync_dir)


def atomic_save_npy(
    path: str | os.PathLike[str], array: np.ndarray, *, fsync_dir: bool = False
) -> Path:
    """Save ``array`` as a ``.npy`` file (no pickles) at ``path`` atomically; return the path."""
    target = Path(path)
    with atomic_path(target, fsync_dir=fsync_dir) as tmp, open(tmp, "xb") as fh:
        np.save(fh, array, allow_pickle=False)
    return target


@contextlib.contextmanager
def atomic_folder(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; fill it, and it replaces ``path`` whole.

    On normal exit an existing ``path`` is removed and the temporary folder renamed onto it
    (a reader may briefly find no folder, never a half-filled one); on an error the
    temporary folder is removed and ``path`` is left as it was.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_name(target)
    tmp.mkdir()
    try:
        yield tmp
        shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@contextlib.contextmanager
def atomic_fill_folder(path: str | os.PathLike[str], *, last: str) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; fill it, and its entries appear in ``path``.

    Unlike :func:`atomic_folder`, an existing ``path`` is kept (``fewlabels init .`` in a
    folder of one's own): an absent ``path`` is created by one rename; otherwise each entry is
    renamed into it, ``last`` at the end (while it is missing the result counts as absent), and
    a sub-folder that ``path`` already has is kept, so the sub-folders made must be empty. On
    an error (in the block or while moving) every entry moved so far and the temporary folder
    are removed: ``path`` is left as it was.
    """
    target = Path(path).absolute()  # "." has no name to put beside it
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_name(target)
    tmp.mkdir()
    try:
        yield tmp
        if not target.exists():
            os.replace(tmp, target)
            return
        moved: list[Path] = []
        try:
            for entry in sorted(tmp.iterdir(), key=lambda p: p.name == last):
                dest = target / entry.name
                if entry.is_dir() and dest.is_dir():
                    continue  # the folder's own sub-folder of that name: keep it
                os.replace(entry, dest)
                moved.append(dest)
        except BaseException:
            for dest in reversed(moved):
                if dest.is_dir():
                    shutil.rmtree(dest, ignore_errors=True)
                else:
                    dest.unlink(missing_ok=True)
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
