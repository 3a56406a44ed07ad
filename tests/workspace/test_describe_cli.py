"""`fewlabels init --describe` and `fewlabels describe`, and the zero-shot lines they lead to."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from fakes import FakeTextEncoder
from fewlabels.cli import app
from fewlabels.workspace import Workspace

runner = CliRunner()


@pytest.fixture(autouse=True)
def _fake_encoder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("fewlabels.encode.get_encoder", lambda name, **kw: FakeTextEncoder())


def _run(*args: str) -> tuple[int, str]:
    """Run a command: its exit code and output with rich's line wrapping undone."""
    r = runner.invoke(app, list(args))
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception  # no traceback
    return r.exit_code, " ".join(r.output.split())


@pytest.fixture
def source(tmp_path: Path) -> Path:
    words = ("apple", "river", "stone")
    path = tmp_path / "t.csv"
    pd.DataFrame(
        {"id": [f"t{i}" for i in range(12)], "text": [f"{words[i % 3]} n {i}" for i in range(12)]}
    ).to_csv(path, index=False)
    return path


def _init(ws: Path, source: Path, *extra: str) -> tuple[int, str]:
    return _run(
        "init",
        str(ws),
        "--data",
        str(source),
        "--text",
        "text",
        "--id",
        "id",
        "--classes",
        "fruit,water,rock",
        *extra,
    )


def test_init_describe_then_suggest_and_status_use_zero_shot(tmp_path: Path, source: Path) -> None:
    desc = tmp_path / "d.toml"
    desc.write_text('fruit = "apple"\nwater = ["river"]\n')
    ws = tmp_path / "ws"
    code, out = _init(ws, source, "--describe", str(desc), "--describe-class", "rock=stone")
    assert code == 0, out
    assert "3 class(es) described" in out
    cfg = Workspace.open(ws).config
    assert cfg.descriptions == {"fruit": ("apple",), "water": ("river",), "rock": ("stone",)}
    code, out = _run("suggest", "-w", str(ws), "-n", "3")
    assert (
        code == 0 and "the guesses shown come from zero-shot (class names and descriptions)" in out
    )
    code, out = _run("status", "-w", str(ws))
    assert code == 0, out
    assert (
        "zero-shot from class names and descriptions would predict: fruit 33%, water 33%, "
        "rock 33% (of 12 item(s))" in out
    )


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("d.yaml", "fruit: apple", r"ending in .toml or .json .* but got '.*d.yaml'"),
        ("d.json", "{fruit: 1}", r"Expected valid JSON in the descriptions file .*d.json"),
        (
            "d.toml",
            'pear = "green"',
            r"descriptions only for the classes \['fruit', 'water', 'rock'\]",
        ),
        ("d.toml", 'fruit = ""', r"non-empty description for class 'fruit'"),
    ],
)
def test_init_with_a_bad_descriptions_file_exits_2_and_writes_nothing(
    tmp_path: Path, source: Path, name: str, content: str, match: str
) -> None:
    (tmp_path / name).write_text(content)
    code, out = _init(tmp_path / "ws", source, "--describe", str(tmp_path / name))
    assert code == 2 and out.startswith("error:"), out
    assert re.search(match, out), out
    assert not (tmp_path / "ws" / "fewlabels.toml").exists()


def test_describe_replaces_prints_and_clears(tmp_path: Path, source: Path) -> None:
    ws = tmp_path / "ws"
    assert _init(ws, source, "--describe-class", "fruit=apple")[0] == 0
    new = tmp_path / "new.json"
    new.write_text(json.dumps({"water": ["river", "lake"]}))
    code, out = _run("describe", str(new), "-w", str(ws))
    assert code == 0 and "1 class(es) described" in out, out
    assert Workspace.open(ws).config.descriptions == {"water": ("river", "lake")}
    code, out = _run("describe", "-w", str(ws))
    assert code == 0 and "water: river water: lake" in out, out
    code, out = _run("describe", "-w", str(ws), "--describe-class", "nope")
    assert code == 2 and "'class=sentence', but got 'nope'" in out, out
    code, out = _run("describe", "-w", str(ws), "--describe-class", "pear=green")
    assert code == 2 and "['pear']" in out, out
    assert Workspace.open(ws).config.descriptions == {"water": ("river", "lake")}  # unchanged
    code, out = _run("describe", str(new), "--clear", "-w", str(ws))
    assert code == 2 and "either --clear or new descriptions" in out, out
    code, out = _run("describe", "--clear", "-w", str(ws))
    assert code == 0 and "no class descriptions" in out, out
    assert Workspace.open(ws).config.descriptions == {}
