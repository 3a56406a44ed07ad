"""The neighbour index: approximate nearest neighbours over faiss, saved beside the cache.

Exact search compares every query with every row (O(n^2) for a kNN graph); above a few
tens of thousands of rows an approximate index answers in O(n log n). Two families:

- ``"hnsw"``: a hierarchical navigable small-world graph over the full vectors (Malkov and
  Yashunin, 2018, "Efficient and robust approximate nearest neighbor search using
  Hierarchical Navigable Small World graphs"; faiss ``IndexHNSWFlat``);
- ``"ivf-sq8"`` and ``"ivf-pq"``: an inverted file of spherical k-means lists with 8-bit
  scalar or product-quantised codes (Jegou, Douze and Schmid, 2011, "Product Quantization
  for Nearest Neighbor Search"; faiss ``IndexIVFScalarQuantizer`` / ``IndexIVFPQ``), a
  quarter or less of the memory of the vectors.

An index is built in bounded memory: rows are added block by block from
:func:`fewlabels.encode.blocks.iter_row_blocks` (a memory-mapped cache is never read whole
by the builder), and its recall@10 against exact search is measured on a sample of rows at
build time (:attr:`NeighbourIndex.recall`).

When the rows come from the embedding cache (the read-only memmap that
:func:`fewlabels.encode.embed` returns), the index is saved beside it, under
``<entry>/indexes/``, with a JSON record of what it was built from: the encoder's identity,
the cache view and its checksum, the transform applied to the rows (centring) and the index
settings. On reload the record must match and the file's checksum must hold; an index from
another encoder, another dataset or another cache is refused (with a warning) and rebuilt.
Index types that support it are memory-mapped on reload (``IO_FLAG_MMAP``).

This file runs past 400 lines because it is one concept, the saved index: building it in
blocks, its record of what it indexes, the checks that refuse a foreign or stale file, and
the recall measurement; the kNN graphs that use it are in :mod:`fewlabels.learn.knn_graph`.
"""

from __future__ import annotations

import hashlib
import json
import math
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fewlabels._atomic import atomic_path, atomic_write_bytes
from fewlabels.encode.blocks import iter_row_blocks
from fewlabels.encode.cache_files import CorruptCacheFileError, file_crc32, read_json
from fewlabels.errors import FewlabelsError, MissingExtraError

__all__ = [
    "INDEX_FORMAT",
    "INDEX_KINDS",
    "CacheSource",
    "IndexSettings",
    "NeighbourIndex",
    "build_index",
    "cache_source",
    "exact_knn",
    "neighbour_index",
    "recall_at_k",
    "transform_key",
]

#: Version of the index record; a record of another version is rebuilt.
INDEX_FORMAT = 1
INDEX_KINDS = ("hnsw", "ivf-sq8", "ivf-pq")
_METRICS = ("ip", "l2")


def _faiss() -> Any:
    try:
        import faiss
    except ImportError as exc:  # pragma: no cover - faiss-cpu is a core dependency
        raise MissingExtraError("The neighbour index needs faiss: pip install faiss-cpu") from exc
    return faiss


