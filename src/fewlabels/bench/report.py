"""The benchmark report: Markdown plus one self-contained HTML page.

From a results table (:mod:`fewlabels.bench.results`) the report gives, per (dataset, encoder):
a table of test accuracy (mean ± std over seeds) by method and budget with the best in bold,
the same for macro-F1, the share of the all-labels ceiling each method reaches, a learning-curve
plot (accuracy against labels per class, one line per method, a band of ± one std over seeds)
and accuracy against fit time. A headline table sets the best fewlabels learner against the
best peer; rows with an active-learning ``strategy`` are drawn as accuracy against the number
of labels, one line per strategy. Published numbers of the standard settings are shown beside
ours. The HTML page embeds its plots as base64 PNGs, so it opens in a browser with no server;
the Markdown file links the same PNGs written to ``figures/``.
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fewlabels.bench import results as res
from fewlabels.bench.protocol import Protocol, protocol_differences
from fewlabels.errors import FewlabelsError, MissingExtraError

NOT_RUN = "—"


# -- a tiny document model, rendered to Markdown and to HTML ---------------------------------------
@dataclass
class _Table:
    header: list[str]
    rows: list[list[str]]
    bold: set[tuple[int, int]] = field(default_factory=set)


@dataclass
class _Figure:
    name: str
    png: bytes
    alt: str


@dataclass
class _Doc:
    blocks: list[tuple[str, Any]] = field(default_factory=list)

    def h(self, level: int, text: str) -> None:
        self.blocks.append(("h", (level, text)))

    def p(self, text: str) -> None:
        self.blocks.append(("p", text))

    def table(self, table: _Table) -> None:
        self.blocks.append(("table", table))

    def figure(self, fig: _Figure) -> None:
        self.blocks.append(("fig", fig))


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|")


def _to_markdown(doc: _Doc) -> str:
    out: list[str] = []
    for kind, value in doc.blocks:
        if kind == "h":
            out.append(f"{'#' * value[0]} {value[1]}\n")
        elif kind == "p":
            out.append(f"{value}\n")
        elif kind == "table":
            t: _Table = value
            out.append("| " + " | ".join(_md_cell(h) for h in t.header) + " |")
            out.append("|" + "|".join("---" for _ in t.header) + "|")
            for r, row in enumerate(t.rows):
                cells = [
                    f"**{_md_cell(c)}**" if (r, k) in t.bold and c else _md_cell(c)
                    for k, c in enumerate(row)
                ]
                out.append("| " + " | ".join(cells) + " |")
            out.append("")
        elif kind == "fig":
            out.append(f"![{value.alt}](figures/{value.name})\n")
    return "\n".join(out)


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;
margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}
th:first-child,td:first-child{text-align:left}
th{background:#f3f3f3}
img{max-width:100%;height:auto;border:1px solid #eee}
code{background:#f5f5f5;padding:0 .2em}
"""


def _inline_html(text: str) -> str:
    """Escape, then render `code` and **bold** spans (the only Markdown the report writes)."""
    parts = html.escape(text).split("`")
    for i in range(1, len(parts), 2):
        parts[i] = f"<code>{parts[i]}</code>"
    joined = "".join(parts)
    pieces = joined.split("**")
    for i in range(1, len(pieces), 2):
        pieces[i] = f"<b>{pieces[i]}</b>"
    return "".join(pieces)


def _to_html(doc: _Doc, title: str) -> str:
    out = [
        "<!DOCTYPE html>",
        "<html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
    ]
    for kind, value in doc.blocks:
        if kind == "h":
            out.append(f"<h{value[0]}>{_inline_html(value[1])}</h{value[0]}>")
        elif kind == "p":
            out.append(f"<p>{_inline_html(value)}</p>")
        elif kind == "table":
            t: _Table = value
            out.append(
                "<table><thead><tr>"
                + "".join(f"<th>{html.escape(h)}</th>" for h in t.header)
                + "</tr></thead><tbody>"
            )
            for r, row in enumerate(t.rows):
                cells = []
                for k, c in enumerate(row):
                    text = html.escape(c)
                    cells.append(
                        f"<td><b>{text}</b></td>" if (r, k) in t.bold and c else f"<td>{text}</td>"
                    )
                out.append("<tr>" + "".join(cells) + "</tr>")
            out.append("</tbody></table>")
        elif kind == "fig":
            data = base64.b64encode(value.png).decode("ascii")
            out.append(
                f"<p><img alt='{html.escape(value.alt)}' src='data:image/png;base64,{data}'></p>"
            )
    out.append("</body></html>")
    return "\n".join(out)


