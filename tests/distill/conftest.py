"""Fixtures for the distillation tests: tiny toy problems and one torch thread."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
import torch

from fewlabels.data import Dataset
from fewlabels.distill.config import DistillConfig


@pytest.fixture(autouse=True)
def _one_torch_thread() -> Iterator[None]:
    """Tiny models train far faster on one thread on a busy 2-core machine; restored after."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def quick() -> DistillConfig:
    return DistillConfig(epochs=8, batch_size=32, lr=1e-2, patience=3, progress=False)


def toy_texts(n: int = 120) -> tuple[list[str], np.ndarray]:
    """Two classes told apart by a few words; filler words are shared."""
    rng = np.random.default_rng(0)
    good, bad = ["tasty", "great", "lovely"], ["stale", "awful", "bland"]
    filler = ["the", "food", "was", "really", "quite", "it"]
    y = np.arange(n) % 2
    texts = [
        " ".join([*rng.choice(filler, 4), rng.choice(good if c else bad), *rng.choice(filler, 2)])
        for c in y
    ]
    return texts, y


def toy_images(n: int = 96, size: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """Grey images: class 1 has a bright square, class 0 a vertical bar (with noise)."""
    rng = np.random.default_rng(0)
    y = np.arange(n) % 2
    imgs = rng.integers(0, 30, (n, size, size)).astype(np.uint8)
    for i, c in enumerate(y):
        dx, dy = rng.integers(0, 3, 2)
        if c:
            imgs[i, 3 + dy : 8 + dy, 3 + dx : 8 + dx] = 230
        else:
            imgs[i, :, 5 + dx : 7 + dx] = 200
    return imgs, y


def toy_table(n: int = 120) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    y = np.arange(n) % 2
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=n) + 2.5 * y,
            "z": rng.normal(size=n) * 100 + 1000,
            "colour": np.where(rng.random(n) < 0.8, np.where(y == 1, "red", "blue"), "green"),
        }
    )
    return frame, y


def soft(y: np.ndarray, k: int = 2, *, sure: float = 0.85) -> np.ndarray:
    """Soft labels that put ``sure`` on the true class."""
    p = np.full((y.size, k), (1 - sure) / (k - 1))
    p[np.arange(y.size), y] = sure
    return p


def toy_pool(n: int = 80, n_labelled: int = 6) -> Dataset:
    """``toy_texts(n)`` as a text Dataset with the first ``n_labelled`` rows labelled."""
    texts, y = toy_texts(n)
    labels = np.full(n, -1)
    labels[:n_labelled] = y[:n_labelled]
    return Dataset(
        ids=np.array([f"r{i}" for i in range(n)], dtype=object),
        inputs=texts,
        labels=labels,
        classes=("bad", "good"),
        modality="text",
        name="toy",
    )
