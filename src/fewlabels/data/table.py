"""Tables (CSV, Parquet, JSONL or a DataFrame) of texts or features, with optional labels."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Literal, overload

import numpy as np
import pandas as pd

from fewlabels._validation import _preview
from fewlabels.data.dataset import Dataset, MultiLabelDataset
from fewlabels.data.labels import as_written, encode_label_sets, encode_labels, parse_label_sets
from fewlabels.errors import FewlabelsError, MissingFileError, MissingKeyError
from fewlabels.typing import Modality

_SUFFIXES = (".csv", ".tsv", ".parquet", ".pq", ".jsonl", ".ndjson")

try:  # the cells pandas reads as missing by default (documented under read_csv's na_values)
    from pandas._libs.parsers import STR_NA_VALUES as _PANDAS_NA
except ImportError:  # pragma: no cover - a pandas that moved it
    _PANDAS_NA = {"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan"}
    _PANDAS_NA |= {"1.#IND", "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a"}
    _PANDAS_NA |= {"nan", "null"}


def _read(p: Path, as_written: Sequence[str]) -> pd.DataFrame:
    """Read ``p`` by its suffix; the ``as_written`` columns keep their cells' text."""
    suffix = p.suffix.lower()
    if suffix in (".csv", ".tsv"):
        sep = "\t" if suffix == ".tsv" else ","
        if not as_written:
            return pd.read_csv(p, sep=sep)
        header = [str(c) for c in pd.read_csv(p, sep=sep, nrows=0).columns]
        keep = [c for c in header if c in as_written]
        # No default NA values in the kept columns ("NA", "null" and "" stay text there);
        # every other column reads missing cells as usual.
        na = {c: sorted(_PANDAS_NA) for c in header if c not in keep}
        return pd.read_csv(
            p, sep=sep, dtype={c: str for c in keep}, keep_default_na=False, na_values=na
        )
    if suffix in (".jsonl", ".ndjson"):
        # No inference in the kept columns: the string "007" stays a string, 7 stays a number.
        return pd.read_json(p, lines=True, dtype={c: object for c in as_written})
    return pd.read_parquet(p)


def check_columns(present: Sequence[str], wanted: Sequence[str], *, role: str) -> None:
    """Refuse a table that lacks a column the caller named."""
    missing = [c for c in wanted if c not in present]
    if missing:
        raise MissingKeyError(
            f"Expected {role} column(s) {missing} in the table, but it has only the columns "
            f"{list(present)}. Pass the right column name."
        )


def _checked_path(path: str | os.PathLike[str]) -> Path:
    """``path`` expanded, refusing a file of another type and a missing file."""
    p = Path(path).expanduser()
    if p.suffix.lower() not in _SUFFIXES:
        raise FewlabelsError(
            f"Expected a table file ending in {sorted(_SUFFIXES)}, but got {p.name!r}. "
            "Convert it, or pass a pandas DataFrame."
        )
    if not p.is_file():
        raise MissingFileError(f"Expected a table file at {str(p)!r}, but it does not exist.")
    return p


@contextmanager
def _read_errors(p: Path) -> Iterator[None]:
    """Turn what reading ``p`` raises (empty, non-UTF-8, unparsable) into a FewlabelsError."""
    try:
        yield
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
        if isinstance(exc, (FileNotFoundError, FewlabelsError)):
            raise
        raise FewlabelsError(
            f"Expected a readable {p.suffix.lower()} table in {str(p)!r}, but it could not be "
            f"parsed: {exc}"
        ) from None


def read_table(path: str | os.PathLike[str], *, as_written: Sequence[str] = ()) -> pd.DataFrame:
    """Read a CSV, TSV, Parquet or JSONL file into a DataFrame.

    Parameters
    ----------
    path : path-like
    as_written : sequence of str, default ()
        Columns to read without type inference (ids, labels): a CSV/TSV cell keeps its exact
        text (``001`` stays ``"001"``, a blank cell is ``""``); a JSONL value keeps its JSON
        type (``"007"`` a string, ``7`` a number). Parquet keeps its stored types anyway.

    Raises
    ------
    FewlabelsError
        A file of another type, an empty, non-UTF-8 or unparsable file (naming the file).
    FileNotFoundError
        When there is no file at ``path``.
    """
    p = _checked_path(path)
    with _read_errors(p):
        return _read(p, as_written)


