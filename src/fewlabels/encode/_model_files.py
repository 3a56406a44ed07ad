"""Find a model's files without loading it, and fingerprint them for the embedding cache."""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

#: Files up to this size are hashed by content (configs, tokenizers, processor settings);
#: larger ones (weights) by name and size, so that an identity costs milliseconds.
_CONTENT_HASH_LIMIT = 4 * 1024 * 1024
_SKIP_SUFFIXES = (".md", ".lock", ".metadata")
_SKIP_NAMES = (".gitattributes",)


def local_model_folder(model_id_or_path: str, *, revision: str | None = None) -> Path | None:
    """The folder that holds a model's files, if it is on this machine.

    Parameters
    ----------
    model_id_or_path : str
        A local folder, or a Hugging Face hub id.
    revision : str, optional
        Hub branch, tag or commit.

    Returns
    -------
    Path or None
        The folder itself, the hub cache snapshot of ``model_id_or_path`` at ``revision``, or
        None when the model is neither a folder nor in the hub cache. Never touches the network.
    """
    path = Path(model_id_or_path).expanduser()
    if path.is_dir():
        return path
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        return None
    try:
        return Path(
            snapshot_download(str(model_id_or_path), revision=revision, local_files_only=True)
        )
    except Exception:  # not cached (or not a valid id): the caller loads it
        return None


def is_local_folder(model_id_or_path: str) -> bool:
    """Whether ``model_id_or_path`` names an existing folder (not a hub id)."""
    return Path(model_id_or_path).expanduser().is_dir()


def files_fingerprint(folder: Path) -> str:
    """A short hash of a model folder: small files by content, large files by name and size.

    Parameters
    ----------
    folder : Path
        A saved model (``save_pretrained`` or sentence-transformers layout).

    Returns
    -------
    str
        16 hex digits; it changes when a config, tokenizer or processor setting changes, or when
        a weights file is replaced by one of another size.
    """
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if (
            not path.is_file()
            or path.name in _SKIP_NAMES
            or path.name.endswith(_SKIP_SUFFIXES)
            or any(part.startswith(".") for part in Path(rel).parts)
        ):
            continue
        size = path.stat().st_size
        digest.update(f"{rel}\0{size}\0".encode())
        if size <= _CONTENT_HASH_LIMIT:
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def file_fingerprint(path: Path) -> str:
    """``name:size`` of one (large) file, e.g. a weights file."""
    return f"{path.name}:{os.path.getsize(path)}"


def content_fingerprint(path: Path) -> str:
    """16 hex digits of the sha256 of one (small) file's content."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def model_label(model_id_or_path: str) -> str:
    """A readable name for an identity: the hub id, or a folder's base name (never its path)."""
    path = Path(model_id_or_path).expanduser()
    return path.resolve().name if path.is_dir() else str(model_id_or_path)


@contextlib.contextmanager
def quiet_model_loading() -> Iterator[None]:
    """Hide transformers' per-load "Loading weights" progress bar, restoring its setting after.

    Encoders load once per process; the bar adds nothing but noise to fewlabels' own progress.
    """
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:
        yield
        return
    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()
