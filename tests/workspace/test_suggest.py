"""One round of suggestions: the model's columns are aligned to every class code; the previous
round is closed and what it left is said."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from fewlabels.cli import app
from fewlabels.store import LabelStore
from fewlabels.typing import UNLABELED
from fewlabels.workspace import Workspace, suggest
from fewlabels.workspace.suggest import close_previous_round, leftover_message, plan_round


def _cli(*args: str) -> tuple[int, str]:
    r = CliRunner().invoke(app, list(args))
    return r.exit_code, " ".join(r.output.split())


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
    monkeypatch.setattr(suggest, "_get_learner", lambda name, seed, zero_shot=None: _Reversed())
    X, y = _pool()
    plan = plan_round(X, y, n=3, n_classes=3, strategy="random")
    assert plan.guesses == [2, 2, 2]
    assert plan.confidences == pytest.approx([0.9, 0.9, 0.9])


def test_suggest_closes_the_previous_round_and_says_what_it_left(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws", data="digits")
    first = ws.suggest(n=4)
    assert first.metrics["previous_round"] is None
    ws.store.add_label(first.item_ids[0], ws.config.classes[0])
    code, out = _cli("suggest", "-w", str(ws.root), "-n", "4")
    assert code == 0, out
    assert "round 1 closed with 3 item(s) unlabelled: they returned to the pool" in out
    rounds = Workspace.open(ws.root).store.rounds()
    assert rounds[0].closed is not None and rounds[0].left_ids == first.item_ids[1:]
    info = rounds[1].metrics["previous_round"]
    assert info == {"round": 1, "left": 3, "left_ids": list(first.item_ids[1:])}
    report = json.loads((ws.root / "reports" / "round-0002.json").read_text())
    assert report["previous_round"]["left"] == 3


def test_close_previous_round_and_its_message(tmp_path: Path) -> None:
    store = LabelStore(tmp_path / "labels.db", classes=["a", "b"])
    store.add_items(["x", "y"], hashes=["1", "2"])
    assert close_previous_round(store) is None
    store.add_round("random", ["x", "y"])
    store.add_labels([("x", "a"), ("y", "b")])
    done = close_previous_round(store)
    assert done == {"round": 1, "left": 0, "left_ids": []}
    assert leftover_message({"previous_round": done}) is None
    assert leftover_message({}) is None
    msg = leftover_message({"previous_round": {"round": 4, "left": 2, "left_ids": ["p", "q"]}})
    assert msg == (
        "round 4 closed with 2 item(s) unlabelled: they returned to the pool "
        "(the new round may pick them again)."
    )


def test_a_round_writes_its_report_and_model_whole_and_skips_a_model_that_will_not_pickle(
    tmp_path: Path,
) -> None:
    ws = Workspace.init(tmp_path / "ws", data="digits")
    ws._write_round_files(7, "random", ["a", "b"], {"accuracy": 0.5}, {"fitted": True})
    report = json.loads((ws.root / "reports" / "round-0007.json").read_text())
    assert report == {"round": 7, "strategy": "random", "selected": ["a", "b"], "accuracy": 0.5}
    import pickle

    assert pickle.loads((ws.root / "models" / "round-0007.pkl").read_bytes()) == {"fitted": True}
    ws._write_round_files(8, "random", [], {}, lambda x: x)  # a lambda does not pickle
    assert (ws.root / "reports" / "round-0008.json").exists()
    assert not (ws.root / "models" / "round-0008.pkl").exists()
    leftovers = [p.name for p in (ws.root / "models").iterdir() if p.name.startswith(".")]
    assert leftovers == []  # no temporary file left behind