def _whole(name: str, value: Any, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise FewlabelsError(
            f"IndexSettings expected {name} to be a whole number >= {low}, but got {value!r}."
        )


@dataclass(frozen=True)
class IndexSettings:
    """How a neighbour index is built and searched.

    Parameters
    ----------
    kind : {"hnsw", "ivf-sq8", "ivf-pq"}, default "hnsw"
    metric : {"ip", "l2"}, default "ip"
        Inner product (cosine on unit rows) or squared Euclidean distance.
    m : int, default 16
        HNSW links per node (more: better recall, more memory and build time).
    ef_construction : int, default 40
        HNSW candidate list while building.
    ef_search : int, default 48
        HNSW candidate list while searching (raised to ``k`` when smaller).
    n_lists : int, optional
        IVF lists; default ``4 sqrt(n)``, at most ``n / 39``.
    nprobe : int, default 16
        IVF lists searched per query.
    pq_m : int, optional
        PQ sub-quantisers (must divide the dimension); default the largest divisor of the
        dimension up to ``dim / 4``.
    recall_sample : int, default 500
        Rows whose recall@10 against exact search is measured at build time (0: none).
    seed : int, default 0
        Seeds the training sample, the recall sample and k-means.
    """

    kind: str = "hnsw"
    metric: str = "ip"
    m: int = 16
    ef_construction: int = 40
    ef_search: int = 48
    n_lists: int | None = None
    nprobe: int = 16
    pq_m: int | None = None
    recall_sample: int = 500
    seed: int = 0

    def __post_init__(self) -> None:
        if self.kind not in INDEX_KINDS:
            raise FewlabelsError(
                f"IndexSettings expected kind to be one of {list(INDEX_KINDS)}, but got "
                f"{self.kind!r}."
            )
        if self.metric not in _METRICS:
            raise FewlabelsError(
                f"IndexSettings expected metric 'ip' (inner product, cosine on unit rows) or "
                f"'l2', but got {self.metric!r}."
            )
        for name in ("m", "ef_construction", "ef_search", "nprobe"):
            _whole(name, getattr(self, name), 1)
        _whole("recall_sample", self.recall_sample, 0)
        _whole("seed", self.seed, 0)
        for name in ("n_lists", "pq_m"):
            if getattr(self, name) is not None:
                _whole(name, getattr(self, name), 1)

    def key(self) -> str:
        """A short hash of the settings that shape the index (not ``ef_search``/``nprobe``)."""
        shape = {k: v for k, v in asdict(self).items() if k not in ("ef_search", "nprobe")}
        return hashlib.blake2b(
            json.dumps(shape, sort_keys=True).encode(), digest_size=6
        ).hexdigest()


@dataclass
class NeighbourIndex:
    """A built (or reloaded) faiss index over ``n`` rows of ``dim`` features.

    Attributes
    ----------
    index : faiss.Index
    settings : IndexSettings
    n, dim : int
    recall : float or None
        Recall@10 against exact search on ``settings.recall_sample`` rows at build time.
    path : Path or None
        Where the index is saved (None: in memory only).
    reused : bool
        True when it was read from ``path`` rather than built by this call.
    """

    index: Any
    settings: IndexSettings
    n: int
    dim: int
    recall: float | None = None
    path: Path | None = None
    reused: bool = False
    _blob: Any = field(default=None, repr=False)

    def _tune(self, k: int) -> None:
        s = self.settings
        if s.kind == "hnsw":
            self.index.hnsw.efSearch = max(int(s.ef_search), int(k))
        else:
            self.index.nprobe = int(min(s.nprobe, self.index.nlist))

    def search(
        self, queries: np.ndarray, k: int, *, batch_size: int = 65_536
    ) -> tuple[np.ndarray, np.ndarray]:
        """The approximate ``k`` nearest rows of each query.

        Assumes finite input (unit rows for ``metric="ip"``).

        Parameters
        ----------
        queries : ndarray of shape (n_queries, dim)
        k : int
            Clipped to ``n``.
        batch_size : int, default 65,536
            Queries per faiss call (bounds the memory of one call).

        Returns
        -------
        scores : ndarray of shape (n_queries, k), float32
            Inner products, best first (``-inf`` where fewer than ``k`` were found), or
            squared distances for ``metric="l2"`` (``inf`` there).
        idx : ndarray of shape (n_queries, k), int64
            Row positions; ``-1`` where none was found.
        """
        k = int(min(k, self.n))
        self._tune(k)
        nq = len(queries)
        scores = np.empty((nq, k), dtype=np.float32)
        idx = np.empty((nq, k), dtype=np.int64)
        for start in range(0, nq, batch_size):
            q = np.ascontiguousarray(queries[start : start + batch_size], dtype=np.float32)
            s, i = self.index.search(q, k)
            scores[start : start + len(q)], idx[start : start + len(q)] = s, i
        scores[idx < 0] = -np.inf if self.settings.metric == "ip" else np.inf
        return scores, idx

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["index"] = None
        state["_blob"] = _faiss().serialize_index(self.index)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        blob = state.pop("_blob")
        self.__dict__.update(state)
        self.index = _faiss().deserialize_index(blob)
        self._blob = None


def _n_lists(settings: IndexSettings, n: int) -> int:
    if settings.n_lists is not None:
        return int(max(1, min(settings.n_lists, n)))
    return int(max(1, min(4 * math.isqrt(n), n // 39)))


def _pq_m(settings: IndexSettings, dim: int) -> int:
    if settings.pq_m is not None:
        if dim % settings.pq_m:
            raise FewlabelsError(
                f"IndexSettings expected pq_m to divide the dimension {dim}, but got "
                f"{settings.pq_m}. Choose a divisor of {dim}, or leave pq_m=None."
            )
        return int(settings.pq_m)
    return max(m for m in range(1, max(1, dim // 4) + 1) if dim % m == 0)


def _empty_index(settings: IndexSettings, n: int, dim: int) -> Any:
    faiss = _faiss()
    metric = faiss.METRIC_INNER_PRODUCT if settings.metric == "ip" else faiss.METRIC_L2
    if settings.kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, int(settings.m), metric)
        index.hnsw.efConstruction = int(settings.ef_construction)
        return index
    quantizer = faiss.IndexFlatIP(dim) if settings.metric == "ip" else faiss.IndexFlatL2(dim)
    n_lists = _n_lists(settings, n)
    if settings.kind == "ivf-sq8":
        index = faiss.IndexIVFScalarQuantizer(
            quantizer, dim, n_lists, faiss.ScalarQuantizer.QT_8bit, metric
        )
    else:
        # 8-bit codes need 256 centroids per sub-quantiser (39 rows each to train them).
        nbits = int(max(1, min(8, math.floor(math.log2(max(2, n // 39))))))
        index = faiss.IndexIVFPQ(quantizer, dim, n_lists, _pq_m(settings, dim), nbits, metric)
    index.own_fields = True
    quantizer.this.disown()
    index.cp.seed = int(settings.seed)
    return index


def _train_sample(X: np.ndarray, size: int, seed: int) -> np.ndarray:
    n = X.shape[0]
    rows = np.sort(np.random.default_rng(seed).choice(n, min(n, size), replace=False))
    return np.ascontiguousarray(X[rows], dtype=np.float32)


def build_index(
    X: np.ndarray, *, settings: IndexSettings | None = None, block_rows: int = 65_536
) -> NeighbourIndex:
    """Build a neighbour index over the rows of ``X``, adding them block by block.

    Assumes finite float rows (unit norm for ``metric="ip"``). An IVF index is first
    trained on a sample (``64 n_lists`` rows at most, and ``256`` per PQ centroid).

    Parameters
    ----------
    X : ndarray of shape (n_samples, dim)
        In memory or a read-only memmap (read in blocks of ``block_rows``).
    settings : IndexSettings, optional
    block_rows : int, default 65,536

    Returns
    -------
    NeighbourIndex
        With ``recall`` measured on ``settings.recall_sample`` rows.
    """
    settings = settings or IndexSettings()
    n, dim = X.shape
    if n < 1:
        raise FewlabelsError("build_index expected at least one row, but got an empty matrix.")
    index = _empty_index(settings, n, dim)
    if settings.kind != "hnsw":
        size = 64 * _n_lists(settings, n)
        if settings.kind == "ivf-pq":
            size = max(size, 256 * 256)
        index.train(_train_sample(X, size, settings.seed))
    for block in iter_row_blocks(X, rows=block_rows):
        index.add(np.ascontiguousarray(block, dtype=np.float32))
    built = NeighbourIndex(index=index, settings=settings, n=int(n), dim=int(dim))
    if settings.recall_sample > 0:
        built.recall = recall_at_k(built, X, sample=settings.recall_sample, seed=settings.seed)
    return built


def exact_knn(
    X: np.ndarray, queries: np.ndarray, k: int, *, metric: str = "ip", block_rows: int = 65_536
) -> tuple[np.ndarray, np.ndarray]:
    """Exact ``k`` nearest rows of ``X`` for each query, reading ``X`` block by block.

    Parameters
    ----------
    X : ndarray of shape (n_samples, dim)
    queries : ndarray of shape (n_queries, dim)
    k : int
        Clipped to ``n_samples``.
    metric : {"ip", "l2"}, default "ip"
    block_rows : int, default 65,536

    Returns
    -------
    scores, idx : ndarrays of shape (n_queries, k)
        As :meth:`NeighbourIndex.search`.
    """
    faiss = _faiss()
    k = int(min(k, X.shape[0]))
    q = np.ascontiguousarray(queries, dtype=np.float32)
    fmetric = faiss.METRIC_INNER_PRODUCT if metric == "ip" else faiss.METRIC_L2
    heap = faiss.ResultHeap(len(q), k, keep_max=metric == "ip")
    offset = 0
    for block in iter_row_blocks(X, rows=block_rows):
        kk = min(k, len(block))
        s, i = faiss.knn(q, np.ascontiguousarray(block, dtype=np.float32), kk, metric=fmetric)
        if kk < k:
            pad = np.full((len(q), k - kk), -np.inf if metric == "ip" else np.inf, np.float32)
            s, i = np.hstack([s, pad]), np.hstack([i, np.full((len(q), k - kk), -1)])
        heap.add_result(np.ascontiguousarray(s, dtype=np.float32), np.where(i >= 0, i + offset, -1))
        offset += len(block)
    heap.finalize()
    return heap.D.astype(np.float32), heap.I.astype(np.int64)


def recall_at_k(
    index: NeighbourIndex, X: np.ndarray, *, k: int = 10, sample: int = 500, seed: int = 0
) -> float:
    """Recall@k of ``index`` against exact search, on ``sample`` rows of ``X`` as queries.

    A returned neighbour counts as found when its true score reaches the exact ``k``-th
    score (so ties among exact neighbours are not held against the index).

    Parameters
    ----------
    index : NeighbourIndex
        Built over ``X``.
    X : ndarray of shape (n_samples, dim)
    k : int, default 10
    sample : int, default 500
    seed : int, default 0

    Returns
    -------
    float
        In ``[0, 1]``.
    """
    n = X.shape[0]
    k = int(min(k, n))
    rows = np.sort(np.random.default_rng(seed + 1).choice(n, min(n, sample), replace=False))
    Q = np.ascontiguousarray(X[rows], dtype=np.float32)
    exact, _ = exact_knn(X, Q, k, metric=index.settings.metric)
    _, approx = index.search(Q, k)
    valid = approx >= 0
    flat = np.maximum(approx, 0).ravel()
    # The true vectors of the returned rows, shape (n_queries, k, dim).
    V = np.asarray(X[np.sort(flat)], dtype=np.float32)[np.argsort(np.argsort(flat))]
    V = V.reshape(len(rows), k, -1)
    if index.settings.metric == "ip":
        true = np.einsum("qd,qkd->qk", Q, V)
        found = true >= exact[:, -1:] - 1e-5
    else:
        true = ((V - Q[:, None, :]) ** 2).sum(axis=2)
        found = true <= exact[:, -1:] + 1e-5
    return float((found & valid).sum() / (len(rows) * k))


# --- saving beside the cache -------------------------------------------------------------


@dataclass(frozen=True)
class CacheSource:
    """Where a matrix of embeddings comes from in the cache (see :func:`cache_source`).

    Attributes
    ----------
    entry : Path
        The encoder's cache folder.
    view : str
        The view's name (a hash of the dataset's fingerprints).
    identity : str
        The encoder's identity, from the cache manifest.
    crc32 : str
        The view file's checksum, from its record.
    """

    entry: Path
    view: str
    identity: str
    crc32: str

    def record(self) -> dict[str, Any]:
        return {
            "encoder_identity": self.identity,
            "cache_entry": self.entry.name,
            "view": self.view,
            "view_crc32": self.crc32,
        }


def cache_source(X: Any) -> CacheSource | None:
    """The cache view that ``X`` is memory-mapped from, or None.

    ``X`` must be the read-only memmap of :func:`fewlabels.encode.embed`
    (``<entry>/views/<hash>.npy`` with its record and the entry's manifest); anything else
    (an in-memory array, a slice, a copy) has no source and its index stays in memory.
    """
    filename = getattr(X, "filename", None)
    if not isinstance(X, np.memmap) or filename is None:
        return None
    path = Path(filename)
    entry = path.parent.parent
    if path.parent.name != "views" or path.suffix != ".npy":
        return None
    try:
        manifest = read_json(entry / "manifest.json")
        meta = read_json(path.with_suffix(".json"))
    except (CorruptCacheFileError, OSError):
        return None
    identity, crc, rows = manifest.get("identity"), meta.get("crc32"), meta.get("rows")
    if not (isinstance(identity, str) and isinstance(crc, str)) or rows != X.shape[0]:
        return None
    return CacheSource(entry=entry, view=path.stem, identity=identity, crc32=crc)


def _expected(
    source: CacheSource, settings: IndexSettings, transform: str, n: int, dim: int
) -> dict[str, Any]:
    return {
        "format": INDEX_FORMAT,
        **source.record(),
        "transform": transform,
        "settings": asdict(settings),
        "rows": int(n),
        "dim": int(dim),
    }


def _paths(source: CacheSource, settings: IndexSettings, transform: str) -> tuple[Path, Path]:
    tkey = hashlib.blake2b(transform.encode(), digest_size=6).hexdigest()
    stem = f"{source.view}-{tkey}-{settings.kind}-{settings.key()}"
    folder = source.entry / "indexes"
    return folder / f"{stem}.faiss", folder / f"{stem}.json"


_SHAPING = ("kind", "metric", "m", "ef_construction", "n_lists", "pq_m", "seed")


def _mismatch(record: dict[str, Any], expected: dict[str, Any]) -> str | None:
    """What differs between a saved record and the expected one (search settings aside)."""
    for key, want in expected.items():
        got = record.get(key)
        if key == "settings" and isinstance(got, dict):
            diff = [k for k in _SHAPING if got.get(k) != want.get(k)]
            if diff:
                return f"settings {diff}"
        elif got != want:
            return f"{key} {got!r} (expected {want!r})"
    return None


def _read(path: Path, settings: IndexSettings) -> Any:
    faiss = _faiss()
    # Inverted lists (IVF) and flat code storage (HNSW's vectors) stay in the file.
    flags = faiss.IO_FLAG_MMAP | faiss.IO_FLAG_MMAP_IFC
    try:
        return faiss.read_index(str(path), flags | faiss.IO_FLAG_READ_ONLY)
    except RuntimeError:
        return faiss.read_index(str(path))


def _load(
    faiss_path: Path, json_path: Path, expected: dict[str, Any], settings: IndexSettings
) -> NeighbourIndex | None:
    """The saved index when its record matches ``expected``; else None (after a warning)."""
    if not (faiss_path.exists() and json_path.exists()):
        return None
    try:
        record = read_json(json_path)
    except CorruptCacheFileError:
        record = {}
    why = _mismatch(record, expected)
    if why is None and record.get("crc32") != file_crc32(faiss_path):
        why = "a checksum that does not match its file"
    index = None
    if why is None:
        try:
            index = _read(faiss_path, settings)
        except RuntimeError as exc:
            why = f"an unreadable file ({exc})"
    if index is not None and (index.ntotal != expected["rows"] or index.d != expected["dim"]):
        why, index = f"{index.ntotal} rows of {index.d} features", None
    if why is not None or index is None:
        warnings.warn(
            f"Refused the neighbour index {faiss_path}: it has {why}; it was built from "
            "other embeddings (another encoder, dataset or cache). Rebuilding it.",
            stacklevel=3,
        )
        return None
    recall = record.get("recall")
    return NeighbourIndex(
        index=index,
        settings=settings,
        n=int(expected["rows"]),
        dim=int(expected["dim"]),
        recall=float(recall) if isinstance(recall, (int, float)) else None,
        path=faiss_path,
        reused=True,
    )


def _save(
    built: NeighbourIndex, faiss_path: Path, json_path: Path, expected: dict[str, Any]
) -> None:
    faiss = _faiss()
    faiss_path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(faiss_path) as tmp:
        faiss.write_index(built.index, str(tmp))
    record = {**expected, "recall": built.recall, "crc32": file_crc32(faiss_path)}
    atomic_write_bytes(json_path, json.dumps(record, indent=1).encode())
    built.path = faiss_path


def neighbour_index(
    Z: np.ndarray,
    *,
    settings: IndexSettings | None = None,
    source: CacheSource | None = None,
    transform: str = "",
) -> NeighbourIndex:
    """An index over ``Z``: read from beside the cache when a matching one is saved there.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, dim)
        The rows to index: the cached embeddings of ``source``, after ``transform``.
    settings : IndexSettings, optional
    source : CacheSource, optional
        :func:`cache_source` of the embeddings ``Z`` was made from; None keeps the index in
        memory.
    transform : str, default ""
        A description of what turned the cached rows into ``Z`` (e.g. the pool mean's
        hash); it enters the index's key, so an index of differently centred rows is never
        read back.

    Returns
    -------
    NeighbourIndex
        ``reused`` tells whether it was read back; a saved index whose record or checksum
        does not match is refused with a warning and rebuilt.
    """
    settings = settings or IndexSettings()
    n, dim = Z.shape
    if source is None:
        return build_index(Z, settings=settings)
    expected = _expected(source, settings, transform, n, dim)
    faiss_path, json_path = _paths(source, settings, transform)
    loaded = _load(faiss_path, json_path, expected, settings)
    if loaded is not None:
        return loaded
    built = build_index(Z, settings=settings)
    try:
        _save(built, faiss_path, json_path, expected)
    except OSError as exc:  # a read-only or full cache: the index still serves this fit
        warnings.warn(f"Could not save the neighbour index to {faiss_path}: {exc}", stacklevel=2)
    return built


def transform_key(mean: np.ndarray | None) -> str:
    """The ``transform`` of :func:`neighbour_index` for rows centred on ``mean`` then normalised."""
    if mean is None:
        return "l2"
    digest = hashlib.blake2b(np.ascontiguousarray(mean, np.float32).tobytes(), digest_size=8)
    return f"l2-center-l2:{digest.hexdigest()}"
