"""Image augmentations for contrastive self-supervision, in numpy and Pillow only.

SimCLR (Chen et al. 2020, "A Simple Framework for Contrastive Learning of Visual
Representations") makes two views of each image by random resized cropping, flipping and
colour distortion; for grey digits and clothes the colour part is brightness and contrast, and
a small rotation and Gaussian noise are added. Each function is pure: it takes an image (or a
batch) and a ``numpy.random.Generator`` and returns a new array, so that a seed fixes every view.

Images are float32 arrays of shape (height, width, channels) with values in 0..255.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from fewlabels._validation import check_param
from fewlabels.errors import FewlabelsError

__all__ = [
    "AugmentSettings",
    "adjust",
    "augment",
    "augment_batch",
    "flip",
    "gaussian_noise",
    "random_resized_crop",
    "rotate",
]


@dataclass(frozen=True)
class AugmentSettings:
    """How strongly :func:`augment` distorts an image.

    Parameters
    ----------
    min_scale : float, default 0.5
        Smallest share of the image's area a crop keeps (SimCLR: 0.08, too harsh for 28 px
        digits).
    flip : bool, default False
        Flip left-right with probability 1/2 (off: a flipped digit is another symbol).
    degrees : float, default 10.0
        Rotation drawn from [-degrees, degrees].
    brightness, contrast : float, default 0.3
        Factors drawn from [1 - x, 1 + x].
    noise : float, default 0.03
        Standard deviation of Gaussian noise, as a share of the 0..255 range.
    """

    min_scale: float = 0.5
    flip: bool = False
    degrees: float = 10.0
    brightness: float = 0.3
    contrast: float = 0.3
    noise: float = 0.03

    def __post_init__(self) -> None:
        owner = "AugmentSettings"
        check_param("min_scale", self.min_scale, low=0, high=1, learner=owner, low_open=True)
        check_param("degrees", self.degrees, low=0, high=180, learner=owner)
        check_param("brightness", self.brightness, low=0, high=1, learner=owner)
        check_param("contrast", self.contrast, low=0, high=1, learner=owner)
        check_param("noise", self.noise, low=0, high=1, learner=owner)


def _check_image(image: np.ndarray) -> np.ndarray:
    arr = np.asarray(image, dtype=np.float32)
    if arr.ndim != 3 or arr.shape[2] not in (1, 3):
        raise FewlabelsError(
            "Expected an image of shape (height, width, 1 or 3), but got shape "
            f"{arr.shape}. Decode images with fewlabels.encode.images.load_images first."
        )
    return arr


def _resize(arr: np.ndarray, size: int) -> np.ndarray:
    """Bilinear resize of a (h, w, c) float image to (size, size, c), per channel."""
    out = [
        np.asarray(
            Image.fromarray(arr[:, :, c], mode="F").resize((size, size), Image.Resampling.BILINEAR)
        )
        for c in range(arr.shape[2])
    ]
    return np.stack(out, axis=2).astype(np.float32)


def random_resized_crop(
    image: np.ndarray,
    rng: np.random.Generator,
    *,
    size: int,
    min_scale: float = 0.5,
    ratio: tuple[float, float] = (3 / 4, 4 / 3),
) -> np.ndarray:
    """Crop a random box (share of area in [min_scale, 1], aspect in ``ratio``), resize it.

    Parameters
    ----------
    image : ndarray of shape (h, w, c)
    rng : numpy.random.Generator
    size : int
        Side of the square output.

    Returns
    -------
    ndarray of shape (size, size, c), float32
    """
    arr = _check_image(image)
    h, w = arr.shape[:2]
    area = rng.uniform(min_scale, 1.0) * h * w
    aspect = float(np.exp(rng.uniform(np.log(ratio[0]), np.log(ratio[1]))))
    ch = int(np.clip(round(np.sqrt(area / aspect)), 1, h))
    cw = int(np.clip(round(np.sqrt(area * aspect)), 1, w))
    top = int(rng.integers(0, h - ch + 1))
    left = int(rng.integers(0, w - cw + 1))
    return _resize(arr[top : top + ch, left : left + cw], size)


def flip(image: np.ndarray) -> np.ndarray:
    """The image mirrored left-right, shape unchanged."""
    return _check_image(image)[:, ::-1].copy()


def rotate(image: np.ndarray, degrees: float) -> np.ndarray:
    """The image rotated by ``degrees`` (counter-clockwise) about its centre, same shape.

    Corners brought in are filled with the image's own border colour (its edge median), so a
    black-background digit stays on black and a white one on white.
    """
    arr = _check_image(image)
    if degrees == 0:
        return arr.copy()
    edge = np.concatenate([arr[0], arr[-1], arr[:, 0], arr[:, -1]], axis=0)
    fill = np.median(edge, axis=0)
    out = [
        np.asarray(
            Image.fromarray(arr[:, :, c], mode="F").rotate(
                float(degrees), resample=Image.Resampling.BILINEAR, fillcolor=float(fill[c])
            )
        )
        for c in range(arr.shape[2])
    ]
    return np.stack(out, axis=2).astype(np.float32)


def adjust(image: np.ndarray, *, brightness: float = 1.0, contrast: float = 1.0) -> np.ndarray:
    """Scale brightness, then contrast about the image's mean grey; clipped to 0..255."""
    arr = _check_image(image) * np.float32(brightness)
    mean = arr.mean()
    arr = (arr - mean) * np.float32(contrast) + mean
    return np.clip(arr, 0.0, 255.0).astype(np.float32)


