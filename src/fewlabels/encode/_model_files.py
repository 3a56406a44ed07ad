"""Find a model's files without loading it, fingerprint them, and fail fast without a network.

A hub id that is not in the local cache needs the Hugging Face hub. Without a network,
transformers retries for over a minute and ends in a traceback; :func:`hub_load_options`
instead notices at once (``HF_HUB_OFFLINE`` is set, or a TCP connect to the hub fails within
two seconds) and raises a :class:`~fewlabels.errors.FewlabelsError` that says what to do.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from fewlabels.errors import FewlabelsError

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


# -- the hub, and failing fast without it ---------------------------------------------------

#: Seconds the connectivity probe waits for a TCP connect to the hub.
PROBE_TIMEOUT_S = 2.0
_TRUE = {"1", "on", "yes", "true"}
_OFFLINE_FIX = (
    "Use a local model folder instead of a hub id (e.g. 'st:/path/to/model'), one of the "
    "offline encoders (minilm, minilm-int8, efficientnet-lite0; see `fewlabels encoders`), or "
    "download the model once on a connected machine and set HF_HUB_OFFLINE=1 to use the "
    "Hugging Face cache."
)


def hub_offline() -> bool:
    """Whether ``HF_HUB_OFFLINE`` (or ``TRANSFORMERS_OFFLINE``) asks for no network."""
    return any(
        os.environ.get(k, "").strip().lower() in _TRUE
        for k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


def hub_address() -> tuple[str, int]:
    """Host and port of the Hugging Face hub (``HF_ENDPOINT``, default huggingface.co:443)."""
    url = urlsplit(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    port = url.port or (80 if url.scheme == "http" else 443)
    return url.hostname or "huggingface.co", port


def hub_reachable(timeout_s: float = PROBE_TIMEOUT_S) -> bool:
    """Whether a TCP connection to :func:`hub_address` opens within ``timeout_s``.

    Behind a proxy (``HTTPS_PROXY``, ``ALL_PROXY``) the hub is not reached directly, so the
    probe is skipped and True returned: the loading errors are still turned into a clear message.
    """
    if any(os.environ.get(k) for k in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")):
        return True
    try:
        with socket.create_connection(hub_address(), timeout=timeout_s):
            return True
    except OSError:
        return False


def hub_load_options(
    model_id_or_path: str, *, revision: str | None = None, encoder: str
) -> dict[str, bool]:
    """``local_files_only`` for loading a model, raising at once when it cannot be fetched.

    Parameters
    ----------
    model_id_or_path : str
        A local folder or a hub id.
    revision : str, optional
    encoder : str
        The encoder's registry name, for the message.

    Returns
    -------
    dict
        ``{"local_files_only": True}`` for a folder or for a cached hub id without a network,
        else ``{"local_files_only": False}``.

    Raises
    ------
    FewlabelsError
        A hub id that is not cached while ``HF_HUB_OFFLINE`` is set or the hub cannot be reached.
    """
    if is_local_folder(model_id_or_path):
        return {"local_files_only": True}
    cached = local_model_folder(model_id_or_path, revision=revision) is not None
    if hub_offline():
        if cached:
            return {"local_files_only": True}
        raise FewlabelsError(
            f"Expected the model {model_id_or_path!r} of the encoder {encoder!r} in the Hugging "
            "Face cache, because HF_HUB_OFFLINE is set (no downloads), but it is not there. "
            + _OFFLINE_FIX
        )
    if not hub_reachable():
        if cached:
            return {"local_files_only": True}
        host, port = hub_address()
        raise FewlabelsError(
            f"Expected to download the model {model_id_or_path!r} of the encoder {encoder!r} "
            f"from the Hugging Face hub, but {host}:{port} cannot be reached (no network?) and "
            "the model is not in the local cache. " + _OFFLINE_FIX
        )
    return {"local_files_only": False}


@contextlib.contextmanager
def model_loading_errors(model_id_or_path: str, *, encoder: str) -> Iterator[None]:
    """Turn the ``OSError`` of a failed model load (no network, unknown id, missing files)
    into a :class:`~fewlabels.errors.FewlabelsError` naming the model and the fix.

    huggingface_hub's ``LocalEntryNotFoundError`` and ``OfflineModeIsEnabled`` and
    transformers' "We couldn't connect" are all ``OSError`` subclasses.
    """
    try:
        yield
    except FewlabelsError:
        raise
    except OSError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if is_local_folder(model_id_or_path):
            fix = "Check that the folder holds a complete saved model (save_pretrained)."
        else:
            fix = "Check the model id. " + _OFFLINE_FIX
        raise FewlabelsError(
            f"Expected to load the model {model_id_or_path!r} of the encoder {encoder!r}, but "
            f"it failed: {first} {fix}"
        ) from exc
