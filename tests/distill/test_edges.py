"""Real data at the edges of distil and predict (issue 10, items 5, 6, 7 and 19)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from typer.testing import CliRunner

from fewlabels.cli import app
from fewlabels.distill import DistillConfig, ImageStudent, TabularStudent, predict_file
from fewlabels.distill.image_input import ImageInput
from fewlabels.errors import FewlabelsError

from .conftest import soft, toy_images, toy_table

runner = CliRunner()


def _text(res) -> str:  # type: ignore[no-untyped-def]
    """The command's output with rich's line wrapping undone."""
    return " ".join(res.output.split())


def _image_folder(root: Path, *, grey_every: int = 0, odd_size: bool = False) -> Path:
    """Classes a (dark) and b (bright), 4 labelled each, and an unlabelled/ pool of 8."""
    rng = np.random.default_rng(0)
    k = 0
    for cls, level in (("a", 40), ("b", 210), ("unlabeled", 120)):
        (root / cls).mkdir(parents=True, exist_ok=True)
        for i in range(4 if cls != "unlabeled" else 8):
            arr = np.clip(level + rng.normal(0, 10, (12, 12, 3)), 0, 255).astype(np.uint8)
            im = Image.fromarray(arr)
            if grey_every and k % grey_every == grey_every - 1:
                im = im.convert("L")
            if odd_size and k == 5:
                im = im.resize((16, 14))
            im.save(root / cls / f"{cls}{i}.png")
            k += 1
    return root


def _workspace(tmp_path: Path, folder: Path) -> Path:
    ws = tmp_path / "ws"
    res = runner.invoke(
        app, ["init", str(ws), "--data", str(folder), "--encoder", "pixels", "--learner", "linear"]
    )
    assert res.exit_code == 0, res.output
    return ws


# --- item 5: modes and sizes ---------------------------------------------------------------


def test_a_grey_file_is_read_by_a_colour_student_without_resize(tmp_path: Path) -> None:
    spec = ImageInput(12, 12, 3, (0.5, 0.5, 0.5), (0.2, 0.2, 0.2))
    grey = np.arange(144, dtype=np.uint8).reshape(12, 12)
    Image.fromarray(grey).save(tmp_path / "g.png")
    out = spec.load([str(tmp_path / "g.png")])
    assert out.shape == (1, 12, 12, 3)
    for c in range(3):  # lossless: the channel repeated
        np.testing.assert_array_equal(out[0, :, :, c], grey)
    arrays = spec.load(grey[None])  # in memory too
    np.testing.assert_array_equal(arrays, out)


def test_rgb_to_grey_only_when_lossless_or_asked(tmp_path: Path) -> None:
    spec = ImageInput(12, 12, 1, (0.5,), (0.2,))
    grey = np.arange(144, dtype=np.uint8).reshape(12, 12)
    Image.fromarray(np.stack([grey] * 3, axis=-1)).save(tmp_path / "grey-as-rgb.png")
    np.testing.assert_array_equal(spec.load([str(tmp_path / "grey-as-rgb.png")])[0, :, :, 0], grey)
    colour = np.zeros((12, 12, 3), np.uint8)
    colour[..., 0] = 200
    Image.fromarray(colour).save(tmp_path / "red.png")
    with pytest.raises(
        FewlabelsError, match=r"red\.png' is 12x12 in mode RGB \(a colour image\).*--resize"
    ):
        spec.load([str(tmp_path / "red.png")])
    assert spec.load([str(tmp_path / "red.png")], resize=True).shape == (1, 12, 12, 1)


def test_mixed_grey_and_colour_files_train_a_colour_student(tmp_path: Path) -> None:
    # The first 16 files are grey, later ones colour: the student must read RGB, and
    # predicting on the training files (grey ones included) must work without --resize.
    imgs, y = toy_images(24)
    paths = []
    for i, im in enumerate(imgs):
        pil = Image.fromarray(im)
        if i >= 16:
            pil = Image.fromarray(np.stack([im, im // 2, im], axis=-1))
        pil.save(tmp_path / f"{i}.png")
        paths.append(str(tmp_path / f"{i}.png"))
    student = ImageStudent(width=4, config=DistillConfig(epochs=1, progress=False))
    student.fit(paths, soft(y))
    assert student.input_spec_.channels == 3
    assert student.predict_proba(paths).shape == (24, 2)


def test_distill_on_mixed_modes_works_and_predict_reads_grey(tmp_path: Path) -> None:
    folder = _image_folder(tmp_path / "imgs", grey_every=3)
    ws = _workspace(tmp_path, folder)
    res = runner.invoke(app, ["distill", "-w", str(ws), "--epochs", "2"])
    assert res.exit_code == 0, res.output
    model = ws / "models" / "student.onnx"
    out = tmp_path / "p.csv"
    res = runner.invoke(app, ["predict", str(model), str(folder), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert len(pd.read_csv(out)) == 16


def test_distill_refuses_mixed_sizes_before_the_teacher_and_writes_no_model(
    tmp_path: Path,
) -> None:
    folder = _image_folder(tmp_path / "imgs", odd_size=True)
    ws = _workspace(tmp_path, folder)
    res = runner.invoke(app, ["distill", "-w", str(ws), "--epochs", "2"])
    assert res.exit_code == 2, res.output
    assert "1 of 16 image(s) have another size (1 of 16x14)" in _text(res)
    assert "--resize" in _text(res) and "Traceback" not in _text(res)
    assert "fitting the teacher" not in _text(res)  # refused before the long work
    assert not (ws / "models" / "student.onnx").exists()
    res = runner.invoke(app, ["distill", "-w", str(ws), "--epochs", "2", "--resize"])
    assert res.exit_code == 0, res.output
    assert (ws / "models" / "student.onnx").is_file()


def test_a_failed_distillation_writes_no_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fewlabels.distill import student as student_module

    folder = _image_folder(tmp_path / "imgs")
    ws = _workspace(tmp_path, folder)

    def boom(self, inputs):  # type: ignore[no-untyped-def]
        raise FewlabelsError("scoring failed")

    monkeypatch.setattr(student_module.Student, "predict_proba", boom)
    res = runner.invoke(app, ["distill", "-w", str(ws), "--epochs", "1"])
    assert res.exit_code == 2 and "scoring failed" in _text(res)
    assert not (ws / "models" / "student.onnx").exists()


# --- item 6: unreadable images, ids, --proba ---------------------------------------------


@pytest.fixture(scope="module")
def image_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    imgs, y = toy_images(32)
    student = ImageStudent(width=4, config=DistillConfig(epochs=1, progress=False))
    student.fit(imgs, soft(y), classes=("bar", "square"))
    return student.export(tmp_path_factory.mktemp("m") / "cnn.onnx")


def test_predict_skips_and_reports_unreadable_images(image_model: Path, tmp_path: Path) -> None:
    imgs, _ = toy_images(4)
    folder = tmp_path / "imgs"
    folder.mkdir()
    for i, im in enumerate(imgs):
        Image.fromarray(im).save(folder / f"{i}.png")
    (folder / "broken.png").write_bytes(b"\x89PNG not really")
    out = tmp_path / "p.csv"
    frame = predict_file(image_model, folder, out=out)
    assert sorted(frame["id"]) == ["0.png", "1.png", "2.png", "3.png"]
    assert [i for i, _ in frame.attrs["skipped"]] == ["broken.png"]
    assert sorted(pd.read_csv(out)["id"]) == ["0.png", "1.png", "2.png", "3.png"]
    res = runner.invoke(app, ["predict", str(image_model), str(folder), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "4 prediction(s)" in _text(res)
    assert "skipped 1 unreadable input(s)" in _text(res) and "broken.png" in _text(res)


def test_predict_keeps_ids_and_writes_probabilities(image_model: Path, tmp_path: Path) -> None:
    imgs, _ = toy_images(3)
    folder = tmp_path / "imgs"
    folder.mkdir()
    for i, im in enumerate(imgs):
        Image.fromarray(im).save(folder / f"{i}.png")
    table = tmp_path / "t.csv"
    pd.DataFrame(
        {"doc": ["007", "010", "1.50"], "path": [f"imgs/{i}.png" for i in range(3)]}
    ).to_csv(table, index=False)
    out = tmp_path / "p.csv"
    args = [
        "predict",
        str(image_model),
        str(table),
        "-o",
        str(out),
        "--id-column",
        "doc",
        "--proba",
    ]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    got = pd.read_csv(out, dtype={"id": str})
    assert got["id"].tolist() == ["007", "010", "1.50"]
    assert list(got.columns) == ["id", "label", "probability", "bar", "square"]
    np.testing.assert_allclose(got[["bar", "square"]].sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(got["probability"], got[["bar", "square"]].max(axis=1))


# --- item 7: NaN and unseen categories -----------------------------------------------------


@pytest.fixture(scope="module")
def table_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    frame, y = toy_table(60)
    student = TabularStudent(hidden=(8,), config=DistillConfig(epochs=1, progress=False))
    student.fit(frame, soft(y), classes=("no", "yes"))
    return student.export(tmp_path_factory.mktemp("t") / "mlp.onnx")


def test_predict_refuses_nan_and_unseen_categories_with_one_message(
    table_model: Path, tmp_path: Path
) -> None:
    rows = pd.DataFrame(
        {
            "x": [1.0, np.nan, 0.5, np.inf],
            "z": [1.0, 2.0, 3.0, 4.0],
            "colour": ["red", "blue", "mauve", None],
        }
    )
    with pytest.raises(
        FewlabelsError,
        match=r"3 of 4 row\(s\) have none: column 'x': 2 missing or infinite; column 'colour': "
        r"1 missing; column 'colour': 1 unseen category \(e\.g\. 'mauve'",
    ):
        predict_file(table_model, rows)
    path = tmp_path / "rows.csv"
    rows.iloc[[2]].to_csv(path, index=False)
    res = runner.invoke(
        app, ["predict", str(table_model), str(path), "-o", str(tmp_path / "p.csv")]
    )
    assert res.exit_code == 2
    assert "column 'colour': 1 unseen category" in _text(res) and "Traceback" not in _text(res)
    assert len(predict_file(table_model, rows.iloc[[0]])) == 1


# --- item 19: held-out labels and progress -------------------------------------------------


def test_holdout_rows_hides_some_labels_per_class_and_keeps_one() -> None:
    from fewlabels.distill.holdout import holdout_rows

    y = np.array([0, 0, 0, 0, 0, 1, 1, -1, -1])
    hidden = holdout_rows(y, fraction=0.2, random_state=0)
    assert sorted(y[hidden].tolist()) == [0, 1]
    assert holdout_rows(np.array([0, 0, 1, -1]), fraction=0.2, random_state=0).size == 0
    assert holdout_rows(y, fraction=0.0, random_state=0).size == 0


def test_distill_prints_progress_and_scores_on_held_out_labels(tmp_path: Path) -> None:
    folder = _image_folder(tmp_path / "imgs")
    ws = _workspace(tmp_path, folder)
    res = runner.invoke(app, ["distill", "-w", str(ws), "--epochs", "2"])
    assert res.exit_code == 0, res.output
    assert "fitting the teacher" in _text(res) and "epoch" in _text(res)
    assert "holding out 2 human label(s)" in _text(res)
    assert "held-out human labels (2, hidden from both): student accuracy" in _text(res)
    assert "teacher accuracy" in _text(res)
