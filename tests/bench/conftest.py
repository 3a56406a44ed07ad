"""Shared fixtures of the bench tests: tiny protocols and fast fake methods."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin

from fewlabels.bench.methods import MethodSpec, register_method, unregister_method


class MajorityOfLabelled(ClassifierMixin, BaseEstimator):
    """Predicts the most frequent labelled class: a fast, known-answer fake method."""

    def fit(self, X: np.ndarray, y: np.ndarray) -> MajorityOfLabelled:
        labelled = y[y != -1]
        self.classes_ = np.unique(labelled)
        self.majority_ = int(np.bincount(labelled).argmax())
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.full(len(X), self.majority_, dtype=np.int64)


class Explodes(ClassifierMixin, BaseEstimator):
    """Raises in fit: to check that a failing method does not stop the run."""

    def fit(self, X: np.ndarray, y: np.ndarray) -> Explodes:
        raise RuntimeError("boom from a fake method")


@pytest.fixture
def fake_methods() -> Iterator[None]:
    register_method(MethodSpec("fake-majority", "custom", lambda ctx: MajorityOfLabelled()))
    register_method(MethodSpec("fake-explodes", "custom", lambda ctx: Explodes()))
    yield
    unregister_method("fake-majority")
    unregister_method("fake-explodes")


TINY = """
name = "tiny"
seeds = [0, 1]
budgets = [1, 3]
methods = {methods}

[[datasets]]
name = "wine"
encoder = "tabular"
"""


@pytest.fixture
def tiny_toml(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(
        TINY.format(
            methods='["fake-majority", "fake-explodes", "logreg-labelled", "setfit", "ceiling"]'
        )
    )
    return path
