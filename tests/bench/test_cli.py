from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fewlabels.cli import app

TOML = """
name = "clitiny"
seeds = [0]
budgets = [2]
methods = ["ncm", "logreg-labelled", "sklearn-label-spreading", "ceiling"]
[[datasets]]
name = "breast_cancer"
encoder = "tabular"
"""


def _flat(text: str) -> str:
    """Undo the console's line wrapping."""
    return " ".join(text.split())


def test_bench_then_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("p.toml").write_text(TOML)
    runner = CliRunner()
    done = runner.invoke(app, ["bench", "--protocol", "p.toml", "--cache-dir", "cache"])
    assert done.exit_code == 0, done.output
    text = _flat(done.output)
    assert "4 ok, 0 failed, 0 n/a" in text
    # the headline, judged on accuracy and macro-F1 beside the majority class
    assert re.search(r"accuracy and macro-F1, above the majority class\) met in [01] of 1 ", text)
    assert "met in 1 of 1" in text or "missed on breast_cancer (tabular) 2/class: " in text
    out = Path("runs") / "clitiny"  # the default run folder
    assert (out / "report" / "report.html").is_file()
    rep = runner.invoke(app, ["report"])  # the latest run folder under runs/
    assert rep.exit_code == 0, rep.output
    assert "reporting runs/clitiny" in rep.output
    assert "breast_cancer (tabular)" in Path("report/report.md").read_text()
    rep = runner.invoke(app, ["report", str(out / "results.csv"), "--out", "r2"])
    assert rep.exit_code == 0, rep.output
    wrong = runner.invoke(app, ["report", str(out), "--protocol", "quick", "--out", "r3"])
    assert wrong.exit_code == 2
    assert "different protocol than 'quick'" in _flat(wrong.output)


def test_bench_unknown_protocol_lists_the_packaged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(app, ["bench", "--protocol", "quik"])
    assert res.exit_code == 2
    assert "Packaged protocols:" in _flat(res.output) and "quick" in res.output
    assert not Path("runs").exists()
    listed = CliRunner().invoke(app, ["bench", "--list"])
    assert listed.exit_code == 0 and "standard" in listed.output
    none = CliRunner().invoke(app, ["report"])
    assert none.exit_code == 2 and "no run folder under runs/" in _flat(none.output)
