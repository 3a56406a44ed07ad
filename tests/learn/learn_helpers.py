"""Helpers for the learners' tests: tiny data with known answers and fake encoders."""

from __future__ import annotations

import hashlib
import re

import numpy as np
import scipy.sparse as sp


def blobs(
    n_per_class: int = 30,
    n_classes: int = 3,
    dim: int = 8,
    *,
    spread: float = 0.15,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Well separated clusters on the unit sphere: X (n, dim) float32 and true labels."""
    rng = np.random.default_rng(seed)
    centers = np.linalg.qr(rng.normal(size=(dim, dim)))[0][:n_classes]
    y = np.repeat(np.arange(n_classes), n_per_class)
    X = centers[y] + spread * rng.normal(size=(len(y), dim))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    return X.astype(np.float32), y


def hide(y: np.ndarray, per_class: int, *, seed: int = 0) -> np.ndarray:
    """Keep ``per_class`` labels per class, set the others to -1."""
    rng = np.random.default_rng(seed)
    out = np.full_like(y, -1)
    for c in np.unique(y):
        rows = rng.choice(np.flatnonzero(y == c), per_class, replace=False)
        out[rows] = c
    return out


class BagOfWordsEncoder:
    """Deterministic fake text encoder: a prompt is the mean of its words' hashed vectors.

    ``word_vector(w)`` is fixed per word, so rows built around a class-name word are close
    to that class's prompts whatever the template.
    """

    name = "fake-bow"
    modality = "text"

    def __init__(self, dim: int = 32) -> None:
        self.dim = dim
        self.identity = f"fake-bow/{dim}"
        self.prompts: list[str] = []

    def word_vector(self, word: str) -> np.ndarray:
        seed = int(hashlib.md5(word.lower().encode()).hexdigest()[:8], 16)
        v = np.random.default_rng(seed).normal(size=self.dim)
        return v / np.linalg.norm(v)

    def encode_text(self, prompts: list[str]) -> np.ndarray:
        self.prompts.extend(prompts)
        out = []
        for p in prompts:
            words = re.findall(r"[a-zA-Z]+", p) or ["<empty>"]
            v = np.mean([self.word_vector(w) for w in words], axis=0)
            out.append(v / np.linalg.norm(v))
        return np.asarray(out, dtype=np.float32)

    def encode(self, inputs: list[str]) -> np.ndarray:
        return self.encode_text(inputs)


class ImageOnlyEncoder:
    """An encoder with no text side."""

    name = "pixels"
    modality = "image"
    dim = 4
    identity = "pixels/test"

    def encode(self, inputs: object) -> np.ndarray:  # pragma: no cover - never called
        raise AssertionError


def every_learner() -> list:
    """One small instance of every learner trained on labels (fast settings for tests)."""
    from fewlabels.learn import (
        KNN,
        Auto,
        ConsistencyTraining,
        LabelSpreading,
        LinearProbe,
        NearestClassMean,
        SelfTraining,
    )

    return [
        NearestClassMean(),
        KNN(),
        LinearProbe(),
        LabelSpreading(),
        SelfTraining(max_iter=2),
        ConsistencyTraining(n_steps=60, hidden=16, lr=0.01),
        Auto(n_repeats=2),
    ]


def random_graph(n: int = 7, seed: int = 0, *, density: float = 0.5) -> sp.csr_matrix:
    """A random symmetric graph, normalised as ``D^-1/2 W D^-1/2`` (isolated rows stay zero)."""
    rng = np.random.default_rng(seed)
    W = rng.random((n, n)) * (rng.random((n, n)) < density)
    W = np.triu(W, 1)
    W = W + W.T
    d = W.sum(axis=1)
    inv = np.where(d > 0, 1 / np.sqrt(np.where(d > 0, d, 1)), 0)
    return sp.csr_matrix(inv[:, None] * W * inv[None, :])
