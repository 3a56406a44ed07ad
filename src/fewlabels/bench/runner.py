"""Run a protocol: every cell (dataset x encoder x budget x seed x method), resumably.

Each (dataset, encoder) pair is embedded once per run through the embedding cache
(:func:`fewlabels.encode.embed`), train and test. Each method is then fitted transductively on
the whole training pool (labels outside the budget split set to -1) and scored on the held-out
test split. Every finished cell is written at once, atomically, as one small file in
``<out>/cells/``; a rerun of the same protocol into the same folder skips the cells already
there, so a killed run resumes where it stopped. A method that raises is recorded as
``failed`` with its error and the run goes on; a method that cannot run on a cell (SetFit on
images) is recorded as ``n/a`` with the reason.

Run folder layout::

    <out>/protocol.json        the resolved protocol (a rerun with another protocol is refused)
    <out>/run.json             machine, versions and the wall time of every session
    <out>/splits/<dataset>/<budget>-seed<seed>.json   the labelled ids (BudgetSplit.save)
    <out>/cells/*.json         one finished cell each
    <out>/errors.log           tracebacks of failed cells
    <out>/results.parquet, results.csv   every cell, merged at the end

This file runs just past 400 lines: one resumable loop over the cells and its bookkeeping
(plans, records, provenance) are in ``plan.py``, ``results.py`` and ``provenance.py``.
"""

from __future__ import annotations

import json
import os
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fewlabels._atomic import atomic_write_text
from fewlabels.bench import results as res
from fewlabels.bench.methods import MethodContext, get_method
from fewlabels.bench.plan import ALL_LABELS, Cell, PlannedDataset, plan, with_encoder
from fewlabels.bench.protocol import Budget, Protocol, protocol_differences
from fewlabels.bench.session import (
    RUN_FILE,
    cpu_seconds,
    machine_info,
    peak_rss,
    record_session,
)
from fewlabels.errors import FewlabelsError
from fewlabels.typing import UNLABELED

__all__ = [
    "ALL_LABELS",
    "PROTOCOL_FILE",
    "RUN_FILE",
    "Cell",
    "PlannedDataset",
    "RunResult",
    "machine_info",
    "plan",
    "run_protocol",
    "with_encoder",
]

PROTOCOL_FILE = "protocol.json"


@dataclass
class RunResult:
    """What :func:`run_protocol` did."""

    run_dir: Path
    results: pd.DataFrame
    seconds: float
    ran: int
    skipped: int
    counts: dict[str, int]


# -- planning and validation (before any work) -------------------------------------------------


# -- the run folder -------------------------------------------------------------------------------
def _check_run_dir(run_dir: Path, protocol: Protocol) -> None:
    """Refuse to resume into a folder holding another protocol's cells."""
    path = run_dir / PROTOCOL_FILE
    if not path.is_file():
        return
    old = json.loads(path.read_text(encoding="utf-8"))
    diff = protocol_differences(old.get("protocol", {}), protocol.to_dict())
    if diff:
        lines = "; ".join(f"{k}: folder has {a!r}, now {b!r}" for k, (a, b) in diff.items())
        raise FewlabelsError(
            f"The run folder {str(run_dir)!r} holds results of a different protocol ({lines}). "
            "Pass another --out folder, or delete this one to start over."
        )


# -- measuring one cell ---------------------------------------------------------------------------


