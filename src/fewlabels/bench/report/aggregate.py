"""The report's numbers: results rows grouped into tables (mean ± std over seeds, best in bold).

Every function takes a conformed results table (:func:`fewlabels.bench.results.conform`) or
a part of it (one dataset and encoder), and returns a :class:`~.document.Table` or a frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from fewlabels.bench.report.document import Table

#: The mark of a cell the protocol does not run.
NOT_RUN = "—"

_KIND_ORDER = {"fewlabels": 0, "custom": 1, "peer": 2, "ceiling": 3}


# -- ordering and grouping ------------------------------------------------------------------------
def budget_order(frame: pd.DataFrame) -> list[str]:
    """Budgets sorted: per-class ones by k, then fractions."""
    budgeted = frame[frame["method_kind"] != "ceiling"]
    frame = budgeted if not budgeted.empty else frame
    keys = frame[["budget", "per_class", "fraction"]].drop_duplicates("budget")
    keys = keys.assign(
        _kind=keys["per_class"].isna().astype(int),
        _value=keys["per_class"].fillna(keys["fraction"]),
    ).sort_values(["_kind", "_value"])
    return [b for b in keys["budget"].tolist() if b]


def method_order(frame: pd.DataFrame) -> list[str]:
    """Methods in first-seen order within kind: fewlabels, custom, peers, the ceiling."""
    first = frame.drop_duplicates("method")[["method", "method_kind"]]
    first = first.assign(_k=first["method_kind"].map(_KIND_ORDER).fillna(1))
    return first.sort_values(["_k"], kind="stable")["method"].tolist()


def kinds(frame: pd.DataFrame) -> dict[str, str]:
    """Method name -> method kind."""
    first = frame.drop_duplicates("method")
    return {str(m): str(k) for m, k in zip(first["method"], first["method_kind"], strict=True)}


def groups(frame: pd.DataFrame, keys: list[str]) -> list[tuple[tuple[str, ...], pd.DataFrame]]:
    """``groupby(keys, sort=False)`` with the keys as a tuple of str."""
    return [
        (tuple(str(k) for k in (key if isinstance(key, tuple) else (key,))), sub)
        for key, sub in frame.groupby(keys, sort=False)
    ]


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows as dicts with str keys."""
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def fmt_num(value: Any, spec: str) -> str:
    """Format a number, or the not-run mark for NaN."""
    return NOT_RUN if value is None or not np.isfinite(value) else format(float(value), spec)


# -- per (dataset, encoder) tables ----------------------------------------------------------------
def _cell_stats(group: pd.DataFrame, metric: str) -> tuple[str, float]:
    """Text 'mean ± std' (percent) of the ok rows, with n/a or failed when none is ok."""
    ok = group[group["status"] == "ok"][metric].dropna()
    if ok.empty:
        statuses = set(group["status"])
        return (
            "n/a" if statuses == {"n/a"} else "failed" if "failed" in statuses else "n/a"
        ), float("nan")
    mean = float(ok.mean()) * 100
    std = float(ok.std(ddof=0)) * 100 if len(ok) > 1 else 0.0
    text = f"{mean:.1f} ± {std:.1f}"
    if len(ok) < len(group):
        text += f" ({len(ok)}/{len(group)})"
    return text, mean


def metric_table(sub: pd.DataFrame, metric: str, budgets: list[str], methods: list[str]) -> Table:
    """Method x budget, 'mean ± std' of ``metric`` in percent, the best of each budget in bold."""
    kind = kinds(sub)
    means = np.full((len(methods), len(budgets)), np.nan)
    rows: list[list[str]] = []
    for i, m in enumerate(methods):
        row = [m if kind.get(m) != "ceiling" else f"{m} (all labels)"]
        for j, b in enumerate(budgets):
            group = sub[
                (sub["method"] == m) & ((sub["budget"] == b) | (sub["method_kind"] == "ceiling"))
            ]
            if group.empty:
                row.append(NOT_RUN)
                continue
            text, mean = _cell_stats(group, metric)
            row.append(text)
            if kind.get(m) != "ceiling":
                means[i, j] = mean
        rows.append(row)
    bold: set[tuple[int, int]] = set()
    for j in range(len(budgets)):
        col = means[:, j]
        if np.isfinite(col).any():
            top = np.nanmax(col)
            bold.update(
                (i, j + 1)
                for i in range(len(methods))
                if np.isfinite(col[i]) and abs(col[i] - top) < 1e-9
            )
    return Table(["method", *budgets], rows, bold)


