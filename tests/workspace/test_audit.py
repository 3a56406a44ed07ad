"""The audit of a workspace: Workspace.audit, `fewlabels audit`, and the line in `status`."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from fakes import FakeTextEncoder
from fewlabels.cli import app
from fewlabels.errors import FewlabelsError
from fewlabels.workspace import Workspace

WORDS = ("apple", "river", "stone")
runner = CliRunner()


@pytest.fixture(autouse=True)
def _fake_encoder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("fewlabels.encode.get_encoder", lambda name, **kw: FakeTextEncoder())


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    """45 texts about apples, rivers and stones; 18 labelled, t4 (a river) labelled apple."""
    labels = [WORDS[i % 3] if i < 18 else "" for i in range(45)]
    labels[4] = "apple"
    pd.DataFrame(
        {
            "id": [f"t{i}" for i in range(45)],
            "text": [f"{WORDS[i % 3]} item number {i}" for i in range(45)],
            "label": labels,
        }
    ).to_csv(tmp_path / "t.csv", index=False)
    return Workspace.init(
        tmp_path / "ws", data=str(tmp_path / "t.csv"), text="text", id="id", label="label"
    )


def _run(*args: str) -> tuple[int, str]:
    r = runner.invoke(app, list(args))
    return r.exit_code, " ".join(r.output.split())


def test_the_wrong_label_comes_first(ws: Workspace) -> None:
    audit = ws.audit()
    assert audit.n_labelled == 18 and audit.n_flagged == 1
    first = audit.rows[0]
    assert (first.item_id, first.given, first.suggested, first.flagged) == (
        "t4",
        "apple",
        "river",
        True,
    )
    assert first.p_suggested > 0.5 and first.quality < 0.5
    assert [r.item_id for r in ws.audit(learner="knn", top=2).rows][:1] == ["t4"]
    assert len(ws.audit(top=2).rows) == 2
    st = ws.status()
    assert st.n_suspect == 1


def test_bad_input_is_explained(ws: Workspace) -> None:
    with pytest.raises(FewlabelsError, match=r"top to be a whole number >= 1.*got 0"):
        ws.audit(top=0)
    with pytest.raises(FewlabelsError, match="nope"):
        ws.audit(learner="nope")


def test_audit_and_status_commands(ws: Workspace, tmp_path: Path) -> None:
    root = str(ws.root)
    code, out = _run("audit", "-w", root, "--top", "3")
    assert code == 0, out
    assert "1 of 18 label(s) look suspect" in out
    assert "you said" in out and "the model thinks" in out
    assert "t4 │ apple │ river" in out
    target = tmp_path / "audit.csv"
    code, out = _run("audit", "-w", root, "--csv", str(target))
    assert code == 0 and "wrote 18 audited label(s)" in out, out
    rows = list(csv.DictReader(target.open()))
    assert rows[0]["item_id"] == "t4" and rows[0]["flagged"] == "True" and len(rows) == 18
    code, out = _run("status", "-w", root)
    assert code == 0 and f"1 label(s) look suspect (fewlabels audit -w {root})" in out, out
    code, out = _run("audit", "-w", root, "--top", "0")
    assert code == 2 and "--top to be a whole number >= 1" in out
    code, out = _run("audit", "-w", root, "--learner", "zero-shot")
    assert code == 2 and "learns from labels" in out


def test_a_workspace_without_two_labelled_classes_says_what_to_do(tmp_path: Path) -> None:
    pd.DataFrame({"id": ["a", "b", "c"], "text": ["x", "y", "z"]}).to_csv(tmp_path / "t.csv")
    ws = Workspace.init(
        tmp_path / "ws", data=str(tmp_path / "t.csv"), text="text", id="id", classes=list(WORDS)
    )
    with pytest.raises(FewlabelsError, match="at least 2 classes to audit.*Label more"):
        ws.audit()
    assert ws.status().n_suspect is None


def test_an_audit_whose_model_is_at_chance_warns_on_the_command_line(tmp_path: Path) -> None:
    # every text says the same thing; the labels cannot be learnt from them
    labels = ["apple", "river"] * 10 + [""] * 10
    pd.DataFrame(
        {
            "id": [f"t{i}" for i in range(30)],
            "text": ["stone item"] * 30,
            "label": labels,
        }
    ).to_csv(tmp_path / "t.csv", index=False)
    ws = Workspace.init(
        tmp_path / "ws", data=str(tmp_path / "t.csv"), text="text", id="id", label="label"
    )
    assert not ws.audit().informative
    code, out = _run("audit", "-w", str(ws.root))
    assert code == 0, out
    assert "Warning: The cross-fitted" in out and "barely beats chance" in out
    # the strong fixture's audit says nothing of the kind
    code, out = _run("audit", "-w", str(ws.root).replace("ws", "none"))
    assert code == 2
