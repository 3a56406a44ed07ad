"""How the image student reads pixels: size, channels and normalisation, stored as JSON.

Colour modes are converted where nothing is lost, without being asked: a grey image (modes
``1``, ``L``, ``I``...) for a colour student becomes RGB by repeating its channel, a palette
(``P``) image is expanded, an alpha channel is dropped; an RGB image whose three channels are
equal becomes grey for a grey student. Only a real colour image for a grey student (which
loses its colour) and an image of another size need ``resize=True`` (``--resize``).
:func:`survey_images` reads only the image headers (Pillow opens lazily), so the sizes and
modes of a whole folder are checked in seconds, before any long work starts.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from fewlabels.errors import FewlabelsError


def as_uint8_images(images: np.ndarray) -> np.ndarray:
    """In-memory images as uint8 of shape (n, height, width, channels).

    Parameters
    ----------
    images : ndarray of shape (n, height, width) or (n, height, width, channels)
        uint8 as is; other dtypes with values in [0, 1] are scaled by 255, others clipped
        to [0, 255].

    Returns
    -------
    ndarray of shape (n, height, width, channels), uint8
    """
    arr = np.asarray(images)
    if arr.ndim == 3:
        arr = arr[..., None]
    if arr.dtype == np.uint8:
        return arr
    arr = arr.astype(np.float32)
    if arr.size and float(arr.max()) <= 1.0:
        arr = arr * 255.0
    return np.clip(np.rint(arr), 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class ImageInput:
    """Pixels in: images of a fixed size, scaled to [0, 1] and standardised per channel.

    Parameters
    ----------
    height, width, channels : int
        What the student was trained on (channels 1 = grey, 3 = RGB).
    mean, std : tuple of float, one per channel
        Per-channel statistics of the training pixels in [0, 1].
    """

    height: int
    width: int
    channels: int
    mean: tuple[float, ...]
    std: tuple[float, ...]

    input_names = ("pixels",)

    @classmethod
    def from_images(cls, images: np.ndarray) -> ImageInput:
        """Statistics of uint8 images of shape (n, height, width, channels)."""
        x = images.astype(np.float32) / 255.0
        mean = x.mean(axis=(0, 1, 2))
        std = np.maximum(x.std(axis=(0, 1, 2)), 1e-3)
        _, h, w, c = images.shape
        return cls(h, w, c, tuple(float(m) for m in mean), tuple(float(s) for s in std))

    @property
    def describe(self) -> str:
        kind = {1: "grey", 3: "RGB"}.get(self.channels, f"{self.channels}-channel")
        return f"{self.width}x{self.height} {kind}"

    def load(self, inputs: Sequence[Any] | np.ndarray, *, resize: bool = False) -> np.ndarray:
        """Images as uint8 of shape (n, height, width, channels), checked against the spec.

        Parameters
        ----------
        inputs : ndarray of shape (n, height, width[, channels]), or sequence of image paths
        resize : bool
            Resize (bilinear) and convert the colour mode of images that do not match,
            instead of refusing them.

        Raises
        ------
        ValueError
            When the size or channels differ and ``resize`` is False, naming what was expected.
        """
        if isinstance(inputs, np.ndarray):
            arr = as_uint8_images(inputs)
            if arr.shape[1:3] == (self.height, self.width) and arr.shape[-1] != self.channels:
                if arr.shape[-1] == 1 and self.channels == 3:  # grey -> RGB: lossless
                    arr = np.repeat(arr, 3, axis=-1)
                elif arr.shape[-1] == 3 and self.channels == 1 and not resize:
                    if (arr == arr[..., :1]).all():  # RGB with equal channels: lossless
                        arr = arr[..., :1]
            got = arr.shape[1:]
            if got != (self.height, self.width, self.channels):
                if not resize:
                    raise FewlabelsError(
                        f"Expected images of {self.describe} pixels (height, width, channels = "
                        f"{(self.height, self.width, self.channels)}) as the student was trained, "
                        f"but got an array of images of shape {got}. Pass resize=True "
                        "(--resize) to resize them, or use a student trained at this size."
                    )
                return np.stack([self._from_pil(_array_to_pil(a)) for a in arr])
            return arr
        paths = [os.fspath(p) for p in inputs]
        if not resize:
            self.check_sizes(survey_images(paths))
        workers = max(1, min(8, os.cpu_count() or 2))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(lambda p: self._read(p, resize=resize), paths))
        bad = [k for k, r in enumerate(results) if isinstance(r, str)]
        if bad:
            from fewlabels.encode.images import UnreadableInputError

            raise UnreadableInputError(bad, [str(results[k]) for k in bad])
        arrays = [r for r in results if isinstance(r, np.ndarray)]
        if not arrays:
            return np.zeros((0, self.height, self.width, self.channels), dtype=np.uint8)
        return np.stack(arrays)

    def check_sizes(self, survey: ImageSurvey) -> None:
        """Refuse images of another size than the student's, counting them (headers only)."""
        other = {s: n for s, n in survey.sizes.items() if s != (self.width, self.height)}
        if other:
            n = sum(other.values())
            ranked = sorted(other.items(), key=lambda kv: -kv[1])
            (w0, h0), _ = ranked[0]
            path0, mode0 = survey.example[(w0, h0)]
            counts = ", ".join(f"{n_s} of {w}x{h}" for (w, h), n_s in ranked[:3])
            raise FewlabelsError(
                f"Expected images of {self.describe} pixels as the student was trained, but "
                f"{n} of {survey.n_readable} image(s) have another size ({counts}), e.g. "
                f"{path0!r} is {w0}x{h0} in mode {mode0}. Pass resize=True (--resize) to resize "
                f"them to {self.width}x{self.height}."
            )

    def _read(self, path: str, *, resize: bool) -> np.ndarray | str:
        """One image as uint8 (height, width, channels), or why it cannot be read."""
        from PIL import Image

        try:
            with Image.open(path) as im:
                im.load()
                size_ok = im.size == (self.width, self.height)
                converted = to_channels(im, self.channels, lossy=resize)
                if converted is None or (not size_ok and not resize):
                    raise FewlabelsError(
                        f"Expected images of {self.describe} pixels as the student was trained, "
                        f"but {path!r} is {im.size[0]}x{im.size[1]} in mode {im.mode}"
                        + ("" if converted is not None else " (a colour image)")
                        + ". Pass resize=True (--resize) to resize and convert, or use a "
                        "student trained at this size."
                    )
                return self._from_pil(converted)
        except FewlabelsError:
            raise
        except Exception as exc:  # corrupt, truncated or missing: skipped by the caller
            return f"{type(exc).__name__}: {exc}"

    def _from_pil(self, im: Any) -> np.ndarray:
        from PIL import Image

        im = to_channels(im, self.channels, lossy=True)
        if im.size != (self.width, self.height):
            im = im.resize((self.width, self.height), Image.Resampling.BILINEAR)
        a = np.asarray(im, dtype=np.uint8)
        return a[..., None] if a.ndim == 2 else a

    def normalise(self, images: np.ndarray) -> np.ndarray:
        """uint8 images (n, height, width, channels) -> standardised float32 (n, c, h, w)."""
        scaled = images.astype(np.float32) / np.float32(255.0)
        mean = np.asarray(self.mean, dtype=np.float32)
        std = np.asarray(self.std, dtype=np.float32)
        x: np.ndarray = ((scaled - mean) / std).astype(np.float32, copy=False)
        return np.ascontiguousarray(x.transpose(0, 3, 1, 2))

    def feeds(
        self, inputs: Sequence[Any] | np.ndarray, *, resize: bool = False
    ) -> dict[str, np.ndarray]:
        """The ONNX inputs for raw images."""
        return {"pixels": self.normalise(self.load(inputs, resize=resize))}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ImageInput:
        return cls(
            int(d["height"]),
            int(d["width"]),
            int(d["channels"]),
            tuple(float(v) for v in d["mean"]),
            tuple(float(v) for v in d["std"]),
        )


