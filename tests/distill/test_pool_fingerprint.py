"""A student records the pool it was trained on; after a forget it is reported as stale."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from typer.testing import CliRunner

from fewlabels.cli import app
from fewlabels.distill import NotAStudentError, load_student
from fewlabels.distill.export import KEY_STUDENT
from fewlabels.distill.predict import pool_staleness
from fewlabels.workspace import Workspace

from .conftest import toy_table

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    r = runner.invoke(app, list(args))
    return r.exit_code, " ".join(r.output.split())


@pytest.fixture(scope="module")
def distilled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    tmp = tmp_path_factory.mktemp("fp")
    frame, y = toy_table(40)
    frame = frame.drop(columns=["colour"])
    frame["label"] = np.where(y == 1, "yes", "no").astype(object)
    frame.loc[10:, "label"] = None
    frame.insert(0, "id", [f"row{i:02d}" for i in range(40)])
    table = tmp / "rows.csv"
    frame.to_csv(table, index=False)
    ws = Workspace.init(
        tmp / "ws", data=str(table), features=["x", "z"], label="label", id="id", learner="linear"
    )
    code, out = _run("distill", "-w", str(ws.root), "--epochs", "1")
    assert code == 0, out
    return ws.root, ws.root / "models" / "student.onnx", table


def test_the_export_records_the_pool_and_is_stale_after_a_forget(
    distilled: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    root, model, table = distilled
    meta = load_student(model).metadata
    assert meta["pool_fingerprint"] == Workspace.open(root).pool_fingerprint()
    assert meta["workspace"] == str(root.resolve())
    assert pool_staleness(model) is None
    code, out = _run("predict", str(model), str(table), "--out", str(tmp_path / "a.csv"))
    assert code == 0 and "older pool" not in out
    code, out = _run("forget", "-w", str(root), "row03", "row30", "--yes")
    assert code == 0 and "forgot 2 item(s)" in out
    assert "stale:" in out and "was trained on an older pool" in out
    message = pool_staleness(model)
    assert message is not None and f"fewlabels distill -w {root.resolve()}" in message
    code, out = _run("predict", str(model), str(table), "--out", str(tmp_path / "b.csv"))
    assert code == 0 and "warning:" in out and "was trained on an older pool" in out
    code, out = _run("distill", "-w", str(root), "--epochs", "1")
    assert code == 0 and "was trained on an older pool" in out and "Retraining it now" in out
    assert pool_staleness(model) is None  # retrained on the pool as it is
    now = Workspace.open(root).pool_fingerprint()
    assert load_student(model).metadata["pool_fingerprint"] == now != meta["pool_fingerprint"]


def test_a_student_without_a_workspace_cannot_be_told_stale(
    distilled: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    _, model, _ = distilled
    student = load_student(model)
    student.metadata = {**student.metadata, "workspace": str(tmp_path / "gone")}
    assert pool_staleness(student) is None
    del student.metadata["pool_fingerprint"]
    assert pool_staleness(student) is None


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("pool_fingerprint", "abc", r"'pool_fingerprint' must be 32 hex digits or absent"),
        (
            "pool_fingerprint",
            12,
            r"'pool_fingerprint' must be 32 hex digits or absent, but it is int 12",
        ),
        ("workspace", ["a"], r"'workspace' must be a folder path \(a string\) or absent"),
    ],
)
def test_a_tampered_fingerprint_is_one_clear_error(
    distilled: tuple[Path, Path, Path], tmp_path: Path, key: str, value: object, message: str
) -> None:
    _, model, _ = distilled
    proto = onnx.load(str(model))
    for p in proto.metadata_props:
        if p.key == KEY_STUDENT:
            p.value = json.dumps({**json.loads(p.value), key: value})
    out = tmp_path / "tampered.onnx"
    onnx.save(proto, str(out))
    with pytest.raises(NotAStudentError, match=message):
        load_student(out)
