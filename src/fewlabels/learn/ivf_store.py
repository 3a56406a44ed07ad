"""The inverted-file partition saved beside the embedding cache, and read back when it fits.

:func:`fewlabels.learn.ivf_graph.cluster_rows` (k-means lists of about 1,000 rows) is the
first step of every inverted-file kNN graph. When the rows come from the embedding cache
(the read-only memmap that :func:`fewlabels.encode.embed` returns), the partition is saved
under ``<entry>/indexes/`` beside the neighbour index of :mod:`fewlabels.encode.index`, as
two ``.npy`` files (``centroids`` and ``assign``, no pickle) and a JSON record of what it
was built from: the encoder's identity, the cache view and its checksum, the transform of
the rows (centring), the partition's settings and the files' checksums. On reload the
record must match, both checksums must hold and the arrays must have the shapes and range
of a partition of these rows; the arrays are then memory-mapped. A partition from another
encoder, dataset, cache, centring or setting, or a damaged one, is refused with a warning
and rebuilt.

It lives in ``learn/`` (not ``encode/``, where the neighbour index is) because the partition
is the learn floor's :class:`~fewlabels.learn.ivf_graph.Clusters`, and ``encode`` never
imports ``learn``; the identity of the rows (:class:`~fewlabels.encode.index.CacheSource`,
:func:`~fewlabels.encode.index.transform_key`) comes from the index module, so both saved
files are checked the same way.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from fewlabels._atomic import atomic_save_npy, atomic_write_bytes
from fewlabels.encode.cache_files import CorruptCacheFileError, file_crc32, read_json
from fewlabels.encode.index import CacheSource
from fewlabels.learn import ivf_graph
from fewlabels.learn.ivf_graph import Clusters, cluster_rows

__all__ = ["IVF_FORMAT", "ivf_partition", "partition_paths", "partition_settings"]

#: Version of the saved partition (and of the algorithm that splits and numbers its lists); a
#: record of another version is rebuilt. 2: lists are split until none holds more than
#: ``2 list_size`` rows (k-means rounds, then equal slices).
IVF_FORMAT = 2


def partition_settings(
    *, n_lists: int | None, list_size: int | None, metric: str, seed: int
) -> dict[str, Any]:
    """The settings that shape a :func:`cluster_rows` partition, module defaults resolved now."""
    return {
        "n_lists": None if n_lists is None else int(n_lists),
        "list_size": int(ivf_graph.LIST_SIZE if list_size is None else list_size),
        "metric": str(metric),
        "seed": int(seed),
        "two_level_above": int(ivf_graph.TWO_LEVEL_ABOVE),
        "train_per_list": int(ivf_graph._TRAIN_PER_LIST),
        "split_rounds": int(ivf_graph._SPLIT_ROUNDS),
        "max_list": 2 * int(ivf_graph.LIST_SIZE if list_size is None else list_size),
    }


def partition_paths(
    source: CacheSource, settings: dict[str, Any], transform: str
) -> tuple[Path, Path, Path]:
    """Where the partition of ``source`` (after ``transform``) with ``settings`` is saved.

    Returns
    -------
    centroids, assign, record : Path
        ``<entry>/indexes/<view>-<transform>-ivf-<settings>.{centroids.npy,assign.npy,json}``.
    """
    tkey = hashlib.blake2b(transform.encode(), digest_size=6).hexdigest()
    skey = hashlib.blake2b(json.dumps(settings, sort_keys=True).encode(), digest_size=6)
    stem = f"{source.view}-{tkey}-ivf-{skey.hexdigest()}"
    folder = source.entry / "indexes"
    return (
        folder / f"{stem}.centroids.npy",
        folder / f"{stem}.assign.npy",
        folder / f"{stem}.json",
    )


def _expected(
    source: CacheSource, settings: dict[str, Any], transform: str, n: int, dim: int
) -> dict[str, Any]:
    return {
        "format": IVF_FORMAT,
        **source.record(),
        "transform": transform,
        "settings": settings,
        "rows": int(n),
        "dim": int(dim),
    }


def _mismatch(record: dict[str, Any], expected: dict[str, Any]) -> str | None:
    for key, want in expected.items():
        got = record.get(key)
        if got != want:
            return f"{key} {got!r} (expected {want!r})"
    return None


def _check_arrays(
    centroids: np.ndarray, assign: np.ndarray, expected: dict[str, Any]
) -> str | None:
    """What is wrong with the read arrays as a partition of ``expected`` rows, or None."""
    if centroids.ndim != 2 or centroids.shape[1] != expected["dim"] or len(centroids) < 1:
        return f"centroids of shape {centroids.shape} (expected (n_lists, {expected['dim']}))"
    if centroids.dtype != np.float32 or assign.dtype != np.int64:
        return f"arrays of dtype {centroids.dtype} and {assign.dtype} (expected float32, int64)"
    if assign.shape != (expected["rows"],):
        return f"an assignment of shape {assign.shape} (expected ({expected['rows']},))"
    if assign.size and (int(assign.min()) < 0 or int(assign.max()) >= len(centroids)):
        return f"list numbers outside [0, {len(centroids)})"
    return None


def _load(paths: tuple[Path, Path, Path], expected: dict[str, Any]) -> Clusters | None:
    """The saved partition when its record, checksums and arrays fit; else None (warned)."""
    c_path, a_path, j_path = paths
    if not all(p.exists() for p in paths):
        return None
    try:
        record = read_json(j_path)
    except CorruptCacheFileError:
        record = {}
    why = _mismatch(record, expected) if record else "a record that cannot be read"
    if why is None and (
        record.get("centroids_crc32") != file_crc32(c_path)
        or record.get("assign_crc32") != file_crc32(a_path)
    ):
        why = "a checksum that does not match its file"
    clusters = None
    if why is None:
        try:
            centroids = np.load(c_path, mmap_mode="r", allow_pickle=False)
            assign = np.load(a_path, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError) as exc:
            why = f"an unreadable file ({type(exc).__name__}: {str(exc)[:120]})"
        else:
            why = _check_arrays(centroids, assign, expected)
            if why is None:
                metric = str(expected["settings"]["metric"])
                clusters = Clusters(centroids=centroids, assign=assign, metric=metric)
    if clusters is None:
        warnings.warn(
            f"Refused the inverted-file partition {j_path}: it has {why}; it was built from "
            "other embeddings or settings (another encoder, dataset, cache or centring), or "
            "it is damaged. Rebuilding it.",
            stacklevel=3,
        )
    return clusters


def _save(clusters: Clusters, paths: tuple[Path, Path, Path], expected: dict[str, Any]) -> None:
    c_path, a_path, j_path = paths
    c_path.parent.mkdir(parents=True, exist_ok=True)
    atomic_save_npy(c_path, np.ascontiguousarray(clusters.centroids, dtype=np.float32))
    atomic_save_npy(a_path, np.ascontiguousarray(clusters.assign, dtype=np.int64))
    record = {
        **expected,
        "n_lists": int(clusters.n_lists),
        "centroids_crc32": file_crc32(c_path),
        "assign_crc32": file_crc32(a_path),
    }
    atomic_write_bytes(j_path, json.dumps(record, indent=1).encode())


def ivf_partition(
    Z: np.ndarray,
    *,
    source: CacheSource | None = None,
    transform: str = "",
    n_lists: int | None = None,
    list_size: int | None = None,
    metric: str = "ip",
    seed: int = 0,
) -> Clusters:
    """The :func:`cluster_rows` partition of ``Z``: read from beside the cache when it fits.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_features)
        The rows to partition: the cached embeddings of ``source`` after ``transform``.
    source : CacheSource, optional
        :func:`fewlabels.encode.index.cache_source` of the embeddings ``Z`` was made from;
        None: built in memory, nothing saved.
    transform : str, default ""
        What turned the cached rows into ``Z`` (:func:`fewlabels.encode.index.transform_key`
        of the pool mean); it enters the file name and the record, so a partition of
        differently centred rows is never read back.
    n_lists, list_size, metric, seed
        As :func:`cluster_rows`; they enter the record (with the module's
        ``TWO_LEVEL_ABOVE`` and training sample size, read now).

    Returns
    -------
    Clusters
        Memory-mapped (read-only) when read back. A saved partition whose record,
        checksums or arrays do not fit is refused with a warning and rebuilt (and saved
        over); a cache that cannot be written keeps the partition in memory, with a warning.
    """
    ivf_graph._check_metric(metric)
    n, dim = Z.shape

    def build() -> Clusters:
        return cluster_rows(Z, n_lists=n_lists, list_size=list_size, metric=metric, seed=seed)

    if source is None:
        return build()
    settings = partition_settings(n_lists=n_lists, list_size=list_size, metric=metric, seed=seed)
    expected = _expected(source, settings, transform, n, dim)
    paths = partition_paths(source, settings, transform)
    loaded = _load(paths, expected)
    if loaded is not None:
        return loaded
    built = build()
    try:
        _save(built, paths, expected)
    except OSError as exc:  # a read-only or full cache: the partition still serves this fit
        warnings.warn(
            f"Could not save the inverted-file partition to {paths[2]}: {exc}", stacklevel=2
        )
    return built
