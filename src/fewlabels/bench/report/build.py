"""Building the report from a results table, one named step per section, and writing it."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from fewlabels._atomic import atomic_write_bytes, atomic_write_text
from fewlabels.bench import results as res
from fewlabels.bench.protocol import Protocol
from fewlabels.bench.report import aggregate as agg
from fewlabels.bench.report import judgement
from fewlabels.bench.report.document import Document, Figure, to_html, to_markdown
from fewlabels.bench.report.figures import active_learning_figure, curve_figure, time_figure
from fewlabels.errors import FewlabelsError

__all__ = ["ReportFiles", "build_report", "write_report"]

_INTRO = (
    "Accuracy, macro-F1 and balanced accuracy (the mean recall over classes) are on each "
    "dataset's held-out test split, in percent, mean ± std over seeds (a fraction such as "
    "(2/3) counts the seeds that ran when some did not; `n/a` in a balanced-accuracy cell: "
    "results written before it was recorded). "
    "Methods are fitted transductively on the training pool with only the budget's labels "
    "(others -1); `ceiling` is a logistic regression given every training label (methods that "
    "use the unlabelled pool can pass it). Bold: the best mean per budget, ceiling excluded; "
    "`n/a`: the method cannot run there (the reason is listed); `—`: the protocol does not run "
    "it there. `(≤ majority)`: the method's mean accuracy is at most the majority-class rate "
    "+ 1 point, or its mean macro-F1 at most that of always answering the majority class + 1 "
    "point (exactly + 1 point is marked); such a method has learned next to nothing and meets "
    "no target. `(collapsed)`: at least 95% of its test predictions go to one class."
)
_HEADLINE_NOTE = (
    "Target: met when the best fewlabels learner's mean accuracy and mean macro-F1 are both at "
    "least the best peer's and the learner is not at the majority level (the ceiling is not a "
    "peer); otherwise the target cell says what is missed. Best = highest mean accuracy among "
    "the methods not marked `≤ majority` (among all when every one is). Scores in percent as "
    "accuracy / macro-F1 / balanced accuracy, the differences in points; `majority` is the "
    "test share of the most frequent class / the macro-F1 of always answering it."
)
_PUBLISHED_NOTE = (
    "Top-1 accuracy (%) as published, error rates converted as 100 - error. Published methods "
    "train the network on the task; ours keep the encoder frozen (see "
    "fewlabels.bench.standard_settings)."
)


@dataclass
class ReportFiles:
    """Paths :func:`write_report` wrote."""

    markdown: Path
    html: Path
    figures: list[Path]


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in text).strip("-")


def _add_figure(doc: Document, png: bytes | None, name: str, alt: str) -> None:
    if png is not None:
        doc.figure(Figure(name, png, alt))


# -- the steps, in page order ---------------------------------------------------------------------
def machine_lines(info: dict[str, Any] | None) -> list[str]:
    """Two sentences about the machine and the wall time of a run (``run.json``)."""
    if not info or not info.get("sessions"):
        return []
    sessions = info["sessions"]
    m = sessions[-1].get("machine", {})
    total = info.get("total_seconds", sum(s.get("seconds", 0) for s in sessions))
    cells = sum(s.get("cells_run", 0) for s in sessions)
    cpu = info.get("total_cpu_seconds", 0.0)
    gpu = m.get("gpu") or "no GPU"
    return [
        f"Machine: {m.get('cpu_count')} CPU cores ({m.get('processor', '')}), "
        f"{m.get('memory_gib')} GiB RAM, {gpu}; {m.get('platform', '')}; Python "
        f"{m.get('python')}, numpy {m.get('numpy')}, scikit-learn {m.get('scikit-learn')}"
        + (f", torch {m['torch']}" if m.get("torch") else "")
        + ".",
        f"Wall time: {total:.0f} s ({total / 60:.1f} min) for {cells} cells in "
        f"{len(sessions)} session(s), embedding included"
        + (f" (CPU time of the run: {cpu:.0f} s)" if cpu else "")
        + "; load average (1, 5, 15 min) at the start "
        f"{sessions[0].get('machine', {}).get('load_average_at_start')} and at the end "
        f"{sessions[-1].get('load_average_at_end')}. Sessions that were killed are not counted.",
    ]


def intro(
    doc: Document,
    frame: pd.DataFrame,
    title: str,
    *,
    recorded_protocol: dict[str, Any] | None,
    run_info: dict[str, Any] | None,
) -> None:
    """The title, the cell counts, how to read the tables, the machine and the protocol."""
    doc.h(1, title)
    counts = res.summary_counts(frame)
    doc.p(
        f"{len(frame)} cells: {counts['ok']} ok, {counts['failed']} failed, "
        f"{counts['n/a']} n/a. {_INTRO}"
    )
    for line in machine_lines(run_info):
        doc.p(line)
    if recorded_protocol:
        desc = str(recorded_protocol.get("description", "")).strip()
        if desc:
            doc.p(f"Protocol `{recorded_protocol.get('name')}`: {desc}")


def headline_section(doc: Document, bench: pd.DataFrame) -> None:
    """The best fewlabels learner against the best peer, per dataset and budget."""
    head = judgement.headline(bench) if not bench.empty else pd.DataFrame()
    if head.empty:
        return
    doc.h(2, "Headline: best fewlabels learner against the best peer")
    doc.p(_HEADLINE_NOTE)
    doc.table(judgement.headline_table(head))
    n_met = int((head["target"] == "met").sum())
    doc.p(f"Target met in {n_met} of {len(head)} dataset/budget pairs.")


def dataset_section(doc: Document, ds: str, enc: str, sub: pd.DataFrame) -> None:
    """One dataset and encoder: accuracy, curves, macro-F1, ceiling share, time, issues."""
    budgets = agg.budget_order(sub)
    methods = agg.method_order(sub)
    doc.h(2, f"{ds} ({enc})")
    first = sub.iloc[0]
    maj, maj_f1 = agg.majority_levels(sub)
    k = int(first["n_classes"])
    doc.p(
        f"{first['modality'] or 'data'}; {int(first['n_train'])} training rows "
        f"(transductive pool), {int(first['n_test'])} test rows, {k} classes; "
        f"majority-class rate on test {agg.pct(maj)}%; always answering that class scores "
        f"macro-F1 {agg.pct(maj_f1)}% and balanced accuracy {agg.pct(1 / k if k > 0 else None)}%."
    )
    slug = f"{_slug(ds)}-{_slug(enc)}"
    doc.h(3, "Accuracy")
    doc.table(agg.metric_table(sub, "accuracy", budgets, methods))
    _add_figure(
        doc,
        curve_figure(sub, methods, f"{ds} ({enc}): learning curves"),
        f"{slug}-curve.png",
        f"{ds} {enc} accuracy against labels per class",
    )
    doc.h(3, "Macro-F1")
    doc.table(agg.metric_table(sub, "macro_f1", budgets, methods))
    doc.h(3, "Balanced accuracy")
    doc.table(agg.metric_table(sub, "balanced_accuracy", budgets, methods))
    for note in judgement.judgement_notes(sub, budgets):
        doc.p(note)
    share = agg.share_table(sub, budgets, methods)
    if share is not None:
        doc.h(3, "Share of the ceiling reached")
        doc.p(f"Mean accuracy over the all-labels ceiling ({100 * agg.ceiling_mean(sub):.1f}%).")
        doc.table(share)
    doc.h(3, "Accuracy against fit time")
    _add_figure(
        doc,
        time_figure(sub, methods, f"{ds} ({enc}): accuracy against fit time"),
        f"{slug}-time.png",
        f"{ds} {enc} accuracy against fit time",
    )
    doc.table(agg.timing_table(sub, methods))
    for note in agg.issues(sub):
        doc.p(note)
    published_section(doc, ds, sub, budgets)


def published_section(doc: Document, ds: str, sub: pd.DataFrame, budgets: list[str]) -> None:
    """Published numbers of a standard setting beside ours (nothing for other datasets)."""
    from fewlabels.bench.standard_settings import SETTINGS, published_for

    if ds not in SETTINGS:
        return
    pub = published_for(ds)
    if pub.empty:
        return
    doc.h(3, "Published numbers beside ours")
    doc.p(_PUBLISHED_NOTE)
    doc.table(agg.published_table(sub, budgets, pub))


def active_learning_section(doc: Document, al: pd.DataFrame) -> None:
    """Accuracy against the number of labels, one line per strategy, per learner."""
    if al.empty:
        return
    doc.h(2, "Active learning: accuracy against the number of labels")
    for (ds, enc, m), sub in agg.groups(al, ["dataset", "encoder", "method"]):
        doc.h(3, f"{ds} ({enc}), learner {m}")
        _add_figure(
            doc,
            active_learning_figure(sub, f"{ds} ({enc}), {m}: one line per strategy"),
            f"al-{_slug(ds)}-{_slug(enc)}-{_slug(m)}.png",
            f"{ds} {enc} {m} active-learning curves",
        )
        doc.table(agg.active_learning_table(sub))


# -- the report -----------------------------------------------------------------------------------
def build_report(
    frame: pd.DataFrame,
    *,
    title: str | None = None,
    recorded_protocol: dict[str, Any] | None = None,
    run_info: dict[str, Any] | None = None,
) -> tuple[str, str, list[Figure]]:
    """Render the report of a conformed results table.

    Parameters
    ----------
    frame : DataFrame
        Results rows (conformed here); bench rows and active-learning rows may be mixed.
    title : str, optional
        Default: the protocol names.
    recorded_protocol, run_info : dict, optional
        A run folder's ``protocol.json`` and ``run.json``
        (:func:`fewlabels.bench.results.load_for_report`).

    Returns
    -------
    markdown : str
    html : str
        Self-contained (figures embedded as base64 PNGs).
    figures : list of Figure
        The figures, for the Markdown file's ``figures/`` folder.
    """
    frame = res.conform(frame)
    if frame.empty:
        raise FewlabelsError("Expected a results table with at least one row, but it is empty.")
    protocols = sorted(set(frame["protocol"]) - {""})
    title = title or f"fewlabels benchmark report: {', '.join(protocols) or 'results'}"
    doc = Document()
    intro(doc, frame, title, recorded_protocol=recorded_protocol, run_info=run_info)
    bench = frame[frame["strategy"] == ""]
    headline_section(doc, bench)
    for (ds, enc), sub in agg.groups(bench, ["dataset", "encoder"]):
        dataset_section(doc, ds, enc, sub)
    active_learning_section(doc, frame[frame["strategy"] != ""])
    return to_markdown(doc), to_html(doc, title), doc.figures


def write_report(
    paths: Sequence[str | os.PathLike[str]],
    *,
    out: str | os.PathLike[str],
    protocol: Protocol | None = None,
    title: str | None = None,
) -> ReportFiles:
    """Write ``report.md`` (+ ``figures/*.png``) and a self-contained ``report.html`` to ``out``.

    Parameters
    ----------
    paths : sequence of path
        Results files (``.csv``/``.parquet``) or bench run folders.
    out : path
        Output folder.
    protocol : Protocol, optional
        Refuse results of another protocol (the error names the fields that differ).
    title : str, optional
    """
    frame, recorded, info = res.load_for_report(paths, protocol=protocol)
    markdown, page, figures = build_report(
        frame, title=title, recorded_protocol=recorded, run_info=info
    )
    folder = Path(out)
    (folder / "figures").mkdir(parents=True, exist_ok=True)
    written = [atomic_write_bytes(folder / "figures" / fig.name, fig.png) for fig in figures]
    md_path = atomic_write_text(folder / "report.md", markdown)
    html_path = atomic_write_text(folder / "report.html", page)
    return ReportFiles(md_path, html_path, written)
