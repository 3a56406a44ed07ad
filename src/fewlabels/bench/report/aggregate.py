"""The report's numbers: results rows grouped into tables (mean ± std over seeds, best in bold).

Every function takes a conformed results table (:func:`fewlabels.bench.results.conform`) or
a part of it (one dataset and encoder), and returns a :class:`~.document.Table` or a frame.
The judgements across datasets (the headline, the notes) are in :mod:`.judgement`; what is
left here, just over 400 lines, is one family: the per-cell tables and their marks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from fewlabels.bench.report.document import Table
from fewlabels.learn.imbalance import COLLAPSE_SHARE as LEARNER_COLLAPSE_SHARE

#: The mark of a cell the protocol does not run.
NOT_RUN = "—"

_KIND_ORDER = {"fewlabels": 0, "custom": 1, "peer": 2, "ceiling": 3}

#: The metrics every table shows side by side (results column, name in the report).
METRICS: tuple[tuple[str, str], ...] = (
    ("accuracy", "accuracy"),
    ("macro_f1", "macro-F1"),
    ("balanced_accuracy", "balanced accuracy"),
)

#: Points (percent) above the majority's scores within which a method is marked
#: :data:`AT_MAJORITY`: mean accuracy <= majority rate + 1 point, or mean macro-F1 <= the
#: majority's macro-F1 + 1 point. The bound is inclusive: exactly majority + 1 point is marked.
MAJORITY_MARGIN = 1.0

#: The mark of a method at the majority-class level; it never meets a target.
AT_MAJORITY = "≤ majority"

#: The mark of a method whose predictions collapse onto one class.
COLLAPSED = "collapsed"

#: A method collapses when at least this share of its test predictions (mean over seeds) goes
#: to one class: :data:`fewlabels.learn.imbalance.COLLAPSE_SHARE`, as the learners' warning.
COLLAPSE_SHARE = LEARNER_COLLAPSE_SHARE


# -- judging against the majority class -----------------------------------------------------------
def majority_macro_f1(majority_rate: float, n_classes: int) -> float:
    """Macro-F1 of always answering the majority class.

    That class has precision ``p`` (its test share) and recall 1, so F1 ``2p / (1 + p)``; every
    other class scores 0. NaN when ``p`` or ``n_classes`` is unknown.

    Parameters
    ----------
    majority_rate : float
        ``p``, the test share of the most frequent class.
    n_classes : int
    """
    if not np.isfinite(majority_rate) or n_classes < 1:
        return float("nan")
    return float(2 * majority_rate / (1 + majority_rate) / n_classes)


def majority_levels(sub: pd.DataFrame) -> tuple[float, float]:
    """(majority rate, majority macro-F1) of a (dataset, encoder) part, NaN when unknown."""
    rate = sub["majority_rate"].dropna()
    if rate.empty:
        return float("nan"), float("nan")
    n_classes = sub["n_classes"][sub["n_classes"] > 0]
    k = int(n_classes.iloc[0]) if not n_classes.empty else -1
    p = float(rate.mean())
    return p, majority_macro_f1(p, k)


def at_majority(accuracy: float, macro_f1: float, majority_rate: float, majority_f1: float) -> bool:
    """Whether scores are at the majority-class level (within :data:`MAJORITY_MARGIN` points).

    True when ``accuracy <= majority_rate + 1 point`` or ``macro_f1 <= majority_f1 + 1 point``
    (both inclusive; a NaN on either side of a comparison leaves that comparison out).
    Fractions in [0, 1]; compared in percent with a 1e-9 tolerance so that exactly
    majority + 1 point is marked.
    """

    def within(value: float, level: float) -> bool:
        if not (np.isfinite(value) and np.isfinite(level)):
            return False
        return bool(100 * value <= 100 * level + MAJORITY_MARGIN + 1e-9)

    return within(accuracy, majority_rate) or within(macro_f1, majority_f1)


def summarize(cell: pd.DataFrame, among: Sequence[str] | None = None) -> pd.DataFrame:
    """Per method of one budget: mean scores over its ok seeds, and its marks.

    Parameters
    ----------
    cell : DataFrame
        The rows of one (dataset, encoder, budget).
    among : sequence of str, optional
        Method kinds to keep (default all).

    Returns
    -------
    DataFrame
        Indexed by method: ``accuracy, accuracy_std, macro_f1, balanced_accuracy,
        top_pred_share`` (means; NaN when not recorded), ``at_majority`` and ``collapsed``
        (bool), in first-seen order.
    """
    ok = cell[cell["status"] == "ok"]
    if among is not None:
        ok = ok[ok["method_kind"].isin(among)]
    columns = ["accuracy", "macro_f1", "balanced_accuracy", "top_pred_share"]
    if ok.empty:
        return pd.DataFrame(
            columns=[*columns, "accuracy_std", "at_majority", "collapsed"], dtype=object
        )
    grouped = ok.groupby("method", sort=False)
    out = grouped[columns].mean()
    out["accuracy_std"] = grouped["accuracy"].std().fillna(0.0)
    maj, maj_f1 = majority_levels(cell)
    out["at_majority"] = [
        at_majority(float(a), float(f), maj, maj_f1)
        for a, f in zip(out["accuracy"], out["macro_f1"], strict=True)
    ]
    out["collapsed"] = out["top_pred_share"].to_numpy(float) >= COLLAPSE_SHARE - 1e-12
    return out


def marks(row: Any) -> list[str]:
    """The marks of a :func:`summarize` row: :data:`AT_MAJORITY`, :data:`COLLAPSED`."""
    out = []
    if bool(row["at_majority"]):
        out.append(AT_MAJORITY)
    if bool(row["collapsed"]):
        out.append(COLLAPSED)
    return out


def marked(text: str, flags: Sequence[str]) -> str:
    return f"{text} ({', '.join(flags)})" if flags else text


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
    ran = group[group["status"] == "ok"]
    ok = ran[metric].dropna()
    if ok.empty:  # n/a also when the cells ran but did not record this metric (older results)
        statuses = set(group["status"])
        return ("failed" if "failed" in statuses and ran.empty else "n/a"), float("nan")
    mean = float(ok.mean()) * 100
    std = float(ok.std(ddof=0)) * 100 if len(ok) > 1 else 0.0
    text = f"{mean:.1f} ± {std:.1f}"
    if len(ok) < len(group):
        text += f" ({len(ok)}/{len(group)})"
    return text, mean


def metric_table(sub: pd.DataFrame, metric: str, budgets: list[str], methods: list[str]) -> Table:
    """Method x budget, 'mean ± std' of ``metric`` in percent, the best of each budget in bold.

    A cell whose method is at the majority level or collapses (:func:`summarize`) carries the
    mark, e.g. ``66.3 ± 0.4 (≤ majority)``; the ceiling is not judged.
    """
    kind = kinds(sub)
    flags = {b: summarize(sub[sub["budget"] == b]) for b in budgets}
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
            if kind.get(m) != "ceiling":
                means[i, j] = mean
                if m in flags[b].index and np.isfinite(mean):
                    text = marked(text, marks(flags[b].loc[m]))
            row.append(text)
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
    """(method, mean accuracy, std) of the best method of the kinds ``among``.

    Best = highest mean accuracy among the methods not at the majority level
    (:func:`summarize`); when every one is (an imbalanced task such as ``default``, where
    no method beats the 96.7 % of always answering "No"), highest mean macro-F1 among all
    of them, so that a method that answers the majority class for everything is not the
    best one.
    """
    table = summarize(sub, among)
    if table.empty:
        return "", float("nan"), float("nan")
    judged = table[~table["at_majority"].astype(bool)]
    if not judged.empty:
        name = str(judged["accuracy"].astype(float).idxmax())
        row = summary_row(judged, name)
        return name, float(row["accuracy"]), float(row["accuracy_std"])
    pool = table
    f1 = pool["macro_f1"].astype(float)
    name = str((f1 if f1.notna().any() else pool["accuracy"].astype(float)).idxmax())
    row = summary_row(pool, name)
    return name, float(row["accuracy"]), float(row["accuracy_std"])


def summary_row(table: pd.DataFrame, method: str) -> dict[str, Any]:
    """One method's row of a :func:`summarize` table as a dict."""
    return {str(k): v for k, v in table.loc[method].to_dict().items()}


