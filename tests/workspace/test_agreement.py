"""Agreement between annotators: kappa on known tables, the status line, second opinions."""

from __future__ import annotations

import numpy as np
import pytest

from fewlabels.errors import FewlabelsError
from fewlabels.workspace.agreement import agreement, fleiss_kappa, pick_second_opinions

#: The worked example of Wikipedia's "Fleiss' kappa": 10 items, 14 raters, 5 categories.
WIKIPEDIA = np.array(
    [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
)


def test_fleiss_kappa_of_the_wikipedia_example() -> None:
    assert fleiss_kappa(WIKIPEDIA) == pytest.approx(0.210, abs=5e-4)


def test_fleiss_kappa_of_perfect_agreement_is_one() -> None:
    assert fleiss_kappa(np.array([[3, 0], [0, 3], [3, 0]])) == pytest.approx(1.0)
    assert fleiss_kappa(np.array([[3, 0], [3, 0]])) is None  # one category: undefined


def test_fleiss_kappa_refuses_items_with_one_rating() -> None:
    with pytest.raises(FewlabelsError, match="at least 2 ratings per item, but 1 item"):
        fleiss_kappa(np.array([[1, 0], [1, 1]]))
    with pytest.raises(FewlabelsError, match="2-D table"):
        fleiss_kappa(np.array([1, 2]))


def test_agreement_uses_cohen_for_two_annotators() -> None:
    votes = {
        "x1": {"ana": "a", "ben": "a"},
        "x2": {"ana": "b", "ben": "b"},
        "x3": {"ana": "a", "ben": "b"},
        "x4": {"ana": "b", "ben": "b"},
        "x5": {"ana": "a"},  # one annotator: not shared
    }
    got = agreement(votes)
    assert got is not None and got.method == "cohen" and got.n_items == 4
    assert got.annotators == ("ana", "ben") and got.conflict_ids == ("x3",)
    # observed 3/4; chance: ana a=2/4, ben a=1/4 -> pe = 0.5*0.25 + 0.5*0.75 = 0.5
    assert got.kappa == pytest.approx((0.75 - 0.5) / 0.5)
    assert "Cohen's kappa 0.500; 1 conflicting item(s)" in got.message()
    perfect = agreement({"x1": {"ana": "a", "ben": "a"}, "x2": {"ana": "b", "ben": "b"}})
    assert perfect is not None and perfect.kappa == pytest.approx(1.0)


def test_agreement_uses_fleiss_for_three_annotators_and_none_without_shared_items() -> None:
    votes = {
        "x1": {"ana": "a", "ben": "a", "cleo": "a"},
        "x2": {"ana": "b", "ben": "b"},
        "x3": {"ben": "a", "cleo": "b"},
    }
    got = agreement(votes)
    assert got is not None and got.method == "fleiss" and got.n_conflicts == 1
    table = np.array([[3, 0], [0, 2], [1, 1]])
    assert got.kappa == pytest.approx(fleiss_kappa(table))
    assert agreement({"x1": {"ana": "a"}}) is None


def test_pick_second_opinions_takes_items_labelled_once() -> None:
    votes = {"a": {"ana": "x"}, "b": {"ana": "x", "ben": "x"}, "c": {"ben": "y"}}
    got = pick_second_opinions(votes, candidates=["a", "b", "c", "d"], k=5, random_state=0)
    assert got == ["a", "c"]
    one = pick_second_opinions(votes, candidates=["a", "b", "c"], k=1, random_state=3)
    assert len(one) == 1 and one[0] in {"a", "c"}
    assert one == pick_second_opinions(votes, candidates=["a", "b", "c"], k=1, random_state=3)
    assert pick_second_opinions(votes, candidates=["a"], k=0) == []
