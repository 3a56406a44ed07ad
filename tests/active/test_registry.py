"""The strategy registry: one Entry per strategy, metadata that matches the classes."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from fewlabels._registry import Entry
from fewlabels.active import STRATEGIES, Strategy, describe_strategy, get_strategy


@pytest.mark.parametrize("entry", list(STRATEGIES), ids=lambda e: e.name)
def test_entry_matches_its_class(entry: Entry) -> None:
    cls = entry.load()
    assert issubclass(cls, Strategy) and cls.name == entry.name
    assert entry.needs_labels == cls.uses_proba == entry.meta["uses_proba"]
    assert entry.description == (inspect.getdoc(cls) or "").splitlines()[0]
    assert describe_strategy(entry.name) == entry.description
    assert not entry.needs_text_side and not entry.modalities


def test_cold_start_strategies_need_no_model() -> None:
    cold = [e.name for e in STRATEGIES.select(needs_labels=False)]
    assert cold == ["random", "coreset", "typiclust"]


@pytest.mark.parametrize("entry", STRATEGIES.select(needs_labels=True), ids=lambda e: e.name)
def test_proba_strategies_fall_back_to_their_cold_start(
    entry: Entry, blobs: tuple[np.ndarray, np.ndarray]
) -> None:
    X, _ = blobs
    mask = np.zeros(len(X), bool)
    mask[[0, 40]] = True
    fallback = get_strategy(entry.meta["cold_start"])
    got = get_strategy(entry.name).select(X, n=5, labeled_mask=mask, random_state=1)
    want = fallback.select(X, n=5, labeled_mask=mask, random_state=1)
    np.testing.assert_array_equal(got, want)


def test_a_ready_instance_passes_through() -> None:
    s = get_strategy("margin", dedup_threshold=None)
    assert get_strategy(s) is s
    with pytest.raises(ValueError, match=r"no parameters with a ready Strategy instance"):
        get_strategy(s, dedup_threshold=0.5)


@pytest.mark.parametrize("bad", [None, 3, "random:", ""])
def test_unknown_names_are_explained(bad: object) -> None:
    with pytest.raises(ValueError, match=r"Unknown strategy .*Expected one of \['random'"):
        get_strategy(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"Unknown strategy"):
        describe_strategy(bad)  # type: ignore[arg-type]