def iter_table(
    path: str | os.PathLike[str], *, as_written: Sequence[str] = (), rows: int = 65536
) -> Iterator[pd.DataFrame]:
    """Read a table file in blocks of at most ``rows`` rows, in bounded memory.

    The blocks hold what :func:`read_table` returns, in order (CSV/TSV and JSONL through
    pandas' ``chunksize``, Parquet record batches through pyarrow), with one difference: the
    type of a column that is not ``as_written`` is inferred per block (a CSV column of
    integers with one float row far below is integers in the blocks above it).

    Raises
    ------
    FewlabelsError
        As :func:`read_table`; a file that cannot be parsed may raise it from a later block.
    """
    p = _checked_path(path)
    if rows < 1:
        raise FewlabelsError(f"Expected rows >= 1, but got {rows!r}.")
    return _iter_blocks(p, as_written, rows)


def _iter_blocks(p: Path, as_written: Sequence[str], rows: int) -> Iterator[pd.DataFrame]:
    """The blocks of :func:`iter_table` (assumes a checked path), errors as read_table's."""
    suffix = p.suffix.lower()
    with _read_errors(p):
        if suffix in (".csv", ".tsv"):
            sep = "\t" if suffix == ".tsv" else ","
            header = [str(c) for c in pd.read_csv(p, sep=sep, nrows=0).columns]
            keep = [c for c in header if c in as_written]
            na = {c: sorted(_PANDAS_NA) for c in header if c not in keep}
            with pd.read_csv(
                p,
                sep=sep,
                dtype={c: str for c in keep},
                keep_default_na=False,
                na_values=na,
                chunksize=rows,
            ) as reader:
                yield from reader
        elif suffix in (".jsonl", ".ndjson"):
            dtype = {c: object for c in as_written}
            with pd.read_json(p, lines=True, dtype=dtype, chunksize=rows) as reader:
                yield from reader
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            with pq.ParquetFile(p) as fh:
                for batch in fh.iter_batches(batch_size=rows):
                    yield pa.Table.from_batches([batch]).to_pandas()


@overload
def from_table(
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    text: str | None = ...,
    features: Sequence[str] | None = ...,
    label: str | None = ...,
    id: str | None = ...,
    classes: Sequence[str] | None = ...,
    name: str | None = ...,
    multilabel: Literal[False] = ...,
    sep: str | None = ...,
) -> Dataset: ...


@overload
def from_table(
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    text: str | None = ...,
    features: Sequence[str] | None = ...,
    label: str | None = ...,
    id: str | None = ...,
    classes: Sequence[str] | None = ...,
    name: str | None = ...,
    multilabel: Literal[True],
    sep: str | None = ...,
) -> MultiLabelDataset: ...


