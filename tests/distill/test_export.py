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
