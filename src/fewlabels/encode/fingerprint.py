"""Fingerprints of inputs: the per-item half of the embedding cache's key."""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from fewlabels.data.dataset import Dataset

#: A fingerprint is 32 hex characters (a 128-bit BLAKE2b digest), stored as ``S32``.
FINGERPRINT_DTYPE = np.dtype("S32")


def _digest(prefix: bytes, payload: bytes) -> bytes:
    return hashlib.blake2b(prefix + payload, digest_size=16).hexdigest().encode()


def _file_digest(path: str) -> bytes:
    h = hashlib.blake2b(b"file\0", digest_size=16)
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    except OSError:
        # Unreadable now: key it by path, so it is retried (and reported) on every run.
        return _digest(b"missing\0", os.fsencode(path))
    return h.hexdigest().encode()


def fingerprints(dataset: Dataset) -> np.ndarray:
    """Content fingerprints of every input.

    Texts hash their UTF-8 bytes, image files their bytes (so a moved folder keeps its cache),
    in-memory images their pixels and shape, table rows their values.

    Returns
    -------
    ndarray of shape (n_samples,), dtype S32
    """
    inputs: Any = dataset.inputs
    if isinstance(inputs, pd.DataFrame):
        a = pd.util.hash_pandas_object(inputs, index=False, hash_key="fewlabels-row-a0").to_numpy()
        b = pd.util.hash_pandas_object(inputs, index=False, hash_key="fewlabels-row-b1").to_numpy()
        keys = [f"{x:016x}{y:016x}".encode() for x, y in zip(a, b, strict=True)]
        return np.array(keys, FINGERPRINT_DTYPE)
    if isinstance(inputs, np.ndarray):
        head = f"{inputs.shape[1:]}{inputs.dtype}".encode()
        return np.array(
            [_digest(b"array\0" + head, np.ascontiguousarray(row).tobytes()) for row in inputs],
            FINGERPRINT_DTYPE,
        )
    if dataset.modality == "image":
        with ThreadPoolExecutor(max_workers=4) as pool:
            return np.array(list(pool.map(_file_digest, inputs)), FINGERPRINT_DTYPE)
    return np.array([_digest(b"text\0", str(t).encode("utf-8")) for t in inputs], FINGERPRINT_DTYPE)


def combine(parts: np.ndarray) -> str:
    """One digest of many fingerprints (order matters): ndarray (n,) S32 -> 32 hex chars."""
    return hashlib.blake2b(np.ascontiguousarray(parts).tobytes(), digest_size=16).hexdigest()
