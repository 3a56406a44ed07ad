"""The tidy results table of benchmark runs and active-learning simulations.

One row per *cell*: one method fitted once on one labelled subset of one dataset embedded by one
encoder, and scored on that dataset's held-out test split. ``fewlabels bench`` writes one row per
(dataset x encoder x budget x seed x method); ``fewlabels simulate`` writes one row per
(dataset x encoder x strategy x seed x round) into the same table, and ``fewlabels report``
draws both (learning curves by method, and active-learning curves by strategy).

Schema
------
Every column below exists in a conformed table (:func:`conform` adds missing optional columns
with their default). ``required`` columns must be given by every writer.

====================  ======  ====  ================================================================
column                type    req   meaning
====================  ======  ====  ================================================================
``dataset``           str     yes   dataset name (``digits``, ``finefoods``, a folder name...)
``encoder``           str     yes   encoder registry name (``pixels``, ``minilm``...)
``method``            str     yes   method name (``linear``, ``sklearn-label-spreading``...); for a
                                    simulation: the learner re-fitted each round
``seed``              int     yes   seed of the label split / strategy and of the method
``status``            str     yes   ``"ok"``, ``"failed"`` (the method raised) or ``"n/a"`` (the
                                    method cannot run on this cell)
``accuracy``          float   yes   test accuracy in [0, 1]; NaN unless status is ok
``protocol``          str     no    protocol name (``quick``...); ``"simulate"`` for AL rows
``method_kind``       str     no    ``"fewlabels"``, ``"peer"``, ``"ceiling"`` or ``"custom"``
``modality``          str     no    ``"text"``, ``"image"`` or ``"tabular"``
``budget``            str     no    budget label: ``"4/class"``, ``"10%"``, ``"all"`` (the ceiling);
                                    ``""`` for AL
``per_class``         float   no    k of a per-class budget, else NaN
``fraction``          float   no    fraction of a fractional budget, else NaN
``n_labels``          int     no    labelled training rows the method saw (-1 if unknown)
``labels_per_class``  float   no    ``n_labels / n_classes`` (the x axis of learning curves)
``strategy``          str     no    active-learning strategy (``"margin"``...); ``""`` for a bench
                                    row. Rows with a strategy are AL curves.
``round``             int     no    active-learning round (0 = the seed set); -1 for bench
``error``             str     no    ``"ExcType: message"`` when failed, the reason when n/a
``macro_f1``          float   no    test macro-F1; NaN unless ok
``balanced_accuracy`` float   no    test balanced accuracy (mean recall over classes); NaN unless
                                    ok, and in results written before it was recorded
``majority_rate``     float   no    share of the test split's most frequent class
``top_pred_share``    float   no    share of the test predictions given to the most predicted
                                    class (1.0: the method answered one class for everything);
                                    NaN unless ok, and in older results
``fit_seconds``       float   no    wall time of ``fit``
``predict_seconds``   float   no    wall time of ``predict`` on the test split
``peak_mem_mb``       float   no    peak rise of the process RSS during fit + predict, MiB (sampled
                                    every 5 ms; an approximation)
``n_train``           int     no    rows of the (transductive) training pool
``n_test``            int     no    rows of the test split
``n_classes``         int     no    number of classes
``cell_id``           str     no    unique key of the row: resume skips done ids and
                                    :func:`concat_results` keeps the first of repeated ids (AL rows:
                                    e.g. ``"simulate|digits|pixels|margin|seed=0|round=3"``)
``started_at``        str     no    ISO-8601 UTC time the cell started
====================  ======  ====  ================================================================

For ``fewlabels simulate``: build rows with :func:`make_row` (``strategy=``, ``round=``,
``n_labels=``, ``labels_per_class=``, ``protocol="simulate"``) and write them with
:func:`write_results` (``.csv`` or ``.parquet`` by suffix), or append them to a bench run
folder with :func:`write_cell`. :func:`read_results` reads a CSV, a Parquet file or a bench
run folder, and several can be passed to ``fewlabels report``; :func:`load_for_report` reads
several at once with the ``protocol.json`` and ``run.json`` of their run folders, and refuses
tables of different protocols (:mod:`fewlabels.bench.provenance`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fewlabels._atomic import atomic_path, atomic_write_text
from fewlabels.bench.protocol import Protocol
from fewlabels.bench.provenance import check_one_protocol, check_same_protocol
from fewlabels.errors import FewlabelsError, InputTypeError, MissingFileError

#: Column -> (dtype kind, default or None when required). Order is the order of the table.
SCHEMA: dict[str, tuple[str, Any]] = {
    "protocol": ("str", ""),
    "dataset": ("str", None),
    "encoder": ("str", None),
    "modality": ("str", ""),
    "method": ("str", None),
    "method_kind": ("str", "custom"),
    "budget": ("str", ""),
    "per_class": ("float", float("nan")),
    "fraction": ("float", float("nan")),
    "n_labels": ("int", -1),
    "labels_per_class": ("float", float("nan")),
    "strategy": ("str", ""),
    "round": ("int", -1),
    "seed": ("int", None),
    "status": ("str", None),
    "error": ("str", ""),
    "accuracy": ("float", None),
    "macro_f1": ("float", float("nan")),
    "balanced_accuracy": ("float", float("nan")),
    "majority_rate": ("float", float("nan")),
    "top_pred_share": ("float", float("nan")),
    "fit_seconds": ("float", float("nan")),
    "predict_seconds": ("float", float("nan")),
    "peak_mem_mb": ("float", float("nan")),
    "n_train": ("int", -1),
    "n_test": ("int", -1),
    "n_classes": ("int", -1),
    "cell_id": ("str", ""),
    "started_at": ("str", ""),
}

REQUIRED: tuple[str, ...] = tuple(c for c, (_, d) in SCHEMA.items() if d is None)
STATUSES: tuple[str, ...] = ("ok", "failed", "n/a")

_CELLS_DIR = "cells"
RESULTS_CSV = "results.csv"
RESULTS_PARQUET = "results.parquet"


def make_row(**fields: Any) -> dict[str, Any]:
    """A results row with every schema column, defaults filled in.

    Raises a ValueError naming unknown or missing required columns.
    """
    unknown = sorted(set(fields) - set(SCHEMA))
    if unknown:
        raise FewlabelsError(
            f"Expected results columns among {list(SCHEMA)}, but got unknown column(s) "
            f"{unknown}. Check the spelling against fewlabels.bench.results.SCHEMA."
        )
    missing = [c for c in REQUIRED if c not in fields]
    if missing:
        raise FewlabelsError(
            f"Expected the required results column(s) {list(REQUIRED)}, but {missing} are "
            "missing from the row."
        )
    row = {c: fields.get(c, default) for c, (_, default) in SCHEMA.items()}
    if row["status"] not in STATUSES:
        raise FewlabelsError(f"Expected status in {list(STATUSES)}, but got {row['status']!r}.")
    return row


def conform(frame: pd.DataFrame, *, source: str = "the results table") -> pd.DataFrame:
    """Return ``frame`` with every schema column, in schema order, with schema dtypes.

    Missing optional columns get their default; extra columns are kept after them. A missing
    required column or an unknown status is a ValueError that says which.
    """
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise FewlabelsError(
            f"Expected the results columns {list(REQUIRED)} in {source}, but {missing} are "
            f"missing (it has {list(frame.columns)}). Pass a file written by fewlabels bench "
            "or fewlabels simulate."
        )
    out = frame.copy()
    for col, (kind, default) in SCHEMA.items():
        if col not in out.columns:
            out[col] = default
        if kind == "str":
            values = out[col].astype(object)
            out[col] = values.where(values.notna(), "").astype(str)
        elif kind == "int":
            out[col] = pd.to_numeric(out[col], errors="coerce").fillna(-1).astype(np.int64)
        else:
            out[col] = pd.to_numeric(out[col], errors="coerce").astype(np.float64)
    bad = sorted(set(out["status"]) - set(STATUSES))
    if bad:
        raise FewlabelsError(
            f"Expected status values in {list(STATUSES)} in {source}, but found {bad}."
        )
    extra = [c for c in out.columns if c not in SCHEMA]
    return out[[*SCHEMA, *extra]].reset_index(drop=True)


def _cell_file(run_dir: Path, cell_id: str) -> Path:
    safe = "".join(ch if ch.isalnum() or ch in "-_.=" else "_" for ch in cell_id)
    return run_dir / _CELLS_DIR / f"{safe}.json"


def write_cell(run_dir: str | os.PathLike[str], row: Mapping[str, Any]) -> Path:
    """Record one finished cell in a run folder, atomically (one small JSON file per cell)."""
    full = make_row(**dict(row))
    if not full["cell_id"]:
        raise FewlabelsError("Expected a row with a non-empty cell_id to write it as a cell.")
    path = _cell_file(Path(run_dir), str(full["cell_id"]))
    path.parent.mkdir(parents=True, exist_ok=True)
    clean = {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in full.items()}
    atomic_write_text(path, json.dumps(clean, default=_json_default))
    return path


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise InputTypeError(f"Cannot store {type(value).__name__} in a results row.")


def done_cells(run_dir: str | os.PathLike[str], *, include_failed: bool = True) -> set[str]:
    """The cell ids already recorded in a run folder (without the failed ones if asked)."""
    folder = Path(run_dir) / _CELLS_DIR
    if not folder.is_dir():
        return set()
    done: set[str] = set()
    for path in folder.glob("*.json"):
        try:
            row = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:  # a torn file cannot exist (atomic writes), but be safe
            continue
        if include_failed or row.get("status") != "failed":
            done.add(str(row.get("cell_id", "")))
    return done


def collect_cells(run_dir: str | os.PathLike[str]) -> pd.DataFrame:
    """Merge the per-cell files of a run folder into one conformed table (sorted by cell id)."""
    folder = Path(run_dir) / _CELLS_DIR
    rows: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            rows.append(json.loads(path.read_text(encoding="utf-8")))
        except ValueError:
            continue
    frame = pd.DataFrame(rows) if rows else pd.DataFrame(columns=list(SCHEMA))
    return conform(frame, source=str(folder)).sort_values("cell_id", kind="stable")


def write_results(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a results table as ``.csv`` or ``.parquet`` (by suffix), atomically."""
    target = Path(path)
    table = conform(frame)
    if target.suffix not in (".parquet", ".csv"):
        raise FewlabelsError(
            f"Expected a results path ending in .csv or .parquet, but got {str(target)!r}."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as tmp:
        if target.suffix == ".parquet":
            table.to_parquet(tmp, index=False)
        else:
            table.to_csv(tmp, index=False)
    return target


def finalize_run(run_dir: str | os.PathLike[str]) -> pd.DataFrame:
    """Merge a run folder's cells and write ``results.parquet`` and ``results.csv`` into it."""
    frame = collect_cells(run_dir)
    write_results(frame, Path(run_dir) / RESULTS_PARQUET)
    write_results(frame, Path(run_dir) / RESULTS_CSV)
    return frame


def read_results(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read results from a ``.csv``, a ``.parquet`` or a bench run folder (its cells)."""
    source = Path(path)
    if source.is_dir():
        if (source / _CELLS_DIR).is_dir():
            return collect_cells(source)
        for name in (RESULTS_PARQUET, RESULTS_CSV):
            if (source / name).is_file():
                return read_results(source / name)
        raise MissingFileError(
            f"Expected a bench run folder (with cells/ or results.csv) at {str(source)!r}, but "
            "it has neither. Pass the --out folder of fewlabels bench or a results file."
        )
    if not source.is_file():
        raise MissingFileError(
            f"Expected a results file (.csv, .parquet) or run folder at {str(source)!r}, but "
            "nothing is there."
        )
    if source.suffix == ".parquet":
        frame = pd.read_parquet(source)
    elif source.suffix == ".csv":
        frame = pd.read_csv(source, keep_default_na=False, na_values=[""])
    else:
        raise FewlabelsError(
            f"Expected a results file ending in .csv or .parquet, but got {str(source)!r}."
        )
    return conform(frame, source=str(source))


def concat_results(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Stack several conformed tables, dropping repeated cell ids (the first one wins)."""
    parts = [conform(f) for f in frames]
    if not parts:
        return conform(pd.DataFrame(columns=list(SCHEMA)))
    table = pd.concat(parts, ignore_index=True)
    keyed = table["cell_id"] != ""
    dup = keyed & table["cell_id"].duplicated(keep="first")
    return table[~dup].reset_index(drop=True)


def summary_counts(frame: pd.DataFrame) -> dict[str, int]:
    """Cells per status, e.g. ``{"ok": 40, "failed": 1, "n/a": 3}``."""
    counts = frame["status"].value_counts()
    return {s: int(counts.get(s, 0)) for s in STATUSES}


def unique_values(frame: pd.DataFrame, column: str) -> Sequence[Any]:
    """Sorted distinct values of a column (helper for reports and checks)."""
    return sorted(frame[column].unique().tolist())


# -- loading for the report -----------------------------------------------------------------------
def recorded_protocol(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The protocol recorded in the ``protocol.json`` of a run folder (or of a file's folder)."""
    source = Path(path)
    candidate = (source if source.is_dir() else source.parent) / "protocol.json"
    if candidate.is_file():
        data = json.loads(candidate.read_text(encoding="utf-8"))
        return dict(data.get("protocol", {})) or None
    return None


def run_info(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The ``run.json`` of a run folder (machine, sessions, wall time), or None."""
    source = Path(path)
    candidate = (source if source.is_dir() else source.parent) / "run.json"
    if candidate.is_file():
        return dict(json.loads(candidate.read_text(encoding="utf-8")))
    return None


def load_for_report(
    paths: Sequence[str | os.PathLike[str]], *, protocol: Protocol | None = None
) -> tuple[pd.DataFrame, dict[str, Any] | None, dict[str, Any] | None]:
    """Read one or more results files or run folders and check they belong together.

    With ``protocol``, every bench table must come from it; without, several bench tables
    must come from the same protocol. Active-learning rows (``strategy`` set) are exempt.

    Returns
    -------
    results : DataFrame
        Conformed, repeated cell ids dropped (:func:`concat_results`).
    recorded_protocol : dict or None
        The first run folder's ``protocol.json``.
    run_info : dict or None
        The first run folder's ``run.json`` (machine and wall time).
    """
    if not paths:
        raise FewlabelsError("Expected at least one results file or run folder, but got none.")
    frames, tables, infos = [], [], []
    for p in paths:
        path = Path(p)
        frame = read_results(path)
        recorded = recorded_protocol(path)
        bench = frame[frame["strategy"] == ""]
        if protocol is not None and not bench.empty:
            check_same_protocol(bench, protocol, recorded=recorded, source=str(path))
        frames.append(frame)
        tables.append((str(path), recorded, bench))
        infos.append(run_info(path))
    if protocol is None:
        check_one_protocol(tables)
    first_recorded = next((r for _, r, _ in tables if r is not None), None)
    first_info = next((i for i in infos if i is not None), None)
    return concat_results(frames), first_recorded, first_info