# -- aggregation ----------------------------------------------------------------------------------
def _budget_order(frame: pd.DataFrame) -> list[str]:
    """Budgets sorted: per-class ones by k, then fractions."""
    budgeted = frame[frame["method_kind"] != "ceiling"]
    frame = budgeted if not budgeted.empty else frame
    keys = frame[["budget", "per_class", "fraction"]].drop_duplicates("budget")
    keys = keys.assign(
        _kind=keys["per_class"].isna().astype(int),
        _value=keys["per_class"].fillna(keys["fraction"]),
    ).sort_values(["_kind", "_value"])
    return [b for b in keys["budget"].tolist() if b]


_KIND_ORDER = {"fewlabels": 0, "custom": 1, "peer": 2, "ceiling": 3}


def _method_order(frame: pd.DataFrame) -> list[str]:
    first = frame.drop_duplicates("method")[["method", "method_kind"]]
    first = first.assign(_k=first["method_kind"].map(_KIND_ORDER).fillna(1))
    return first.sort_values(["_k"], kind="stable")["method"].tolist()


def _num(value: Any, spec: str) -> str:
    """Format a number, or the not-run mark for NaN."""
    return NOT_RUN if value is None or not np.isfinite(value) else format(float(value), spec)


def _kinds(frame: pd.DataFrame) -> dict[str, str]:
    """Method name -> method kind."""
    first = frame.drop_duplicates("method")
    return {str(m): str(k) for m, k in zip(first["method"], first["method_kind"], strict=True)}


def _groups(frame: pd.DataFrame, keys: list[str]) -> list[tuple[tuple[str, ...], pd.DataFrame]]:
    """``groupby(keys, sort=False)`` with the keys as a tuple of str."""
    return [
        (tuple(str(k) for k in (key if isinstance(key, tuple) else (key,))), sub)
        for key, sub in frame.groupby(keys, sort=False)
    ]


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


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


def _metric_table(sub: pd.DataFrame, metric: str, budgets: list[str], methods: list[str]) -> _Table:
    kinds = _kinds(sub)
    means = np.full((len(methods), len(budgets)), np.nan)
    rows: list[list[str]] = []
    for i, m in enumerate(methods):
        row = [m if kinds.get(m) != "ceiling" else f"{m} (all labels)"]
        for j, b in enumerate(budgets):
            group = sub[
                (sub["method"] == m) & ((sub["budget"] == b) | (sub["method_kind"] == "ceiling"))
            ]
            if group.empty:
                row.append(NOT_RUN)
                continue
            text, mean = _cell_stats(group, metric)
            row.append(text)
            if kinds.get(m) != "ceiling":
                means[i, j] = mean
        rows.append(row)
    bold: set[tuple[int, int]] = set()
    for j in range(len(budgets)):
        col = means[:, j]
        if np.isfinite(col).any():
            best = np.nanmax(col)
            bold.update(
                (i, j + 1)
                for i in range(len(methods))
                if np.isfinite(col[i]) and abs(col[i] - best) < 1e-9
            )
    return _Table(["method", *budgets], rows, bold)


def _ceiling_mean(sub: pd.DataFrame) -> float:
    ceil = sub[(sub["method_kind"] == "ceiling") & (sub["status"] == "ok")]["accuracy"]
    return float(ceil.mean()) if not ceil.empty else float("nan")


def _share_table(sub: pd.DataFrame, budgets: list[str], methods: list[str]) -> _Table | None:
    ceiling = _ceiling_mean(sub)
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
    return _Table(["method", *budgets], rows)


