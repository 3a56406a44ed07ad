"""The report's plots, as PNG bytes: learning curves, accuracy against fit time, AL curves.

matplotlib (the ``bench`` extra) is imported on first use, with the Agg backend.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pandas as pd

from fewlabels.bench.report.aggregate import ceiling_mean, kinds, majority_levels
from fewlabels.errors import MissingExtraError

__all__ = ["active_learning_figure", "curve_figure", "reference_levels", "time_figure"]

#: Line styles of the horizontal reference lines, by their label.
_REFERENCE_STYLE = {
    "ceiling (all labels)": {"color": "black", "ls": ":"},
    "majority class": {"color": "grey", "ls": "-."},
}


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


def _style(methods: list[str], kind: dict[str, str]) -> dict[str, tuple[Any, str]]:
    """A colour and a line style per method: solid for fewlabels, dashed for peers."""
    plt = _plt()
    cmap = plt.get_cmap("tab20")
    palette = [cmap(i) for i in (*range(0, 20, 2), *range(1, 20, 2))]  # strong colours first
    ours = [m for m in methods if kind.get(m) in ("fewlabels", "custom")]
    others = [m for m in methods if m not in ours]
    return {
        m: (palette[i % 20], "-" if m in ours else "--") for i, m in enumerate([*ours, *others])
    }


def _scored_rows(sub: pd.DataFrame) -> pd.DataFrame:
    """The cells that ran and are not the all-labels ceiling (what the figures draw)."""
    return sub[(sub["status"] == "ok") & (sub["method_kind"] != "ceiling")]


def _finish(ax: Any, title: str, *, xlabel: str, legend_size: int = 7) -> None:
    ax.set_xlabel(xlabel)
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=legend_size, loc="center left", bbox_to_anchor=(1.01, 0.5))


def reference_levels(sub: pd.DataFrame) -> dict[str, float]:
    """The horizontal lines of an accuracy plot: label -> accuracy in [0, 1].

    ``"ceiling (all labels)"`` when the part has a ceiling and ``"majority class"`` (the test
    share of the most frequent class) when it is recorded.
    """
    out = {}
    ceiling = ceiling_mean(sub)
    if np.isfinite(ceiling):
        out["ceiling (all labels)"] = ceiling
    majority, _ = majority_levels(sub)
    if np.isfinite(majority):
        out["majority class"] = majority
    return out


def _reference_lines(ax: Any, sub: pd.DataFrame) -> None:
    for label, level in reference_levels(sub).items():
        ax.axhline(100 * level, lw=1, label=label, **_REFERENCE_STYLE[label])


def _band(ax: Any, g: pd.DataFrame, color: Any) -> None:
    """A band of ± one std around the mean (columns x, mean, std)."""
    ax.fill_between(
        g["x"],
        100 * (g["mean"] - g["std"]),
        100 * (g["mean"] + g["std"]),
        color=color,
        alpha=0.12,
        linewidth=0,
    )


def curve_figure(sub: pd.DataFrame, methods: list[str], title: str) -> bytes | None:
    """Accuracy against labels per class, one line per method (None when nothing ran)."""
    plt = _plt()
    ok = _scored_rows(sub)
    if ok.empty:
        return None
    style = _style(methods, kinds(sub))
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
        _band(ax, g, color)
    _reference_lines(ax, sub)
    if (ok["labels_per_class"] > 0).all():
        ax.set_xscale("log", base=2)
        ticks = sorted(set(np.round(ok["labels_per_class"], 2)))
        ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
        ax.minorticks_off()
    _finish(ax, title, xlabel="labelled examples per class")
    return _png(fig)


def time_figure(sub: pd.DataFrame, methods: list[str], title: str) -> bytes | None:
    """Accuracy against fit time, one point per budget and line per method."""
    plt = _plt()
    ok = _scored_rows(sub)
    ok = ok[ok["fit_seconds"].notna()]
    if ok.empty:
        return None
    style = _style(methods, kinds(sub))
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
    _finish(ax, title, xlabel="fit time per cell (s, log scale; one point per budget)")
    return _png(fig)


def active_learning_figure(sub: pd.DataFrame, title: str) -> bytes | None:
    """Accuracy against the number of labels, one line per strategy."""
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
        _band(ax, g, color)
    _reference_lines(ax, sub)
    _finish(ax, title, xlabel="number of labels", legend_size=8)
    return _png(fig)
