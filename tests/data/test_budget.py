import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fewlabels.data import BudgetSplit, Dataset, budget_split


def pool(counts: list[int]) -> Dataset:
    labels = np.concatenate([np.full(c, k) for k, c in enumerate(counts)])
    n = labels.size
    return Dataset(
        ids=[f"x{i}" for i in range(n)],
        inputs=[str(i) for i in range(n)],
        labels=labels,
        classes=tuple(f"c{k}" for k in range(len(counts))),
        modality="text",
        name="pool",
    )


def test_per_class_is_stratified_and_deterministic() -> None:
    ds = pool([10, 20, 5])
    a = budget_split(ds, per_class=3, seed=7)
    b = budget_split(ds, per_class=3, seed=7)
    assert a == b
    labelled = a.apply(ds)
    assert labelled.class_counts() == {"c0": 3, "c1": 3, "c2": 3}
    assert budget_split(ds, per_class=3, seed=8).labeled_ids != a.labeled_ids


def test_split_does_not_depend_on_row_order() -> None:
    ds = pool([8, 8])
    shuffled = ds.subset(np.random.default_rng(0).permutation(len(ds)))
    assert set(budget_split(ds, per_class=2, seed=1).labeled_ids) == set(
        budget_split(shuffled, per_class=2, seed=1).labeled_ids
    )


def test_larger_budgets_contain_smaller_ones() -> None:
    ds = pool([12, 12, 12])
    small = set(budget_split(ds, per_class=2, seed=3).labeled_ids)
    large = set(budget_split(ds, per_class=6, seed=3).labeled_ids)
    assert small < large


def test_fraction_keeps_at_least_one_per_class() -> None:
    ds = pool([100, 3])
    split = budget_split(ds, fraction=0.1, seed=0)
    assert split.apply(ds).class_counts() == {"c0": 10, "c1": 1}


def test_budget_larger_than_a_class_names_the_class() -> None:
    with pytest.raises(ValueError, match=r"classes have fewer: \{'c2': 5\}.*at most 5"):
        budget_split(pool([10, 20, 5]), per_class=6)


def test_exactly_one_of_per_class_and_fraction() -> None:
    with pytest.raises(ValueError, match="exactly one of per_class"):
        budget_split(pool([4, 4]), per_class=1, fraction=0.5)
    with pytest.raises(ValueError, match="fraction in"):
        budget_split(pool([4, 4]), fraction=1.5)


def test_save_and_load_round_trip(tmp_path) -> None:  # type: ignore[no-untyped-def]
    ds = pool([5, 5])
    split = budget_split(ds, per_class=2, seed=4)
    path = split.save(tmp_path / "splits" / "s.json")
    assert json.loads(path.read_text())["labeled_ids"] == list(split.labeled_ids)
    assert BudgetSplit.load(path) == split
    (tmp_path / "bad.json").write_text('{"ids": []}')
    with pytest.raises(ValueError, match="fewlabels budget split JSON"):
        BudgetSplit.load(tmp_path / "bad.json")


@settings(max_examples=30, deadline=None)
@given(
    counts=st.lists(st.integers(1, 15), min_size=2, max_size=5),
    k=st.integers(1, 15),
    seed=st.integers(0, 2**16),
)
def test_per_class_property(counts: list[int], k: int, seed: int) -> None:
    ds = pool(counts)
    if k > min(counts):
        with pytest.raises(ValueError):
            budget_split(ds, per_class=k, seed=seed)
        return
    split = budget_split(ds, per_class=k, seed=seed)
    assert len(set(split.labeled_ids)) == k * len(counts)
    assert all(v == k for v in split.apply(ds).class_counts().values())
