from __future__ import annotations

import math

import pandas as pd
import pytest

from fewlabels.active.curves import compare_to_random, labels_to_reach, labels_to_stay


def test_labels_to_reach_interpolates() -> None:
    n, acc = [10, 20, 30], [0.5, 0.7, 0.9]
    assert labels_to_reach(n, acc, 0.8) == pytest.approx(25.0)
    assert labels_to_reach(n, acc, 0.8, interpolate=False) == 30
    assert labels_to_reach(n, acc, 0.4) == 10
    assert math.isnan(labels_to_reach(n, acc, 0.95))


def test_labels_to_stay_ignores_a_passing_spike() -> None:
    n, acc = [10, 20, 30, 40], [0.5, 0.9, 0.6, 0.9]
    assert labels_to_reach(n, acc, 0.8) == pytest.approx(17.5)
    assert labels_to_stay(n, acc, 0.8) == pytest.approx(36.6667, rel=1e-3)
    assert labels_to_stay(n, [0.9, 0.9, 0.9, 0.9], 0.8) == 10
    assert math.isnan(labels_to_stay(n, [0.9, 0.9, 0.9, 0.5], 0.8))


def test_compare_to_random() -> None:
    rows = []
    for seed in (0, 1):
        for n, a_rand, a_good in [(10, 0.5, 0.7), (20, 0.6, 0.8), (30, 0.7, 0.85)]:
            rows.append(
                dict(
                    dataset="d",
                    encoder="e",
                    method="m",
                    strategy="random",
                    seed=seed,
                    n_labels=n,
                    accuracy=a_rand,
                )
            )
            rows.append(
                dict(
                    dataset="d",
                    encoder="e",
                    method="m",
                    strategy="good",
                    seed=seed,
                    n_labels=n,
                    accuracy=a_good,
                )
            )
    out = compare_to_random(pd.DataFrame(rows)).set_index("strategy")
    assert out.loc["good", "labels_needed"] == 10 and out.loc["good", "ratio"] == pytest.approx(
        1 / 3
    )
    assert out.loc["random", "labels_needed"] == 30 and out.loc["random", "ratio"] == 1.0


def test_compare_without_random_is_explained() -> None:
    frame = pd.DataFrame(
        [
            dict(
                dataset="d",
                encoder="e",
                method="m",
                strategy="margin",
                seed=0,
                n_labels=10,
                accuracy=0.5,
            )
        ]
    )
    with pytest.raises(ValueError, match=r"Expected 'random' rows.*\['margin'\].*Include 'random'"):
        compare_to_random(frame)


def test_compare_to_random_reports_the_other_final_scores() -> None:
    rows = [
        dict(
            dataset="d",
            encoder="e",
            method="m",
            strategy=strategy,
            seed=seed,
            n_labels=n,
            accuracy=0.5 + 0.01 * n,
            macro_f1=0.4 + 0.01 * n + 0.02 * seed,
            balanced_accuracy=0.3 + 0.01 * n,
        )
        for strategy in ("random", "good")
        for seed in (0, 1)
        for n in (10, 20)
    ]
    out = compare_to_random(pd.DataFrame(rows)).set_index("strategy")
    # the seed mean at the last label count (20)
    assert out.loc["good", "final_macro_f1"] == pytest.approx(0.61)
    assert out.loc["good", "final_balanced_accuracy"] == pytest.approx(0.5)
    assert out.loc["random", "final_accuracy"] == pytest.approx(0.7)
    # rows that do not record a score get no column for it
    plain = pd.DataFrame(rows).drop(columns=["balanced_accuracy"])
    assert "final_balanced_accuracy" not in compare_to_random(plain).columns


def _row(strategy: str, seed: int, n: int, acc: float, **extra: float) -> dict[str, object]:
    return dict(
        dataset="d",
        encoder="e",
        method="m",
        strategy=strategy,
        seed=seed,
        n_labels=n,
        accuracy=acc,
        **extra,
    )


def test_reaching_the_target_exactly_counts() -> None:
    assert labels_to_reach([10, 20, 30], [0.5, 0.8, 0.9], 0.8, interpolate=False) == 20
    assert labels_to_reach([10, 20, 30], [0.5, 0.8, 0.9], 0.8) == 20


def test_staying_exactly_at_the_target_counts_as_staying() -> None:
    assert labels_to_stay([10, 20, 30], [0.5, 0.8, 0.8], 0.8) == 20
    assert labels_to_stay([10, 20, 30], [0.8, 0.8, 0.8], 0.8) == 10


def test_mean_curves_sorts_by_label_count_and_counts_seeds() -> None:
    from fewlabels.active.curves import mean_curves

    rows = [_row("random", s, n, 0.1 * n + 0.1 * s) for n in (3, 1, 2) for s in (0, 1)]
    rows.append(_row("random", 2, 3, 0.6))
    out = mean_curves(pd.DataFrame(rows))
    assert out["n_labels"].tolist() == [1, 2, 3]
    assert out["mean"].tolist() == pytest.approx([0.15, 0.25, 1.3 / 3])
    assert out["n_seeds"].tolist() == [2, 2, 3]
    assert out["std"].iloc[0] == pytest.approx(0.0707107, rel=1e-5)


