from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from fewlabels.distill import DistillConfig, ImageStudent, TextStudent, load_student, predict_file
from fewlabels.errors import MissingKeyError

from .conftest import soft, toy_images, toy_texts


@pytest.fixture(scope="module")
def text_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    texts, y = toy_texts(60)
    student = TextStudent(
        word_buckets=256,
        char_buckets=256,
        dim=8,
        text_column="review",
        # Enough training to separate the toy words (3 epochs predicted "good" for everything).
        config=DistillConfig(epochs=30, lr=3e-2, progress=False),
    )
    student.fit(texts, soft(y), classes=("bad", "good"))
    return student.export(tmp_path_factory.mktemp("m") / "text.onnx")


@pytest.fixture(scope="module")
def image_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    imgs, y = toy_images(32)
    student = ImageStudent(width=4, config=DistillConfig(epochs=1, progress=False))
    student.fit(imgs, soft(y), classes=("bar", "square"))
    return student.export(tmp_path_factory.mktemp("m") / "cnn.onnx")


def test_predict_does_not_import_torch(text_model: Path, tmp_path: Path) -> None:
    data = tmp_path / "texts.txt"
    data.write_text("tasty food\nstale bread\n")
    code = (
        "import sys, json\n"
        "from fewlabels.distill.predict import predict_file\n"
        f"out = predict_file({str(text_model)!r}, {str(data)!r})\n"
        "print(json.dumps({'torch': 'torch' in sys.modules, 'n': len(out)}))\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(res.stdout.strip().splitlines()[-1]) == {"torch": False, "n": 2}


def test_predict_text_from_table_and_txt(text_model: Path, tmp_path: Path) -> None:
    table = tmp_path / "reviews.csv"
    pd.DataFrame({"id": ["a", "b"], "review": ["really tasty", "so stale"]}).to_csv(
        table, index=False
    )
    out = tmp_path / "preds.csv"
    frame = predict_file(text_model, table, out=out)
    assert list(frame.columns) == ["id", "label", "probability"]
    assert frame["id"].tolist() == ["a", "b"]
    # "tasty" and "stale" are the words that tell the toy classes apart
    assert frame["label"].tolist() == ["good", "bad"]
    assert ((frame["probability"] >= 0.75) & (frame["probability"] <= 1)).all()
    pd.testing.assert_frame_equal(pd.read_csv(out), frame, check_dtype=False)
    txt = tmp_path / "t.txt"
    txt.write_text("really tasty\n\nso stale\n")
    by_line = predict_file(text_model, txt)
    assert by_line["id"].tolist() == ["1", "3"]
    assert by_line["label"].tolist() == ["good", "bad"]
    np.testing.assert_allclose(by_line["probability"], frame["probability"], atol=1e-6)


def test_predict_text_from_an_in_memory_dataframe_reads_its_texts(text_model: Path) -> None:
    # a bug found in review: the frame's column names were predicted instead of its texts
    table = pd.DataFrame({"id": ["a", "b", "c"], "review": ["really tasty", "so stale", "tasty"]})
    frame = predict_file(text_model, table)
    assert frame["id"].tolist() == ["a", "b", "c"]
    assert frame["label"].tolist() == ["good", "bad", "good"]
    from_file = predict_file(text_model, table.drop(columns=["id"]))
    assert from_file["id"].tolist() == ["0", "1", "2"]
    np.testing.assert_allclose(from_file["probability"], frame["probability"], atol=1e-6)
    with pytest.raises(MissingKeyError, match="id column .key."):
        predict_file(text_model, table, id_column="key")


def test_exported_text_student_is_accurate_on_new_texts(text_model: Path) -> None:
    texts, y = toy_texts(200)  # the fixture trained on the first 60
    proba = load_student(text_model).predict_proba(texts[60:])
    pred = proba.argmax(axis=1)
    assert np.bincount(pred, minlength=2).min() >= 50  # both classes, not a constant
    assert (pred == y[60:]).mean() >= 0.95


def test_predict_text_table_without_text_column(text_model: Path, tmp_path: Path) -> None:
    table = tmp_path / "x.csv"
    pd.DataFrame({"a": ["x"], "b": ["y"]}).to_csv(table, index=False)
    with pytest.raises(KeyError, match="Expected a text column 'review'"):
        predict_file(text_model, table)


def test_predict_image_folder_and_size_mismatch(image_model: Path, tmp_path: Path) -> None:
    imgs, _ = toy_images(4)
    folder = tmp_path / "imgs"
    (folder / "sub").mkdir(parents=True)
    for i, im in enumerate(imgs):
        Image.fromarray(im).save(folder / ("sub" if i % 2 else ".") / f"{i}.png")
    frame = predict_file(image_model, folder)
    assert sorted(frame["id"]) == ["0.png", "2.png", "sub/1.png", "sub/3.png"]
    direct = load_student(image_model).predict_proba(imgs)
    got = frame.set_index("id").loc[["0.png", "sub/1.png", "2.png", "sub/3.png"], "probability"]
    np.testing.assert_allclose(got.to_numpy(), direct.max(axis=1), atol=1e-6)
    Image.fromarray(np.zeros((20, 20), np.uint8)).save(folder / "big.png")
    with pytest.raises(ValueError, match=r"Expected images of 12x12 grey pixels.*20x20"):
        predict_file(image_model, folder)
    assert len(predict_file(image_model, folder, resize=True)) == 5


def test_predict_refuses_data_of_another_modality(
    image_model: Path, text_model: Path, tmp_path: Path
) -> None:
    txt = tmp_path / "t.txt"
    txt.write_text("hello\n")
    with pytest.raises(ValueError, match="Expected a folder of images.*for this image student"):
        predict_file(image_model, txt)
    with pytest.raises(ValueError, match="for this text student, but .* is a folder"):
        predict_file(text_model, tmp_path)
