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

Chunks are sized by time: the first holds one *step* (the rows of one ``encode`` call, fixed
per encoder: four of its batches, 32 to 256 rows), each next one the whole steps that took
about ``commit_every_s`` (5 s) at the rate just measured, at most 4,096 rows. Readers never
care about chunk sizes: a row is found by its input's fingerprint, and the manifest lists
each chunk with its row count. Because ``encode`` calls cover fixed steps counted from the
first missing input, the rows an encoder sees together do not depend on timing, so a run
stopped and resumed writes the same bytes as one left alone (for encoders whose output
depends on the batch, such as int8 graphs quantised per run). Ctrl-C commits the steps
already encoded and raises :class:`EmbedInterrupted`; a full disk leaves no torn chunk and
raises :class:`CacheDiskFullError` with the space needed.

This file runs past 400 lines because it is the one entry point (:func:`embed`) with its
resume, verification and progress steps; the files themselves (chunks, manifests, views,
locks) are in ``cache_files.py`` and the block reader in ``blocks.py``.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import math
import os
import re
import shutil
import signal
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
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
from fewlabels.encode.fingerprint import FINGERPRINT_DTYPE, combine, fingerprints
from fewlabels.encode.images import UnreadableInputError
from fewlabels.errors import FewlabelsError, InputTypeError

__all__ = [
    "MANIFEST_FORMAT",
    "CacheDiskFullError",
    "EmbedInterrupted",
    "Embeddings",
    "chunk_rows",
    "default_cache_dir",
    "embed",
    "forget_cached",
]


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


MAX_CHUNK = 4096
"""Most rows in one chunk that :func:`embed` sizes by time."""

_clock = time.perf_counter  # the tests replace it with a fake clock