def _array_to_pil(arr: np.ndarray) -> Any:
    from PIL import Image

    return Image.fromarray(arr[..., 0] if arr.shape[-1] == 1 else arr)


#: Pillow modes of grey images (one channel, with or without alpha).
GREY_MODES = ("1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "I;16N", "F", "La")


def to_channels(im: Any, channels: int, *, lossy: bool) -> Any:
    """``im`` as mode ``L`` (channels 1) or ``RGB`` (channels 3), or None when that loses colour.

    Grey to RGB repeats the channel; a palette is expanded; alpha is dropped. RGB to grey is
    lossless only when the three channels are equal; otherwise it is done (ITU-R 601-2 luma,
    Pillow's ``convert("L")``) only when ``lossy``, else None.
    """
    if channels == 3:
        return im if im.mode == "RGB" else im.convert("RGB")
    if im.mode == "L":
        return im
    if im.mode in GREY_MODES:
        return im.convert("L")
    rgb = im if im.mode == "RGB" else im.convert("RGB")
    r, g, b = (np.asarray(c) for c in rgb.split())
    if lossy or (np.array_equal(r, g) and np.array_equal(g, b)):
        return rgb.convert("L")
    return None


@dataclass
class ImageSurvey:
    """Sizes and modes of image files, read from their headers only.

    Attributes
    ----------
    sizes : Counter of (width, height)
    example : dict of (width, height) to (str, str)
        The first file of each size, and its mode.
    colour : int
        Files in a colour mode (RGB, RGBA, P, CMYK...).
    unreadable : list of (position, reason)
        Files whose header cannot be read (they are skipped later, and reported).
    """

    sizes: Counter[tuple[int, int]] = field(default_factory=Counter)
    example: dict[tuple[int, int], tuple[str, str]] = field(default_factory=dict)
    colour: int = 0
    unreadable: list[tuple[int, str]] = field(default_factory=list)

    @property
    def n_readable(self) -> int:
        return sum(self.sizes.values())

    @property
    def common_size(self) -> tuple[int, int]:
        """The most frequent size (the first file's among ties)."""
        best = max(self.sizes.values())
        return next(s for s in self.example if self.sizes[s] == best)


def survey_images(paths: Sequence[Any]) -> ImageSurvey:
    """Read the header (size, mode) of each image file; nothing is decoded."""
    from PIL import Image

    survey = ImageSurvey()
    for k, path in enumerate(paths):
        try:
            with Image.open(path) as im:
                size, mode = (int(im.size[0]), int(im.size[1])), im.mode
        except Exception as exc:
            survey.unreadable.append((k, f"{type(exc).__name__}: {exc}"))
            continue
        survey.sizes[size] += 1
        survey.example.setdefault(size, (os.fspath(path), mode))
        survey.colour += mode not in GREY_MODES
    return survey
