"""The workspace commands on a multi-label workspace: init --task multilabel, label, undo,
status, export and import from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from fewlabels.cli import app
from fewlabels.workspace import Workspace

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    """Run a command; its output with rich's line wrapping undone."""
    r = runner.invoke(app, list(args))
    return r.exit_code, " ".join(r.output.split())


def _table(path: Path) -> Path:
    rng = np.random.default_rng(0)
    F = rng.random((30, 2))
    tags = ["|".join(c for c, v in zip("ab", row, strict=True) if v > 0.5) or "[]" for row in F]
    pd.DataFrame(
        {
            "id": [f"i{k}" for k in range(30)],
            "f1": F[:, 0],
            "f2": F[:, 1],
            "tags": [t if k < 10 else None for k, t in enumerate(tags)],
        }
    ).to_csv(path, index=False)
    return path


def _init(tmp_path: Path) -> str:
    ws = str(tmp_path / "ws")
    code, out = _run(
        "init",
        ws,
        "--data",
        str(_table(tmp_path / "rows.csv")),
        "--features",
        "f1,f2",
        "--label",
        "tags",
        "--id",
        "id",
        "--task",
        "multilabel",
        "--sep",
        "|",
    )
    assert code == 0, out
    assert (
        "30 item(s), multi-label, classes ['a', 'b']" in out and "10 imported label set(s)" in out
    )
    return ws


def test_init_suggest_label_undo_status_export_import(tmp_path: Path) -> None:
    ws = _init(tmp_path)
    code, out = _run("suggest", "-w", ws, "-n", "3")
    assert code == 0 and "round 1 (multilabel-uncertainty): 3 item(s)" in out, out
    code, out = _run("label", "-w", ws, "i20", "i21", "--labels", "b,a")
    assert code == 0, out
    assert "labelled i20 as {a, b} — undo with `fewlabels undo -w" in out
    assert "labelled i21 as {a, b}" in out
    code, out = _run("label", "-w", ws, "i22", "-l", "a", "-l", "b")  # repeated
    assert code == 0 and "labelled i22 as {a, b}" in out, out
    code, out = _run("label", "-w", ws, "i23", "--empty")
    assert code == 0 and "labelled i23 as no labels" in out, out
    store = Workspace.open(ws).store
    assert store.current_label_sets()["i23"] == ()
    code, out = _run("label", "-w", ws, "i24", "--labels", "")  # an empty list: the empty set
    assert code == 0 and "labelled i24 as no labels" in out, out
    code, out = _run("undo", "-w", ws)
    assert code == 0 and "undid the label of i24: unlabelled again" in out, out
    code, out = _run("label", "-w", ws, "i20", "--labels", "a")
    code, out = _run("undo", "-w", ws, "--item", "i20")
    assert code == 0 and "undid the label of i20: back to {a, b}" in out, out
    code, out = _run("status", "-w", ws)
    assert code == 0, out
    n_empty = sum(1 for s in store.current_label_sets().values() if not s)
    assert f"14 of 30 item(s) labelled ({n_empty} with no label: the empty set)" in out
    assert "cross-fitted micro-F1" in out and "per-class F1: a" in out
    assert "would give each class to: a" in out
    target = tmp_path / "labels.jsonl"
    code, out = _run("export", str(target), "-w", ws)
    assert code == 0
    first = json.loads(target.read_text(encoding="utf-8").splitlines()[0])
    assert isinstance(first["label"], list)
    other = tmp_path / "other"
    other.mkdir()
    ws2 = _init(other)
    code, out = _run("import", str(target), "-w", ws2, "--overwrite")
    assert code == 0, out
    assert (
        Workspace.open(ws2).store.current_label_sets()
        == Workspace.open(ws).store.current_label_sets()
    )


def test_bad_input_from_the_command_line(tmp_path: Path) -> None:
    ws = _init(tmp_path)
    code, out = _run("label", "-w", ws, "i20", "--labels", "a,zzz")
    assert code == 2 and "Expected classes among ['a', 'b'], but got ['zzz']" in out, out
    code, out = _run("label", "-w", ws, "i20", "--labels", "a", "--empty")
    assert code == 2 and "either --empty (no labels) or --labels" in out, out
    code, out = _run("label", "-w", ws, "--labels", "a")
    assert code == 2 and "Expected the ids of the items to label" in out, out
    code, out = _run("label", "-w", ws, "nope", "--labels", "a")
    assert code == 2 and "'nope' is not in" in out, out
    code, out = _run("suggest", "-w", ws, "-s", "badge")
    assert code == 2 and "Use one of ['random', 'coreset', 'typiclust'" in out, out
    code, out = _run("undo", "-w", ws, "--item", "i0")
    assert code == 2 and "'i0' to carry a human label to undo, but it has an imported" in out
    assert Workspace.open(ws).store.current_labels(sources=("human",)) == {}


def test_single_label_workspace_labels_one_class_from_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    pd.DataFrame({"id": ["p", "q"], "f": [0.0, 1.0]}).to_csv(path, index=False)
    ws = str(tmp_path / "ws")
    code, out = _run(
        "init", ws, "--data", str(path), "--features", "f", "--id", "id", "--classes", "a,b"
    )
    assert code == 0, out
    code, out = _run("label", "-w", ws, "p", "--labels", "b")
    assert code == 0 and "labelled p as 'b'" in out, out
    code, out = _run("label", "-w", ws, "q", "--labels", "a,b")
    assert code == 2 and "Expected exactly one class for item 'q'" in out, out
    code, out = _run("label", "-w", ws, "q", "--empty")
    assert code == 2 and "the set is empty" in out, out
    code, out = _run("undo", "-w", ws)
    assert code == 0 and "undid the label of p: unlabelled again" in out, out
    code, out = _run(
        "init", str(tmp_path / "w2"), "--data", str(path), "--features", "f", "--sep", "|"
    )
    assert code == 2 and "only with a multi-label task" in out, out