def from_table(
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    text: str | None = None,
    features: Sequence[str] | None = None,
    label: str | None = None,
    id: str | None = None,
    classes: Sequence[str] | None = None,
    name: str | None = None,
    multilabel: bool = False,
    sep: str | None = None,
) -> Dataset | MultiLabelDataset:
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
        The label column, read as written (``007`` and ``7`` are two classes; ``NA`` is a
        label); a blank cell means unlabelled.
    id : str, optional
        The id column, read as written (``001`` stays ``"001"``); a blank id is refused.
        Rows are numbered ``"0", "1", ...`` when absent.
    classes : list of str, optional
        Class names in order; the sorted distinct labels by default (none for a table
        without labels: embedding needs no classes).
    name : str, optional
        Dataset name (the file's stem by default).
    multilabel : bool, default False
        Read ``label`` as a set of labels per row and return a
        :class:`~fewlabels.data.MultiLabelDataset`: a cell is a list (JSONL, Parquet, a
        DataFrame; a JSON list such as ``["a", "b"]`` or ``[]`` in a CSV cell) or, with
        ``sep``, labels joined by ``sep``; ``[]`` is the empty set, a blank cell unlabelled
        (:func:`fewlabels.data.labels.parse_label_sets`). ``classes`` then lists every
        label a set may hold.
    sep : str, optional
        With ``multilabel``: the separator of labels in a text cell (``"|"`` for
        ``"Comedy|Drama"``).
    """
    if isinstance(source, pd.DataFrame):
        frame = source.reset_index(drop=True)
        default_name = "table"
    else:
        frame = read_table(source, as_written=[c for c in (id, label) if c is not None])
        default_name = Path(source).stem
    if (text is None) == (features is None):
        raise FewlabelsError(
            "Expected exactly one of text=COLUMN (a text dataset; --text COLUMN on the command "
            "line) or features=[...] (a tabular dataset; --features A,B,...), but got "
            f"text={text!r} and features={features!r}. The table's columns are "
            f"{list(frame.columns)}."
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
        _ids_as_written(frame[id])
        if id is not None
        else np.array([str(i) for i in range(len(frame))], dtype=object)
    )
    if sep is not None and not multilabel:
        raise FewlabelsError(
            f"Expected sep only with multilabel=True (labels joined by a separator), but got "
            f"sep={sep!r} for a single-label table. Pass multilabel=True, or drop sep."
        )
    if sep is not None and not sep:
        raise FewlabelsError("Expected a non-empty sep (e.g. '|'), but got ''.")
    raw_labels = frame[label].tolist() if label is not None else [None] * len(frame)
    if multilabel:
        sets = parse_label_sets(raw_labels, sep=sep, column=label or "label")
        label_sets, names = encode_label_sets(sets, classes)
        labels = np.full(len(frame), -1, dtype=np.int64)
    else:
        labels, names = encode_labels(raw_labels, classes)

    if text is not None:
        col = frame[text]
        missing = np.flatnonzero(col.isna().to_numpy())
        if missing.size:
            raise FewlabelsError(
                f"Expected a text in every row of column {text!r}, but {missing.size} row(s) "
                f"are empty, e.g. ids {ids[missing[:10]].tolist()}. Drop or fill them."
            )
        inputs: list[str] | pd.DataFrame = col.astype(str).tolist()
    else:
        inputs = frame[list(features or [])].reset_index(drop=True)
        check_finite_features(inputs)
    modality: Modality = "text" if text is not None else "tabular"
    if multilabel:
        return MultiLabelDataset(
            ids=ids,
            inputs=inputs,
            label_sets=label_sets,
            classes=names,
            modality=modality,
            name=name or default_name,
        )
    return Dataset(
        ids=ids,
        inputs=inputs,
        labels=labels,
        classes=names,
        modality=modality,
        name=name or default_name,
    )


def _ids_as_written(column: pd.Series) -> np.ndarray:
    """The id cells as text (see :func:`as_written`), refusing blank ones by row number."""
    ids = [as_written(v) for v in column.tolist()]
    blank = [k + 1 for k, v in enumerate(ids) if v is None or not v.strip()]
    if blank:
        raise FewlabelsError(
            f"Expected an id in every row of the id column {column.name!r}, but {len(blank)} "
            f"row(s) have none: rows {_preview(blank)} (1 = the first row after the header). "
            "Fill them in, or leave the id column out to number the rows."
        )
    return np.asarray(ids, dtype=object)


def check_finite_features(table: pd.DataFrame, *, allow_missing: bool = False) -> None:
    """Refuse missing (NaN) and infinite feature values, naming the columns and counts.

    Both would turn into NaN embeddings. Non-numeric columns are checked for missing cells
    only.

    Parameters
    ----------
    table : DataFrame of shape (n_rows, n_columns)
    allow_missing : bool, default False
        Refuse infinite values only: for a caller that imputes missing values (the
        ``tabular`` encoder), where a missing cell is fine but infinity has no value to
        impute.
    """
    missing: dict[str, int] = {}
    infinite: dict[str, int] = {}
    for col in table.columns:
        s = table[col]
        n_missing = 0 if allow_missing else int(s.isna().sum())
        if n_missing:
            missing[str(col)] = n_missing
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            n_inf = int(np.isinf(s.to_numpy(dtype=np.float64, na_value=0.0)).sum())
            if n_inf:
                infinite[str(col)] = n_inf
    if allow_missing and infinite:
        raise FewlabelsError(
            "Expected finite numbers or missing (NaN) values in every feature column, but "
            f"found infinite values in (count per column) {infinite}. Clip or drop them, or "
            "set them to NaN to have them imputed."
        )
    if missing or infinite:
        found = "; ".join(
            f"{what} values in {counts}"
            for what, counts in (("missing (NaN)", missing), ("infinite", infinite))
            if counts
        )
        raise FewlabelsError(
            "Expected finite values in every feature column, but found (count per column) "
            f"{found}. Impute, clip or drop them first."
        )
