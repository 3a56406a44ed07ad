"""`status` says when the current model's predictions over the pool collapse onto one class."""

from __future__ import annotations

from fewlabels.workspace.status import PoolPrediction


def test_a_collapsed_prediction_is_warned_in_the_status_line() -> None:
    collapsed = PoolPrediction(
        "zero-shot", "zero-shot from class names", {"great": 0.97, "bad": 0.03}, 100
    )
    line = collapsed.message()
    assert line.startswith("zero-shot from class names would predict: great 97%, bad 3%")
    assert "Warning: It predicts class 'great' for 97.0% of the rows" in line
    assert collapsed.collapse() is not None


def test_a_spread_prediction_has_no_warning() -> None:
    spread = PoolPrediction("learner", "the learner 'auto'", {"great": 0.94, "bad": 0.06}, 50)
    assert spread.collapse() is None and "Warning" not in spread.message()
    none = PoolPrediction(None, "", {}, 0, unavailable="no text side")
    assert none.collapse() is None and none.message().startswith("no model's prediction yet")
