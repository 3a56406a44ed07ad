"""Run an image model batch by batch, decoding the next batch while the current one runs."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import numpy as np

from fewlabels.encode.images import UnreadableInputError, load_images

T = TypeVar("T")


def decode_native(inputs: Sequence[Any] | np.ndarray) -> list[np.ndarray]:
    """Decode images to RGB at their own size (a model's processor resizes them).

    Parameters
    ----------
    inputs : sequence of paths, or ndarray of shape (n, height, width[, channels])

    Returns
    -------
    list of n ndarrays of shape (height_i, width_i, 3), uint8

    Raises
    ------
    UnreadableInputError
        Listing every input that is missing, corrupt or truncated.
    """
    if isinstance(inputs, np.ndarray):
        return list(load_images(inputs, size=None, mode="RGB"))

    def one(item: Any) -> np.ndarray | str:
        try:
            return load_images([item], size=None, mode="RGB", workers=1)[0]
        except UnreadableInputError as exc:
            return exc.reasons[0]

    items = list(inputs)
    workers = max(1, min(8, os.cpu_count() or 2, len(items)))
    if workers > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(one, items))
    else:
        results = [one(i) for i in items]
    bad = [k for k, r in enumerate(results) if isinstance(r, str)]
    if bad:
        raise UnreadableInputError(bad, [str(results[k]) for k in bad])
    return [r for r in results if isinstance(r, np.ndarray)]


def map_image_batches(
    inputs: Sequence[Any] | np.ndarray,
    *,
    batch_size: int,
    decode: Callable[[Sequence[Any] | np.ndarray], T],
    run: Callable[[T], np.ndarray],
    dim: int,
) -> np.ndarray:
    """Embed images batch by batch; batch ``k + 1`` decodes in a thread while ``k`` runs.

    Parameters
    ----------
    inputs : sequence of paths, or ndarray of shape (n, height, width[, channels])
    batch_size : int
    decode : callable
        Turns a slice of ``inputs`` into what ``run`` takes (decoding and preprocessing, which
        release the GIL in Pillow and numpy); raises ``UnreadableInputError`` for bad items.
    run : callable
        Embeds one decoded batch: ndarray of shape (batch, dim).
    dim : int
        Embedding width (for an empty input).

    Returns
    -------
    ndarray of shape (n, dim), float32

    Raises
    ------
    UnreadableInputError
        Once, after every batch was decoded, with the positions (in ``inputs``) of all the
        unreadable items; the model stops running at the first bad batch.
    """
    n = len(inputs)
    starts = list(range(0, n, batch_size))
    out: list[np.ndarray] = []
    bad: list[int] = []
    reasons: list[str] = []
    with ThreadPoolExecutor(max_workers=1) as pool:
        future: Future[T] | None = pool.submit(decode, inputs[:batch_size]) if starts else None
        for k, start in enumerate(starts):
            assert future is not None
            try:
                decoded: T | None = future.result()
            except UnreadableInputError as exc:
                decoded = None
                bad.extend(start + p for p in exc.positions)
                reasons.extend(exc.reasons)
            if k + 1 < len(starts):
                nxt = starts[k + 1]
                future = pool.submit(decode, inputs[nxt : nxt + batch_size])
            if decoded is not None and not bad:
                out.append(np.asarray(run(decoded), dtype=np.float32))
    if bad:
        raise UnreadableInputError(bad, reasons)
    if not out:
        return np.zeros((0, dim), dtype=np.float32)
    return np.concatenate(out).astype(np.float32, copy=False)
