"""Shared fixtures: a deterministic fake encoder, tiny datasets, an isolated cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fakes import FakeTextEncoder
from fewlabels.data import Dataset


@pytest.fixture
def fake_encoder() -> FakeTextEncoder:
    return FakeTextEncoder()


@pytest.fixture
def text_dataset() -> Dataset:
    """30 texts in 3 classes (the first word is the class), 2 labelled per class."""
    words = ["apple", "river", "stone"]
    texts = [f"{words[i % 3]} item number {i}" for i in range(30)]
    labels = np.full(30, -1)
    labels[:6] = np.arange(6) % 3
    return Dataset(
        ids=np.array([f"t{i}" for i in range(30)], dtype=object),
        inputs=texts,
        labels=labels,
        classes=("apple", "river", "stone"),
        modality="text",
        name="tiny-text",
    )


@pytest.fixture(scope="session")
def ray_cluster():  # type: ignore[no-untyped-def]
    """A real local Ray cluster (head + one worker node, 1 CPU each), shared by the Ray tests."""
    import tempfile

    from ray_cluster import local_ray_cluster

    # a short path: Ray's unix sockets live under it (at most 107 characters)
    with (
        tempfile.TemporaryDirectory(prefix="fl-ray-", ignore_cleanup_errors=True) as tmp,
        local_ray_cluster(Path(tmp)) as cluster,
    ):
        yield cluster


@pytest.fixture(autouse=True)
def _isolated_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never touch the user's ~/.cache/fewlabels from a test."""
    monkeypatch.setenv("FEWLABELS_CACHE", str(tmp_path_factory.mktemp("fewlabels-cache")))


def write_image_folder(
    root: Path, *, per_class: int = 3, unlabeled: int = 4, size: int = 12
) -> Path:
    """A tiny image folder: classes ``a`` (dark) and ``b`` (bright), an unlabeled/ pool."""
    rng = np.random.default_rng(0)
    for cls, level in (("a", 40), ("b", 210)):
        (root / cls).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            arr = np.clip(level + rng.normal(0, 10, (size, size, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(arr).save(root / cls / f"{cls}{i}.png")
    (root / "unlabeled").mkdir(exist_ok=True)
    for i in range(unlabeled):
        arr = rng.integers(0, 255, (size, size, 3), dtype=np.uint8)
        Image.fromarray(arr).save(root / "unlabeled" / f"u{i}.jpg")
    return root


@pytest.fixture
def image_folder(tmp_path: Path) -> Path:
    return write_image_folder(tmp_path / "images")
