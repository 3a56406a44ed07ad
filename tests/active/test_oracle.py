from __future__ import annotations

import numpy as np
import pytest

from fewlabels.active.oracle import SimulatedOracle
from fewlabels.errors import FewlabelsError


def test_oracle_reveals_and_counts() -> None:
    o = SimulatedOracle(np.array([2, 0, 1, 1]))
    assert o.reveal([3, 0]).tolist() == [1, 2]
    assert o.n_queries_ == 2 and [h.tolist() for h in o.history_] == [[3, 0]]


def test_oracle_refuses_unlabelled_truth() -> None:
    with pytest.raises(ValueError, match="fully labelled pool"):
        SimulatedOracle(np.array([0, -1, 1]))


def test_oracle_refuses_bad_positions() -> None:
    with pytest.raises(FewlabelsError, match=r"positions in \[0, 2\].*\[5\]"):
        SimulatedOracle(np.array([0, 1, 1])).reveal([5])


@pytest.mark.parametrize(
    "truth", [np.array([0.0, 1.0]), np.array([[0, 1]])], ids=["floats", "two-d"]
)
def test_oracle_wants_a_1d_integer_truth(truth: np.ndarray) -> None:
    with pytest.raises(FewlabelsError, match=r"1-d integer array, but got shape \(\d"):
        SimulatedOracle(truth)


def test_oracle_counts_across_reveals_and_refuses_one_past_the_end() -> None:
    o = SimulatedOracle(np.array([2, 0, 1], dtype=np.int8))
    assert o.y_true.dtype == np.int64
    o.reveal([0])
    o.reveal([1, 2])
    assert o.n_queries_ == 3
    assert o.reveal(np.array([2.0])).tolist() == [1]  # float positions are read as integers
    with pytest.raises(FewlabelsError, match=r"positions in \[0, 2\].*\[3\]"):
        o.reveal([3])
    with pytest.raises(FewlabelsError, match=r"positions in \[0, 2\].*\[-1\]"):
        o.reveal([-1])
