"""Test doubles shared by the test modules (import as ``from fakes import ...``)."""

from __future__ import annotations

import hashlib

import numpy as np


class FakeTextEncoder:
    """Deterministic text encoder: a hash of each text seeds a unit vector. Counts calls.

    Texts that share their first word land near each other, so it can stand in for a real
    encoder in tests of learners and of the cache.
    """

    name = "fake-text"
    modality = "text"

    def __init__(self, dim: int = 16) -> None:
        self._dim = dim
        self.calls = 0
        self.encoded = 0

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def identity(self) -> str:
        return f"fake-text/{self._dim}"

    def _vec(self, text: str) -> np.ndarray:
        head = text.split(" ")[0] if text else ""
        seed_a = int(hashlib.md5(head.encode()).hexdigest()[:8], 16)
        seed_b = int(hashlib.md5(text.encode()).hexdigest()[:8], 16)
        v = np.random.default_rng(seed_a).normal(size=self._dim)
        v += 0.3 * np.random.default_rng(seed_b).normal(size=self._dim)
        return v / np.linalg.norm(v)

    def encode(self, inputs: list[str]) -> np.ndarray:
        self.calls += 1
        self.encoded += len(inputs)
        return np.stack([self._vec(str(t)) for t in inputs]).astype(np.float32)

    def encode_text(self, prompts: list[str]) -> np.ndarray:
        return self.encode(prompts)