def pct(value: Any) -> str:
    """A fraction as a percent with one decimal, ``n/a`` when not recorded (NaN)."""
    return "n/a" if value is None or not np.isfinite(value) else f"{100 * float(value):.1f}"


def scores_text(row: Any) -> str:
    """'accuracy / macro-F1 / balanced accuracy' in percent, for a :func:`summarize` row."""
    return " / ".join(pct(row[m]) for m, _ in METRICS)


def published_table(sub: pd.DataFrame, budgets: list[str], published: pd.DataFrame) -> Table:
    """Our best fewlabels learner per budget beside the published numbers of that budget."""
    rows = []
    for b in budgets:
        cell = sub[sub["budget"] == b]
        lm, la, ls = best(cell, ["fewlabels"])
        ours = summarize(cell, ["fewlabels"])
        rows.append(
            [
                b,
                "fewlabels " + marked(lm, marks(ours.loc[lm])) if lm else "fewlabels",
                "",
                "ours",
                f"{100 * la:.1f} ± {100 * ls:.1f}" if lm else NOT_RUN,
                pct(ours.loc[lm, "macro_f1"]) if lm else NOT_RUN,
                pct(ours.loc[lm, "balanced_accuracy"]) if lm else NOT_RUN,
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
                    "not published",
                    "not published",
                ]
            )
    header = ["budget", "method", "variant", "source", "accuracy", "macro-F1", "balanced accuracy"]
    return Table(header, rows)


def active_learning_table(sub: pd.DataFrame) -> Table:
    """Per strategy: labels and scores (mean ± std over seeds) of its last round."""
    ok = sub[sub["status"] == "ok"]
    last = ok[ok["round"] == ok.groupby("strategy")["round"].transform("max")]
    stats = (
        last.groupby("strategy")
        .agg(
            n=("n_labels", "mean"),
            mean=("accuracy", "mean"),
            std=("accuracy", "std"),
            macro_f1=("macro_f1", "mean"),
            balanced_accuracy=("balanced_accuracy", "mean"),
        )
        .fillna({"std": 0.0})
    )
    top = stats["mean"].max() if not stats.empty else np.nan
    maj, maj_f1 = majority_levels(sub)
    recs = records(stats.reset_index())
    rows = [
        [
            str(r["strategy"]),
            f"{r['n']:.0f}",
            marked(
                f"{100 * r['mean']:.1f} ± {100 * r['std']:.1f}",
                [AT_MAJORITY] if at_majority(r["mean"], r["macro_f1"], maj, maj_f1) else [],
            ),
            pct(r["macro_f1"]),
            pct(r["balanced_accuracy"]),
        ]
        for r in recs
    ]
    bold = {(i, 2) for i, r in enumerate(recs) if r["mean"] == top}
    header = ["strategy", "labels (last round)", "accuracy", "macro-F1", "balanced accuracy"]
    return Table(header, rows, bold)
