"""Reading what to predict: a folder of images, a CSV/TSV/JSONL/Parquet table, a text file with
one text per line, or inputs in memory, in blocks of bounded size with their ids.

Unreadable images are skipped later, by the prediction; a text or image student reads one
column of a table (its texts, or image paths), a tabular student its trained columns.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from fewlabels.distill.exported import ExportedStudent
from fewlabels.errors import FewlabelsError, MissingFileError, MissingKeyError

_TEXT_SUFFIXES = (".txt", ".text")

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
