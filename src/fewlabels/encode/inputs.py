"""Checks of an encoder's inputs and options, with messages that say how to fix them."""

from __future__ import annotations

from typing import Any

import numpy as np

from fewlabels._validation import check_count
from fewlabels.errors import FewlabelsError, InputTypeError, MissingFileError


def check_encoder_int(
    value: Any, *, encoder: str, name: str = "batch_size", what: str = "items per forward pass"
) -> int:
    """Return an encoder's integer option (batch size, sequence length) as an int >= 1."""
    return check_count(
        value, name=name, low=1, what=what, owner=encoder, hint="Leave it out for the default."
    )


def check_texts(inputs: Any, *, encoder: str) -> list[str]:
    """Return texts as a list of str; refuse a bare string and non-text items."""
    if isinstance(inputs, (str, bytes)):
        raise InputTypeError(
            f"{encoder} expected a list of texts, but got a single string {inputs[:40]!r}. "
            "Wrap it in a list: encode([text])."
        )
    try:
        texts = list(inputs)
    except TypeError:
        raise InputTypeError(
            f"{encoder} expected a list of texts, but got {type(inputs).__name__}."
        ) from None
    for k, t in enumerate(texts):
        if not isinstance(t, str):
            raise InputTypeError(
                f"{encoder} expected every input to be a str, but position {k} holds "
                f"{type(t).__name__} {t!r:.60}. Convert the column to text "
                "(or drop missing values)."
            )
    return texts


def check_images(inputs: Any, *, encoder: str) -> list[Any] | np.ndarray:
    """Return images as a list of paths or an ndarray of shape (n, height, width[, channels])."""
    if isinstance(inputs, (str, bytes)):
        raise InputTypeError(
            f"{encoder} expected a list of image paths or an array of images, but got a single "
            f"string {inputs[:60]!r}. Wrap it in a list: encode([path])."
        )
    if isinstance(inputs, np.ndarray):
        ok_channels = inputs.ndim == 3 or (inputs.ndim == 4 and inputs.shape[-1] in (1, 3, 4))
        if inputs.dtype == object and inputs.ndim == 1:
            return list(inputs)
        if not ok_channels:
            raise FewlabelsError(
                f"{encoder} expected an image array of shape (n, height, width) or "
                f"(n, height, width, channels) with 1, 3 or 4 channels, but got shape "
                f"{inputs.shape}. Stack images along the first axis, channels last."
            )
        return inputs
    try:
        return list(inputs)
    except TypeError:
        raise InputTypeError(
            f"{encoder} expected a list of image paths or an array of images, but got "
            f"{type(inputs).__name__}."
        ) from None


def check_model_source(model_id_or_path: Any, *, encoder: str) -> str:
    """Return a model folder or hub id as str; refuse a path-like name that is no folder."""
    import os

    source = str(model_id_or_path)
    looks_like_path = source.startswith(("/", "./", "../", "~", ".\\")) or os.path.isabs(source)
    if looks_like_path and not os.path.isdir(os.path.expanduser(source)):
        what = "a file, not a folder" if os.path.isfile(os.path.expanduser(source)) else "missing"
        raise MissingFileError(
            f"{encoder} expected a model folder (save_pretrained output) or a hub id such as "
            f"'org/model', but the path {source!r} is {what}. Check the path."
        )
    return source
