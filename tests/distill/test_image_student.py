from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from fewlabels.distill import DistillConfig, ImageStudent, load_student
from fewlabels.distill.image_input import ImageInput, as_uint8_images
from fewlabels.distill.image_student import _ImageTrainer

from .conftest import soft, toy_images


def test_as_uint8_images_scales_floats() -> None:
    a = as_uint8_images(np.array([[[0.0, 0.5], [1.0, 0.25]]]))
    assert a.shape == (1, 2, 2, 1) and a.dtype == np.uint8
    assert a[0, :, :, 0].tolist() == [[0, 128], [255, 64]]
    b = as_uint8_images(np.array([[[0.0, 300.0], [12.0, 255.0]]]))
    assert b[0, :, :, 0].tolist() == [[0, 255], [12, 255]]


def test_augment_shifts_within_bounds_and_flips_only_when_told() -> None:
    x = torch.zeros(8, 1, 6, 6)
    x[:, :, 2:4, 2:4] = 1.0
    g = torch.Generator().manual_seed(0)
    cfg = DistillConfig(progress=False)
    (shifted,) = _ImageTrainer(cfg, shift=1, flip=False).augment((x,), g)
    assert shifted.shape == x.shape
    assert torch.allclose(shifted.sum(dim=(1, 2, 3)), torch.full((8,), 4.0))  # the square survives
    assert not torch.equal(shifted, x)
    asym = torch.zeros(64, 1, 4, 4)
    asym[:, :, :, 0] = 1.0
    (same,) = _ImageTrainer(cfg, shift=0, flip=False).augment((asym,), g)
    assert torch.equal(same, asym)
    (flipped,) = _ImageTrainer(cfg, shift=0, flip=True).augment((asym,), g)
    n_flipped = int((flipped[:, 0, 0, 3] == 1).sum())
    assert 10 < n_flipped < 54


def test_image_student_learns_and_exports_identically(quick: DistillConfig, tmp_path: Path) -> None:
    imgs, y = toy_images()
    student = ImageStudent(width=8, config=quick).fit(imgs, soft(y))
    assert (student.predict(imgs) == y).mean() >= 0.9
    path = student.export(tmp_path / "cnn.onnx")
    exported = load_student(path)
    np.testing.assert_allclose(
        exported.predict_proba(imgs, batch_size=10), student.predict_proba(imgs), atol=1e-5
    )
    assert exported.spec == student.input_spec_ and exported.spec.channels == 1


def test_image_student_is_deterministic(quick: DistillConfig) -> None:
    imgs, y = toy_images(48)
    cfg = DistillConfig(epochs=2, batch_size=16, progress=False, random_state=3)
    a = ImageStudent(width=4, config=cfg).fit(imgs, soft(y)).predict_proba(imgs)
    b = ImageStudent(width=4, config=cfg).fit(imgs, soft(y)).predict_proba(imgs)
    np.testing.assert_array_equal(a, b)


def test_image_spec_refuses_other_sizes_unless_resize(tmp_path: Path) -> None:
    spec = ImageInput(12, 12, 1, (0.1,), (0.3,))
    with pytest.raises(
        ValueError, match=r"Expected images of 12x12 grey pixels.*shape \(16, 16, 1\)"
    ):
        spec.load(np.zeros((2, 16, 16), np.uint8))
    assert spec.load(np.zeros((2, 16, 16), np.uint8), resize=True).shape == (2, 12, 12, 1)
    Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(tmp_path / "big.png")
    with pytest.raises(ValueError, match=r"12x12 grey.*is 30x20 in mode RGB.*--resize"):
        spec.load([str(tmp_path / "big.png")])
    out = spec.load([str(tmp_path / "big.png")], resize=True)
    assert out.shape == (1, 12, 12, 1)


def test_image_student_from_png_paths(quick: DistillConfig, tmp_path: Path) -> None:
    imgs, y = toy_images(40)
    paths = []
    for i, im in enumerate(imgs):
        p = tmp_path / f"{i}.png"
        Image.fromarray(im).save(p)
        paths.append(str(p))
    cfg = DistillConfig(epochs=1, progress=False)
    student = ImageStudent(width=4, config=cfg).fit(paths, soft(y))
    assert student.input_spec_.channels == 1 and student.input_spec_.height == 12
    np.testing.assert_allclose(student.predict_proba(paths), student.predict_proba(imgs), atol=1e-6)