def _best(sub: pd.DataFrame, kinds: Sequence[str]) -> tuple[str, float, float]:
    """(method, mean accuracy, std) of the best method among ``kinds`` (by mean accuracy)."""
    ok = sub[sub["method_kind"].isin(kinds) & (sub["status"] == "ok")]
    if ok.empty:
        return "", float("nan"), float("nan")
    means = ok.groupby("method")["accuracy"].mean()
    stds = ok.groupby("method")["accuracy"].std().fillna(0.0)
    name = str(means.idxmax())
    return name, float(means[name]), float(stds[name])


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
    for (ds, enc), sub in _groups(bench, ["dataset", "encoder"]):
        for b in _budget_order(sub):
            cell = sub[sub["budget"] == b]
            lm, la, _ = _best(cell, ["fewlabels"])
            pm, pa, _ = _best(cell, ["peer"])
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
    return pd.DataFrame(
        rows,
        columns=[
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
        ],
    )


# -- plots ----------------------------------------------------------------------------------------
def _plt() -> Any:
    try:
        import matplotlib
    except ImportError as exc:
        raise MissingExtraError(
            "Report plots need matplotlib: pip install 'fewlabels[bench]'"
        ) from exc
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    _plt().close(fig)
    return buf.getvalue()


def _style(methods: list[str], kinds: dict[str, str]) -> dict[str, tuple[Any, str]]:
    """A colour and a line style per method: solid for fewlabels, dashed for peers."""
    plt = _plt()
    cmap = plt.get_cmap("tab20")
    palette = [cmap(i) for i in (*range(0, 20, 2), *range(1, 20, 2))]  # strong colours first
    ours = [m for m in methods if kinds.get(m) in ("fewlabels", "custom")]
    others = [m for m in methods if m not in ours]
    return {
        m: (palette[i % 20], "-" if m in ours else "--") for i, m in enumerate([*ours, *others])
    }


def _scored_rows(sub: pd.DataFrame) -> pd.DataFrame:
    """The cells that ran and are not the all-labels ceiling (what the figures draw)."""
    return sub[(sub["status"] == "ok") & (sub["method_kind"] != "ceiling")]


def _curve_figure(sub: pd.DataFrame, methods: list[str], title: str) -> bytes | None:
    plt = _plt()
    ok = _scored_rows(sub)
    if ok.empty:
        return None
    kinds = _kinds(sub)
    style = _style(methods, kinds)
    fig, ax = plt.subplots(figsize=(7.5, 4.6))
    for m in methods:
        rows = ok[ok["method"] == m]
        if rows.empty:
            continue
        g = (
            rows.groupby("budget")
            .agg(x=("labels_per_class", "mean"), mean=("accuracy", "mean"), std=("accuracy", "std"))
            .fillna(0.0)
            .sort_values("x")
        )
        color, ls = style[m]
        ax.plot(g["x"], 100 * g["mean"], ls, marker="o", ms=3, color=color, label=m)
        ax.fill_between(
            g["x"],
            100 * (g["mean"] - g["std"]),
            100 * (g["mean"] + g["std"]),
            color=color,
            alpha=0.12,
            linewidth=0,
        )
    ceiling = _ceiling_mean(sub)
    if np.isfinite(ceiling):
        ax.axhline(100 * ceiling, color="black", ls=":", lw=1, label="ceiling (all labels)")
    if (ok["labels_per_class"] > 0).all():
        ax.set_xscale("log", base=2)
        ticks = sorted(set(np.round(ok["labels_per_class"], 2)))
        ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
        ax.minorticks_off()
    ax.set_xlabel("labelled examples per class")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    return _png(fig)


