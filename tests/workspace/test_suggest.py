"""One round of suggestions: the model's columns are aligned to every class code."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from fewlabels.typing import UNLABELED
from fewlabels.workspace import suggest
from fewlabels.workspace.suggest import plan_round


def _pool() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    centres = np.eye(3) * 5
    X = np.vstack([c + rng.normal(0, 0.3, (10, 3)) for c in centres])
    y = np.full(30, UNLABELED, dtype=np.int64)
    y[[0, 1, 2]] = 0
    y[[20, 21, 22]] = 2  # class 1 has no label yet: the model only knows codes 0 and 2
    return X, y


def test_a_learner_fitted_on_codes_0_and_2_guesses_only_those() -> None:
    X, y = _pool()
    plan = plan_round(X, y, n=6, n_classes=3, strategy="random", learner="ncm")
    assert plan.model is not None and list(plan.model.classes_) == [0, 2]
    assert len(plan.positions) == 6 and set(plan.guesses) <= {0, 2}
    assert all(c is not None and 0.0 <= c <= 1.0 for c in plan.confidences)
    assert plan.metrics["labelled_per_class"] == [3, 0, 3]


class _Reversed:
    """A fitted model whose ``classes_`` are [2, 0]: column 0 is class 2."""

    classes_ = np.array([2, 0])

    def fit(self, X: Any, y: Any) -> _Reversed:
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        return np.tile([0.9, 0.1], (len(X), 1))


def test_columns_follow_classes_not_position(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(suggest, "_get_learner", lambda name, seed: _Reversed())
    X, y = _pool()
    plan = plan_round(X, y, n=3, n_classes=3, strategy="random")
    assert plan.guesses == [2, 2, 2]
    assert plan.confidences == pytest.approx([0.9, 0.9, 0.9])
