"""The embedding cache: chunked, resumable, memory-mapped.

Layout under ``cache_dir``::

    <encoder-name>-<identity hash>/
        manifest.json          encoder identity, dim, and the committed chunks
        chunk-000000.npy       float32 (rows, dim): embeddings of newly encoded inputs
        chunk-000000.keys.npy  S32 (rows,): their input fingerprints
        views/<hash>.npy       float32 (n, dim): one dataset's embeddings in its row order
        views/<hash>.json      the view's ids of skipped (unreadable) inputs
        .lock                  held (flock) while a process writes

A chunk is written to a temporary name, fsynced and renamed; only then is it added to the
manifest (also replaced atomically). A process killed at any point leaves the committed
chunks intact and the next run resumes from them; a file that is not in the manifest is
never read. Embeddings come back as a read-only ``numpy.memmap``, so a cache larger than
memory can be read in blocks.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fewlabels._atomic import atomic_path, atomic_write_bytes
from fewlabels.data.builtin import data_home
from fewlabels.data.dataset import Dataset, take_inputs
from fewlabels.encode.base import Encoder
from fewlabels.encode.cache_files import (
    MANIFEST_FORMAT,
    CorruptCacheFileError,
    FileCheck,
    Store,
    load_npy,
    read_json,
)
from fewlabels.encode.fingerprint import combine, fingerprints
from fewlabels.encode.images import UnreadableInputError
from fewlabels.errors import FewlabelsError, InputTypeError

__all__ = ["MANIFEST_FORMAT", "Embeddings", "default_cache_dir", "embed"]


@dataclass
class Embeddings:
    """What :func:`embed` returns.

    Attributes
    ----------
    X : ndarray of shape (n_kept, dim), float32
        Embeddings, a read-only memmap when they come from a cache folder.
    dataset : Dataset
        The dataset restricted to the kept rows, aligned with ``X``.
    skipped : list of (id, reason)
        Inputs that could not be read (corrupt or missing files); they are not in ``X``.
    n_encoded : int
        How many inputs this call had to encode (0 when all came from the cache).
    """

    X: np.ndarray
    dataset: Dataset
    skipped: list[tuple[str, str]] = field(default_factory=list)
    n_encoded: int = 0


def default_cache_dir() -> Path:
    """``$FEWLABELS_CACHE/embeddings``, by default ``~/.cache/fewlabels/embeddings``."""
    return data_home() / "embeddings"


def _fit_if_needed(encoder: Any, dataset: Dataset) -> None:
    fit = getattr(encoder, "fit", None)
    if callable(fit) and not getattr(encoder, "is_fitted", True):
        fit(dataset.inputs)


def _check_encoder(encoder: Any, dataset: Dataset) -> None:
    cls = type(encoder)
    missing = [
        a
        for a in ("encode", "identity", "modality")
        if not (hasattr(cls, a) or a in getattr(encoder, "__dict__", {}))
    ]
    if missing:
        raise InputTypeError(
            f"Expected an encoder (fewlabels.encode.get_encoder(name) or an object with name, "
            f"dim, modality, identity and encode), but {type(encoder).__name__} lacks {missing}."
        )
    if encoder.modality != dataset.modality:
        raise FewlabelsError(
            f"Expected a {dataset.modality} encoder for the {dataset.modality} dataset "
            f"{dataset.name!r}, but {getattr(encoder, 'name', encoder)!r} encodes "
            f"{encoder.modality}. See `fewlabels encoders` for the encoders of each modality."
        )


def _entry_dir(root: Path, encoder: Encoder) -> Path:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", str(getattr(encoder, "name", "encoder")))[:60]
    digest = hashlib.blake2b(encoder.identity.encode(), digest_size=8).hexdigest()
    return root / f"{slug}-{digest}"


@contextlib.contextmanager
def _locked(entry: Path) -> Iterator[None]:
    entry.mkdir(parents=True, exist_ok=True)
    with open(entry / ".lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _encode_readable(
    encoder: Encoder, inputs: Any, positions: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[tuple[int, str]]]:
    """Encode, dropping unreadable inputs; return (kept positions, embeddings, failures)."""
    keep = np.arange(len(positions))
    failures: list[tuple[int, str]] = []
    while keep.size:
        try:
            emb = np.asarray(encoder.encode(take_inputs(inputs, positions[keep])), np.float32)
            return positions[keep], emb, failures
        except UnreadableInputError as exc:
            bad = set(exc.positions)
            failures.extend(
                (int(positions[keep[p]]), r)
                for p, r in zip(exc.positions, exc.reasons, strict=True)
            )
            keep = np.array([k for j, k in enumerate(keep) if j not in bad], dtype=np.int64)
    return positions[:0], np.zeros((0, 0), np.float32), failures


def _progress(enabled: bool, total: int, what: str) -> Any:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    class _Rate(TextColumn):
        def __init__(self) -> None:
            super().__init__("")

        def render(self, task: Any) -> Any:
            from rich.text import Text

            speed = task.finished_speed or task.speed
            return Text(f"{speed:,.0f} items/s" if speed else "", style="cyan")

    return Progress(
        TextColumn("{task.description}", style="bold", markup=False),  # names are data
        BarColumn(),
        MofNCompleteColumn(),
        _Rate(),
        TimeRemainingColumn(),
        disable=not enabled or total == 0,
        transient=False,
    )


def embed(
    dataset: Dataset,
    encoder: Encoder,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    chunk_size: int = 4096,
    progress: bool = True,
    verify: bool = True,
) -> Embeddings:
    """Embed every item of ``dataset``, reusing and extending the on-disk cache.

    Parameters
    ----------
    dataset : Dataset
    encoder : Encoder
        From :func:`fewlabels.encode.get_encoder`, or any object with its protocol.
        Encoders that depend on data statistics (``tabular``, ``pixels``) are fitted on
        ``dataset.inputs`` first when they are not fitted yet.
    cache_dir : path, optional
        Cache root; ``~/.cache/fewlabels/embeddings`` (``$FEWLABELS_CACHE``) by default.
    chunk_size : int, default 4096
        Inputs per committed chunk: a killed run loses at most one chunk of work.
    progress : bool, default True
        Show a progress bar with items/s while encoding.
    verify : bool, default True
        Check every cache file this call reads against its CRC-32 (once per file per call):
        a damaged chunk is encoded again, a damaged view rebuilt. About 0.4 s per GB read
        (docs/benchmarks.md); False trusts the files (their shapes are still checked).

    Returns
    -------
    Embeddings
        ``X`` of shape (n_kept, dim), with unreadable inputs left out and listed in ``skipped``.
    """
    if not isinstance(dataset, Dataset):
        raise InputTypeError(
            f"Expected a fewlabels Dataset, but got {type(dataset).__name__}. Load one with "
            "fewlabels.data.from_folder, from_table or load_builtin."
        )
    if int(chunk_size) < 1:
        raise FewlabelsError(f"Expected chunk_size >= 1, but got {chunk_size!r}.")
    _check_encoder(encoder, dataset)
    _fit_if_needed(encoder, dataset)
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    entry = _entry_dir(root, encoder)
    fps = fingerprints(dataset)
    view_key = combine(fps)
    views = entry / "views"
    view_npy, view_json = views / f"{view_key}.npy", views / f"{view_key}.json"

    check = FileCheck(enabled=bool(verify))
    with _locked(entry):
        cached = _read_view(view_npy, view_json, int(encoder.dim), check)
        if cached is not None:
            return _result(dataset, cached[0], cached[1], 0)
        store = Store(entry, encoder.identity, int(encoder.dim), check)
        if store.dropped:
            warnings.warn(
                f"Encoding again the rows of {len(store.dropped)} damaged embedding cache "
                f"chunk(s): {'; '.join(store.dropped[:3])}",
                stacklevel=2,
            )
        uniq, first = np.unique(fps, return_index=True)
        missing = first[store.lookup(uniq) < 0]
        missing.sort()
        failures: list[tuple[int, str]] = []
        with _progress(progress, missing.size, f"embed {dataset.name} ({encoder.name})") as bar:
            task = bar.add_task(
                f"embed {dataset.name} ({getattr(encoder, 'name', '')})", total=int(missing.size)
            )
            for start in range(0, missing.size, int(chunk_size)):
                positions = missing[start : start + int(chunk_size)]
                kept, emb, failed = _encode_readable(encoder, dataset.inputs, positions)
                failures.extend(failed)
                if kept.size:
                    store.append(fps[kept], emb)
                bar.advance(task, len(positions))
        skipped_fp = {fps[p] for p, _ in failures}
        reasons = {fps[p]: r for p, r in failures}
        skipped = [
            (str(dataset.ids[i]), reasons[fps[i]]) for i in range(len(fps)) if fps[i] in skipped_fp
        ]
        keep_rows = np.array([fp not in skipped_fp for fp in fps], dtype=bool)
        X = _write_view(store, fps[keep_rows], view_npy)
        meta = {
            "rows": int(keep_rows.sum()),
            "dim": store.dim,
            "crc32": check.verify(view_npy, None),
            "skipped": skipped,
        }
        atomic_write_bytes(view_json, json.dumps(meta).encode())
    if skipped:
        from rich.console import Console
        from rich.markup import escape

        Console(stderr=True).print(
            f"[yellow]Skipped {len(skipped)} unreadable input(s) of {escape(repr(dataset.name))}"
            f"[/], e.g. {escape(skipped[0][0])}: {escape(skipped[0][1])}"
        )
    return _result(dataset, X, skipped, int(missing.size))


def _read_view(
    view_npy: Path, view_json: Path, dim: int, check: FileCheck
) -> tuple[np.ndarray, list[Any]] | None:
    """A stored view and its skipped ids, or None when it is missing or damaged (rebuild it).

    A view written before checksums gets one on this first use.
    """
    if not (view_npy.exists() and view_json.exists()):
        return None
    try:
        meta = read_json(view_json)
        rows, skipped, crc = meta.get("rows"), meta.get("skipped"), meta.get("crc32")
        if not (isinstance(rows, int) and isinstance(skipped, list)):
            return None
        if not all(isinstance(p, list) and len(p) == 2 for p in skipped):
            return None
        actual = check.verify(view_npy, crc if isinstance(crc, str) else None)
        X = load_npy(view_npy)
    except CorruptCacheFileError:
        return None
    if X.shape != (rows, dim) or X.dtype != np.float32:
        return None
    if crc != actual:
        atomic_write_bytes(view_json, json.dumps({**meta, "dim": dim, "crc32": actual}).encode())
    return X, skipped


def _write_view(store: Store, keys: np.ndarray, path: Path) -> np.ndarray:
    """Gather the rows for ``keys`` (in order) chunk by chunk into a memmap file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    where = store.lookup(keys)
    if (where < 0).any():  # pragma: no cover - guarded by embed's bookkeeping
        raise RuntimeError("embedding cache lost rows while writing a view")
    with atomic_path(path) as tmp:
        out = np.lib.format.open_memmap(
            tmp, mode="w+", dtype=np.float32, shape=(len(keys), store.dim)
        )
        offset = 0
        for chunk in store.chunk_arrays():
            rows = len(chunk)
            sel = np.flatnonzero((where >= offset) & (where < offset + rows))
            if sel.size:
                out[sel] = chunk[where[sel] - offset]
            offset += rows
        out.flush()
        del out
    return load_npy(path)


def _result(dataset: Dataset, X: np.ndarray, skipped: list[Any], n_encoded: int) -> Embeddings:
    skipped_pairs = [(str(i), str(r)) for i, r in skipped]
    if skipped_pairs:
        drop = {i for i, _ in skipped_pairs}
        kept = np.array([str(i) not in drop for i in dataset.ids], dtype=bool)
        dataset = dataset.subset(kept)
    return Embeddings(X=X, dataset=dataset, skipped=skipped_pairs, n_encoded=n_encoded)