def chunk_rows(
    rows_per_s: float, *, commit_every_s: float, step: int, max_rows: int = MAX_CHUNK
) -> int:
    """Rows of the next chunk: the whole steps that take about ``commit_every_s``.

    Parameters
    ----------
    rows_per_s : float
        The encoding rate just measured (rows per second, commit included); 0, NaN or
        infinity (no time measured) give the largest chunk.
    commit_every_s : float
        Target seconds between two commits.
    step : int
        Rows per ``encode`` call; a chunk is a whole number of steps.
    max_rows : int, default 4096
        Upper bound, rounded down to whole steps (never below one step).

    Returns
    -------
    int
        A multiple of ``step`` in ``[step, max(step, max_rows // step * step)]``.
    """
    top = max(step, max_rows // step * step)
    if not (rows_per_s > 0 and math.isfinite(rows_per_s)):
        return top
    steps = math.floor(rows_per_s * commit_every_s / step)
    return int(min(top, max(step, steps * step)))


def _encode_step(encoder: Any) -> int:
    """Rows per ``encode`` call: four of the encoder's batches, within [32, 256].

    A text encoder sorts each call's texts by length before batching (0.9x the throughput
    of 512-row calls with 256 rows on finefoods reviews, 0.43x with 64 rows); an image
    encoder decodes the next batch while it runs one. Encoders without ``batch_size`` get
    256.
    """
    batch = getattr(encoder, "batch_size", None)
    if isinstance(batch, int) and not isinstance(batch, bool) and batch >= 1:
        return int(min(256, max(32, 4 * batch)))
    return 256


class EmbedInterrupted(KeyboardInterrupt):
    """Ctrl-C during :func:`embed`, after the rows encoded so far were committed.

    A :class:`KeyboardInterrupt`, so code that stops on Ctrl-C still stops.

    Attributes
    ----------
    n_cached : int
        Rows of the dataset whose embeddings are in the cache now.
    n_total : int
        Rows of the dataset.
    """

    def __init__(self, n_cached: int, n_total: int) -> None:
        super().__init__(
            f"interrupted: {n_cached} of {n_total} rows cached; run the same command again "
            "to resume"
        )
        self.n_cached = n_cached
        self.n_total = n_total


class CacheDiskFullError(FewlabelsError, OSError):
    """The disk filled up while :func:`embed` wrote the cache (``errno`` is ``ENOSPC``).

    The message gives the space still needed; the chunks committed before stay.
    """

    def __init__(self, message: str, *, needed: int, n_cached: int, n_total: int) -> None:
        super().__init__(errno.ENOSPC, message)
        self.errno, self.strerror = errno.ENOSPC, message
        self.message = message
        self.needed = needed
        self.n_cached = n_cached
        self.n_total = n_total

    def __str__(self) -> str:
        return self.message


@contextlib.contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Hold a Ctrl-C that arrives inside the block until it ends (main thread only).

    A commit in progress then finishes (files and manifest) before the interrupt is raised.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught and callable(previous):
        previous(signal.SIGINT, None)  # default_int_handler raises KeyboardInterrupt


def _commit(store: Store, keys: list[np.ndarray], embs: list[np.ndarray]) -> None:
    """Append the encoded parts as one chunk, with Ctrl-C held until it is written."""
    if not keys:
        return
    with _sigint_deferred():
        store.append(np.concatenate(keys), np.concatenate(embs))


def _encode_missing(
    store: Store,
    encoder: Encoder,
    inputs: Any,
    fps: np.ndarray,
    missing: np.ndarray,
    *,
    chunk_size: int | None,
    commit_every_s: float,
    advance: Any,
) -> list[tuple[int, str]]:
    """Encode ``missing`` (positions into ``inputs``) step by step, committing chunks.

    Assumes valid arguments and that the caller holds the lock. On Ctrl-C the steps of the
    current chunk that were encoded are committed before the ``KeyboardInterrupt`` goes on.
    Returns the (position, reason) of the unreadable inputs.
    """
    step = _encode_step(encoder) if chunk_size is None else min(_encode_step(encoder), chunk_size)
    rows = step if chunk_size is None else chunk_size
    failures: list[tuple[int, str]] = []
    start = 0
    while start < missing.size:
        chunk = missing[start : start + rows]
        began = _clock()
        keys: list[np.ndarray] = []
        embs: list[np.ndarray] = []
        try:
            for s in range(0, chunk.size, step):
                part = chunk[s : s + step]
                kept, emb, failed = _encode_readable(encoder, inputs, part)
                failures.extend(failed)
                if kept.size:
                    keys.append(fps[kept])
                    embs.append(emb)
                advance(len(part))
        except KeyboardInterrupt:
            _commit(store, keys, embs)
            raise
        _commit(store, keys, embs)
        start += chunk.size
        if chunk_size is None:
            elapsed = _clock() - began
            rate = chunk.size / elapsed if elapsed > 0 else math.inf
            rows = chunk_rows(rate, commit_every_s=commit_every_s, step=step)
    return failures


def _rows_cached(store: Store, fps: np.ndarray) -> int:
    return int((store.lookup(fps) >= 0).sum())


def _disk_full(
    exc: OSError, store: Store, fps: np.ndarray, n_keep: int, entry: Path
) -> CacheDiskFullError:
    """The error for a full disk, after removing the files of a chunk left half written."""
    with contextlib.suppress(OSError, FewlabelsError):
        # the manifest on disk is the truth: reopen it, then delete what it does not list
        store = Store(entry, store.identity, store.dim, store.check)
        store.remove_unlisted()
    n_cached = _rows_cached(store, fps)
    row_bytes = store.dim * 4
    # the rows still to encode (vectors and 32-byte keys), then the dataset's view
    needed = (len(fps) - n_cached) * (row_bytes + 32) + n_keep * row_bytes
    try:
        free_text = f"{_size(shutil.disk_usage(entry).free)} free"
    except OSError:
        free_text = "free space unknown"
    message = (
        f"Expected about {_size(needed)} free for the embedding cache in {str(entry)!r} "
        f"({len(fps) - n_cached} rows x {store.dim} dims x 4 bytes still to write, and the "
        f"dataset's view of {n_keep} rows), but the disk is full ({free_text}; "
        f"{exc.strerror or exc}). {n_cached} of {len(fps)} rows are cached and kept. Free some "
        "space, or put the cache on another disk (cache_dir=, --cache-dir or "
        "$FEWLABELS_CACHE), then run the same command again to resume."
    )
    return CacheDiskFullError(message, needed=needed, n_cached=n_cached, n_total=len(fps))


def _size(n: int) -> str:
    """Bytes as a short human size (``1.4 GiB``, ``6 KiB``)."""
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{math.ceil(n / 1024)} KiB"


def embed(
    dataset: Dataset,
    encoder: Encoder,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    chunk_size: int | None = None,
    commit_every_s: float = 5.0,
    progress: bool = True,
    verify: bool = True,
    ray_address: str | None = None,
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
    chunk_size : int, optional
        Inputs per committed chunk: a killed run loses at most one chunk of work. By default
        chunks are sized by time (see ``commit_every_s``), from one step up to 4,096 rows.
    commit_every_s : float, default 5.0
        Target seconds between two commits when ``chunk_size`` is None: the rate of the chunk
        just written sets the next one's rows, so progress moves and a stopped run resumes
        with little lost even on small or slow pools.
    progress : bool, default True
        Show a progress bar with items/s while encoding.
    verify : bool, default True
        Check every cache file this call reads against its CRC-32 (once per file per call):
        a damaged chunk is encoded again, a damaged view rebuilt. About 0.4 s per GB read
        (docs/benchmarks.md); False trusts the files (their shapes are still checked).
    ray_address : str, optional
        ``"auto"`` or ``"HOST:PORT"``: encode the missing rows on that Ray cluster, one actor
        per GPU (else per CPU), each loading the encoder once; the cache gets the same rows,
        in order, and the view the same bytes as a single-process run
        (:mod:`fewlabels.encode.ray_embed`; needs ``fewlabels[ray]``). An address that does
        not answer fails within seconds.

    Returns
    -------
    Embeddings
        ``X`` of shape (n_kept, dim), with unreadable inputs left out and listed in ``skipped``.

    Raises
    ------
    EmbedInterrupted
        On Ctrl-C (a ``KeyboardInterrupt``), once the rows encoded so far are committed; the
        same call again resumes from them.
    CacheDiskFullError
        When the disk fills up (an ``OSError`` with ``errno.ENOSPC``); no chunk is left half
        written, and the message gives the space still needed.
    """
    if not isinstance(dataset, Dataset):
        raise InputTypeError(
            f"Expected a fewlabels Dataset, but got {type(dataset).__name__}. Load one with "
            "fewlabels.data.from_folder, from_table or load_builtin."
        )
    if chunk_size is not None and (
        isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1
    ):
        raise FewlabelsError(
            f"Expected chunk_size to be a whole number >= 1 (or None to size chunks by time), "
            f"but got {chunk_size!r}."
        )
    if isinstance(commit_every_s, bool) or not (
        isinstance(commit_every_s, (int, float)) and 0 < commit_every_s < math.inf
    ):
        raise FewlabelsError(
            f"Expected commit_every_s to be a number of seconds > 0, but got {commit_every_s!r}."
        )
    _check_encoder(encoder, dataset)
    run_here: Any = contextlib.nullcontext(_encode_missing)
    if ray_address is not None:
        from fewlabels.encode.ray_embed import check_ray_address, ray_encode_missing

        check_ray_address(ray_address)  # fail in seconds, before any work
    _fit_if_needed(encoder, dataset)
    if ray_address is not None:
        run_here = ray_encode_missing(ray_address, encoder)  # ships the fitted encoder
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    entry = _entry_dir(root, encoder)
    fps = fingerprints(dataset)
    view_key = combine(fps)
    views = entry / "views"
    view_npy, view_json = views / f"{view_key}.npy", views / f"{view_key}.json"

    check = FileCheck(enabled=bool(verify))
    with run_here as encode_missing, _locked(entry):
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
        try:
            with _progress(progress, missing.size, f"embed {dataset.name} ({encoder.name})") as bar:
                task = bar.add_task(
                    f"embed {dataset.name} ({getattr(encoder, 'name', '')})",
                    total=int(missing.size),
                )
                failures = encode_missing(
                    store,
                    encoder,
                    dataset.inputs,
                    fps,
                    missing,
                    chunk_size=chunk_size,
                    commit_every_s=float(commit_every_s),
                    advance=lambda n: bar.advance(task, n),
                )
            skipped_fp = {fps[p] for p, _ in failures}
            reasons = {fps[p]: r for p, r in failures}
            skipped = [
                (str(dataset.ids[i]), reasons[fps[i]])
                for i in range(len(fps))
                if fps[i] in skipped_fp
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
        except KeyboardInterrupt:
            raise EmbedInterrupted(_rows_cached(store, fps), len(fps)) from None
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT) or isinstance(exc, FewlabelsError):
                raise
            raise _disk_full(exc, store, fps, len(fps), entry) from exc
    if skipped:
        from rich.console import Console
        from rich.markup import escape

        Console(stderr=True).print(
            f"[yellow]Skipped {len(skipped)} unreadable input(s) of {escape(repr(dataset.name))}"
            f"[/], e.g. {escape(skipped[0][0])}: {escape(skipped[0][1])}"
        )
    return _result(dataset, X, skipped, int(missing.size))


def forget_cached(
    keys: Sequence[str | bytes] | np.ndarray, *, cache_dir: str | os.PathLike[str]
) -> int:
    """Remove the embeddings of some inputs from every encoder's cache under ``cache_dir``.

    In each encoder folder, under its lock: the views go first (each holds some dataset's rows;
    the next :func:`embed` rebuilds a view from the chunks without encoding anything), then
    :meth:`Store.drop <fewlabels.encode.cache_files.Store.drop>` writes the chunks again
    without those rows and deletes the old files. A process killed at any point leaves a
    consistent cache (old chunks or new ones), and calling this again finishes the job: the
    vectors' bytes are no longer in any file of the folder afterwards. A folder whose manifest
    cannot be read loses all its files (its rows are encoded again).

    Parameters
    ----------
    keys : sequence of str, or ndarray of shape (n_keys,), dtype S32
        Input fingerprints, from :func:`fewlabels.encode.fingerprint.fingerprints`.
    cache_dir : path
        A cache root, as passed to :func:`embed`.

    Returns
    -------
    int
        Rows removed from the chunks, summed over the encoder folders.
    """
    root = Path(cache_dir)
    gone = np.array(
        [k.encode("ascii") if isinstance(k, str) else bytes(k) for k in keys], FINGERPRINT_DTYPE
    )
    if not root.is_dir():
        return 0
    total = 0
    for entry in sorted(p for p in root.iterdir() if p.is_dir()):
        with _locked(entry):
            for view in (entry / "views").glob("*"):
                view.unlink(missing_ok=True)
            manifest = entry / "manifest.json"
            try:
                data = read_json(manifest) if manifest.exists() else {}
            except CorruptCacheFileError:
                data = {}
            identity, dim = data.get("identity"), data.get("dim")
            if not (isinstance(identity, str) and isinstance(dim, int)):
                for path in entry.glob("chunk-*"):
                    path.unlink(missing_ok=True)
                manifest.unlink(missing_ok=True)
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a damaged chunk is dropped: what we want
                store = Store(entry, identity, dim, FileCheck(enabled=True))
            total += store.drop(gone)
    return total


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
