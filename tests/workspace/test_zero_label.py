"""A workspace with no labels: zero-shot guesses from class names and descriptions."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from fakes import FakeTextEncoder
from fewlabels.errors import FewlabelsError
from fewlabels.workspace import Workspace
from fewlabels.workspace.suggest import plan_round, predict_pool, zero_shot_learner

WORDS = ("apple", "river", "stone")


@pytest.fixture(autouse=True)
def _fake_encoder(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every workspace here embeds with the fake text encoder (it has a text side)."""
    monkeypatch.setattr("fewlabels.encode.get_encoder", lambda name, **kw: FakeTextEncoder())


def _texts(tmp_path: Path) -> Path:
    """30 texts whose first word (apple, river, stone) is what they are about."""
    path = tmp_path / "t.csv"
    pd.DataFrame(
        {
            "id": [f"t{i}" for i in range(30)],
            "text": [f"{WORDS[i % 3]} item number {i}" for i in range(30)],
        }
    ).to_csv(path, index=False)
    return path


def _ws(tmp_path: Path, classes: list[str], **kw: Any) -> Workspace:
    return Workspace.init(
        tmp_path / "ws", data=str(_texts(tmp_path)), text="text", id="id", classes=classes, **kw
    )


def _first_words(ws: Workspace, ids: Sequence[str]) -> list[str]:
    ds = ws.dataset()
    text = dict(zip(ds.ids, ds.inputs, strict=True))
    return [str(text[i]).split()[0] for i in ids]


def test_suggest_without_labels_shows_zero_shot_guesses(tmp_path: Path) -> None:
    ws = _ws(tmp_path, list(WORDS))
    rnd = ws.suggest(6)
    assert rnd.strategy == "typiclust"  # the items are still chosen by the cold-start strategy
    assert rnd.metrics["guesses_from"] == "zero-shot" and rnd.metrics["learner"] is None
    assert list(rnd.guesses) == _first_words(ws, rnd.item_ids)
    assert all(c is not None and 0.5 < c <= 1.0 for c in rnd.confidences)
    st = ws.status()
    assert st.prediction is not None and st.prediction.kind == "zero-shot"
    assert st.prediction.shares == pytest.approx({w: 1 / 3 for w in WORDS})
    assert st.prediction.n_items == 30
    assert st.prediction.message() == (
        "zero-shot from class names would predict: apple 33%, river 33%, stone 33% (of 30 item(s))"
    )


def test_descriptions_steer_the_zero_shot_guesses(tmp_path: Path) -> None:
    ws = _ws(tmp_path, ["fruit", "water", "rock"])
    right = {"apple": "fruit", "river": "water", "stone": "rock"}

    def zero_shot_right(w: Workspace) -> float:
        """The share of the pool the zero-shot model gets right."""
        emb = w.embeddings()
        X = np.asarray(emb.X)
        pred = np.asarray(w.config.classes)[w.zero_shot().fit(X, emb.dataset.labels).predict(X)]
        truth = [right[t] for t in _first_words(w, [str(i) for i in emb.dataset.ids])]
        return float(np.mean(pred == truth))

    assert zero_shot_right(ws) < 0.9  # names alone: nothing links "water" to "river"
    ws.set_descriptions({"fruit": "apple", "water": ["river", "river bank"], "rock": "stone"})
    again = Workspace.open(ws.root)
    assert again.config.descriptions["water"] == ("river", "river bank")
    rnd = again.suggest(6)
    assert list(rnd.guesses) == [right[w] for w in _first_words(again, rnd.item_ids)]
    assert zero_shot_right(again) == 1.0
    after = again.status().prediction
    assert after is not None
    assert after.model == "zero-shot from class names and descriptions"
    assert after.shares == pytest.approx({"fruit": 1 / 3, "water": 1 / 3, "rock": 1 / 3})


def test_set_descriptions_checks_before_it_writes(tmp_path: Path) -> None:
    ws = _ws(tmp_path, list(WORDS), descriptions={"apple": "a red fruit"})
    cfg_file = ws.root / "fewlabels.toml"
    before = cfg_file.read_text()
    with pytest.raises(FewlabelsError, match=r"only for the classes .*\['pear'\]"):
        ws.set_descriptions({"pear": "green"})
    assert cfg_file.read_text() == before and ws.config.descriptions == {"apple": ("a red fruit",)}
    ws.set_descriptions({})
    assert Workspace.open(ws.root).config.descriptions == {}


def test_init_refuses_descriptions_of_unknown_classes_and_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(FewlabelsError, match=r"only for the classes"):
        _ws(tmp_path, list(WORDS), descriptions={"pear": "green"})
    assert not (tmp_path / "ws" / "fewlabels.toml").exists()


def test_one_labelled_class_keeps_zero_shot_two_switch_to_the_learner(tmp_path: Path) -> None:
    ws = _ws(tmp_path, list(WORDS))
    ws.store.add_label("t0", "apple")
    st = ws.status()
    assert st.prediction is not None and st.prediction.kind == "zero-shot"
    assert ws.suggest(3).metrics["guesses_from"] == "zero-shot"
    for i in range(1, 6):
        ws.store.add_label(f"t{i}", WORDS[i % 3])
    rnd = ws.suggest(3)
    assert rnd.metrics["guesses_from"] == "auto" and rnd.strategy == "badge"
    pred = ws.status().prediction
    assert pred is not None and pred.kind == "learner"
    assert pred.model.startswith("the learner 'auto' (chose ")
    assert sum(pred.shares.values()) == pytest.approx(1.0)


def test_without_a_text_side_status_says_zero_shot_is_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fewlabels.encode.registry import get_encoder

    monkeypatch.setattr("fewlabels.encode.get_encoder", get_encoder)  # the real tabular one
    rng = np.random.default_rng(0)
    path = tmp_path / "rows.csv"
    pd.DataFrame({"id": [f"r{i}" for i in range(12)], "x": rng.normal(size=12)}).to_csv(
        path, index=False
    )
    ws = Workspace.init(tmp_path / "ws", data=str(path), features=["x"], classes=["a", "b"])
    pred = ws.status().prediction
    rnd = ws.suggest(4)
    assert pred is not None and pred.kind is None and pred.shares == {}
    assert pred.message().startswith("no model's prediction yet: zero-shot is unavailable.")
    assert "'tabular' has no text side" in pred.message()
    assert "once 2 classes have labels" in pred.message()
    assert rnd.metrics["guesses_from"] is None and list(rnd.guesses) == [None] * 4


def test_plan_round_and_predict_pool_on_arrays(fake_encoder: FakeTextEncoder) -> None:
    texts = [f"{WORDS[i % 3]} row {i}" for i in range(12)]
    X = fake_encoder.encode(texts)
    y = np.full(12, -1)
    zs = zero_shot_learner(fake_encoder, WORDS, {"apple": ["apple pie"]})
    plan = plan_round(X, y, n=4, n_classes=3, strategy="random", zero_shot=zs)
    assert plan.model is None and plan.guess_model is zs
    assert [WORDS[g] for g in plan.guesses if g is not None] == [
        texts[p].split()[0] for p in plan.positions
    ]
    pred = predict_pool(X, y, class_names=WORDS, zero_shot=zero_shot_learner(fake_encoder, WORDS))
    assert pred.kind == "zero-shot" and pred.model == "zero-shot from class names"
    none = predict_pool(X, y, class_names=WORDS, zero_shot_unavailable="No text side.")
    assert none.kind is None and "No text side." in str(none.unavailable)