def ceiling_mean(sub: pd.DataFrame) -> float:
    """Mean accuracy of the all-labels ceiling (NaN without one)."""
    ceil = sub[(sub["method_kind"] == "ceiling") & (sub["status"] == "ok")]["accuracy"]
    return float(ceil.mean()) if not ceil.empty else float("nan")


def share_table(sub: pd.DataFrame, budgets: list[str], methods: list[str]) -> Table | None:
    """Each method's mean accuracy as a share of the ceiling's (None without a ceiling)."""
    ceiling = ceiling_mean(sub)
    if not np.isfinite(ceiling) or ceiling <= 0:
        return None
    rows = []
    for m in methods:
        if (sub[sub["method"] == m]["method_kind"] == "ceiling").any():
            continue
        row = [m]
        for b in budgets:
            ok = sub[(sub["method"] == m) & (sub["budget"] == b) & (sub["status"] == "ok")]
            row.append(f"{100 * ok['accuracy'].mean() / ceiling:.0f}%" if not ok.empty else NOT_RUN)
        rows.append(row)
    return Table(["method", *budgets], rows)


def timing_table(sub: pd.DataFrame, methods: list[str]) -> Table:
    """Mean fit and predict seconds and the largest memory peak of each method."""
    frame = (
        sub[sub["status"] == "ok"]
        .groupby("method")
        .agg(
            fit=("fit_seconds", "mean"),
            pred=("predict_seconds", "mean"),
            mem=("peak_mem_mb", "max"),
        )
    )
    timing = {m: frame.loc[m].to_dict() for m in methods if m in frame.index}
    return Table(
        ["method", "fit s (mean)", "predict s (mean)", "peak MiB (max)"],
        [
            [m, fmt_num(t["fit"], ".3f"), fmt_num(t["pred"], ".3f"), fmt_num(t["mem"], ".1f")]
            for m, t in timing.items()
        ],
    )


def issues(sub: pd.DataFrame) -> list[str]:
    """One line per (method, reason) of the n/a and failed cells."""
    notes = []
    for status in ("n/a", "failed"):
        bad = sub[sub["status"] == status]
        for (m, err), g in groups(bad, ["method", "error"]):
            notes.append(f"`{m}` {status} in {len(g)} cell(s): {err}")
    return notes


def best(sub: pd.DataFrame, among: Sequence[str]) -> tuple[str, float, float]:
    """(method, mean accuracy, std) of the best method of the kinds ``among`` (by mean accuracy)."""
    ok = sub[sub["method_kind"].isin(among) & (sub["status"] == "ok")]
    if ok.empty:
        return "", float("nan"), float("nan")
    means = ok.groupby("method")["accuracy"].mean()
    stds = ok.groupby("method")["accuracy"].std().fillna(0.0)
    name = str(means.idxmax())
    return name, float(means[name]), float(stds[name])


def published_table(sub: pd.DataFrame, budgets: list[str], published: pd.DataFrame) -> Table:
    """Our best fewlabels learner per budget beside the published numbers of that budget."""
    rows = []
    for b in budgets:
        lm, la, ls = best(sub[sub["budget"] == b], ["fewlabels"])
        rows.append(
            [
                b,
                "fewlabels " + lm,
                "",
                "ours",
                f"{100 * la:.1f} ± {100 * ls:.1f}" if lm else NOT_RUN,
            ]
        )
        for r in records(published[published["budget"] == b]):
            rows.append(
                [
                    b,
                    str(r["method"]),
                    str(r["variant"]),
                    str(r["source"]),
                    f"{r['accuracy']:.2f} ({r['metric']} {r['value']:.2f})",
                ]
            )
    return Table(["budget", "method", "variant", "source", "accuracy"], rows)