def gaussian_noise(image: np.ndarray, rng: np.random.Generator, *, std: float) -> np.ndarray:
    """Add Gaussian noise of standard deviation ``std * 255``; clipped to 0..255."""
    arr = _check_image(image)
    noisy = arr + rng.normal(0.0, std * 255.0, size=arr.shape).astype(np.float32)
    return np.clip(noisy, 0.0, 255.0).astype(np.float32)


def augment(
    image: np.ndarray, rng: np.random.Generator, *, size: int, settings: AugmentSettings
) -> np.ndarray:
    """One random view: crop, flip (if on), rotate, brightness/contrast, noise.

    Returns
    -------
    ndarray of shape (size, size, c), float32 in 0..255
    """
    view = random_resized_crop(image, rng, size=size, min_scale=settings.min_scale)
    if settings.flip and rng.random() < 0.5:
        view = flip(view)
    if settings.degrees > 0:
        view = rotate(view, float(rng.uniform(-settings.degrees, settings.degrees)))
    view = adjust(
        view,
        brightness=float(rng.uniform(1 - settings.brightness, 1 + settings.brightness)),
        contrast=float(rng.uniform(1 - settings.contrast, 1 + settings.contrast)),
    )
    if settings.noise > 0:
        view = gaussian_noise(view, rng, std=settings.noise)
    return view


def augment_batch(
    images: np.ndarray, rng: np.random.Generator, *, size: int, settings: AugmentSettings
) -> np.ndarray:
    """One random view of each image of a batch.

    Parameters
    ----------
    images : ndarray of shape (n, h, w, c)
        Values in 0..255 (uint8 or float).
    rng : numpy.random.Generator
    size : int
    settings : AugmentSettings

    Returns
    -------
    ndarray of shape (n, size, size, c), float32 in 0..255
    """
    arr = np.asarray(images)
    if arr.ndim != 4:
        raise FewlabelsError(
            f"Expected a batch of images of shape (n, height, width, channels), but got shape "
            f"{arr.shape}. Stack decoded images into one array."
        )
    if arr.shape[0] == 0:
        return np.zeros((0, size, size, arr.shape[3]), dtype=np.float32)
    return np.stack([augment(im, rng, size=size, settings=settings) for im in arr])
