from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fewlabels.active import Entropy, LeastConfidence, Margin, get_strategy
from fewlabels.active.typiclust import TypiClust
from fewlabels.active.uncertainty import entropy_scores, least_confidence_scores, margin_scores

KNOWN = np.array(
    [
        [1.0, 0.0, 0.0],  # certain
        [0.5, 0.5, 0.0],  # two-way tie: margin 0, entropy log 2
        [1 / 3, 1 / 3, 1 / 3],  # uniform: max entropy
        [0.6, 0.3, 0.1],
    ]
)


def test_least_confidence_on_known_rows() -> None:
    np.testing.assert_allclose(least_confidence_scores(KNOWN), [0.0, 0.5, 2 / 3, 0.4])


def test_margin_on_known_rows() -> None:
    # 1 - (top1 - top2)
    np.testing.assert_allclose(margin_scores(KNOWN), [0.0, 1.0, 1.0, 0.7])


def test_entropy_on_known_rows() -> None:
    expected = [
        0.0,
        np.log(2),
        np.log(3),
        -(0.6 * np.log(0.6) + 0.3 * np.log(0.3) + 0.1 * np.log(0.1)),
    ]
    np.testing.assert_allclose(entropy_scores(KNOWN), expected)


def test_orderings_differ_as_theory_says() -> None:
    # Margin puts a two-way tie level with the uniform row and above a spread-out row;
    # entropy puts the spread-out row [0.6, 0.3, 0.1] above the two-way tie.
    m, h = margin_scores(KNOWN), entropy_scores(KNOWN)
    assert m[1] == pytest.approx(m[2]) and m[1] > m[3] > m[0]
    assert h[2] > h[3] > h[1] > h[0]


def test_margin_with_single_column() -> None:
    np.testing.assert_allclose(margin_scores(np.ones((3, 1))), 0.0)


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 6), st.integers(1, 20), st.integers(0, 10_000))
def test_scores_bounded(n_classes: int, n: int, seed: int) -> None:
    P = np.random.default_rng(seed).dirichlet(np.ones(n_classes), size=n)
    assert np.all(least_confidence_scores(P) <= 1 - 1 / n_classes + 1e-9)
    assert np.all((margin_scores(P) >= -1e-12) & (margin_scores(P) <= 1 + 1e-12))
    assert np.all(entropy_scores(P) <= np.log(n_classes) + 1e-9)


@pytest.mark.parametrize("cls", [LeastConfidence, Margin, Entropy])
def test_select_takes_most_uncertain(cls: type, blobs: tuple[np.ndarray, np.ndarray]) -> None:
    X, _ = blobs
    P = np.tile([0.98, 0.01, 0.01], (len(X), 1))
    P[[7, 40, 70]] = [0.34, 0.33, 0.33]
    sel = cls(dedup_threshold=None).select(X, n=3, proba=P, labeled_mask=np.zeros(len(X), bool))
    assert sorted(sel.tolist()) == [7, 40, 70]


@pytest.mark.parametrize("name", ["least-confidence", "margin", "entropy"])
def test_cold_start_falls_back_to_typiclust(
    name: str, blobs: tuple[np.ndarray, np.ndarray]
) -> None:
    X, _ = blobs
    mask = np.zeros(len(X), bool)
    got = get_strategy(name).select(X, n=3, labeled_mask=mask, random_state=1)
    want = TypiClust().select(X, n=3, labeled_mask=mask, random_state=1)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(
        get_strategy(name).score(X, labeled_mask=mask), TypiClust().score(X, labeled_mask=mask)
    )


def test_margin_of_two_classes_is_one_minus_their_gap() -> None:
    np.testing.assert_allclose(margin_scores(np.array([[0.9, 0.1], [0.3, 0.7]])), [0.2, 0.6])


def test_margin_uses_the_top_two_of_each_row_not_of_each_column() -> None:
    P = np.array([[0.1, 0.2, 0.7], [0.5, 0.3, 0.2], [0.3, 0.4, 0.3]])
    np.testing.assert_allclose(margin_scores(P), [0.5, 0.8, 0.9])


def test_a_given_cold_start_strategy_replaces_typiclust(
    blobs: tuple[np.ndarray, np.ndarray],
) -> None:
    from fewlabels.active import Coreset

    X, _ = blobs
    mask = np.zeros(len(X), bool)
    mask[0] = True
    strat = Entropy(cold_start=Coreset())
    assert strat.get_params()["cold_start"].name == "coreset"
    np.testing.assert_array_equal(
        strat.select(X, n=3, labeled_mask=mask), Coreset().select(X, n=3, labeled_mask=mask)
    )
    # the labelled row is at distance 0 from itself: the mask reaches the cold-start score
    assert strat.score(X, labeled_mask=mask)[0] == 0.0


def test_scores_are_float64_even_for_float32_probabilities() -> None:
    P = np.array([[0.7, 0.2, 0.1], [0.4, 0.35, 0.25]], dtype=np.float32)
    for fn in (least_confidence_scores, margin_scores, entropy_scores):
        assert fn(P).dtype == np.float64


def test_margin_is_the_gap_of_the_top_two_whatever_the_column_order() -> None:
    row = [0.05, 0.15, 0.3, 0.5]  # top two 0.5 and 0.3: margin 1 - 0.2
    P = np.array(list(itertools.permutations(row)))
    assert np.allclose(margin_scores(P), 0.8)


@pytest.mark.parametrize("cls", [LeastConfidence, Margin, Entropy])
def test_each_uncertainty_strategy_keeps_its_dedup_threshold(cls: type) -> None:
    assert cls(dedup_threshold=0.5).dedup_threshold == 0.5
    assert cls(dedup_threshold=None).dedup_threshold is None
    assert cls().dedup_threshold == 0.99