def _time_figure(sub: pd.DataFrame, methods: list[str], title: str) -> bytes | None:
    plt = _plt()
    ok = _scored_rows(sub)
    ok = ok[ok["fit_seconds"].notna()]
    if ok.empty:
        return None
    kinds = _kinds(sub)
    style = _style(methods, kinds)
    fig, ax = plt.subplots(figsize=(7.5, 4.6))
    for m in methods:
        rows = ok[ok["method"] == m]
        if rows.empty:
            continue
        g = (
            rows.groupby("budget")
            .agg(
                x=("labels_per_class", "mean"), t=("fit_seconds", "mean"), acc=("accuracy", "mean")
            )
            .sort_values("x")
        )
        color, ls = style[m]
        ax.plot(
            np.maximum(g["t"], 1e-4),
            100 * g["acc"],
            ls,
            marker="o",
            color=color,
            ms=3,
            lw=0.8,
            label=m,
        )
    ax.set_xscale("log")
    ax.set_xlabel("fit time per cell (s, log scale; one point per budget)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    return _png(fig)


def _al_figure(sub: pd.DataFrame, title: str) -> bytes | None:
    plt = _plt()
    ok = sub[sub["status"] == "ok"]
    if ok.empty:
        return None
    fig, ax = plt.subplots(figsize=(7.5, 4.6))
    cmap = plt.get_cmap("tab10")
    for i, (strategy, rows) in enumerate(ok.groupby("strategy")):
        g = (
            rows.groupby("round")
            .agg(x=("n_labels", "mean"), mean=("accuracy", "mean"), std=("accuracy", "std"))
            .fillna(0.0)
            .sort_values("x")
        )
        color = cmap(i % 10)
        ax.plot(g["x"], 100 * g["mean"], "-", marker="o", ms=3, color=color, label=strategy)
        ax.fill_between(
            g["x"],
            100 * (g["mean"] - g["std"]),
            100 * (g["mean"] + g["std"]),
            color=color,
            alpha=0.12,
            linewidth=0,
        )
    ax.set_xlabel("number of labels")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    return _png(fig)


# -- protocol checks ------------------------------------------------------------------------------
def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in text).strip("-")


def _fields_from_rows(frame: pd.DataFrame) -> dict[str, Any]:
    """What a bench results table says about the protocol that produced it."""
    bench = frame[frame["strategy"] == ""]
    return {
        "name": sorted(set(bench["protocol"])),
        "datasets": sorted(
            f"{d}/{e}" for d, e in set(zip(bench["dataset"], bench["encoder"], strict=True))
        ),
        "budgets": sorted(set(bench[bench["method_kind"] != "ceiling"]["budget"]) - {""}),
        "seeds": sorted(int(s) for s in set(bench["seed"])),
        "methods": sorted(set(bench["method"])),
    }


def _fields_from_protocol(protocol: Protocol) -> dict[str, Any]:
    budgets = {b.label for b in protocol.budgets}
    for d in protocol.datasets:
        budgets |= {b.label for b in protocol.budgets_for(d)}
    return {
        "name": [protocol.name],
        "datasets": sorted(d.key for d in protocol.datasets),
        "budgets": sorted(budgets),
        "seeds": sorted(protocol.seeds),
    }


def check_same_protocol(
    frame: pd.DataFrame,
    protocol: Protocol,
    *,
    recorded: dict[str, Any] | None = None,
    source: str = "the results",
) -> None:
    """Refuse results that another protocol produced, naming the fields that differ.

    Parameters
    ----------
    frame : DataFrame
        Conformed results (active-learning rows are ignored).
    protocol : Protocol
        The protocol the report is meant for.
    recorded : dict, optional
        The ``protocol.json`` of the run folder, when there is one: compared field by field.
    """
    if recorded is not None:
        diff = protocol_differences(recorded, protocol.to_dict())
    else:
        have = _fields_from_rows(frame)
        want = _fields_from_protocol(protocol)
        diff = {k: (have[k], want[k]) for k in want if have[k] != want[k]}
    if diff:
        lines = "; ".join(
            f"{k}: results have {a!r}, protocol {protocol.name!r} has {b!r}"
            for k, (a, b) in diff.items()
        )
        raise FewlabelsError(
            f"{source} come from a different protocol than {protocol.name!r} ({lines}). "
            "Pass the results of that protocol, or the matching --protocol."
        )