# -- across datasets ------------------------------------------------------------------------------
_HEADLINE_COLUMNS = [
    "dataset",
    "encoder",
    "budget",
    "best_learner",
    "learner_accuracy",
    "learner_macro_f1",
    "best_peer",
    "peer_accuracy",
    "peer_macro_f1",
    "majority_rate",
    "difference",
    "target",
]


def headline(frame: pd.DataFrame) -> pd.DataFrame:
    """Best fewlabels learner against the best peer (ceiling excluded) per dataset and budget.

    Returns
    -------
    DataFrame
        Columns dataset, encoder, budget, best_learner, learner_accuracy, learner_macro_f1,
        best_peer, peer_accuracy, peer_macro_f1, majority_rate (of the test split), difference
        (accuracy, percentage points) and target ("met" when the best learner's mean accuracy
        is at least the best peer's, else "missed"). Best = highest mean accuracy.
    """
    bench = frame[frame["strategy"] == ""]
    rows = []
    for (ds, enc), sub in groups(bench, ["dataset", "encoder"]):
        for b in budget_order(sub):
            cell = sub[sub["budget"] == b]
            lm, la, _ = best(cell, ["fewlabels"])
            pm, pa, _ = best(cell, ["peer"])
            if not lm or not pm:
                continue
            ok = cell[cell["status"] == "ok"]
            rows.append(
                {
                    "dataset": ds,
                    "encoder": enc,
                    "budget": b,
                    "best_learner": lm,
                    "learner_accuracy": la,
                    "learner_macro_f1": float(ok[ok["method"] == lm]["macro_f1"].mean()),
                    "best_peer": pm,
                    "peer_accuracy": pa,
                    "peer_macro_f1": float(ok[ok["method"] == pm]["macro_f1"].mean()),
                    "majority_rate": float(cell["majority_rate"].mean()),
                    "difference": 100 * (la - pa),
                    "target": "met" if la >= pa else "missed",
                }
            )
    return pd.DataFrame(rows, columns=_HEADLINE_COLUMNS)


def headline_table(head: pd.DataFrame) -> Table:
    """The :func:`headline` frame as a table (accuracy / macro-F1 in percent)."""
    rows = [
        [
            r["dataset"],
            r["encoder"],
            r["budget"],
            f"{r['best_learner']} {100 * r['learner_accuracy']:.1f} / "
            f"{100 * r['learner_macro_f1']:.1f}",
            f"{r['best_peer']} {100 * r['peer_accuracy']:.1f} / {100 * r['peer_macro_f1']:.1f}",
            f"{100 * r['majority_rate']:.1f}",
            f"{r['difference']:+.1f}",
            r["target"],
        ]
        for r in records(head)
    ]
    header = [
        "dataset",
        "encoder",
        "budget",
        "best learner (acc / F1)",
        "best peer (acc / F1)",
        "majority",
        "difference",
        "target",
    ]
    return Table(header, rows)


def active_learning_table(sub: pd.DataFrame) -> Table:
    """Per strategy: labels and accuracy (mean ± std over seeds) of its last round."""
    ok = sub[sub["status"] == "ok"]
    last = ok[ok["round"] == ok.groupby("strategy")["round"].transform("max")]
    stats = (
        last.groupby("strategy")
        .agg(n=("n_labels", "mean"), mean=("accuracy", "mean"), std=("accuracy", "std"))
        .fillna(0.0)
    )
    top = stats["mean"].max() if not stats.empty else np.nan
    recs = records(stats.reset_index())
    rows = [
        [str(r["strategy"]), f"{r['n']:.0f}", f"{100 * r['mean']:.1f} ± {100 * r['std']:.1f}"]
        for r in recs
    ]
    bold = {(i, 2) for i, r in enumerate(recs) if r["mean"] == top}
    return Table(["strategy", "labels (last round)", "accuracy"], rows, bold)
