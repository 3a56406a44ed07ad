"""What the labelling page shows of an item: image bytes, a text, or a table row."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from fewlabels.data.dataset import Dataset
from fewlabels.errors import FewlabelsError

_IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".bmp": "image/bmp",
    ".gif": "image/gif",
}
_MIN_SIDE = 224


@dataclass(frozen=True)
class ItemView:
    """An item as the page renders it: ``kind`` is "image", "text" or "row"."""

    kind: str
    text: str = ""
    row: list[tuple[str, str]] = field(default_factory=list)


def item_view(dataset: Dataset, position: int) -> ItemView:
    """The view of the item at ``position`` (assumes a valid position)."""
    if dataset.modality == "image":
        return ItemView("image")
    inputs = dataset.inputs
    if isinstance(inputs, pd.DataFrame):
        row = inputs.iloc[position]
        return ItemView("row", row=[(str(k), str(v)) for k, v in row.items()])
    return ItemView("text", text=str(inputs[position]))


def array_to_png(image: np.ndarray) -> bytes:
    """Render an in-memory image ``(height, width[, channels])`` to PNG, scaled up when small.

    Values are stretched to 0-255 when the array is not already ``uint8``.
    """
    from PIL import Image

    arr = np.asarray(image)
    if arr.dtype != np.uint8:
        arr = arr.astype(np.float64)
        top = float(arr.max()) if arr.size else 1.0
        arr = np.clip(arr / (top if top > 0 else 1.0) * 255.0, 0, 255).astype(np.uint8)
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    img = Image.fromarray(arr)
    side = min(img.size)
    if side < _MIN_SIDE:
        k = int(np.ceil(_MIN_SIDE / max(side, 1)))
        img = img.resize((img.size[0] * k, img.size[1] * k), Image.Resampling.NEAREST)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def image_bytes(
    dataset: Dataset, position: int, *, root: str | Path | None = None
) -> tuple[bytes, str]:
    """The image of the item at ``position`` and its media type.

    The file read is the one registered for the item in the dataset, never a path from a
    request.

    Parameters
    ----------
    dataset : Dataset
    position : int
    root : path-like, optional
        The data folder: the file must resolve (symbolic links followed) to a file inside it,
        so a link to ``/etc/passwd`` put into the folder is never served.

    Raises
    ------
    FileNotFoundError
        When the registered file cannot be read (moved since the workspace was opened).
    ValueError
        When the item is not an image, its file type is not one the page serves, or it
        resolves outside ``root``.
    """
    if dataset.modality != "image":
        raise FewlabelsError(
            f"Expected an image item, but the dataset holds {dataset.modality} items."
        )
    inputs = dataset.inputs
    if isinstance(inputs, np.ndarray):
        return array_to_png(inputs[position]), "image/png"
    path = Path(inputs[position])
    media = _IMAGE_TYPES.get(path.suffix.lower())
    if media is None:
        raise FewlabelsError(
            f"Expected an image file ({sorted(_IMAGE_TYPES)}), but got {path.suffix!r}."
        )
    if root is not None:
        real = path.resolve()
        if not real.is_relative_to(Path(root).resolve()):
            raise FewlabelsError(
                f"Expected the image of item {position} inside the data folder {str(root)!r}, "
                f"but {str(path)!r} resolves to {str(real)!r}, outside it."
            )
        path = real
    return path.read_bytes(), media
