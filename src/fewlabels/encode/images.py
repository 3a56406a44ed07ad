"""Decode images for encoders with Pillow, in a small thread pool."""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from PIL import Image

from fewlabels.data.folder import IMAGE_SUFFIXES
from fewlabels.errors import FewlabelsError

__all__ = ["IMAGE_SUFFIXES", "UnreadableInputError", "load_images"]


class UnreadableInputError(FewlabelsError):
    """Some inputs of a batch could not be decoded.

    Attributes
    ----------
    positions : list of int
        Positions in the batch of the unreadable inputs.
    reasons : list of str
        Why each could not be read.
    """

    def __init__(self, positions: list[int], reasons: list[str]) -> None:
        self.positions = positions
        self.reasons = reasons
        super().__init__(
            f"{len(positions)} input(s) could not be read, e.g. position {positions[0]}: "
            f"{reasons[0]}"
        )


def _default_workers() -> int:
    return max(1, min(8, (os.cpu_count() or 2)))


def _to_pil(item: Any, mode: str) -> Image.Image:
    if isinstance(item, (str, os.PathLike)):
        with Image.open(item) as im:
            im.load()
            return im.convert(mode)
    arr = np.asarray(item)
    if arr.dtype != np.uint8:
        hi = float(arr.max()) if arr.size else 1.0
        scale = 255.0 / hi if hi > 1.0 else 255.0
        arr = np.clip(arr.astype(np.float32) * scale, 0, 255).astype(np.uint8)
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    return Image.fromarray(arr).convert(mode)


def load_images(
    inputs: Sequence[Any] | np.ndarray,
    *,
    size: tuple[int, int] | None,
    mode: str = "RGB",
    workers: int | None = None,
) -> np.ndarray:
    """Decode and resize a batch of images.

    Parameters
    ----------
    inputs : sequence of paths, or ndarray of shape (n, height, width[, channels])
    size : (width, height) or None
        Resize target (bilinear); None keeps the size, which must then agree across the batch.
    mode : str
        Pillow mode, ``"RGB"`` or ``"L"``.
    workers : int, optional
        Decoding threads (Pillow releases the GIL while decoding).

    Returns
    -------
    ndarray of shape (n, height, width, channels), uint8

    Raises
    ------
    UnreadableInputError
        Listing every input of the batch that is missing, corrupt or truncated.
    """
    items = list(inputs)

    def one(item: Any) -> np.ndarray | str:
        try:
            im = _to_pil(item, mode)
            if size is not None and im.size != tuple(size):
                im = im.resize((int(size[0]), int(size[1])), Image.Resampling.BILINEAR)
            a = np.asarray(im, dtype=np.uint8)
            return a[..., None] if a.ndim == 2 else a
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"

    n_workers = workers or _default_workers()
    if n_workers > 1 and len(items) > 1 and not isinstance(inputs, np.ndarray):
        with ThreadPoolExecutor(max_workers=n_workers) as pool:
            results = list(pool.map(one, items))
    else:
        results = [one(i) for i in items]
    bad = [k for k, r in enumerate(results) if isinstance(r, str)]
    if bad:
        raise UnreadableInputError(bad, [str(results[k]) for k in bad])
    arrays = [r for r in results if isinstance(r, np.ndarray)]
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise FewlabelsError(
            f"Expected images of one size in a batch when size=None, but got {sorted(shapes)}. "
            "Pass size=(width, height) to resize."
        )
    return np.stack(arrays) if arrays else np.zeros((0, 0, 0, 0), dtype=np.uint8)
