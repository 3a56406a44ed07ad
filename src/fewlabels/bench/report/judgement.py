"""The report's judgements across datasets: the best fewlabels learner against the best peer per
cell (the headline), and the notes that say why a method meets no target (at the majority
level, collapsed onto one class).

Built on the per-cell tables of :mod:`fewlabels.bench.report.aggregate`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from fewlabels.bench.report.aggregate import (
    AT_MAJORITY,
    COLLAPSE_SHARE,
    MAJORITY_MARGIN,
    METRICS,
    best,
    budget_order,
    groups,
    majority_levels,
    marked,
    marks,
    pct,
    records,
    summarize,
    summary_row,
)
from fewlabels.bench.report.document import Table

# -- across datasets ------------------------------------------------------------------------------
_HEADLINE_COLUMNS = [
    "dataset",
    "encoder",
    "budget",
    "best_learner",
    "learner_accuracy",
    "learner_macro_f1",
    "learner_balanced_accuracy",
    "learner_marks",
    "best_peer",
    "peer_accuracy",
    "peer_macro_f1",
    "peer_balanced_accuracy",
    "peer_marks",
    "majority_rate",
    "majority_macro_f1",
    "difference",
    "difference_macro_f1",
    "target",
    "missed_on",
]


def judge(learner: Any, peer: Any) -> tuple[str, str]:
    """("met" or "missed", what is missed) of a learner's :func:`summarize` row against a peer's.

    Met only when the learner is not at the majority level and its mean accuracy and mean
    macro-F1 are both at least the peer's. Otherwise ``missed_on`` names what failed:
    ``"≤ majority"``, ``"accuracy"``, ``"macro-F1"`` (also when macro-F1 is not recorded),
    comma-separated.
    """
    missed = []
    if bool(learner["at_majority"]):
        missed.append(AT_MAJORITY)
    if not float(learner["accuracy"]) >= float(peer["accuracy"]):
        missed.append("accuracy")
    if not float(learner["macro_f1"]) >= float(peer["macro_f1"]):  # NaN: not shown to be met
        missed.append("macro-F1")
    return ("missed" if missed else "met"), ", ".join(missed)


def headline(frame: pd.DataFrame) -> pd.DataFrame:
    """Best fewlabels learner against the best peer (ceiling excluded) per dataset and budget.

    Returns
    -------
    DataFrame
        Columns dataset, encoder, budget; best_learner with its learner_accuracy,
        learner_macro_f1, learner_balanced_accuracy (NaN when not recorded) and learner_marks
        (``"≤ majority"``, ``"collapsed"``, comma-separated); the same for best_peer;
        majority_rate (of the test split) and majority_macro_f1 (of always answering that
        class); difference and difference_macro_f1 (learner minus peer, percentage points);
        target (:func:`judge`: "met" when the best learner is not at the majority level and at
        least the best peer on both accuracy and macro-F1, else "missed") and missed_on.
        Best = highest mean accuracy among the methods not at the majority level (:func:`best`).
    """
    bench = frame[frame["strategy"] == ""]
    rows = []
    for (ds, enc), sub in groups(bench, ["dataset", "encoder"]):
        maj, maj_f1 = majority_levels(sub)
        for b in budget_order(sub):
            cell = sub[sub["budget"] == b]
            lm, _, _ = best(cell, ["fewlabels"])
            pm, _, _ = best(cell, ["peer"])
            if not lm or not pm:
                continue
            table = summarize(cell)
            lrow, prow = summary_row(table, lm), summary_row(table, pm)
            target, missed_on = judge(lrow, prow)
            rows.append(
                {
                    "dataset": ds,
                    "encoder": enc,
                    "budget": b,
                    "best_learner": lm,
                    "learner_accuracy": float(lrow["accuracy"]),
                    "learner_macro_f1": float(lrow["macro_f1"]),
                    "learner_balanced_accuracy": float(lrow["balanced_accuracy"]),
                    "learner_marks": ", ".join(marks(lrow)),
                    "best_peer": pm,
                    "peer_accuracy": float(prow["accuracy"]),
                    "peer_macro_f1": float(prow["macro_f1"]),
                    "peer_balanced_accuracy": float(prow["balanced_accuracy"]),
                    "peer_marks": ", ".join(marks(prow)),
                    "majority_rate": maj,
                    "majority_macro_f1": maj_f1,
                    "difference": 100 * (float(lrow["accuracy"]) - float(prow["accuracy"])),
                    "difference_macro_f1": 100
                    * (float(lrow["macro_f1"]) - float(prow["macro_f1"])),
                    "target": target,
                    "missed_on": missed_on,
                }
            )
    return pd.DataFrame(rows, columns=_HEADLINE_COLUMNS)


def _points(value: float) -> str:
    return "n/a" if not np.isfinite(value) else f"{value:+.1f}"


def headline_table(head: pd.DataFrame) -> Table:
    """The :func:`headline` frame as a table (accuracy / macro-F1 / balanced accuracy in %)."""
    rows = []
    for r in records(head):
        learner = f"{r['best_learner']} " + " / ".join(pct(r[f"learner_{m}"]) for m, _ in METRICS)
        peer = f"{r['best_peer']} " + " / ".join(pct(r[f"peer_{m}"]) for m, _ in METRICS)
        rows.append(
            [
                r["dataset"],
                r["encoder"],
                r["budget"],
                marked(learner, [f for f in r["learner_marks"].split(", ") if f]),
                marked(peer, [f for f in r["peer_marks"].split(", ") if f]),
                f"{pct(r['majority_rate'])} / {pct(r['majority_macro_f1'])}",
                f"{_points(r['difference'])} / {_points(r['difference_macro_f1'])}",
                r["target"] + (f" ({r['missed_on']})" if r["missed_on"] else ""),
            ]
        )
    header = [
        "dataset",
        "encoder",
        "budget",
        "best learner (acc / F1 / bal)",
        "best peer (acc / F1 / bal)",
        "majority (acc / F1)",
        "difference (acc / F1)",
        "target",
    ]
    return Table(header, rows)


def judgement_notes(sub: pd.DataFrame, budgets: list[str]) -> list[str]:
    """One line per method and mark of a (dataset, encoder) part, with the numbers behind it."""
    maj, maj_f1 = majority_levels(sub)
    found: dict[tuple[str, str], list[str]] = {}
    for b in budgets:
        table = summarize(sub[sub["budget"] == b])
        for m, row in table.iterrows():
            for flag in marks(row):
                if flag == AT_MAJORITY:
                    why = f"accuracy {pct(row['accuracy'])}%, macro-F1 {pct(row['macro_f1'])}%"
                else:
                    why = f"{pct(row['top_pred_share'])}% of its predictions in one class"
                found.setdefault((str(m), flag), []).append(f"{b} ({why})")
    notes = []
    for (m, flag), where in found.items():
        at = "; ".join(where)
        if flag == AT_MAJORITY:
            notes.append(
                f"`{m}` is at the majority level (accuracy at most {pct(maj)}% + "
                f"{MAJORITY_MARGIN:g} point, or macro-F1 at most {pct(maj_f1)}% + "
                f"{MAJORITY_MARGIN:g} point) at {at}: it meets no target."
            )
        else:
            notes.append(
                f"Warning: `{m}` collapses onto one class (at least {100 * COLLAPSE_SHARE:.0f}% "
                f"of its test predictions) at {at}."
            )
    return notes
