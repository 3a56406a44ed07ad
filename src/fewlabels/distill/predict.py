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

from fewlabels.distill.exported import ExportedStudent, load_student, pool_staleness
from fewlabels.distill.multilabel import SEPARATOR, indicator_sets, label_indicator
from fewlabels.distill.prediction_data import (
    BLOCK_ROWS,
    _input_blocks,
    iter_prediction_data,
    read_prediction_data,
)

__all__ = [
    "BLOCK_ROWS",
    "ExportedStudent",
    "PredictionSummary",
    "iter_prediction_data",
    "load_student",
    "pool_staleness",
    "predict_file",
    "predict_to_file",
    "read_prediction_data",
]


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
