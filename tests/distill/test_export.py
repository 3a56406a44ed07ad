from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch

from fewlabels.distill import DistillConfig, NotAStudentError, TabularStudent, load_student
from fewlabels.distill.export import FORMAT, KEY_FORMAT, KEY_STUDENT, KEY_VERSION

from .conftest import soft, toy_table


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    frame, y = toy_table(40)
    student = TabularStudent(hidden=(8,), config=DistillConfig(epochs=1, progress=False))
    student.fit(frame, soft(y), classes=("no", "yes"))
    return student.export(tmp_path_factory.mktemp("exp") / "m.onnx", extra={"teacher": "t"})


def test_export_carries_fewlabels_metadata(exported: Path) -> None:
    model = onnx.load(str(exported))
    props = {p.key: p.value for p in model.metadata_props}
    assert props[KEY_FORMAT] == FORMAT and props[KEY_VERSION] == "1"
    meta = json.loads(props[KEY_STUDENT])
    assert meta["classes"] == ["no", "yes"] and meta["modality"] == "tabular"
    assert meta["student"] == "mlp" and meta["teacher"] == "t"
    assert meta["input"]["numeric"] == ["x", "z"]
    assert [i.name for i in model.graph.input] == ["features"]


def test_refuses_a_pickle(tmp_path: Path) -> None:
    path = tmp_path / "model.onnx"
    path.write_bytes(pickle.dumps({"weights": [1, 2]}))
    with pytest.raises(
        NotAStudentError, match="a pickle file .*refused because loading a pickle runs code"
    ):
        load_student(path)


def test_refuses_a_torch_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "model.pt"
    torch.save({"w": torch.zeros(2)}, path)
    with pytest.raises(NotAStudentError, match="a torch checkpoint .*pickle"):
        load_student(path)


def test_refuses_onnx_without_fewlabels_metadata(exported: Path, tmp_path: Path) -> None:
    model = onnx.load(str(exported))
    del model.metadata_props[:]
    plain = tmp_path / "plain.onnx"
    onnx.save(model, str(plain))
    with pytest.raises(NotAStudentError, match="an ONNX model without fewlabels metadata"):
        load_student(plain)


def test_refuses_a_newer_format_version(exported: Path, tmp_path: Path) -> None:
    model = onnx.load(str(exported))
    for p in model.metadata_props:
        if p.key == KEY_VERSION:
            p.value = "99"
    newer = tmp_path / "newer.onnx"
    onnx.save(model, str(newer))
    with pytest.raises(NotAStudentError, match="format version 1 to 1, but .* has version '99'"):
        load_student(newer)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "an empty file"),
        (b"\x00\x01garbage bytes here", r"not an ONNX file \(starts with bytes"),
        (b'{"a": 1}', "a JSON or text file"),
    ],
)
def test_refuses_other_files_saying_what_they_are(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "x.onnx"
    path.write_bytes(content)
    with pytest.raises(NotAStudentError, match=message):
        load_student(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_student(tmp_path / "nope.onnx")


def test_exported_probabilities_sum_to_one(exported: Path) -> None:
    frame, _ = toy_table(10)
    p = load_student(exported).predict_proba(frame)
    assert p.shape == (10, 2)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-6)


# --- tampered metadata (issue 10, item 16) ------------------------------------------------


def _with_metadata(exported: Path, tmp_path: Path, change: object) -> Path:
    model = onnx.load(str(exported))
    for p in model.metadata_props:
        if p.key == KEY_STUDENT:
            meta = json.loads(p.value)
            p.value = change(meta) if callable(change) else str(change)
    out = tmp_path / "tampered.onnx"
    onnx.save(model, str(out))
    return out


def _set(key: str, value: object):  # type: ignore[no-untyped-def]
    def change(meta: dict) -> str:  # type: ignore[type-arg]
        if value is KeyError:
            del meta[key]
        else:
            meta[key] = value
        return json.dumps(meta)

    return change


def _set_input(key: str, value: object):  # type: ignore[no-untyped-def]
    def change(meta: dict) -> str:  # type: ignore[type-arg]
        if value is KeyError:
            del meta["input"][key]
        else:
            meta["input"][key] = value
        return json.dumps(meta)

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_set("modality", KeyError), r"it has no 'modality' key"),
        (_set("classes", KeyError), r"it has no 'classes' key"),
        (_set("classes", "abc"), r"'classes' must be a list of at least 2 strings, but it is str"),
        (_set("classes", ["a", 1]), r"'classes' must be a list"),
        (_set("classes", ["a"]), r"'classes' must be a list of at least 2"),
        (_set("classes", ["a", "a"]), r"'classes' must not repeat a name"),
        (_set("modality", "audio"), r"'modality' must be one of \['image', 'tabular', 'text'\]"),
        (_set("modality", ["tabular"]), r"'modality' must be one of"),
        (_set("modality", "image"), r"'student' must be 'cnn' for a image student"),
        (_set("input", [1, 2]), r"'input' must be a JSON object, but it is list"),
        (_set("input", {"a": {"b": [{}]}}), r"it has no input\.'numeric' key"),
        (_set("inputs", ["pixels"]), r"'inputs' must be \['features'\]"),
        (_set_input("means", [0.0]), r"input\.'means' must be a list of 2 finite numbers"),
        (_set_input("stds", [1.0, 0.0]), r"input\.'stds' must be a list of 2 finite positive"),
        (_set_input("stds", KeyError), r"it has no input\.'stds' key"),
        (_set_input("categories", [["colour", "blue"]]), r"categories of column 'colour'"),
        (_set_input("categories", "x"), r"input\.'categories' must be a list of \[column, v"),
        ("[1, 2, 3]", r"it must be a JSON object, but it is list"),
        ('"abc"', r"it must be a JSON object, but it is str"),
        ("{not json", r"it is not valid JSON"),
        ("[" * 100_000 + "]" * 100_000, r"nested too deeply"),
        ("", r"it is not valid JSON"),
    ],
)
def test_tampered_metadata_is_one_clear_error(
    exported: Path, tmp_path: Path, change: object, message: str
) -> None:
    path = _with_metadata(exported, tmp_path, change)
    with pytest.raises(NotAStudentError, match=message) as info:
        load_student(path)
    assert str(path) in str(info.value)
    assert str(info.value).startswith("Expected a fewlabels student export, but the metadata")


def test_metadata_naming_more_classes_than_the_network_outputs(
    exported: Path, tmp_path: Path
) -> None:
    path = _with_metadata(exported, tmp_path, _set("classes", ["a", "b", "c"]))
    with pytest.raises(NotAStudentError, match=r"outputs shape .* names 3 classes"):
        load_student(path)


def test_the_cli_prints_one_line_for_a_tampered_export(exported: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from fewlabels.cli import app

    path = _with_metadata(exported, tmp_path, _set("modality", KeyError))
    data = tmp_path / "rows.csv"
    data.write_text("x,z,colour\n1,2,red\n")
    res = CliRunner().invoke(app, ["predict", str(path), str(data), "-o", str(tmp_path / "p.csv")])
    assert res.exit_code == 2, res.output
    assert "it has no 'modality' key" in res.output and "Traceback" not in res.output
