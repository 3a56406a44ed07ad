"""Prediction with an exported student: onnxruntime only, never torch.

``load_student(path)`` opens a fewlabels export (refusing anything else, see
:mod:`fewlabels.distill.export`); ``predict_file(model, data)`` reads raw data (a folder of
images, a CSV/TSV/JSONL/Parquet table, or a text file with one text per line) and returns
a table of id, label and probability (and, when asked, one probability column per class).
A multi-label student (``task = "multilabel"`` in its metadata) gives, per row, ``labels``
(the set of classes whose probability reaches its threshold, ``proba >= threshold``; an empty
set is kept, never dropped) and one probability column per class; CSV joins a set with
``|``, JSONL and Parquet write it as a list.

Unreadable images (missing, corrupt or truncated files) are skipped, counted and listed, as
``embed`` does; every other row keeps its id. :func:`pool_staleness` says when a student
was trained on an older pool than its workspace holds now (after a ``fewlabels forget``). Tabular rows with missing, infinite or unseen
values are refused, as ``fewlabels init`` refuses them (see ``TableInput.check_values``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fewlabels.distill.export import OUTPUT_NAME, read_export
from fewlabels.distill.image_input import ImageInput
from fewlabels.distill.multilabel import SEPARATOR, indicator_sets, label_indicator
from fewlabels.distill.table_input import TableInput
from fewlabels.distill.text_input import TextHashing, length_batches, padded_rows
from fewlabels.errors import FewlabelsError, MissingFileError, MissingKeyError

_SPECS: dict[str, Any] = {"text": TextHashing, "image": ImageInput, "tabular": TableInput}
_TEXT_SUFFIXES = (".txt", ".text")


@dataclass
class ExportedStudent:
    """A student loaded from its ONNX export.

    Attributes
    ----------
    path : Path
    metadata : dict
        Everything the export recorded (classes, input spec, training summary, versions).
    classes : tuple of str
    modality : {"text", "image", "tabular"}
    kind : str
        ``"text-ngram"``, ``"cnn"`` or ``"mlp"``.
    spec : TextHashing, ImageInput or TableInput
        How raw inputs become the network's inputs.
    """

    path: Path
    metadata: dict[str, Any]
    session: Any
    spec: Any

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(self.metadata["classes"])

    @property
    def modality(self) -> str:
        return str(self.metadata["modality"])

    @property
    def kind(self) -> str:
        return str(self.metadata["student"])

    @property
    def multilabel(self) -> bool:
        """Whether the student predicts label sets (one sigmoid per label)."""
        return self.metadata.get("task", "single") == "multilabel"

    @property
    def thresholds(self) -> np.ndarray | None:
        """Multi-label only: per-label thresholds (``proba >= threshold`` takes a label)."""
        if not self.multilabel:
            return None
        return np.asarray(self.metadata["thresholds"], dtype=np.float64)

    def predict_proba(
        self, inputs: Any, *, batch_size: int = 1024, resize: bool = False
    ) -> np.ndarray:
        """Class probabilities from raw inputs.

        Parameters
        ----------
        inputs : list of str (texts or image paths), ndarray of images, or DataFrame
        batch_size : int
            Rows per onnxruntime call.
        resize : bool
            Images only: resize (and convert) images whose size or colour mode differ from
            the training images instead of refusing them.

        Returns
        -------
        ndarray of shape (n_samples, n_classes), float32

        Raises
        ------
        UnreadableInputError
            When image files cannot be read (:meth:`predict_readable` skips them instead).
        """
        _, proba, failures = self.predict_readable(inputs, batch_size=batch_size, resize=resize)
        if failures:
            from fewlabels.encode.images import UnreadableInputError

            raise UnreadableInputError([p for p, _ in failures], [r for _, r in failures])
        return proba

    def predict_readable(
        self, inputs: Any, *, batch_size: int = 1024, resize: bool = False
    ) -> tuple[np.ndarray, np.ndarray, list[tuple[int, str]]]:
        """Like :meth:`predict_proba`, skipping unreadable image files.

        Returns
        -------
        kept : ndarray of int
            Positions of the inputs that were read, in order.
        proba : ndarray of shape (len(kept), n_classes), float32
        failures : list of (position, reason)
        """
        from fewlabels.encode.images import UnreadableInputError

        n = len(inputs)
        if self.modality == "text":
            proba = self._text_proba([str(t) for t in _take(inputs, slice(0, n))], batch_size)
            return np.arange(n), proba, []
        out, kept, failures = [], [], []
        for start in range(0, n, batch_size):
            part = _take(inputs, slice(start, start + batch_size))
            rows = np.arange(start, min(start + batch_size, n))
            if self.modality == "image":
                try:
                    feeds = self.spec.feeds(part, resize=resize)
                except UnreadableInputError as exc:
                    bad = set(exc.positions)
                    failures += [
                        (int(rows[k]), r) for k, r in zip(exc.positions, exc.reasons, strict=True)
                    ]
                    rows = np.array([r for k, r in enumerate(rows) if k not in bad], np.int64)
                    if not rows.size:
                        continue
                    feeds = self.spec.feeds([part[k] for k in rows - start], resize=resize)
            else:
                feeds = self.spec.feeds(pd.DataFrame(part))
            out.append(self.session.run([OUTPUT_NAME], feeds)[0])
            kept.append(rows)
        if not out:
            empty = np.zeros((0, len(self.classes)), dtype=np.float32)
            return np.zeros(0, dtype=np.int64), empty, failures
        proba = np.concatenate(out).astype(np.float32, copy=False)
        return np.concatenate(kept), proba, failures

    def _text_proba(self, texts: list[str], batch_size: int) -> np.ndarray:
        """Hash once, then run rows of similar length together (small padded batches)."""
        hashed = self.spec.hash(texts)
        out = np.zeros((len(texts), len(self.classes)), dtype=np.float32)
        for rows in length_batches(np.diff(hashed.indptr), max_rows=batch_size):
            out[rows] = self.session.run([OUTPUT_NAME], padded_rows(hashed[rows]))[0]
        return out

    def predict(self, inputs: Any, **kwargs: Any) -> np.ndarray:
        """Class codes (indices into ``classes``) of shape (n_samples,); for a multi-label
        student the 0/1 label indicator of shape (n_samples, n_classes),
        ``proba >= thresholds`` (``OneVsRest.predict``'s rule)."""
        proba = self.predict_proba(inputs, **kwargs)
        if self.multilabel:
            return label_indicator(proba, self.thresholds)  # type: ignore[arg-type]
        return proba.argmax(axis=1)

    def predict_sets(self, inputs: Any, **kwargs: Any) -> list[list[str]]:
        """Multi-label only: each row's label set (class names in class order; an empty
        list where no label reaches its threshold)."""
        if not self.multilabel:
            raise FewlabelsError(
                f"Expected a multi-label student for predict_sets, but {str(self.path)!r} "
                "predicts one class per item. Use predict(inputs)."
            )
        return indicator_sets(self.predict(inputs, **kwargs), self.classes)


def _take(inputs: Any, sl: slice) -> Any:
    if isinstance(inputs, pd.DataFrame):
        return inputs.iloc[sl]
    return inputs[sl]


def load_student(path: str | os.PathLike[str], *, threads: int | None = None) -> ExportedStudent:
    """Open an exported student for prediction (onnxruntime, no torch).

    ``threads`` sets onnxruntime's intra-op threads (its default, all cores, when None).

    Raises
    ------
    NotAStudentError
        When the file is not a fewlabels export; the message says what it is.
    """
    session, meta = read_export(path, threads=threads)
    spec = _SPECS[meta["modality"]].from_dict(meta["input"])
    return ExportedStudent(Path(path), meta, session, spec)


def pool_staleness(model: str | os.PathLike[str] | ExportedStudent) -> str | None:
    """Say whether a student was trained on an older pool than its workspace holds now.

    A student distilled from a workspace records the workspace's folder and the fingerprint
    of its pool (:meth:`fewlabels.store.LabelStore.pool_fingerprint`). When the workspace's
    pool differs now (items forgotten, added or changed since), the student is stale:
    ``fewlabels distill`` trains it again on the pool as it is.

    Returns
    -------
    str or None
        The message "... was trained on an older pool ...", or None when the pool is the same
        or it cannot be told (a student of a built-in dataset or from before fingerprints, a
        workspace moved, deleted or unreadable).
    """
    import sqlite3

    from fewlabels.store.label_store import LabelStore

    student = model if isinstance(model, ExportedStudent) else load_student(model)
    then, folder = student.metadata.get("pool_fingerprint"), student.metadata.get("workspace")
    if not isinstance(then, str) or not isinstance(folder, str):
        return None
    db = Path(folder) / "labels.db"  # the workspace's STORE_NAME (workspace is a floor beside)
    if not db.is_file():
        return None
    try:
        now = LabelStore(db, create=False).pool_fingerprint()
    except (FewlabelsError, sqlite3.Error, OSError):
        return None
    if now == then:
        return None
    return (
        f"{str(student.path)!r} was trained on an older pool: the workspace {folder!r} has "
        f"changed since (items forgotten, added or changed; pool fingerprint {then[:8]} then, "
        f"{now[:8]} now). Its predictions still work; retrain it on the current pool with "
        f"`fewlabels distill -w {folder}`."
    )


BLOCK_ROWS = 65536
"""Rows read, predicted and written at a time by :func:`predict_to_file`."""


def read_prediction_data(
    data: str | os.PathLike[str], student: ExportedStudent, *, id_column: str | None = None
) -> tuple[list[str], Any]:
    """Read raw data for ``student``: ids and inputs, all at once.

    The blocks of :func:`iter_prediction_data` put together (a list, or one DataFrame for a
    tabular student).
    """
    ids: list[str] = []
    parts: list[Any] = []
    for block_ids, inputs in iter_prediction_data(data, student, id_column=id_column):
        ids += block_ids
        parts.append(inputs)
    if student.modality == "tabular":
        return ids, pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return ids, [x for part in parts for x in part]


def iter_prediction_data(
    data: str | os.PathLike[str],
    student: ExportedStudent,
    *,
    id_column: str | None = None,
    rows: int = BLOCK_ROWS,
) -> Iterator[tuple[list[str], Any]]:
    """Read raw data for ``student`` in blocks of at most ``rows`` items: (ids, inputs).

    A folder gives its images (ids = paths relative to it; listed one sub-folder at a time,
    in the order of their sorted paths); a table gives its rows (ids from ``id_column``,
    else from an ``id`` column, else row numbers from 0; read as written, so ``001`` stays
    ``001``; CSV/TSV/JSONL in pandas chunks, Parquet in record batches), reading the text
    column for a text student, image paths from a ``path`` or ``image`` column for an image
    student, the trained columns (a DataFrame) for a tabular one; a ``.txt`` file gives one
    text per non-empty line (ids = line numbers from 1), read line by line.

    Raises
    ------
    FewlabelsError
        Data of another modality, a folder without images, a table without the columns.
    """
    from fewlabels.data.folder import IMAGE_SUFFIXES

    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 1:
        raise FewlabelsError(f"Expected rows to be a whole number >= 1, but got {rows!r}.")
    p = Path(data).expanduser()
    modality = student.modality
    if p.is_dir():
        if modality != "image":
            raise FewlabelsError(
                f"Expected {_wants(student)} for this {modality} student, but {str(p)!r} is a "
                "folder. Pass a table file (or a .txt file of texts)."
            )
        return _folder_blocks(p, IMAGE_SUFFIXES, rows)
    if not p.is_file():
        raise MissingFileError(
            f"Expected data to predict at {str(p)!r}, but there is no such file or folder."
        )
    if p.suffix.lower() in IMAGE_SUFFIXES and modality == "image":
        return iter([([p.name], [str(p)])])
    if p.suffix.lower() in _TEXT_SUFFIXES:
        if modality != "text":
            raise FewlabelsError(
                f"Expected {_wants(student)} for this {modality} student, but got the text "
                f"file {str(p)!r}."
            )
        return _line_blocks(p, rows)
    from fewlabels.data.table import iter_table

    blocks = iter_table(p, as_written=[id_column or "id"], rows=rows)
    return _table_blocks(p, blocks, student, id_column)


def _folder_blocks(
    root: Path, suffixes: Sequence[str], rows: int
) -> Iterator[tuple[list[str], Any]]:
    """Image files under ``root`` in sorted-path order, one folder listing in memory at a time."""
    ids: list[str] = []
    found = False

    def walk(folder: Path) -> Iterator[Path]:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
        for e in entries:
            if e.is_dir():
                yield from walk(Path(e.path))
            elif e.is_file() and Path(e.name).suffix.lower() in suffixes:
                yield Path(e.path)

    for f in walk(root):
        ids.append(f.relative_to(root).as_posix())
        if len(ids) == rows:
            found = True
            yield ids, [str(root / i) for i in ids]
            ids = []
    if ids:
        yield ids, [str(root / i) for i in ids]
    elif not found:
        raise FewlabelsError(
            f"Expected images ({', '.join(suffixes)}) in {str(root)!r}, but found none."
        )


def _line_blocks(p: Path, rows: int) -> Iterator[tuple[list[str], Any]]:
    """Non-empty lines (as ``str.splitlines`` cuts them) with their numbers from 1."""
    ids: list[str] = []
    texts: list[str] = []
    number = 0
    with open(p, encoding="utf-8") as fh:  # universal newlines: \r\n and \r end lines too
        for raw in fh:
            for line in raw.splitlines() or [""]:
                number += 1
                if line.strip():
                    ids.append(str(number))
                    texts.append(line)
            if len(ids) >= rows:
                yield ids, texts
                ids, texts = [], []
    if ids:
        yield ids, texts


def _table_blocks(
    p: Path, blocks: Iterator[pd.DataFrame], student: ExportedStudent, id_column: str | None
) -> Iterator[tuple[list[str], Any]]:
    """(ids, inputs) of each block of a table; the columns are chosen on the first block."""
    id_col = id_column or "id"
    offset = 0
    column = ""
    for number, table in enumerate(blocks):
        table.columns = [str(c) for c in table.columns]
        if number == 0:
            if id_column is not None and id_column not in table.columns:
                raise MissingKeyError(
                    f"Expected the id column {id_column!r} in {str(p)!r}, but the table has "
                    f"{list(table.columns)}. Pass --id-column with one of them."
                )
            column = _input_column(p, table, student)
        ids = (
            table[id_col].astype(str).tolist()
            if id_col in table.columns
            else [str(i) for i in range(offset, offset + len(table))]
        )
        offset += len(table)
        if student.modality == "tabular":
            yield ids, table.drop(columns=[c for c in (id_col,) if c in table.columns])
        elif student.modality == "text":
            yield ids, table[column].fillna("").astype(str).tolist()
        else:
            paths = [str((p.parent / v) if not os.path.isabs(str(v)) else v) for v in table[column]]
            yield ids, paths


def _input_column(p: Path, table: pd.DataFrame, student: ExportedStudent) -> str:
    """The column a text or image student reads ('' for a tabular one)."""
    if student.modality == "tabular":
        return ""
    if student.modality == "text":
        return _text_column(table, student)
    path_col = next((c for c in ("path", "image", "file") if c in table.columns), None)
    if path_col is None:
        raise MissingKeyError(
            f"Expected a 'path' (or 'image') column of image files in {str(p)!r} for this image "
            f"student, but the table has {list(table.columns)}."
        )
    return path_col


def _wants(student: ExportedStudent) -> str:
    return {
        "image": "a folder of images, one image file, or a table with a 'path' column",
        "text": "a table with a text column or a .txt file with one text per line",
        "tabular": f"a table with the columns {getattr(student.spec, 'columns', [])}",
    }[student.modality]


def _text_column(table: pd.DataFrame, student: ExportedStudent) -> str:
    wanted = student.spec.text_column
    candidates = [c for c in (wanted, "text", "review") if c]
    for c in candidates:
        if c in table.columns:
            return str(c)
    texts = [c for c in table.columns if c != "id" and table[c].dtype == object]
    if len(texts) == 1:
        return str(texts[0])
    raise MissingKeyError(
        f"Expected a text column {candidates[0]!r} in the table for this text student, but it "
        f"has {list(table.columns)}. Name the text column 'text'."
    )


def predict_file(
    model: str | os.PathLike[str] | ExportedStudent,
    data: str | os.PathLike[str] | Sequence[Any] | pd.DataFrame | np.ndarray,
    *,
    out: str | os.PathLike[str] | None = None,
    resize: bool = False,
    batch_size: int = 1024,
    proba: bool = False,
    id_column: str | None = None,
) -> pd.DataFrame:
    """Predict with an exported student; optionally write a CSV.

    Parameters
    ----------
    model : path or ExportedStudent
        A file written by ``Student.export`` or ``fewlabels distill``.
    data : path, or in-memory inputs
        A folder of images, a table file, a ``.txt`` file, or inputs as for
        :meth:`ExportedStudent.predict_proba` (ids are then row numbers, or a DataFrame's
        ``id_column`` / ``id`` column).
    out : path, optional
        Write the result here (only the rows that could be read): CSV, or JSONL for a
        ``.jsonl`` name, Parquet for ``.parquet``/``.pq``.
    resize : bool
        Images only: resize images that do not match the training size instead of refusing.
    batch_size : int
    proba : bool
        Add one column per class (named by the class; ``proba_<class>`` where a class is
        named ``id``, ``label`` or ``probability``) with its probability.
    id_column : str, optional
        The table's id column (default: a column named ``id``, else row numbers).

    Returns
    -------
    DataFrame with columns ``id``, ``label`` (class name) and ``probability`` (of that label),
    and the class columns when ``proba``; for a multi-label student ``id``, ``labels`` (a list
    of class names, empty when no label reaches its threshold) and one probability column
    per class, always. ``frame.attrs["skipped"]`` lists the (id, reason)
    of the inputs that could not be read; they are not in the frame.
    """
    student = model if isinstance(model, ExportedStudent) else load_student(model)
    frames: list[pd.DataFrame] = []
    skipped: list[tuple[str, str]] = []
    for ids, inputs in _input_blocks(student, data, id_column=id_column, rows=BLOCK_ROWS):
        frame, failed = _predict_block(
            student, ids, inputs, batch_size=batch_size, resize=resize, proba=proba
        )
        frames.append(frame)
        skipped += failed
    frame = pd.concat(frames, ignore_index=True) if frames else _empty_frame(student, proba=proba)
    frame.attrs["skipped"] = skipped
    if out is not None:
        with _PredictionWriter(out, student, proba=proba) as writer:
            writer.write(frame)
    return frame


@dataclass
class PredictionSummary:
    """What :func:`predict_to_file` wrote.

    Attributes
    ----------
    path : Path
        The output file (CSV, or Parquet for a ``.parquet``/``.pq`` name).
    n_predicted : int
        Rows written (the inputs that could be read).
    counts : dict of str to int
        Rows per predicted label, most frequent first (for a multi-label student, rows whose
        set holds the label).
    skipped : list of (id, reason)
        Inputs that could not be read; they are not in the file.
    seconds : float
        Wall time of reading, predicting and writing.
    n_empty : int
        Multi-label only: rows predicted with the empty set (written, with an empty set).
    """

    path: Path
    n_predicted: int
    counts: dict[str, int]
    skipped: list[tuple[str, str]]
    seconds: float
    n_empty: int = 0

    @property
    def items_per_s(self) -> float:
        n = self.n_predicted + len(self.skipped)
        return n / self.seconds if self.seconds > 0 else float("inf")


def predict_to_file(
    model: str | os.PathLike[str] | ExportedStudent,
    data: str | os.PathLike[str] | Sequence[Any] | pd.DataFrame | np.ndarray,
    out: str | os.PathLike[str],
    *,
    resize: bool = False,
    batch_size: int = 1024,
    proba: bool = False,
    id_column: str | None = None,
    rows: int = BLOCK_ROWS,
    progress: bool = False,
    ray_address: str | None = None,
) -> PredictionSummary:
    """Predict with an exported student, streaming: read, predict and write block by block.

    Memory stays near one block of ``rows`` inputs whatever the size of ``data``: tables are
    read in chunks or Parquet record batches, folders listed one sub-folder at a time, and
    each block's predictions are appended to ``out`` (a temporary file beside it, renamed
    onto ``out`` at the end, so a failed run leaves no half-written file). The file holds
    the same rows and bytes as :func:`predict_file` writes.

    Parameters
    ----------
    model, data, resize, batch_size, proba, id_column
        As for :func:`predict_file`.
    out : path
        CSV file, JSONL when it ends in ``.jsonl``, Parquet when it ends in ``.parquet`` or
        ``.pq``. A multi-label set is a ``|``-joined cell in CSV and a list in JSONL/Parquet.
    rows : int, default 65536
        Inputs per block.
    progress : bool, default False
        Show the rows done and items/s while predicting.
    ray_address : str, optional
        ``"auto"`` or ``"HOST:PORT"``: predict the blocks on that Ray cluster, one actor per
        CPU, each loading the student once; blocks are written in order, so the file holds
        the same rows and bytes (needs ``fewlabels[ray]``). Blocks are the unit of work:
        use ``rows`` below ``n / actors`` to keep every actor busy.

    Returns
    -------
    PredictionSummary
    """
    import time

    from fewlabels.encode.cache import _progress

    if ray_address is not None:
        from fewlabels.encode.ray_embed import check_ray_address

        check_ray_address(ray_address)  # fail in seconds, before any work
    started = time.perf_counter()
    student = model if isinstance(model, ExportedStudent) else load_student(model)
    blocks = _input_blocks(student, data, id_column=id_column, rows=rows)
    counts: dict[str, int] = {}
    skipped: list[tuple[str, str]] = []
    n_done = n_empty = 0
    with (
        _PredictionWriter(out, student, proba=proba) as writer,
        _progress(progress, -1, "predict") as bar,
    ):
        task = bar.add_task(f"predict {Path(str(student.path)).name}", total=None)
        options = {"batch_size": batch_size, "resize": resize, "proba": proba}
        for frame, failed in _predicted_blocks(student, blocks, options, ray_address):
            writer.write(frame)
            if student.multilabel:
                n_empty += sum(1 for s in frame["labels"] if not len(s))
                labels = pd.Series([x for s in frame["labels"] for x in s], dtype=object)
            else:
                labels = frame["label"]
            for label, k in labels.value_counts(sort=False).items():
                counts[str(label)] = counts.get(str(label), 0) + int(k)
            skipped += failed
            n_done += len(frame)
            bar.advance(task, len(frame) + len(failed))
    ordered = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return PredictionSummary(
        writer.path, n_done, ordered, skipped, time.perf_counter() - started, n_empty
    )


def _input_blocks(
    student: ExportedStudent, data: Any, *, id_column: str | None, rows: int
) -> Iterator[tuple[list[str], Any]]:
    """(ids, inputs) blocks of a path (streamed) or of in-memory inputs (one block)."""
    if isinstance(data, (str, os.PathLike)):
        return iter_prediction_data(data, student, id_column=id_column, rows=rows)
    if isinstance(data, pd.DataFrame):
        col = id_column or "id"
        if col in data.columns:
            ids, table = data[col].astype(str).tolist(), data.drop(columns=[col])
        elif id_column is not None:
            raise MissingKeyError(
                f"Expected a DataFrame with the id column {id_column!r}, but it has "
                f"{list(data.columns)}."
            )
        else:
            ids, table = [str(i) for i in range(len(data))], data
        if student.modality == "tabular":
            return iter([(ids, table)])
        # a text or image student reads one column of the frame: its texts or image paths
        column = _input_column(Path("the DataFrame"), table, student)
        return iter([(ids, table[column].tolist())])
    if id_column is not None:
        raise MissingKeyError(f"Expected a DataFrame with the id column {id_column!r}.")
    return iter([([str(i) for i in range(len(data))], data)])


def _predicted_blocks(
    student: ExportedStudent,
    blocks: Iterator[tuple[list[str], Any]],
    options: dict[str, Any],
    ray_address: str | None,
) -> Iterator[tuple[pd.DataFrame, list[tuple[str, str]]]]:
    """:func:`_predict_block` of each block, in order: here, or on a Ray actor pool."""
    if ray_address is None:
        for ids, inputs in blocks:
            yield _predict_block(student, ids, inputs, **options)
        return
    import functools

    from fewlabels.encode.ray_embed import RayPool, ray_session

    # one onnxruntime thread per actor: an actor holds one CPU of the cluster
    factory = functools.partial(_load_on_worker, Path(student.path).read_bytes(), 1)
    with ray_session(ray_address), RayPool(factory) as pool:
        work = ((ids, inputs, options) for ids, inputs in blocks)
        yield from pool.map_ordered(_predict_on_worker, work)


def _load_on_worker(model: bytes, threads: int) -> ExportedStudent:
    """A Ray actor's copy of the student, from the export's bytes (no shared disk needed)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="fewlabels-student-") as tmp:
        path = Path(tmp) / "student.onnx"
        path.write_bytes(model)
        return load_student(path, threads=threads)


def _predict_on_worker(
    student: ExportedStudent, payload: tuple[list[str], Any, dict[str, Any]]
) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    ids, inputs, options = payload
    return _predict_block(student, ids, inputs, **options)


#: Column names a class's probability column would clash with (it is then ``proba_<class>``).
_RESERVED = ("id", "label", "labels", "probability")


def _class_columns(student: ExportedStudent) -> list[str]:
    return [f"proba_{name}" if name in _RESERVED else name for name in student.classes]


def _predict_block(
    student: ExportedStudent,
    ids: list[str],
    inputs: Any,
    *,
    batch_size: int,
    resize: bool,
    proba: bool,
) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """The prediction frame of one block and the (id, reason) of its unreadable inputs."""
    kept, p, failures = student.predict_readable(inputs, batch_size=batch_size, resize=resize)
    if student.multilabel:
        sets = indicator_sets(label_indicator(p, student.thresholds), student.classes)  # type: ignore[arg-type]
        frame: dict[str, Any] = {"id": [ids[k] for k in kept], "labels": sets}
        for j, key in enumerate(_class_columns(student)):
            frame[key] = p[:, j].astype(np.float64)
        return pd.DataFrame(frame), [(ids[k], reason) for k, reason in failures]
    best = p.argmax(axis=1)
    columns: dict[str, Any] = {
        "id": [ids[k] for k in kept],
        "label": [student.classes[k] for k in best],
        "probability": p[np.arange(len(best)), best].astype(np.float64),
    }
    if proba:
        for j, key in enumerate(_class_columns(student)):
            columns[key] = p[:, j].astype(np.float64)
    return pd.DataFrame(columns), [(ids[k], reason) for k, reason in failures]


def _frame_columns(student: ExportedStudent, *, proba: bool) -> list[str]:
    """The columns of a prediction frame: ``id, label, probability`` (and the class columns
    when ``proba``); ``id, labels`` and every class column for a multi-label student."""
    if student.multilabel:
        return ["id", "labels", *_class_columns(student)]
    return ["id", "label", "probability", *(_class_columns(student) if proba else [])]


def _empty_frame(student: ExportedStudent, *, proba: bool) -> pd.DataFrame:
    names = _frame_columns(student, proba=proba)
    return pd.DataFrame(
        {n: pd.Series(dtype=object if n in ("id", "label", "labels") else float) for n in names}
    )


class _PredictionWriter:
    """Appends prediction frames to a CSV, JSONL or Parquet file, in place at the end (atomic).

    A multi-label ``labels`` column is a list: in CSV its labels joined by ``|`` (an empty set
    is an empty cell, the row kept), in JSONL a JSON list, in Parquet a list of strings.
    """

    def __init__(self, out: str | os.PathLike[str], student: ExportedStudent, *, proba: bool):
        self.path = Path(out).expanduser()
        self.student = student
        self.proba = proba
        suffix = self.path.suffix.lower()
        self.parquet = suffix in (".parquet", ".pq")
        self.jsonl = suffix in (".jsonl", ".ndjson")
        self._written = False
        self._sink: Any = None

    def __enter__(self) -> _PredictionWriter:
        from fewlabels._atomic import atomic_path

        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._atomic = atomic_path(self.path)
        self._tmp = self._atomic.__enter__()
        return self

    def _schema(self) -> Any:
        import pyarrow as pa

        if self.student.multilabel:
            fields = [("id", pa.string()), ("labels", pa.list_(pa.string()))]
            fields += [(c, pa.float64()) for c in _class_columns(self.student)]
            return pa.schema(fields)
        fields = [("id", pa.string()), ("label", pa.string()), ("probability", pa.float64())]
        if self.proba:
            fields += [(c, pa.float64()) for c in _class_columns(self.student)]
        return pa.schema(fields)

    def write(self, frame: pd.DataFrame) -> None:
        if self.jsonl:
            if self._sink is None:
                self._sink = open(self._tmp, "w", encoding="utf-8", newline="")
            if len(frame):
                text = frame.to_json(
                    orient="records", lines=True, force_ascii=False, double_precision=15
                )
                self._sink.write(text if text.endswith("\n") else text + "\n")
            return
        if self.parquet:
            import pyarrow as pa
            import pyarrow.parquet as pq

            if self._sink is None:
                self._sink = pq.ParquetWriter(self._tmp, self._schema())
            if len(frame):
                table = pa.Table.from_pandas(frame, schema=self._schema(), preserve_index=False)
                self._sink.write_table(table)
            return
        if self._sink is None:
            self._sink = open(self._tmp, "w", encoding="utf-8", newline="")
        if len(frame) or not self._written:
            if "labels" in frame.columns and self.student.multilabel:
                frame = frame.assign(labels=[SEPARATOR.join(s) for s in frame["labels"]])
            frame.to_csv(self._sink, index=False, header=not self._written)
            self._written = True

    def __exit__(self, *exc: Any) -> None:
        try:
            if self._sink is None:
                self.write(_empty_frame(self.student, proba=self.proba))
            self._sink.close()
        finally:
            self._atomic.__exit__(*exc)
