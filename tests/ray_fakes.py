"""Encoders for the Ray tests, importable by the workers of the local cluster (tests/ is on
their PYTHONPATH, see ray_cluster.py)."""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from pathlib import Path

import numpy as np

from fakes import FakeTextEncoder


class RecordingEncoder(FakeTextEncoder):
    """A fake text encoder whose output depends on the whole ``encode`` call, as an int8 graph
    quantised per call does, and that records where it ran.

    Each vector gets a tilt seeded by the call's first text, so a row encoded in another
    grouping of rows comes out different. With ``log_dir``, each process writes one
    ``load-<pid>-<uuid>`` file when this instance first encodes there (the model "load") and
    one ``call-<pid>-<uuid>`` file per call; ``delay_s`` makes each call slow.
    """

    name = "recording-text"

    def __init__(self, dim: int = 16, *, delay_s: float = 0.0, log_dir: str | None = None) -> None:
        super().__init__(dim)
        self.delay_s = delay_s
        self.log_dir = log_dir
        self._loaded_in: int | None = None

    @property
    def identity(self) -> str:
        return f"recording-text/{self._dim}"

    def _log(self, kind: str) -> None:
        if self.log_dir is not None:
            Path(self.log_dir, f"{kind}-{os.getpid()}-{uuid.uuid4().hex}").touch()

    def encode(self, inputs: list[str]) -> np.ndarray:
        if self._loaded_in != os.getpid():
            self._loaded_in = os.getpid()
            self._log("load")
        self._log("call")
        if self.delay_s:
            time.sleep(self.delay_s)
        base = super().encode(inputs)
        seed = int(hashlib.md5(str(inputs[0]).encode()).hexdigest()[:8], 16)
        tilt = np.random.default_rng(seed).normal(size=self._dim).astype(np.float32)
        out = base + 0.05 * tilt
        return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)


def pids(log_dir: str | Path, kind: str) -> list[int]:
    """Process ids of the ``kind`` ("load" or "call") records, one per record."""
    return [int(p.name.split("-")[1]) for p in Path(log_dir).glob(f"{kind}-*")]


def texts_dataset(n: int):  # type: ignore[no-untyped-def]
    """``n`` short texts in three classes, none labelled (the same in every process)."""
    from fewlabels.data import Dataset

    words = ["apple", "river", "stone"]
    return Dataset(
        ids=np.array([f"t{i}" for i in range(n)], dtype=object),
        inputs=[f"{words[i % 3]} review number {i} " + "word " * (i % 7) for i in range(n)],
        labels=np.full(n, -1),
        classes=tuple(words),
        modality="text",
        name="ray-texts",
    )