def _recorded_protocol(path: Path) -> dict[str, Any] | None:
    folder = path if path.is_dir() else path.parent
    candidate = folder / "protocol.json"
    if candidate.is_file():
        data = json.loads(candidate.read_text(encoding="utf-8"))
        return dict(data.get("protocol", {})) or None
    return None


def _run_info(path: Path) -> dict[str, Any] | None:
    folder = path if path.is_dir() else path.parent
    candidate = folder / "run.json"
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
    recorded_protocol : dict or None
        The first run folder's ``protocol.json``.
    run_info : dict or None
        The first run folder's ``run.json`` (machine and wall time).
    """
    if not paths:
        raise FewlabelsError("Expected at least one results file or run folder, but got none.")
    frames, recorded_all, infos = [], [], []
    for p in paths:
        path = Path(p)
        frame = res.read_results(path)
        recorded = _recorded_protocol(path)
        bench = frame[frame["strategy"] == ""]
        if protocol is not None and not bench.empty:
            check_same_protocol(bench, protocol, recorded=recorded, source=str(path))
        frames.append(frame)
        recorded_all.append((str(path), recorded, bench))
        infos.append(_run_info(path))
    with_bench = [r for r in recorded_all if not r[2].empty]
    if protocol is None and len(with_bench) > 1:
        first_path, first_rec, first_bench = with_bench[0]
        for other_path, other_rec, other_bench in with_bench[1:]:
            if first_rec is not None and other_rec is not None:
                diff = protocol_differences(first_rec, other_rec)
            else:
                a, b = _fields_from_rows(first_bench), _fields_from_rows(other_bench)
                diff = {k: (a[k], b[k]) for k in a if a[k] != b[k]}
            if diff:
                lines = "; ".join(f"{k}: {a!r} vs {b!r}" for k, (a, b) in diff.items())
                raise FewlabelsError(
                    f"{first_path} and {other_path} come from different protocols ({lines}). "
                    "Report them separately."
                )
    merged = res.concat_results(frames)
    first_recorded = next((r for _, r, _ in recorded_all if r is not None), None)
    first_info = next((i for i in infos if i is not None), None)
    return merged, first_recorded, first_info


# -- the report -----------------------------------------------------------------------------------
@dataclass
class ReportFiles:
    """Paths :func:`write_report` wrote."""

    markdown: Path
    html: Path
    figures: list[Path]


def _machine_lines(info: dict[str, Any] | None) -> list[str]:
    if not info or not info.get("sessions"):
        return []
    sessions = info["sessions"]
    m = sessions[-1].get("machine", {})
    total = info.get("total_seconds", sum(s.get("seconds", 0) for s in sessions))
    cells = sum(s.get("cells_run", 0) for s in sessions)
    cpu = info.get("total_cpu_seconds", 0.0)
    gpu = m.get("gpu") or "no GPU"
    lines = [
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
    return lines


def _issues(sub: pd.DataFrame) -> list[str]:
    notes = []
    for status in ("n/a", "failed"):
        bad = sub[sub["status"] == status]
        for (m, err), g in _groups(bad, ["method", "error"]):
            notes.append(f"`{m}` {status} in {len(g)} cell(s): {err}")
    return notes


def build_report(
    frame: pd.DataFrame,
    *,
    title: str | None = None,
    recorded_protocol: dict[str, Any] | None = None,
    run_info: dict[str, Any] | None = None,
) -> tuple[str, str, list[_Figure]]:
    """Render the report of a conformed results table.

    Returns
    -------
    markdown : str
    html : str
        Self-contained (figures embedded as base64 PNGs).
    figures : list
        The figures, for the Markdown file's ``figures/`` folder.
    """
    from fewlabels.bench.standard_settings import SETTINGS, published_for

    frame = res.conform(frame)
    if frame.empty:
        raise FewlabelsError("Expected a results table with at least one row, but it is empty.")
    protocols = sorted(set(frame["protocol"]) - {""})
    title = title or f"fewlabels benchmark report: {', '.join(protocols) or 'results'}"
    doc = _Doc()
    figures: list[_Figure] = []
    doc.h(1, title)
    counts = res.summary_counts(frame)
    doc.p(
        f"{len(frame)} cells: {counts['ok']} ok, {counts['failed']} failed, "
        f"{counts['n/a']} n/a. Accuracy and macro-F1 are on each dataset's held-out test "
        "split, in percent, mean ± std over seeds (a fraction such as (2/3) counts the seeds "
        "that ran when some did not). Methods are fitted transductively on the training pool "
        "with only the budget's labels (others -1); `ceiling` is a logistic regression given "
        "every training label (methods that use the unlabelled pool can pass it). Bold: the "
        "best mean per budget, ceiling excluded; `n/a`: the method cannot run there (the "
        "reason is listed); `—`: the protocol does not run it there."
    )
    for line in _machine_lines(run_info):
        doc.p(line)
    if recorded_protocol:
        desc = str(recorded_protocol.get("description", "")).strip()
        if desc:
            doc.p(f"Protocol `{recorded_protocol.get('name')}`: {desc}")

    bench = frame[frame["strategy"] == ""]
    head = headline(bench) if not bench.empty else pd.DataFrame()
    if not head.empty:
        doc.h(2, "Headline: best fewlabels learner against the best peer")
        doc.p(
            "Target: the best fewlabels learner's mean accuracy is at least the best peer's "
            "(the ceiling is not a peer). Accuracy / macro-F1 in percent, the difference in "
            "accuracy points; `majority` is the test share of the most frequent class (a method "
            "below it does worse than always answering that class)."
        )
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
            for r in _records(head)
        ]
        n_met = int((head["target"] == "met").sum())
        doc.table(
            _Table(
                [
                    "dataset",
                    "encoder",
                    "budget",
                    "best learner (acc / F1)",
                    "best peer (acc / F1)",
                    "majority",
                    "difference",
                    "target",
                ],
                rows,
            )
        )
        doc.p(f"Target met in {n_met} of {len(head)} dataset/budget pairs.")

    for (ds, enc), sub in _groups(bench, ["dataset", "encoder"]):
        budgets = _budget_order(sub)
        methods = _method_order(sub)
        doc.h(2, f"{ds} ({enc})")
        first = sub.iloc[0]
        maj = sub["majority_rate"].dropna()
        doc.p(
            f"{first['modality'] or 'data'}; {int(first['n_train'])} training rows "
            f"(transductive pool), {int(first['n_test'])} test rows, "
            f"{int(first['n_classes'])} classes; majority-class rate on test "
            f"{100 * float(maj.iloc[0]) if not maj.empty else float('nan'):.1f}%."
        )
        doc.h(3, "Accuracy")
        doc.table(_metric_table(sub, "accuracy", budgets, methods))
        png = _curve_figure(sub, methods, f"{ds} ({enc}): learning curves")
        if png is not None:
            fig = _Figure(
                f"{_slug(ds)}-{_slug(enc)}-curve.png",
                png,
                f"{ds} {enc} accuracy against labels per class",
            )
            figures.append(fig)
            doc.figure(fig)
        doc.h(3, "Macro-F1")
        doc.table(_metric_table(sub, "macro_f1", budgets, methods))
        share = _share_table(sub, budgets, methods)
        if share is not None:
            doc.h(3, "Share of the ceiling reached")
            doc.p(f"Mean accuracy over the all-labels ceiling ({100 * _ceiling_mean(sub):.1f}%).")
            doc.table(share)
        doc.h(3, "Accuracy against fit time")
        png = _time_figure(sub, methods, f"{ds} ({enc}): accuracy against fit time")
        if png is not None:
            fig = _Figure(
                f"{_slug(ds)}-{_slug(enc)}-time.png", png, f"{ds} {enc} accuracy against fit time"
            )
            figures.append(fig)
            doc.figure(fig)
        timing_frame = (
            sub[sub["status"] == "ok"]
            .groupby("method")
            .agg(
                fit=("fit_seconds", "mean"),
                pred=("predict_seconds", "mean"),
                mem=("peak_mem_mb", "max"),
            )
        )
        timing = {m: timing_frame.loc[m].to_dict() for m in methods if m in timing_frame.index}
        doc.table(
            _Table(
                ["method", "fit s (mean)", "predict s (mean)", "peak MiB (max)"],
                [
                    [
                        m,
                        _num(t["fit"], ".3f"),
                        _num(t["pred"], ".3f"),
                        _num(t["mem"], ".1f"),
                    ]
                    for m, t in timing.items()
                ],
            )
        )
        for note in _issues(sub):
            doc.p(note)
        setting = ds if ds in SETTINGS else None
        if setting is not None:
            pub = published_for(setting)
            if not pub.empty:
                doc.h(3, "Published numbers beside ours")
                doc.p(
                    "Top-1 accuracy (%) as published, error rates converted as 100 - error. "
                    "Published methods train the network on the task; ours keep the encoder "
                    "frozen (see fewlabels.bench.standard_settings)."
                )
                rows = []
                for b in budgets:
                    cell = sub[sub["budget"] == b]
                    lm, la, ls = _best(cell, ["fewlabels"])
                    rows.append(
                        [
                            b,
                            "fewlabels " + lm,
                            "",
                            "ours",
                            f"{100 * la:.1f} ± {100 * ls:.1f}" if lm else NOT_RUN,
                        ]
                    )
                    for r in _records(pub[pub["budget"] == b]):
                        rows.append(
                            [
                                b,
                                str(r["method"]),
                                str(r["variant"]),
                                str(r["source"]),
                                f"{r['accuracy']:.2f} ({r['metric']} {r['value']:.2f})",
                            ]
                        )
                doc.table(_Table(["budget", "method", "variant", "source", "accuracy"], rows))

    al = frame[frame["strategy"] != ""]
    if not al.empty:
        doc.h(2, "Active learning: accuracy against the number of labels")
        for (ds, enc, m), sub in _groups(al, ["dataset", "encoder", "method"]):
            doc.h(3, f"{ds} ({enc}), learner {m}")
            png = _al_figure(sub, f"{ds} ({enc}), {m}: one line per strategy")
            if png is not None:
                fig = _Figure(
                    f"al-{_slug(ds)}-{_slug(enc)}-{_slug(m)}.png",
                    png,
                    f"{ds} {enc} {m} active-learning curves",
                )
                figures.append(fig)
                doc.figure(fig)
            ok = sub[sub["status"] == "ok"]
            last = ok[ok["round"] == ok.groupby("strategy")["round"].transform("max")]
            stats = (
                last.groupby("strategy")
                .agg(n=("n_labels", "mean"), mean=("accuracy", "mean"), std=("accuracy", "std"))
                .fillna(0.0)
            )
            best = stats["mean"].max() if not stats.empty else np.nan
            recs = _records(stats.reset_index())
            rows = [
                [
                    str(r["strategy"]),
                    f"{r['n']:.0f}",
                    f"{100 * r['mean']:.1f} ± {100 * r['std']:.1f}",
                ]
                for r in recs
            ]
            bold = {(i, 2) for i, r in enumerate(recs) if r["mean"] == best}
            doc.table(_Table(["strategy", "labels (last round)", "accuracy"], rows, bold))
    return _to_markdown(doc), _to_html(doc, title), figures


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
    frame, recorded, info = load_for_report(paths, protocol=protocol)
    markdown, page, figures = build_report(
        frame, title=title, recorded_protocol=recorded, run_info=info
    )
    folder = Path(out)
    (folder / "figures").mkdir(parents=True, exist_ok=True)
    written = []
    for fig in figures:
        path = folder / "figures" / fig.name
        path.write_bytes(fig.png)
        written.append(path)
    md_path = folder / "report.md"
    html_path = folder / "report.html"
    md_path.write_text(markdown, encoding="utf-8")
    html_path.write_text(page, encoding="utf-8")
    return ReportFiles(md_path, html_path, written)
