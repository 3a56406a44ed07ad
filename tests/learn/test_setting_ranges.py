"""Every numeric setting of the estimators is checked against its documented range.

A value just outside the range is refused before any work, with the message
``"<Learner> expected <name> in <range>, but got <value>."``; an open bound is refused
itself and a closed bound is accepted (a fit on tiny data runs; not for ``Auto``, whose fits
are too slow for a table of them).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from fewlabels import learn
from learn.learn_helpers import blobs, hide

INF = float("inf")

# (estimator, setting, low, high, low_open, high_open)
RANGES: list[tuple[type, str, float, float, bool, bool]] = [
    (learn.SelfTraining, "threshold", 0, 1, False, False),
    (learn.SelfTraining, "step", 0, 100, True, False),
    (learn.SelfTraining, "max_iter", 0, INF, False, False),
    (learn.SelfTraining, "seed_per_class", 1, INF, False, False),
    (learn.TreeSelfTraining, "max_rounds", 0, INF, False, False),
    (learn.TreeSelfTraining, "threshold", 0, 1, False, False),
    (learn.TreeSelfTraining, "step", 0, 100, True, False),
    (learn.TreeSelfTraining, "max_iter", 1, INF, False, False),
    (learn.TreeSelfTraining, "learning_rate", 0, INF, True, False),
    (learn.TreeSelfTraining, "max_leaf_nodes", 2, INF, False, False),
    (learn.TreeSelfTraining, "min_samples_leaf", 1, INF, False, False),
    (learn.TreeSelfTraining, "l2_regularization", 0, INF, False, False),
    (learn.TreeSelfTraining, "weight_power", 0, INF, False, False),
    (learn.ConsistencyTraining, "threshold", 0, 1, False, False),
    (learn.ConsistencyTraining, "ema", 0, 1, False, False),
    (learn.ConsistencyTraining, "dropout", 0, 1, False, True),
    (learn.ConsistencyTraining, "n_steps", 0, INF, False, False),
    (learn.Auto, "holdout", 0, 1, True, True),
    (learn.Auto, "n_repeats", 1, INF, False, False),
    (learn.Auto, "time_budget_s", 0, INF, True, False),
    (learn.LabelSpreading, "alpha", 0, 1, False, True),
    (learn.LabelSpreading, "n_neighbors", 1, INF, False, False),
    (learn.KNN, "n_neighbors", 1, INF, False, False),
    (learn.KNN, "temperature", 0, INF, True, False),
    (learn.NearestClassMean, "temperature", 0, INF, True, False),
    (learn.LinearProbe, "C", 0, INF, True, False),
]

# the fits that check a closed bound: tiny and quick
QUICK: dict[type, dict[str, Any]] = {
    learn.SelfTraining: {"max_iter": 1},
    learn.TreeSelfTraining: {"max_rounds": 1, "max_iter": 5},
    learn.ConsistencyTraining: {"n_steps": 2, "hidden": 8, "batch_size": 8},
    learn.LabelSpreading: {},
    learn.KNN: {},
    learn.NearestClassMean: {},
    learn.LinearProbe: {},
}


def _data() -> tuple[np.ndarray, np.ndarray]:
    X, y_true = blobs(6, 2, 4, seed=0)
    return X, hide(y_true, 2)


def _message(cls: type, name: str, low: float, high: float, lo: bool, ho: bool, v: Any) -> str:
    def num(x: float) -> str:
        return "inf" if x == INF else repr(x)

    return (
        f"{cls.__name__} expected {name} in {'(' if lo else '['}{num(low)}, {num(high)}"
        f"{')' if ho else ']'}, but got {v!r}."
    )


def _ids(row: tuple[type, str, float, float, bool, bool]) -> str:
    return f"{row[0].__name__}.{row[1]}"


@pytest.mark.parametrize("row", RANGES, ids=[_ids(r) for r in RANGES])
def test_values_outside_the_range_are_refused_in_full(row) -> None:
    cls, name, low, high, lo, ho = row
    X, y = _data()
    outside = [low - 0.5] + ([] if high == INF else [high + 0.5])
    if lo:
        outside.append(low)
    if ho:
        outside.append(high)
    for v in outside:
        v = type(low)(v) if isinstance(low, int) and float(v).is_integer() else v
        with pytest.raises(ValueError) as err:
            cls(**{name: v}).fit(X, y)
        assert str(err.value) == _message(cls, name, low, high, lo, ho, v)


@pytest.mark.parametrize(
    "row", [r for r in RANGES if r[0] in QUICK], ids=[_ids(r) for r in RANGES if r[0] in QUICK]
)
def test_a_closed_bound_is_accepted(row) -> None:
    cls, name, low, high, lo, ho = row
    X, y = _data()
    bounds = ([] if lo else [low]) + ([] if ho or high == INF else [high])
    for v in bounds:
        settings = {**QUICK[cls], name: v}
        model = cls(**settings).fit(X, y)
        assert model.predict(X).shape == (len(X),)
