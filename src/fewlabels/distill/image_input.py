"""How the image student reads pixels: size, channels and normalisation, stored as JSON."""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
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
        workers = max(1, min(8, os.cpu_count() or 2))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            arrays = list(pool.map(lambda p: self._read(p, resize=resize), paths))
        if not arrays:
            return np.zeros((0, self.height, self.width, self.channels), dtype=np.uint8)
        return np.stack(arrays)

    def _read(self, path: str, *, resize: bool) -> np.ndarray:
        from PIL import Image

        with Image.open(path) as im:
            im.load()
            mode = "L" if self.channels == 1 else "RGB"
            same_mode = im.mode == mode or (self.channels == 1 and im.mode in ("L", "I", "I;16"))
            if (im.size != (self.width, self.height) or not same_mode) and not resize:
                raise FewlabelsError(
                    f"Expected images of {self.describe} pixels as the student was trained, but "
                    f"{path!r} is {im.size[0]}x{im.size[1]} in mode {im.mode}. Pass resize=True "
                    "(--resize) to resize and convert, or use a student trained at this size."
                )
            return self._from_pil(im)

    def _from_pil(self, im: Any) -> np.ndarray:
        from PIL import Image

        im = im.convert("L" if self.channels == 1 else "RGB")
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
