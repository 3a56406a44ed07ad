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
