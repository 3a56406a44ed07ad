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


def test_random_leads_strategy_objects_keep_their_names_and_seeds_are_listed(
    embedded: EmbeddedSplits,
) -> None:
    from fewlabels.active import Margin

    curves: list[int] = []
    frame = run_simulation(
        embedded,
        strategies=[Margin()],
        learner=LogisticRegression(max_iter=200),
        batch=4,
        rounds=2,
        start=3,
        seeds=[5, 7],
        on_curve=lambda rows: curves.append(len(rows)),
    )
    assert frame["strategy"].drop_duplicates().tolist() == ["random", "margin"]
    assert frame["seed"].drop_duplicates().tolist() == [5, 7]
    assert curves == [3, 3, 3, 3]  # round 0 (the seed set of 3) and two rounds, per curve
    row = frame.iloc[-1]
    assert (
        row["cell_id"]
        == "simulate|blobs|none|LogisticRegression|margin|start=3|batch=4|seed=7|round=2"
    )
    assert row["n_train"] == 160 and row["n_test"] == 80 and row["n_classes"] == 4
    assert row["majority_rate"] == pytest.approx(
        np.bincount(embedded.y_test).max() / embedded.y_test.size
    )
    assert 0.0 < row["predict_seconds"] < 60.0
    assert all(len(s) == 25 and s.endswith("+00:00") and s[10] == "T" for s in frame["started_at"])


def test_runs_are_seeded_and_every_class_counts(embedded: EmbeddedSplits) -> None:
    five = EmbeddedSplits(
        embedded.X_pool,
        embedded.y_pool,
        embedded.X_test,
        embedded.y_test,
        ("a", "b", "c", "d", "e"),
        "blobs",
        "none",
        "tabular",
    )  # class "e" has no row
    kwargs = dict(
        strategies=["random"],
        learner=LogisticRegression(max_iter=200),
        batch=4,
        rounds=2,
        seeds=[1],
    )
    a, b = run_simulation(five, **kwargs), run_simulation(five, **kwargs)  # type: ignore[arg-type]
    assert a["accuracy"].tolist() == b["accuracy"].tolist()
    assert a["class_counts"].tolist() == b["class_counts"].tolist()
    assert all(len(json.loads(c)) == 5 for c in a["class_counts"])
    assert a["labels_per_class"].tolist() == [4 / 5, 8 / 5]
    assert set(a["method"]) == {"LogisticRegression"}
    named = run_simulation(
        embedded, strategies=["random"], learner="ncm", batch=4, rounds=1, seeds=1
    )
    assert set(named["method"]) == {"ncm"} and named["seed"].tolist() == [0]


def test_no_strategy_or_no_seed_is_explained(embedded: EmbeddedSplits) -> None:
    with pytest.raises(ValueError, match=r"at least one strategy, but got none. Choose from \["):
        run_simulation(embedded, strategies=[])
    with pytest.raises(ValueError, match=r"at least one seed, but got seeds=\[\]"):
        run_simulation(embedded, strategies=["random"], seeds=[])
    with pytest.raises(ValueError, match=r"at least one seed, but got seeds=0"):
        run_simulation(embedded, strategies=["random"], seeds=0)


def test_run_simulation_defaults_three_seeds_of_ten_rounds_of_ten(
    embedded: EmbeddedSplits,
) -> None:
    lr = LogisticRegression(max_iter=200)
    frame = run_simulation(embedded, strategies=["random"], learner=lr)
    assert frame["seed"].drop_duplicates().tolist() == [0, 1, 2]
    last = frame[frame["seed"] == 0]
    assert last["n_labels"].tolist() == list(range(10, 101, 10))
    assert last["round"].tolist() == list(range(1, 11))
    assert "|start=0|batch=10|" in last["cell_id"].iloc[0]


def test_load_embedded_uses_the_cache_folder_and_typed_arrays(
    tmp_path: object, capsys: pytest.CaptureFixture[str]
) -> None:
    from pathlib import Path

    from fewlabels.active.experiment import load_embedded

    data = load_embedded("wine", cache_dir=str(tmp_path))
    assert data.dataset == "wine" and data.modality == "tabular" and data.encoder
    assert data.X_pool.dtype == data.X_test.dtype == np.float32
    assert data.y_pool.dtype == data.y_test.dtype == np.int64
    assert len(data.classes) == 3
    assert data.X_pool.shape[0] == data.y_pool.shape[0] > data.X_test.shape[0] > 0
    assert len(list(Path(str(tmp_path)).rglob("views/*.json"))) == 2  # both splits cached there
    again = load_embedded("wine", data.encoder, cache_dir=str(tmp_path))
    np.testing.assert_array_equal(again.X_test, data.X_test)
    assert capsys.readouterr().err == ""  # no progress bar by default
