"""Flattened grey pixels: a baseline "encoder" for small images and tests."""

from __future__ import annotations

from typing import Any

import numpy as np

from fewlabels.encode.base import l2_normalize
from fewlabels.encode.images import UnreadableInputError, load_images
from fewlabels.errors import FewlabelsError, NotFittedError
from fewlabels.typing import Modality


class PixelsEncoder:
    """Grey pixel values in [0, 1], flattened and L2-normalised.

    Parameters
    ----------
    size : int, optional
        Resize every image to ``size x size``. By default the size of the first image seen
        by :meth:`fit` (in-memory arrays keep their size).
    """

    modality: Modality = "image"

    def __init__(self, *, size: int | None = None) -> None:
        self.size = size
        self._shape: tuple[int, int] | None = (size, size) if size else None
        self.name = f"pixels:{size}" if size else "pixels"

    @property
    def is_fitted(self) -> bool:
        return self._shape is not None

    def fit(self, inputs: Any) -> PixelsEncoder:
        """Fix the image size from the first readable input (when ``size`` was not given).

        Unreadable inputs before it are passed over here; embedding skips and reports them.
        """
        if self._shape is None:
            reasons: list[str] = []
            for item in inputs:
                try:
                    first = load_images([item], size=None, mode="L", workers=1)
                except UnreadableInputError as exc:
                    reasons.extend(exc.reasons)
                    continue
                self._shape = (int(first.shape[2]), int(first.shape[1]))
                return self
            raise FewlabelsError(
                f"Expected at least one readable image to take the size from, but none of the "
                f"{len(inputs)} input(s) could be read"
                + (f", e.g. {reasons[0]}" if reasons else "")
                + ". Check the files, or fix the size with pixels:N (PixelsEncoder(size=N))."
            )
        return self

    @property
    def dim(self) -> int:
        if self._shape is None:
            raise NotFittedError("PixelsEncoder has no size yet: call fit(inputs) or pass size=.")
        return self._shape[0] * self._shape[1]

    @property
    def identity(self) -> str:
        return f"pixels/grey/{self.dim}/{self._shape}/unit-l2"

    def encode(self, inputs: Any) -> np.ndarray:
        """Embed images (paths or arrays): ndarray of shape (n, width * height), float32."""
        if self._shape is None:
            self.fit(inputs)
        images = load_images(inputs, size=self._shape, mode="L")
        flat = images.reshape(len(images), -1).astype(np.float32) / 255.0
        return l2_normalize(flat)
