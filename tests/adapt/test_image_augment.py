"""The image augmentations of simclr-image: shapes, value range, determinism, exact cases."""

from __future__ import annotations

import numpy as np
import pytest

from fewlabels.adapt.image_augment import (
    AugmentSettings,
    adjust,
    augment,
    augment_batch,
    flip,
    gaussian_noise,
    random_resized_crop,
    rotate,
)
from fewlabels.errors import FewlabelsError


def _image(h: int = 20, w: int = 16, c: int = 3, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, 255, (h, w, c)).astype(np.float32)


def test_crop_shape_range_and_determinism_under_a_seed() -> None:
    img = _image()
    a = random_resized_crop(img, np.random.default_rng(1), size=12)
    b = random_resized_crop(img, np.random.default_rng(1), size=12)
    c = random_resized_crop(img, np.random.default_rng(2), size=12)
    assert a.shape == (12, 12, 3) and a.dtype == np.float32
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert a.min() >= 0 and a.max() <= 255


def test_a_full_square_crop_at_the_same_size_is_the_image() -> None:
    img = _image(16, 16)
    out = random_resized_crop(img, np.random.default_rng(0), size=16, min_scale=1.0, ratio=(1, 1))
    np.testing.assert_allclose(out, img, atol=1e-3)


def test_flip_mirrors_columns_and_twice_is_identity() -> None:
    img = _image(4, 5, 1)
    assert np.array_equal(flip(img)[:, 0], img[:, -1])
    assert np.array_equal(flip(flip(img)), img)


def test_rotation_by_zero_is_identity_and_corners_take_the_border_colour() -> None:
    img = _image(9, 9, 1)
    assert np.array_equal(rotate(img, 0.0), img)
    digit = np.zeros((21, 21, 1), np.float32)
    digit[8:13, 8:13] = 255.0  # a bright square on black
    out = rotate(digit, 45.0)
    assert out.shape == digit.shape
    assert out[0, 0, 0] == 0.0 and out[-1, -1, 0] == 0.0  # no white corners brought in
    assert out[10, 10, 0] == pytest.approx(255.0)  # the centre stays
    white = 255.0 - digit
    assert rotate(white, 45.0)[0, 0, 0] == pytest.approx(255.0)


def test_adjust_identity_flat_contrast_and_clipping() -> None:
    img = _image()
    np.testing.assert_allclose(adjust(img), img, atol=1e-4)
    flat = adjust(img, contrast=0.0)
    np.testing.assert_allclose(flat, np.full_like(img, img.mean()), atol=1e-3)
    bright = adjust(np.full((2, 2, 1), 200.0, np.float32), brightness=2.0)
    assert bright.max() == 255.0


def test_noise_of_zero_is_identity_and_noise_stays_in_range() -> None:
    img = _image()
    assert np.array_equal(gaussian_noise(img, np.random.default_rng(0), std=0.0), img)
    noisy = gaussian_noise(np.zeros((8, 8, 1), np.float32), np.random.default_rng(0), std=0.5)
    assert noisy.min() == 0.0 and noisy.max() <= 255.0 and (noisy > 0).any()


def test_augment_batch_shapes_range_and_seed() -> None:
    batch = np.random.default_rng(0).integers(0, 256, (5, 28, 28, 3), dtype=np.uint8)
    settings = AugmentSettings(flip=True)
    a = augment_batch(batch, np.random.default_rng(3), size=32, settings=settings)
    b = augment_batch(batch, np.random.default_rng(3), size=32, settings=settings)
    assert a.shape == (5, 32, 32, 3) and a.dtype == np.float32
    assert np.array_equal(a, b)
    assert a.min() >= 0.0 and a.max() <= 255.0
    # two views of one image differ (the positive pair is not the same picture)
    rng = np.random.default_rng(4)
    v1, v2 = (augment(batch[0], rng, size=32, settings=settings) for _ in range(2))
    assert not np.array_equal(v1, v2)
    empty = augment_batch(batch[:0], rng, size=8, settings=settings)
    assert empty.shape == (0, 8, 8, 3)


def test_no_augmentation_settings_give_the_resized_image() -> None:
    img = _image(16, 16)
    none = AugmentSettings(min_scale=1.0, degrees=0.0, brightness=0.0, contrast=0.0, noise=0.0)
    # a full-area crop still draws an aspect ratio: with min_scale=1 the crop is at most the image
    out = augment(img, np.random.default_rng(0), size=16, settings=none)
    assert out.shape == (16, 16, 3) and out.min() >= 0 and out.max() <= 255


def test_bad_images_and_settings_are_refused() -> None:
    with pytest.raises(FewlabelsError, match=r"image of shape \(height, width, 1 or 3\).*\(4, 4\)"):
        flip(np.zeros((4, 4)))
    with pytest.raises(FewlabelsError, match=r"batch of images.*\(4, 4, 3\)"):
        augment_batch(
            np.zeros((4, 4, 3)), np.random.default_rng(0), size=8, settings=AugmentSettings()
        )
    with pytest.raises(FewlabelsError, match=r"AugmentSettings expected min_scale in \(0"):
        AugmentSettings(min_scale=0.0)
    with pytest.raises(FewlabelsError, match=r"AugmentSettings expected degrees"):
        AugmentSettings(degrees=-1.0)