def _metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Accuracy, macro-F1, balanced accuracy and the most predicted class's share of ``y_pred``.

    Parameters
    ----------
    y_true, y_pred : ndarray of shape (n_test,)
        Class codes; assumes valid input.
    """
    from sklearn.metrics import accuracy_score, f1_score, recall_score

    present = np.unique(y_true)  # balanced accuracy: mean recall over the classes in the test
    _, counts = np.unique(y_pred, return_counts=True)
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
        "balanced_accuracy": float(
            recall_score(y_true, y_pred, labels=present, average="macro", zero_division=0)
        ),
        "top_pred_share": float(counts.max() / y_pred.size) if y_pred.size else float("nan"),
    }


@dataclass
class _Embedded:
    """One (dataset, encoder) pair embedded: arrays and the kept datasets."""

    encoder: Any
    X_train: np.ndarray
    X_test: np.ndarray
    train: Any
    test: Any


def _embed(item: PlannedDataset, cache_dir: str | os.PathLike[str] | None) -> _Embedded:
    from fewlabels.encode import embed, get_encoder

    encoder = get_encoder(item.entry.encoder)
    tr = embed(item.train, encoder, cache_dir=cache_dir, progress=False)
    te = embed(item.test, encoder, cache_dir=cache_dir, progress=False)
    scored = np.flatnonzero(te.dataset.labeled_mask)  # a test row without a label is not scored
    return _Embedded(
        encoder, np.asarray(tr.X), np.asarray(te.X)[scored], tr.dataset, te.dataset.subset(scored)
    )


def _split_path(run_dir: Path, dataset: str, budget: Budget, seed: int) -> Path:
    label = budget.label.replace("/", "-per-").replace("%", "pct")
    return run_dir / "splits" / dataset / f"{label}-seed{seed}.json"


def _budget_labels(
    run_dir: Path, full_train: Any, kept_train: Any, budget: Budget, seed: int
) -> np.ndarray:
    """Labels of the kept training rows with everything outside the split set to -1."""
    from fewlabels.data import BudgetSplit, budget_split

    path = _split_path(run_dir, full_train.name, budget, seed)
    if path.is_file():
        split = BudgetSplit.load(path)
    else:
        split = budget_split(
            full_train, per_class=budget.per_class, fraction=budget.fraction, seed=seed
        )
        split.save(path)
    keep = set(kept_train.ids.astype(str).tolist())
    chosen = [i for i in split.labeled_ids if i in keep]  # items the encoder could not read drop
    labels = np.full(len(kept_train), UNLABELED, dtype=np.int64)
    pos = kept_train.positions(chosen)
    labels[pos] = kept_train.labels[pos]
    return labels


def _run_cell(
    cell: Cell,
    emb: _Embedded,
    y_budget: np.ndarray,
    modality: str,
    protocol: Protocol,
    errors_log: Path,
) -> dict[str, Any]:
    spec = get_method(cell.method)
    classes = tuple(emb.train.classes)
    ctx = MethodContext(
        dataset=cell.dataset,
        modality=modality,
        classes=classes,
        encoder_name=cell.encoder,
        encoder=emb.encoder,
        seed=cell.seed,
        descriptions=_descriptions(cell.dataset, classes),
    )
    y_test = np.asarray(emb.test.labels)
    n_classes = len(classes)
    y_fit = np.asarray(emb.train.labels) if spec.labels == "all" else y_budget
    n_labels = int((y_fit != UNLABELED).sum())
    row: dict[str, Any] = {
        "protocol": protocol.name,
        "dataset": cell.dataset,
        "encoder": cell.encoder,
        "modality": modality,
        "method": cell.method,
        "method_kind": spec.kind,
        "budget": cell.budget.label,
        "per_class": float(cell.budget.per_class) if cell.budget.per_class else float("nan"),
        "fraction": float(cell.budget.fraction) if cell.budget.fraction else float("nan"),
        "n_labels": n_labels,
        "labels_per_class": n_labels / n_classes,
        "seed": cell.seed,
        "status": "ok",
        "accuracy": float("nan"),
        "majority_rate": float(np.bincount(y_test, minlength=n_classes).max() / y_test.size),
        "n_train": len(emb.train),
        "n_test": len(emb.test),
        "n_classes": n_classes,
        "cell_id": cell.cell_id,
        "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    reason = spec.reason_not_applicable(ctx)
    if reason is not None:
        row.update(status="n/a", error=reason)
        return res.make_row(**row)
    try:
        with peak_rss() as peak, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence chatter would break the progress bar
            estimator = spec.factory(ctx)
            raw = spec.inputs == "raw"
            fit_X = emb.train.inputs if raw else emb.X_train
            test_X = emb.test.inputs if raw else emb.X_test
            t0 = time.perf_counter()
            estimator.fit(fit_X, y_fit)
            t1 = time.perf_counter()
            pred = np.asarray(estimator.predict(test_X))
            t2 = time.perf_counter()
        row.update(
            _metrics(y_test, pred),
            fit_seconds=t1 - t0,
            predict_seconds=t2 - t1,
            peak_mem_mb=peak[0],
        )
    except Exception as exc:  # failure isolation: record it and go on
        row.update(status="failed", error=f"{type(exc).__name__}: {exc}"[:500])
        with open(errors_log, "a", encoding="utf-8") as fh:
            fh.write(f"=== {cell.cell_id}\n{traceback.format_exc()}\n")
    return res.make_row(**row)


# -- the run --------------------------------------------------------------------------------------
def run_protocol(
    protocol: Protocol,
    *,
    out: str | os.PathLike[str],
    data_root: str | os.PathLike[str] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    progress: bool = True,
    retry_failed: bool = False,
    log: Callable[[str], None] | None = None,
) -> RunResult:
    """Run every cell of ``protocol`` not yet in ``out``, then merge the results there.

    Parameters
    ----------
    protocol : Protocol
    out : path
        The run folder; rerunning into it resumes (it must hold the same protocol).
    data_root : path, optional
        Where relative image-folder datasets are read.
    cache_dir : path, optional
        Embedding cache root (``fewlabels.encode.embed``'s default when None).
    progress : bool, default True
        Show a rich progress bar.
    retry_failed : bool, default False
        Run the cells recorded as failed again (by default every recorded cell is done).
    log : callable, optional
        Receives one line per finished dataset and at the end.

    Returns
    -------
    RunResult
        ``results`` holds every cell of the folder (this session's and earlier ones).
    """
    start_wall = time.perf_counter()
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    machine = machine_info()
    cpu_start = cpu_seconds()
    planned = plan(protocol, data_root=data_root)  # every check before any work
    run_dir = Path(out)
    _check_run_dir(run_dir, protocol)
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(
        run_dir / PROTOCOL_FILE,
        json.dumps({"protocol": protocol.to_dict(), "fingerprint": protocol.fingerprint}, indent=1),
    )
    errors_log = run_dir / "errors.log"
    done = res.done_cells(run_dir, include_failed=not retry_failed)
    total = sum(len(p.cells) for p in planned)
    todo = [[c for c in p.cells if c.cell_id not in done] for p in planned]
    skipped = total - sum(len(t) for t in todo)
    ran = 0
    bar = _progress_bar(progress)
    with bar:
        task = bar.add_task("cells", total=total, completed=skipped)
        for item, cells in zip(planned, todo, strict=True):
            if not cells:
                continue
            name = item.entry.key
            bar.update(task, description=f"embedding {name}")
            try:
                emb = _embed(item, cache_dir)
            except Exception as exc:  # the encoder failed: every cell of the pair fails
                emb_error = f"embedding failed: {type(exc).__name__}: {exc}"[:500]
                with open(errors_log, "a", encoding="utf-8") as fh:
                    fh.write(f"=== embed {name}\n{traceback.format_exc()}\n")
                for cell in cells:
                    res.write_cell(
                        run_dir,
                        res.make_row(
                            protocol=protocol.name,
                            dataset=cell.dataset,
                            encoder=cell.encoder,
                            modality=item.train.modality,
                            method=cell.method,
                            method_kind=get_method(cell.method).kind,
                            budget=cell.budget.label,
                            seed=cell.seed,
                            status="failed",
                            error=emb_error,
                            accuracy=float("nan"),
                            cell_id=cell.cell_id,
                        ),
                    )
                    ran += 1
                    bar.advance(task)
                continue
            labels_cache: dict[tuple[Budget, int], np.ndarray] = {}
            for cell in cells:
                bar.update(
                    task, description=f"{name} {cell.budget.label} s{cell.seed} {cell.method}"
                )
                key = (cell.budget, cell.seed)
                if cell.budget == ALL_LABELS:
                    labels_cache[key] = np.asarray(emb.train.labels)
                elif key not in labels_cache:
                    labels_cache[key] = _budget_labels(
                        run_dir, item.train, emb.train, cell.budget, cell.seed
                    )
                row = _run_cell(
                    cell, emb, labels_cache[key], item.train.modality, protocol, errors_log
                )
                res.write_cell(run_dir, row)
                ran += 1
                bar.advance(task)
            if log is not None:
                log(f"{name}: {len(cells)} cell(s) done")
    frame = res.finalize_run(run_dir)
    seconds = time.perf_counter() - start_wall
    record_session(run_dir, started, seconds, ran, skipped, machine, cpu_seconds() - cpu_start)
    counts = res.summary_counts(frame)
    if log is not None:
        log(f"{ran} cell(s) run, {skipped} already done, in {seconds:.1f} s: {counts}")
    return RunResult(run_dir, frame, seconds, ran, skipped, counts)


class _NoProgress:
    def __enter__(self) -> _NoProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def add_task(self, *args: Any, **kwargs: Any) -> int:
        return 0

    def update(self, *args: Any, **kwargs: Any) -> None:
        return None

    def advance(self, *args: Any, **kwargs: Any) -> None:
        return None


def _progress_bar(enabled: bool) -> Any:
    if not enabled:
        return _NoProgress()
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()
    )


def _descriptions(dataset: str, classes: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """A built-in dataset's class descriptions for zero-shot (none for other data)."""
    from fewlabels.data.builtin import builtin_descriptions, list_builtin

    if dataset not in {info.name for info in list_builtin()}:
        return {}
    return {k: v for k, v in builtin_descriptions(dataset).items() if k in classes}
