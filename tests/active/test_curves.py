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
