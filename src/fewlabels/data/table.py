"""Tables (CSV, Parquet, JSONL or a DataFrame) of texts or features, with optional labels."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from fewlabels._validation import check_columns, encode_labels
from fewlabels.data.dataset import Dataset
from fewlabels.errors import FewlabelsError, MissingFileError

_READERS: dict[str, Callable[[Path], pd.DataFrame]] = {
    ".csv": pd.read_csv,
    ".tsv": lambda p: pd.read_csv(p, sep="\t"),
    ".parquet": pd.read_parquet,
    ".pq": pd.read_parquet,
    ".jsonl": lambda p: pd.read_json(p, lines=True),
    ".ndjson": lambda p: pd.read_json(p, lines=True),
}


def read_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a CSV, TSV, Parquet or JSONL file into a DataFrame."""
    p = Path(path).expanduser()
    reader = _READERS.get(p.suffix.lower())
    if reader is None:
        raise FewlabelsError(
            f"Expected a table file ending in {sorted(_READERS)}, but got {p.name!r}. "
            "Convert it, or pass a pandas DataFrame."
        )
    if not p.is_file():
        raise MissingFileError(f"Expected a table file at {str(p)!r}, but there is none.")
    try:
        return reader(p)
    except pd.errors.EmptyDataError:
        raise FewlabelsError(
            f"Expected a table with a header row and data in {str(p)!r}, but the file is empty."
        ) from None
    except UnicodeDecodeError as exc:
        raise FewlabelsError(
            f"Expected UTF-8 text in {str(p)!r}, but byte {exc.start} is not UTF-8 ({exc.reason}). "
            "Save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)."
        ) from None
    except (pd.errors.ParserError, ValueError, OSError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise FewlabelsError(
            f"Expected a readable {p.suffix.lower()} table in {str(p)!r}, but it could not be "
            f"parsed: {exc}"
        ) from None


def from_table(
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    text: str | None = None,
    features: Sequence[str] | None = None,
    label: str | None = None,
    id: str | None = None,
    classes: Sequence[str] | None = None,
    name: str | None = None,
) -> Dataset:
    """Load texts or table rows with optional labels.

    Parameters
    ----------
    source : path or DataFrame
        A ``.csv``, ``.tsv``, ``.parquet`` or ``.jsonl`` file, or a DataFrame.
    text : str, optional
        The text column (a text dataset). Give exactly one of ``text`` and ``features``.
    features : list of str, optional
        Feature columns, numeric or categorical (a tabular dataset).
    label : str, optional
        The label column; a blank cell means unlabelled.
    id : str, optional
        The id column; rows are numbered ``"0", "1", ...`` when absent.
    classes : list of str, optional
        Class names in order; the sorted distinct labels by default.
    name : str, optional
        Dataset name (the file's stem by default).
    """
    if isinstance(source, pd.DataFrame):
        frame = source.reset_index(drop=True)
        default_name = "table"
    else:
        frame = read_table(source)
        default_name = Path(source).stem
    if (text is None) == (features is None):
        raise FewlabelsError(
            "Expected exactly one of text='column' (a text dataset) or features=[...] (a "
            f"tabular dataset), but got text={text!r} and features={features!r}. "
            f"The table's columns are {list(frame.columns)}."
        )
    if len(frame) == 0:
        raise FewlabelsError("Expected a table with at least one row, but it is empty.")
    columns = [str(c) for c in frame.columns]
    frame.columns = columns
    if text is not None:
        check_columns(columns, [text], role="text")
    else:
        check_columns(columns, list(features or []), role="feature")
    if label is not None:
        check_columns(columns, [label], role="label")
    if id is not None:
        check_columns(columns, [id], role="id")

    ids = (
        frame[id].astype(str).to_numpy(dtype=object)
        if id is not None
        else np.array([str(i) for i in range(len(frame))], dtype=object)
    )
    raw_labels = frame[label].tolist() if label is not None else [None] * len(frame)
    labels, names = encode_labels(raw_labels, classes)

    if text is not None:
        col = frame[text]
        missing = np.flatnonzero(col.isna().to_numpy())
        if missing.size:
            raise FewlabelsError(
                f"Expected a text in every row of column {text!r}, but {missing.size} row(s) "
                f"are empty, e.g. ids {ids[missing[:10]].tolist()}. Drop or fill them."
            )
        return Dataset(
            ids=ids,
            inputs=col.astype(str).tolist(),
            labels=labels,
            classes=names,
            modality="text",
            name=name or default_name,
        )
    table = frame[list(features or [])].reset_index(drop=True)
    nan_cols = [c for c in table.columns if table[c].isna().any()]
    if nan_cols:
        counts = {c: int(table[c].isna().sum()) for c in nan_cols}
        raise FewlabelsError(
            f"Expected no missing values (NaN) in the features, but these columns have some "
            f"(count per column): {counts}. Impute or drop them before loading."
        )
    return Dataset(
        ids=ids,
        inputs=table,
        labels=labels,
        classes=names,
        modality="tabular",
        name=name or default_name,
    )
