"""A multi-label workspace end to end: init, suggest, label, undo, status, export, import."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fewlabels.errors import FewlabelsError, StateError
from fewlabels.store.label_store import UndoConflictError
from fewlabels.workspace import Workspace
from fewlabels.workspace.multilabel import (
    DEFAULT_STRATEGY,
    can_fit,
    check_multilabel_learner,
    check_multilabel_strategy,
    cross_fit_scores,
    indicator,
)

CLASSES = ["x", "y", "z"]


def _rows(n: int = 48, labelled: int = 16) -> pd.DataFrame:
    """Rows with three features; class k is in an item's set when feature k is above 0.5,
    so the sets are learnable. The first ``labelled`` rows carry their sets (``[]`` for the
    empty set: a blank cell is an unlabelled item)."""
    rng = np.random.default_rng(0)
    F = rng.random((n, 3))
    tags = ["|".join(c for c, v in zip(CLASSES, row, strict=True) if v > 0.5) for row in F]
    return pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(n)],
            "f1": F[:, 0],
            "f2": F[:, 1],
            "f3": F[:, 2],
            "tags": [(t or "[]") if i < labelled else None for i, t in enumerate(tags)],
            "truth": tags,
        }
    )


def _csv_workspace(tmp_path: Path, *, labelled: int = 16, **kw: object) -> Workspace:
    frame = _rows(labelled=labelled)
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "rows.csv"
    frame.drop(columns="truth").to_csv(path, index=False)
    return Workspace.init(
        tmp_path / "ws",
        data=str(path),
        features=["f1", "f2", "f3"],
        label="tags",
        id="id",
        classes=CLASSES,
        task="multilabel",
        sep="|",
        **kw,  # type: ignore[arg-type]
    )


# -- init -------------------------------------------------------------------------------------
def test_init_from_a_separator_column_imports_the_sets(tmp_path: Path) -> None:
    ws = _csv_workspace(tmp_path)
    frame = _rows()
    assert ws.multilabel and ws.store.multilabel
    assert ws.config.task == "multilabel" and ws.config.data.sep == "|"
    sets = ws.store.current_label_sets()
    assert len(sets) == 16  # the blank cells are unlabelled, not the empty set
    for i in range(16):
        want = tuple(t for t in frame.truth[i].split("|") if t)
        assert sets[f"r{i}"] == want
    assert {e.source for e in ws.store.current().values()} == {"imported"}
    again = Workspace.open(ws.root)  # the file says the task and the separator
    assert again.multilabel and again.store.current_label_sets() == sets
    assert not again.dataset().labeled_mask.any()  # a set is no class code


def test_init_from_json_lists_keeps_the_empty_set_apart_from_unlabelled(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    rows = [
        {"id": "a", "f": 0.1, "tags": ["x", "y"]},
        {"id": "b", "f": 0.2, "tags": []},
        {"id": "c", "f": 0.3, "tags": None},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    ws = Workspace.init(
        tmp_path / "ws", data=str(path), features=["f"], label="tags", id="id", task="multilabel"
    )
    assert ws.config.classes == ("x", "y")  # the sorted labels of the sets
    assert ws.store.current_label_sets() == {"a": ("x", "y"), "b": ()}
    Y = ws.label_indicator(["a", "b", "c"])
    assert Y.tolist() == [[1, 1], [0, 0], [-1, -1]]


def test_lists_mixed_with_scalars_name_the_rows(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    cells = [["x"], "y", ["x", "y"], "x"]
    path.write_text(
        "\n".join(json.dumps({"id": f"i{k}", "f": k, "tags": c}) for k, c in enumerate(cells)),
        encoding="utf-8",
    )
    with pytest.raises(
        FewlabelsError, match=r"mixes lists \(rows \[1, 3\]\) with single values \(rows \[2, 4\]"
    ):
        Workspace.init(
            tmp_path / "ws", data=str(path), features=["f"], label="tags", task="multilabel"
        )
    assert not (tmp_path / "ws").exists()  # nothing was written


def test_a_source_label_outside_the_classes_names_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    pd.DataFrame({"f": [1, 2, 3], "tags": ["x|q", "y", "q"]}).to_csv(path, index=False)
    with pytest.raises(FewlabelsError, match=r"unknown label\(s\) \['q'\] in rows \[1, 3\]"):
        Workspace.init(
            tmp_path / "ws",
            data=str(path),
            features=["f"],
            label="tags",
            classes=["x", "y"],
            task="multilabel",
            sep="|",
        )


def test_init_refusals_say_how_to_fix(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    pd.DataFrame({"f": [1, 2], "tags": ["x|y", "y"]}).to_csv(path, index=False)
    common = {"data": str(path), "features": ["f"], "label": "tags"}
    with pytest.raises(FewlabelsError, match="only with a multi-label task.*--task multilabel"):
        Workspace.init(tmp_path / "a", sep="|", **common)  # type: ignore[arg-type]
    with pytest.raises(FewlabelsError, match=r"Expected a task in \['single', 'multilabel'\]"):
        Workspace.init(tmp_path / "b", task="multi", **common)  # type: ignore[arg-type]
    with pytest.raises(
        FewlabelsError, match=r"'linear' is a single-label learner.*\['auto', 'one-vs-rest'\]"
    ):
        Workspace.init(
            tmp_path / "c",
            task="multilabel",
            sep="|",
            learner="linear",
            **common,  # type: ignore[arg-type]
        )
    with pytest.raises(FewlabelsError, match="Expected a table source.*'digits' is a builtin"):
        Workspace.init(tmp_path / "d", data="digits", task="multilabel")
    for sub in "abcd":
        assert not (tmp_path / sub).exists()


def test_a_single_label_init_on_a_column_of_lists_points_to_the_task(tmp_path: Path) -> None:
    path = tmp_path / "l.jsonl"
    path.write_text('{"f": 1, "tags": ["x", "y"]}\n{"f": 2, "tags": ["y"]}\n', encoding="utf-8")
    with pytest.raises(
        FewlabelsError, match=r"holds lists such as \['x', 'y'\].*--task multilabel"
    ):
        Workspace.init(tmp_path / "ws", data=str(path), features=["f"], label="tags")
    square = tmp_path / "s.csv"  # a class that only looks like a list stays a class
    pd.DataFrame({"f": [1, 2], "label": ["[draft]", "done"]}).to_csv(square, index=False)
    ws = Workspace.init(tmp_path / "ok", data=str(square), features=["f"], label="label")
    assert ws.config.classes == ("[draft]", "done")


def test_open_refuses_a_config_whose_task_differs_from_the_store(tmp_path: Path) -> None:
    ws = _csv_workspace(tmp_path)
    toml = ws.root / "fewlabels.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(
        text.replace('task = "multilabel"\n', "").replace('sep = "|"\n', ""), encoding="utf-8"
    )
    with pytest.raises(FewlabelsError, match=r"task in .* \('single'\) to match .*'multilabel'"):
        Workspace.open(ws.root)


# -- suggest ----------------------------------------------------------------------------------
def test_cold_start_round_has_no_guesses(tmp_path: Path) -> None:
    ws = _csv_workspace(tmp_path, labelled=0)
    rnd = ws.suggest(5)
    assert rnd.strategy == DEFAULT_STRATEGY and len(rnd.item_ids) == 5
    assert rnd.guesses == (None,) * 5 and "label_proba" not in rnd.metrics
    assert rnd.metrics["n_labelled"] == 0 and rnd.metrics["learner"] is None


def test_suggest_fits_one_vs_rest_and_records_per_class_probabilities(tmp_path: Path) -> None:
    ws = _csv_workspace(tmp_path)
    rnd = ws.suggest(6)
    assert rnd.strategy == "multilabel-uncertainty" and len(rnd.item_ids) == 6
    labelled = set(ws.store.current_label_sets())
    assert not labelled & set(rnd.item_ids)  # only unlabelled items are suggested
    proba = rnd.metrics["label_proba"]
    assert set(proba) == set(rnd.item_ids)
    assert all(len(p) == 3 and all(0.0 <= v <= 1.0 for v in p) for p in proba.values())
    th = rnd.metrics["thresholds"]
    for item, guess in zip(rnd.item_ids, rnd.guesses, strict=True):
        want = [c for c, p, t in zip(CLASSES, proba[item], th, strict=True) if p >= t]
        assert json.loads(str(guess)) == want  # the guess is the set above the thresholds
    assert rnd.metrics["learner"] == "one-vs-rest"
    assert rnd.metrics["n_labelled"] == 16
    assert (ws.root / "models" / f"round-{rnd.id:04d}.pkl").exists()


def test_strategies_and_learners_that_do_not_fit_are_refused_with_those_that_do(
    tmp_path: Path,
) -> None:
    ws = _csv_workspace(tmp_path)
    with pytest.raises(FewlabelsError, match=r"'badge' ranks a single-label.*'typiclust'"):
        ws.suggest(3, strategy="badge")
    with pytest.raises(FewlabelsError, match=r"'nope' is no strategy"):
        ws.suggest(3, strategy="nope")
    assert ws.store.rounds() == []  # nothing recorded
    assert ws.suggest(3, strategy="random").strategy == "random"
    assert check_multilabel_strategy(None) == "multilabel-uncertainty"
    assert check_multilabel_learner("auto") == "one-vs-rest"
    with pytest.raises(FewlabelsError, match=r"'knn' is a single-label learner.*'one-vs-rest'"):
        check_multilabel_learner("knn")


def test_a_single_label_workspace_refuses_the_multilabel_strategy(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    pd.DataFrame({"f": np.arange(8.0), "label": ["a", "b"] + [None] * 6}).to_csv(path, index=False)
    ws = Workspace.init(tmp_path / "ws", data=str(path), features=["f"], label="label")
    with pytest.raises(FewlabelsError, match="'multilabel-uncertainty' ranks per-label"):
        ws.suggest(2, strategy="multilabel-uncertainty")
    with pytest.raises(StateError, match="Expected a multi-label workspace"):
        ws.label_indicator(["0"])


# -- label and undo ---------------------------------------------------------------------------
def test_label_sets_empty_set_repeated_labels_and_undo(tmp_path: Path) -> None:
    ws = _csv_workspace(tmp_path, labelled=0)
    ev = ws.label("r1", ["z", "x", "x"], who="me")
    assert json.loads(str(ev.label)) == ["x", "z"]  # class order, repeats collapsed
    ws.label("r1", ["y"], who="me")
    ws.label("r2", [], who="me")  # none of the labels: a labelled item
    assert ws.store.current_label_sets() == {"r1": ("y",), "r2": ()}
    assert ws.status(with_accuracy=False).n_labelled == 2
    back = ws.undo()  # the latest label: r2's empty set
    assert back.item_id == "r2" and back.label is None
    back = ws.undo(item_id="r1")  # r1 gets its previous set again
    assert json.loads(str(back.label)) == ["x", "z"]
    assert ws.store.current_label_sets() == {"r1": ("x", "z")}
    with pytest.raises(UndoConflictError, match="'r2' to carry a human label"):
        ws.undo(item_id="r2")


def test_a_class_outside_the_set_writes_nothing(tmp_path: Path) -> None:
    ws = _csv_workspace(tmp_path, labelled=0)
    with pytest.raises(FewlabelsError, match=r"among \['x', 'y', 'z'\], but got \['q'\]"):
        ws.label("r1", ["x", "q"], who="me")
    with pytest.raises(FewlabelsError, match="single str 'x'"):
        ws.label("r1", "x", who="me")
    assert ws.store.history() == []


# -- status -----------------------------------------------------------------------------------
def test_status_counts_scores_and_prediction(tmp_path: Path) -> None:
    ws = _csv_workspace(tmp_path, labelled=24)
    ws.label("r30", [], who="me")
    st = ws.status()
    frame = _rows()
    truth = [frame.truth[i] for i in range(24)]
    assert st.multilabel and st.n_labelled == 25 and st.n_empty == 1 + truth.count("")
    for c in CLASSES:
        assert st.labelled_per_class[c] == sum(c in t.split("|") for t in truth)
    assert st.cv_accuracy is None and st.label_scores is not None
    assert st.label_scores.n_items == 25 and st.label_scores.n_folds == 5
    assert st.label_scores.micro_f1 > 0.7  # the sets follow the features: learnable
    assert set(st.label_scores.per_label) == set(CLASSES)
    assert st.prediction is not None and st.prediction.multilabel
    assert "would give each class to" in st.prediction.message()
    assert "would get no label" in st.prediction.message()


def test_status_without_enough_labels_has_no_scores(tmp_path: Path) -> None:
    ws = _csv_workspace(tmp_path, labelled=0)
    for i in range(5):  # MIN_SCORED is 6
        ws.label(f"r{i}", ["x"] if i % 2 else [], who="me")
    st = ws.status()
    assert st.label_scores is None and st.n_labelled == 5
    assert st.prediction is not None and st.prediction.kind == "learner"


# -- export and import ------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export_and_import_through_the_workspace(tmp_path: Path, fmt: str) -> None:
    ws = _csv_workspace(tmp_path / "one", labelled=0)
    ws.label("r1", ["x", "y"], who="me")
    ws.label("r2", [], who="me")
    out = ws.export(tmp_path / f"labels.{fmt}")
    other = _csv_workspace(tmp_path / "two", labelled=0)
    report = other.import_labels(out)
    assert report.ok and report.written == 2
    assert other.store.current_label_sets() == {"r1": ("x", "y"), "r2": ()}
    assert other.status(with_accuracy=False).n_empty == 1


# -- the pure helpers -------------------------------------------------------------------------
def test_indicator_and_can_fit() -> None:
    Y = indicator(["a", "b", "c"], {"a": ["y"], "c": []}, ["x", "y"])
    assert Y.tolist() == [[0, 1], [-1, -1], [0, 0]]
    assert can_fit(Y)  # y is in a's set and not in c's
    assert not can_fit(indicator(["a", "b"], {"a": ["y"]}, ["x", "y"]))  # one labelled item
    both = indicator(["a", "b"], {"a": ["x"], "b": ["x"]}, ["x", "y"])
    assert not can_fit(both)  # every class constant over the labels


def test_cross_fit_scores_perfect_on_separable_sets() -> None:
    rng = np.random.default_rng(1)
    X = np.zeros((40, 2))
    Y = np.zeros((40, 2), dtype=np.int8)
    for i in range(40):
        Y[i] = [i % 2, (i // 2) % 2]
        X[i] = np.where(Y[i] == 1, 1.0, -1.0) + rng.normal(0, 0.05, 2)
    scores = cross_fit_scores(X, Y, ["p", "q"], random_state=0)
    assert scores is not None
    assert scores.micro_f1 == pytest.approx(1.0) and scores.macro_f1 == pytest.approx(1.0)
    assert scores.n_items == 40 and scores.n_folds == 5
    Y[6:] = -1  # six labelled rows still score; five do not
    assert cross_fit_scores(X, Y, ["p", "q"]) is not None
    Y[5] = -1
    assert cross_fit_scores(X, Y, ["p", "q"]) is None
