"""Learning curves of simulations and the labels each strategy needs to match random.

The headline measurement of active learning: random selection reaches some accuracy
after its last round; how many labels does each strategy need to reach the same
accuracy? A ratio below 1 means the strategy saves labels.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from fewlabels.errors import FewlabelsError
from fewlabels.typing import FloatArray

#: Columns that identify one curve (one strategy of one setting), besides the seed.
CURVE_KEYS: tuple[str, ...] = ("dataset", "encoder", "method", "strategy")

#: The test scores :func:`compare_to_random` reports at each curve's end.
FINAL_METRICS: tuple[str, ...] = ("accuracy", "macro_f1", "balanced_accuracy")


def labels_to_reach(
    n_labels: Sequence[float] | FloatArray,
    accuracy: Sequence[float] | FloatArray,
    target: float,
    *,
    interpolate: bool = True,
) -> float:
    """Labels at which a learning curve first reaches ``target``.

    Parameters
    ----------
    n_labels : sequence of shape (n_points,)
        Increasing label counts.
    accuracy : sequence of shape (n_points,)
        The curve's accuracy at each count.
    target : float
    interpolate : bool, default=True
        Interpolate linearly between the last point below and the first point at or
        above ``target``; otherwise return the first point's label count.

    Returns
    -------
    float
        NaN when the curve never reaches ``target``.
    """
    n = np.asarray(n_labels, dtype=np.float64)
    acc = np.asarray(accuracy, dtype=np.float64)
    hit = np.flatnonzero(acc >= target - 1e-12)
    if hit.size == 0:
        return float("nan")
    i = int(hit[0])
    if i == 0 or not interpolate:
        return float(n[i])
    a0, a1 = acc[i - 1], acc[i]
    frac = (target - a0) / (a1 - a0)  # a0 < target - 1e-12 <= a1: never 0 / 0
    return float(n[i - 1] + frac * (n[i] - n[i - 1]))


def labels_to_stay(
    n_labels: Sequence[float] | FloatArray,
    accuracy: Sequence[float] | FloatArray,
    target: float,
) -> float:
    """Labels from which a learning curve stays at or above ``target`` to its end.

    A stricter reading than :func:`labels_to_reach` for noisy curves: a curve that
    touches the target once and falls back does not count until it stays. Interpolates
    linearly into the last point below the target.

    Parameters
    ----------
    n_labels : sequence of shape (n_points,)
    accuracy : sequence of shape (n_points,)
    target : float

    Returns
    -------
    float
        NaN when the curve ends below ``target``.
    """
    n = np.asarray(n_labels, dtype=np.float64)
    acc = np.asarray(accuracy, dtype=np.float64)
    below = np.flatnonzero(acc < target - 1e-12)
    if below.size == 0:
        return float(n[0])
    last = int(below[-1])
    if last == n.size - 1:
        return float("nan")
    return labels_to_reach(n[last:], acc[last:], target)


def mean_curves(frame: pd.DataFrame, *, metric: str = "accuracy") -> pd.DataFrame:
    """Average simulation rows over seeds: one row per curve key and label count.

    Parameters
    ----------
    frame : DataFrame
        Rows with the columns of :data:`CURVE_KEYS`, ``n_labels``, ``seed`` and ``metric``.
    metric : str, default="accuracy"

    Returns
    -------
    DataFrame
        Columns ``*CURVE_KEYS, n_labels, mean, std, n_seeds``, sorted.
    """
    keys = [k for k in CURVE_KEYS if k in frame.columns]
    grouped = frame.groupby([*keys, "n_labels"], sort=True)[metric]
    out = grouped.agg(["mean", "std", "count"]).reset_index()
    return out.rename(columns={"count": "n_seeds"})


def compare_to_random(
    frame: pd.DataFrame, *, baseline: str = "random", metric: str = "accuracy"
) -> pd.DataFrame:
    """Labels each strategy needs to reach random selection's final mean accuracy.

    For each setting (dataset, encoder, method), the target is the mean over seeds of
    the ``baseline`` strategy's ``metric`` at its largest label count; each strategy's
    seed-mean curve is then read with :func:`labels_to_reach` (interpolated).

    Parameters
    ----------
    frame : DataFrame
        Simulation rows (``fewlabels simulate`` / :func:`run_simulation` output).
    baseline : str, default="random"
    metric : str, default="accuracy"

    Returns
    -------
    DataFrame
        One row per curve: ``*CURVE_KEYS, final_labels, final_<metric>, target,
        random_labels, labels_needed, ratio, labels_sustained, ratio_sustained``
        (``ratio = labels_needed / random_labels``, NaN when the strategy never reaches the
        target; the ``sustained`` pair reads :func:`labels_to_stay`), sorted by setting and
        ratio; plus ``final_<m>`` for each other metric of :data:`FINAL_METRICS` the rows
        hold (seed mean at the curve's last label count; NaN where not recorded).
    """
    curves = mean_curves(frame, metric=metric)
    others = [m for m in FINAL_METRICS if m != metric and m in frame.columns]
    finals = {m: mean_curves(frame, metric=m) for m in others}
    keys = [k for k in CURVE_KEYS if k in curves.columns]
    setting = [k for k in keys if k != "strategy"]
    rows = []
    for key, group in curves.groupby(setting, sort=True):
        key_t = key if isinstance(key, tuple) else (key,)
        base = group[group["strategy"] == baseline].sort_values("n_labels")
        where = dict(zip(setting, key_t, strict=True))
        if base.empty:
            raise FewlabelsError(
                f"Expected {baseline!r} rows to compare against for {where}, "
                f"but the strategies there are {sorted(group['strategy'].unique())}. Include "
                f"{baseline!r} in the simulation."
            )
        target = float(base["mean"].iloc[-1])
        random_labels = float(base["n_labels"].iloc[-1])
        for strategy, curve in group.groupby("strategy", sort=True):
            curve = curve.sort_values("n_labels")
            xs, ys = curve["n_labels"].to_numpy(float), curve["mean"].to_numpy(float)
            needed = labels_to_reach(xs, ys, target)
            sustained = labels_to_stay(xs, ys, target)
            last = curve.index[-1]
            rows.append(
                {
                    **where,
                    "strategy": strategy,
                    "final_labels": int(curve["n_labels"].iloc[-1]),
                    f"final_{metric}": float(curve["mean"].iloc[-1]),
                    **{f"final_{m}": float(finals[m].loc[last, "mean"]) for m in others},
                    "target": target,
                    "random_labels": random_labels,
                    "labels_needed": needed,
                    "ratio": needed / random_labels if random_labels > 0 else float("nan"),
                    "labels_sustained": sustained,
                    "ratio_sustained": (
                        sustained / random_labels if random_labels > 0 else float("nan")
                    ),
                }
            )
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    # Sorting on several columns is a stable lexsort: equal ratios keep the name order.
    return out.sort_values([*setting, "ratio"], na_position="last").reset_index(drop=True)
