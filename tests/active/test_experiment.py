from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from fewlabels.active.curves import compare_to_random
from fewlabels.active.demo import demo_active
from fewlabels.active.experiment import EmbeddedSplits, run_simulation

Split = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


@pytest.fixture
def embedded(blob_split: Split) -> EmbeddedSplits:
    Xp, yp, Xt, yt = blob_split
    return EmbeddedSplits(Xp, yp, Xt, yt, ("a", "b", "c", "d"), "blobs", "none", "tabular")


def test_rows_follow_the_results_schema(embedded: EmbeddedSplits) -> None:
    frame = run_simulation(
        embedded,
        strategies=["margin"],
        learner=LogisticRegression(max_iter=200),
        batch=4,
        rounds=3,
        seeds=2,
    )
    # random is added as the reference
    assert sorted(frame["strategy"].unique()) == ["margin", "random"]
    assert len(frame) == 2 * 2 * 3
    assert set(frame["protocol"]) == {"simulate"} and set(frame["status"]) == {"ok"}
    assert set(frame["method"]) == {"LogisticRegression"}
    assert frame["cell_id"].is_unique
    last = frame[(frame["strategy"] == "margin") & (frame["round"] == 3)].iloc[0]
    assert last["n_labels"] == 12 and last["labels_per_class"] == 3.0
    assert sum(json.loads(last["class_counts"])) == 12
    from fewlabels.bench.results import conform

    conformed = conform(frame)
    assert list(conformed["accuracy"]) == list(frame["accuracy"])
    summary = compare_to_random(frame)
    assert set(summary["strategy"]) == {"margin", "random"}


def test_unknown_strategy_fails_before_any_work(embedded: EmbeddedSplits) -> None:
    with pytest.raises(ValueError, match=r"Unknown strategy 'nope'. Expected one of \['random'"):
        run_simulation(embedded, strategies=["margin", "nope"], learner=LogisticRegression())


def test_demo_curves_on_digits() -> None:
    demo = demo_active("digits", learner="ncm", batch=10, rounds=3, seed=0)
    rows = demo.table()
    assert [r["n_labels"] for r in rows] == [10, 20, 30]
    assert rows[-1]["accuracy"] > 0.5 and rows[-1]["random_accuracy"] > 0.3
    text = demo.format()
    assert "typiclust vs random" in text and text.count("\n") == 4
