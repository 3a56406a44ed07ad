"""The workspace commands: init, suggest, status, export, import (thin faces over Workspace)."""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from fewlabels.cli import app
from fewlabels.workspace import Workspace

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    """Run a command; its output with rich's line wrapping undone."""
    r = runner.invoke(app, list(args))
    return r.exit_code, " ".join(r.output.split())


def _texts(path: Path) -> Path:
    rows = [("a", "good", "great food"), ("b", "bad", "awful"), ("c", "", "fine"), ("d", "", "meh")]
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "label", "x"])
        w.writerows((i, lab, str(k)) for k, (i, lab, _) in enumerate(rows))
    return path


def test_init_suggest_status_export_import(tmp_path: Path) -> None:
    src = _texts(tmp_path / "rows.csv")
    ws = str(tmp_path / "ws")
    code, out = _run(
        "init",
        ws,
        "--data",
        str(src),
        "--features",
        "x",
        "--label",
        "label",
        "--id",
        "id",
        "--classes",
        "good,bad",
    )
    assert code == 0, out
    assert "4 item(s)" in out and "2 imported label(s)" in out
    code, out = _run("suggest", "-w", ws, "-n", "2", "--strategy", "random")
    assert code == 0 and "round 1 (random): 2 item(s)" in out, out
    code, out = _run("status", "-w", ws)
    assert code == 0 and "2 of 4 item(s) labelled" in out and "current round: 0 / 2" in out, out
    target = tmp_path / "labels.jsonl"
    code, out = _run("export", str(target), "-w", ws)
    assert code == 0 and target.read_text().count("\n") == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("id,label\nc,good\nzzz,bad\nd,ugly\n")
    code, out = _run("import", str(bad), "-w", ws)
    assert code == 2 and "Nothing was written" in out and "'zzz'" in out and "'ugly'" in out
    good = tmp_path / "good.csv"
    good.write_text("id,label\nc,good\na,bad\n")
    code, out = _run("import", str(good), "-w", ws)
    assert code == 0 and "Wrote 1 label(s)" in out and "1 conflict(s)" in out, out
    assert Workspace.open(ws).store.current_labels() == {"a": "good", "b": "bad", "c": "good"}


def test_commands_explain_a_missing_or_corrupt_workspace(tmp_path: Path) -> None:
    code, out = _run("status", "-w", str(tmp_path / "none"))
    assert code == 2 and "fewlabels init" in out
    src = _texts(tmp_path / "rows.csv")
    ws = Workspace.init(tmp_path / "ws", data=str(src), features=["x"], label="label", id="id")
    for extra in ("-wal", "-shm"):
        Path(str(ws.store.path) + extra).unlink(missing_ok=True)
    ws.store.path.write_bytes(b"\0" * 4096)
    code, out = _run("suggest", "-w", str(ws.root))
    assert code == 2 and "never overwrites" in out
    assert ws.store.path.read_bytes() == b"\0" * 4096


def _ws_with_labels(tmp_path: Path) -> str:
    src = _texts(tmp_path / "rows.csv")
    ws = str(tmp_path / "ws")
    args = ["init", ws, "--data", str(src), "--features", "x", "--label", "label", "--id", "id"]
    code, out = _run(*args, "--classes", "good,bad")
    assert code == 0, out
    return ws


def test_export_then_import_round_trips_through_the_cli(tmp_path: Path) -> None:
    ws = _ws_with_labels(tmp_path)
    other = str(tmp_path / "other")
    src = tmp_path / "rows.csv"
    code, out = _run(
        "init", other, "--data", str(src), "--features", "x", "--id", "id", "--classes", "good,bad"
    )
    assert code == 0, out
    for suffix in ("csv", "jsonl"):
        target = tmp_path / f"labels.{suffix}"
        code, out = _run("export", str(target), "-w", ws)
        assert code == 0, out
        code, out = _run("import", str(target), "-w", other)
        assert code == 0, out
    assert Workspace.open(other).store.current_labels() == {"a": "good", "b": "bad"}


def test_import_takes_id_and_label_column_options(tmp_path: Path) -> None:
    ws = _ws_with_labels(tmp_path)
    f = tmp_path / "mine.csv"
    f.write_text("name,class\nc,good\n")
    code, out = _run("import", str(f), "-w", ws)
    assert code == 2 and "--id-column/--label-column" in out, out
    code, out = _run("import", str(f), "-w", ws, "--id-column", "name", "--label-column", "class")
    assert code == 0 and "Wrote 1 label(s)" in out, out


def test_an_import_of_only_conflicts_fails_with_the_overwrite_hint(tmp_path: Path) -> None:
    ws = _ws_with_labels(tmp_path)
    f = tmp_path / "flip.csv"
    f.write_text("id,label\na,bad\nb,good\n")
    code, out = _run("import", str(f), "-w", ws)
    assert code == 1 and "nothing was imported" in out and "--overwrite" in out, out
    assert Workspace.open(ws).store.current_labels() == {"a": "good", "b": "bad"}
    code, out = _run("import", str(f), "-w", ws, "--overwrite")
    assert code == 0 and "Wrote 2 label(s)" in out, out
    assert Workspace.open(ws).store.current_labels() == {"a": "bad", "b": "good"}
