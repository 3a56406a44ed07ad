"""Prediction with an exported student: onnxruntime only, never torch.

``load_student(path)`` opens a fewlabels export (refusing anything else, see
:mod:`fewlabels.distill.export`); ``predict_file(model, data)`` reads raw data (a folder of
images, a CSV/TSV/JSONL/Parquet table, or a text file with one text per line) and returns
a table of id, label and probability (and, when asked, one probability column per class).

Unreadable images (missing, corrupt or truncated files) are skipped, counted and listed, as
``embed`` does; every other row keeps its id. Tabular rows with missing, infinite or unseen
values are refused, as ``fewlabels init`` refuses them (see ``TableInput.check_values``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fewlabels.distill.export import OUTPUT_NAME, read_export
from fewlabels.distill.image_input import ImageInput
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
        """Class codes (indices into ``classes``) of shape (n_samples,)."""
        return self.predict_proba(inputs, **kwargs).argmax(axis=1)


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


def read_prediction_data(
    data: str | os.PathLike[str], student: ExportedStudent, *, id_column: str | None = None
) -> tuple[list[str], Any]:
    """Read raw data for ``student``: ids and inputs.

    A folder gives its images (ids = paths relative to it); a table gives its rows (ids from
    ``id_column``, else from an ``id`` column, else row numbers from 0; read as written, so
    ``001`` stays ``001``), reading the text column for a text student, image paths from a
    ``path`` or ``image`` column for an image student, the trained columns for a tabular one;
    a ``.txt`` file gives one text per non-empty line (ids = line numbers from 1).
    """
    from fewlabels.data.folder import IMAGE_SUFFIXES
    from fewlabels.data.table import read_table

    p = Path(data).expanduser()
    modality = student.modality
    if p.is_dir():
        if modality != "image":
            raise FewlabelsError(
                f"Expected {_wants(student)} for this {modality} student, but {str(p)!r} is a "
                "folder. Pass a table file (or a .txt file of texts)."
            )
        files = sorted(
            f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES
        )
        if not files:
            raise FewlabelsError(
                f"Expected images ({', '.join(IMAGE_SUFFIXES)}) in {str(p)!r}, but found none."
            )
        return [f.relative_to(p).as_posix() for f in files], [str(f) for f in files]
    if not p.is_file():
        raise MissingFileError(
            f"Expected data to predict at {str(p)!r}, but there is no such file or folder."
        )
    if p.suffix.lower() in IMAGE_SUFFIXES and modality == "image":
        return [p.name], [str(p)]
    if p.suffix.lower() in _TEXT_SUFFIXES:
        if modality != "text":
            raise FewlabelsError(
                f"Expected {_wants(student)} for this {modality} student, but got the text "
                f"file {str(p)!r}."
            )
        lines = [ln.rstrip("\r\n") for ln in p.read_text(encoding="utf-8").splitlines()]
        keep = [i for i, ln in enumerate(lines) if ln.strip()]
        return [str(i + 1) for i in keep], [lines[i] for i in keep]
    id_col = id_column or "id"
    table = read_table(p, as_written=[id_col])
    table.columns = [str(c) for c in table.columns]
    if id_column is not None and id_column not in table.columns:
        raise MissingKeyError(
            f"Expected the id column {id_column!r} in {str(p)!r}, but the table has "
            f"{list(table.columns)}. Pass --id-column with one of them."
        )
    ids = (
        table[id_col].astype(str).tolist()
        if id_col in table.columns
        else [str(i) for i in range(len(table))]
    )
    if modality == "tabular":
        return ids, table.drop(columns=[c for c in (id_col,) if c in table.columns])
    if modality == "text":
        col = _text_column(table, student)
        return ids, table[col].fillna("").astype(str).tolist()
    path_col = next((c for c in ("path", "image", "file") if c in table.columns), None)
    if path_col is None:
        raise MissingKeyError(
            f"Expected a 'path' (or 'image') column of image files in {str(p)!r} for this image "
            f"student, but the table has {list(table.columns)}."
        )
    paths = [str((p.parent / v) if not os.path.isabs(str(v)) else v) for v in table[path_col]]
    return ids, paths


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
        Write the result as CSV here (only the rows that could be read).
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
    and the class columns when ``proba``. ``frame.attrs["skipped"]`` lists the (id, reason)
    of the inputs that could not be read; they are not in the frame.
    """
    student = model if isinstance(model, ExportedStudent) else load_student(model)
    if isinstance(data, (str, os.PathLike)):
        ids, inputs = read_prediction_data(data, student, id_column=id_column)
    elif isinstance(data, pd.DataFrame) and (id_column or "id") in data.columns:
        col = id_column or "id"
        ids, inputs = data[col].astype(str).tolist(), data.drop(columns=[col])
    else:
        if id_column is not None:
            raise MissingKeyError(f"Expected a DataFrame with the id column {id_column!r}.")
        inputs = data
        ids = [str(i) for i in range(len(data))]
    kept, p, failures = student.predict_readable(inputs, batch_size=batch_size, resize=resize)
    best = p.argmax(axis=1)
    kept_ids = [ids[k] for k in kept]
    columns: dict[str, Any] = {
        "id": kept_ids,
        "label": [student.classes[k] for k in best],
        "probability": p[np.arange(len(best)), best].astype(np.float64),
    }
    if proba:
        for j, name in enumerate(student.classes):
            key = f"proba_{name}" if name in ("id", "label", "probability") else name
            columns[key] = p[:, j].astype(np.float64)
    frame = pd.DataFrame(columns)
    frame.attrs["skipped"] = [(ids[k], reason) for k, reason in failures]
    if out is not None:
        target = Path(out).expanduser()
        target.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(target, index=False)
    return frame
