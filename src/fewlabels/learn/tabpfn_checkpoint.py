"""Where the TabPFN v1 checkpoint comes from: a folder on disk, checked, or a download.

TabPFN (Hollmann et al., 2023, "TabPFN: A Transformer That Solves Small Tabular
Classification Problems in a Second") is one network trained once on synthetic tables; its
classifier checkpoint, ``prior_diff_real_checkpoint_n_0_epoch_42.cpkt`` (103 MB, MIT), is
loaded by the ``tabpfn`` package (``pip install 'fewlabels[tabpfn]'``), which reads it with
``torch.load``: a pickle. So a checkpoint is only loaded once its SHA-256 is the published
file's (:data:`CHECKPOINT_SHA256`); a user's own checkpoint needs ``sha256=None``, said
explicitly.

Lookup order: ``base_path`` when given, else ``$FEWLABELS_TABPFN_DIR``, else
``$FEWLABELS_CACHE/tabpfn`` (``~/.cache/fewlabels/tabpfn``); each is a folder holding
``models_diff/<file>``, the layout ``tabpfn`` expects. With internet, :func:`download` fetches
the file from the TabPFN repository into that folder (atomically, hash checked). Offline, the
checkpoint ships inside the source archive of ``tabpfn==0.1`` on PyPI; ``make tabpfn`` copies
it from there (see the Makefile).
"""

from __future__ import annotations

import hashlib
import os
import socket
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

from fewlabels._atomic import atomic_path
from fewlabels.errors import FewlabelsError, MissingFileError

#: The checkpoint's file name inside ``<base>/models_diff/``.
CHECKPOINT_FILE = "prior_diff_real_checkpoint_n_0_epoch_42.cpkt"

#: SHA-256 of the published checkpoint (the file of TabPFN v1.0.0, also in ``tabpfn==0.1``'s
#: source archive).
CHECKPOINT_SHA256 = "3c9aadaeddbf51462af8c0ee4b3ca3c697890f77e92318abbb0821b75261c392"

#: Where the published checkpoint is downloaded from.
CHECKPOINT_URL = (
    "https://github.com/PriorLabs/TabPFN/raw/refs/tags/v1.0.0/tabpfn/models_diff/" + CHECKPOINT_FILE
)

#: Seconds to wait for the download host to answer before saying the machine is offline.
CONNECT_TIMEOUT_S = 3.0

_HOW = (
    "Offline, copy it from the source archive of tabpfn==0.1 on PyPI with `make tabpfn` "
    "(it writes ~/.cache/fewlabels/tabpfn/models_diff/), or pass base_path= a folder holding "
    f"models_diff/{CHECKPOINT_FILE}."
)

_verified: dict[tuple[str, int, int], str] = {}


def default_dir() -> Path:
    """``$FEWLABELS_TABPFN_DIR``, else ``$FEWLABELS_CACHE/tabpfn``, else
    ``~/.cache/fewlabels/tabpfn``."""
    if os.environ.get("FEWLABELS_TABPFN_DIR"):
        return Path(os.environ["FEWLABELS_TABPFN_DIR"]).expanduser()
    root = os.environ.get("FEWLABELS_CACHE")
    return (Path(root).expanduser() if root else Path.home() / ".cache" / "fewlabels") / "tabpfn"


def checkpoint_path(base: str | Path) -> Path:
    """The checkpoint file a base folder holds (or would hold)."""
    return Path(base) / "models_diff" / CHECKPOINT_FILE


def file_sha256(path: Path) -> str:
    """SHA-256 of a file in hex, remembered per (path, size, mtime) for this process."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _verified:
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        _verified[key] = digest.hexdigest()
    return _verified[key]


def check_checkpoint(path: Path, *, sha256: str | None = CHECKPOINT_SHA256) -> Path:
    """Refuse a checkpoint file that is not the expected one (it would be unpickled).

    Raises
    ------
    FewlabelsError
        When its SHA-256 differs from ``sha256`` (a corrupt, truncated or foreign file).
    """
    if sha256 is None:
        return path
    found = file_sha256(path)
    if found != sha256:
        size = path.stat().st_size
        raise FewlabelsError(
            f"Expected the TabPFN v1 checkpoint at {path} (SHA-256 {sha256[:16]}..., "
            f"103,350,223 bytes), but the file there has SHA-256 {found[:16]}... and "
            f"{size:,} bytes: a truncated download, a corrupt copy or another model. It was "
            "not loaded (loading runs pickle). Delete it and fetch it again; for a checkpoint "
            "of your own, pass checkpoint_sha256=None."
        )
    return path


def _reachable(url: str, timeout: float) -> bool:
    """Whether the URL's host accepts a TCP connection within ``timeout`` seconds."""
    parsed = urlparse(url)
    port = parsed.port or (80 if parsed.scheme == "http" else 443)
    try:
        with socket.create_connection((parsed.hostname or "", port), timeout=timeout):
            return True
    except OSError:
        return False


def download(
    base: str | Path,
    *,
    url: str = CHECKPOINT_URL,
    sha256: str | None = CHECKPOINT_SHA256,
    timeout_s: float = CONNECT_TIMEOUT_S,
) -> Path:
    """Download the checkpoint into ``base/models_diff/`` (atomically, hash checked).

    Raises
    ------
    FewlabelsError
        When the host does not answer within ``timeout_s`` seconds (offline: says how to
        get the file without a network) or the downloaded bytes are not the checkpoint.
    """
    target = checkpoint_path(base)
    if not _reachable(url, timeout_s):
        raise FewlabelsError(
            f"Expected to download the TabPFN checkpoint from {urlparse(url).hostname}, but it "
            f"did not answer within {timeout_s:g} s (no network?). {_HOW}"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as part:  # the file appears whole and checked, or not at all
        with urllib.request.urlopen(url, timeout=60) as response, open(part, "wb") as fh:
            for block in iter(lambda: response.read(1 << 20), b""):
                fh.write(block)
        check_checkpoint(part, sha256=sha256)
    return target


def find_checkpoint(
    base_path: str | Path | None,
    *,
    sha256: str | None = CHECKPOINT_SHA256,
    allow_download: bool = True,
) -> Path:
    """The base folder whose ``models_diff/`` holds a checked checkpoint.

    Parameters
    ----------
    base_path : str, Path or None
        A folder holding ``models_diff/<file>``; None looks in :func:`default_dir`.
    sha256 : str or None
        The expected SHA-256 (None: trust the file as it is).
    allow_download : bool
        Download into the folder when the file is missing and the host answers.

    Raises
    ------
    MissingFileError
        No checkpoint and no download allowed.
    FewlabelsError
        A file that fails its hash, or a download that cannot happen (see :func:`download`).
    """
    base = Path(base_path).expanduser() if base_path is not None else default_dir()
    path = checkpoint_path(base)
    if path.is_file():
        check_checkpoint(path, sha256=sha256)
        return base
    if not allow_download:
        raise MissingFileError(
            f"Expected the TabPFN checkpoint at {path}, but there is no such file. {_HOW}"
        )
    download(base, sha256=sha256)
    return base