def test_compare_reads_the_metric_it_is_asked_for_and_sorts_by_ratio() -> None:
    rows = []
    for n, a_rand, a_slow, a_fast in [
        (10, 0.5, 0.4, 0.7),
        (20, 0.6, 0.5, 0.8),
        (30, 0.7, 0.6, 0.9),
    ]:
        # macro F1 ranks the strategies the other way round from accuracy
        rows.append(_row("random", 0, n, a_rand, macro_f1=a_rand))
        rows.append(_row("slow", 0, n, a_slow, macro_f1=a_fast))
        rows.append(_row("fast", 0, n, a_fast, macro_f1=a_slow))
    frame = pd.DataFrame(rows)
    by_acc = compare_to_random(frame)
    assert by_acc["strategy"].tolist() == ["fast", "random", "slow"]  # ratio 1/3, 1, NaN
    assert math.isnan(by_acc["ratio"].iloc[-1]) and math.isnan(by_acc["ratio_sustained"].iloc[-1])
    assert by_acc["final_labels"].tolist() == [30, 30, 30]
    assert by_acc["final_accuracy"].tolist() == pytest.approx([0.9, 0.7, 0.6])
    assert by_acc["final_macro_f1"].tolist() == pytest.approx([0.6, 0.7, 0.9])
    assert by_acc["target"].tolist() == pytest.approx([0.7] * 3)
    by_f1 = compare_to_random(frame, metric="macro_f1")
    assert by_f1["strategy"].tolist() == ["slow", "random", "fast"]
    assert by_f1["ratio_sustained"].tolist()[:2] == pytest.approx([1 / 3, 1.0])
    assert "final_accuracy" in by_f1.columns


def test_compare_against_another_baseline_and_a_zero_label_baseline() -> None:
    rows = [_row("typiclust", 0, n, a) for n, a in [(10, 0.5), (20, 0.9)]]
    rows += [_row("margin", 0, n, a) for n, a in [(10, 0.6), (20, 0.95)]]
    out = compare_to_random(pd.DataFrame(rows), baseline="typiclust").set_index("strategy")
    assert out.loc["margin", "labels_needed"] == pytest.approx(10 + 10 * 0.3 / 0.35)
    assert out.loc["typiclust", "random_labels"] == 20
    zero = pd.DataFrame([_row("random", 0, 0, 0.3), _row("margin", 0, 0, 0.4)])
    out = compare_to_random(zero).set_index("strategy")
    assert math.isnan(out.loc["margin", "ratio"]) and math.isnan(
        out.loc["margin", "ratio_sustained"]
    )
    assert out.loc["margin", "labels_needed"] == 0


def test_compare_with_one_random_label_and_a_clean_index() -> None:
    rows = [_row("random", 0, 1, 0.5), _row("margin", 0, 1, 0.6)]
    out = compare_to_random(pd.DataFrame(rows))
    assert list(out.index) == [0, 1] and "index" not in out.columns
    assert out.set_index("strategy").loc["margin", "ratio"] == 1.0


def test_labels_sustained_is_reported_beside_labels_needed() -> None:
    rows = [_row("random", 0, n, a) for n, a in [(10, 0.5), (20, 0.6), (30, 0.7), (40, 0.8)]]
    # touches the target (0.8) at 20, falls back, stays from 40
    rows += [_row("spiky", 0, n, a) for n, a in [(10, 0.5), (20, 0.8), (30, 0.6), (40, 0.9)]]
    out = compare_to_random(pd.DataFrame(rows)).set_index("strategy")
    assert out.loc["spiky", "labels_needed"] == 20
    assert out.loc["spiky", "labels_sustained"] == pytest.approx(30 + 10 * 0.2 / 0.3)
    assert out.loc["spiky", "ratio_sustained"] == pytest.approx((30 + 10 * 0.2 / 0.3) / 40)
    assert out.loc["random", "labels_sustained"] == 40


def test_one_random_label_gives_a_sustained_ratio_too() -> None:
    rows = [_row("random", 0, 1, 0.5), _row("margin", 0, 1, 0.6)]
    out = compare_to_random(pd.DataFrame(rows)).set_index("strategy")
    assert out.loc["margin", "ratio_sustained"] == 1.0
    assert out.loc["random", "ratio_sustained"] == 1.0


def test_strategies_with_the_same_ratio_are_listed_by_name() -> None:
    rows = []
    for name in ("zeta", "random", "alpha", "mid"):  # not in name order
        rows += [_row(name, 0, n, a) for n, a in [(10, 0.5), (20, 0.7)]]
    out = compare_to_random(pd.DataFrame(rows))
    assert out["ratio"].tolist() == [1.0] * 4
    assert out["strategy"].tolist() == ["alpha", "mid", "random", "zeta"]


def test_the_rounding_slack_of_the_target_counts_as_reached_and_as_staying() -> None:
    import numpy as np

    edge = 0.8 - 1e-12  # at target - slack: reached (>=) and not below (<)
    assert labels_to_reach([10, 20], [0.5, edge], 0.8, interpolate=False) == 20
    under = float(np.nextafter(edge, 0.0))
    assert math.isnan(labels_to_reach([10, 20], [0.5, under], 0.8))
    assert labels_to_stay([10, 20, 30], [0.5, edge, edge], 0.8) == pytest.approx(20.0)
    assert math.isnan(labels_to_stay([10, 20, 30], [0.5, edge, under], 0.8))
