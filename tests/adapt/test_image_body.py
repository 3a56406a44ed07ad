"""simclr-image on the real packaged EfficientNet-Lite0, with a handful of 32x32 images."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from safetensors.numpy import save_file

from fakes import FakeTextEncoder
from fewlabels.adapt import adapt, load_adapted
from fewlabels.adapt.encoder import ImageBodyAdaptedEncoder
from fewlabels.adapt.image_body import SimCLRImageConfig, tail_names
from fewlabels.data import Dataset
from fewlabels.encode import get_encoder
from fewlabels.errors import FewlabelsError, InputTypeError

# One step of 4 images at 32 px: each adaptation takes a second or two on 2 cores.
TINY = {"epochs": 1, "batch_size": 4, "rows_per_epoch": 4, "image_size": 32, "holdout": 0.0}
N = 12


@pytest.fixture(scope="module")
def base() -> Any:
    return get_encoder("efficientnet-lite0", device="cpu")


@pytest.fixture(scope="module")
def pool() -> Dataset:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (N, 32, 32), dtype=np.uint8)
    return Dataset(
        ids=np.array([f"r{i}" for i in range(N)], dtype=object),
        inputs=images,
        labels=np.full(N, -1),
        classes=("a", "b"),
        modality="image",
        name="toy-images",
    )


@pytest.fixture(scope="module")
def adapted(base: Any, pool: Dataset) -> ImageBodyAdaptedEncoder:
    enc = adapt(pool, base, method="simclr-image", device="cpu", lr=1e-3, **TINY)
    assert isinstance(enc, ImageBodyAdaptedEncoder)
    return enc


def _base_tail(base: Any, train_blocks: int) -> dict[str, np.ndarray]:
    state = base._load().state_dict()
    return {k: state[k].numpy() for k in tail_names(base._load(), train_blocks)}


def test_only_the_last_blocks_and_head_are_saved_and_they_moved(
    adapted: ImageBodyAdaptedEncoder, base: Any
) -> None:
    tensors = adapted.tensors
    assert {
        k.split(".")[0] + "." + k.split(".")[1] for k in tensors if k.startswith("_blocks")
    } == {
        "_blocks.14",
        "_blocks.15",
    }
    assert any(k.startswith("_conv_head.") for k in tensors)
    assert any(k.startswith("_bn1.") for k in tensors)
    before = _base_tail(base, 2)
    assert set(before) == set(tensors)
    moved = [k for k in tensors if not np.array_equal(tensors[k], before[k])]
    assert any(k.endswith("weight") for k in moved)
    # frozen batch-norm statistics
    assert all(not k.endswith(("running_mean", "running_var")) for k in moved)
    assert adapted.meta.training["epochs"] == 1 and adapted.dim == 1280


def test_the_base_network_is_left_unchanged(adapted: ImageBodyAdaptedEncoder, base: Any) -> None:
    fresh = get_encoder("efficientnet-lite0", device="cpu")
    state, own = fresh._load().state_dict(), base._load().state_dict()
    assert all(np.array_equal(state[k].numpy(), own[k].numpy()) for k in adapted.tensors)


def test_saves_and_reloads_offline_with_identical_embeddings(
    adapted: ImageBodyAdaptedEncoder, pool: Dataset, tmp_path: Path
) -> None:
    E = adapted.encode(pool.inputs)
    assert E.shape == (N, 1280) and E.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(E, axis=1), 1.0, atol=1e-5)
    folder = adapted.save(tmp_path / "img")
    again = get_encoder(f"adapted:{folder}", device="cpu")
    assert isinstance(again, ImageBodyAdaptedEncoder)
    assert again.identity == adapted.identity and again.image_size == 32
    np.testing.assert_array_equal(again.encode(pool.inputs), E)
    assert adapted.encode(pool.inputs[:0]).shape == (0, 1280)


def test_zero_epochs_is_the_frozen_network_at_the_training_size(base: Any, pool: Dataset) -> None:
    frozen = adapt(pool, base, method="simclr-image", device="cpu", **{**TINY, "epochs": 0})
    before = _base_tail(base, 2)
    assert all(np.array_equal(v, before[k]) for k, v in frozen.tensors.items())


def test_deterministic_under_a_seed_and_a_resumed_run_equals_an_uninterrupted_one(
    base: Any, pool: Dataset, tmp_path: Path
) -> None:
    two = {**TINY, "epochs": 2, "holdout": 0.34, "lr": 1e-3}
    whole = adapt(pool, base, method="simclr-image", device="cpu", **two)
    adapt(
        pool,
        base,
        method="simclr-image",
        device="cpu",
        checkpoint_dir=tmp_path,
        **{**two, "epochs": 1},
    )
    resumed = adapt(pool, base, method="simclr-image", device="cpu", checkpoint_dir=tmp_path, **two)
    assert resumed.meta.training["resumed_from"] == 1
    assert len(whole.meta.training["held_out"]) == 2
    for k, v in whole.tensors.items():
        np.testing.assert_allclose(resumed.tensors[k], v, rtol=1e-5, atol=1e-6)
    other = adapt(pool, base, method="simclr-image", device="cpu", **{**two, "seed": 1})
    assert other.identity != whole.identity
    assert any(not np.array_equal(other.tensors[k], v) for k, v in whole.tensors.items())


def test_bad_input_is_refused(base: Any, pool: Dataset) -> None:
    with pytest.raises(
        FewlabelsError,
        match=r"'simclr-image' fits image encoders.*encodes text\. Methods for text encoders: "
        r"head, setfit-body, simcse\.",
    ):
        adapt(pool, FakeTextEncoder(), method="simclr-image")
    with pytest.raises(
        FewlabelsError, match=r"last blocks of EfficientNet-Lite0.*'efficientnet-lite0'"
    ):
        adapt(pool, get_encoder("pixels:4"), method="simclr-image")
    with pytest.raises(InputTypeError, match=r"images themselves.*Dataset.*got ndarray"):
        adapt(np.zeros((N, 1280), np.float32), base, method="simclr-image")
    with pytest.raises(FewlabelsError, match=r"needs a pool of at least 16 rows, but it has 12"):
        adapt(pool, base, method="simclr-image", batch_size=8)
    with pytest.raises(FewlabelsError, match=r"SimCLRImageConfig expected train_blocks.*\[0, 16\]"):
        SimCLRImageConfig(train_blocks=17)
    with pytest.raises(FewlabelsError, match=r"SimCLRImageConfig expected flip as True or False"):
        SimCLRImageConfig(flip="yes")  # type: ignore[arg-type]
    with pytest.raises(FewlabelsError, match=r"SimCLRImageConfig expected temperature"):
        SimCLRImageConfig(temperature=0.0)


def test_foreign_image_weights_and_transform_are_refused(
    adapted: ImageBodyAdaptedEncoder, tmp_path: Path
) -> None:
    with pytest.raises(FewlabelsError, match=r"Expected images.*encode\(images\)"):
        adapted.transform(np.zeros((1, 1280), np.float32))
    folder = adapted.save(tmp_path / "img")
    weights = folder / "weights.safetensors"
    tensors = adapted.tensors
    tensors["_conv_head.weight"] = np.zeros((3, 3), np.float32)
    save_file(
        tensors,
        str(weights),
        metadata={"format": "fewlabels.adapted-weights/1", "kind": "image-body"},
    )
    with pytest.raises(FewlabelsError, match=r"1 have other shapes.*another model"):
        load_adapted(folder, device="cpu")
    save_file(
        {"w": np.zeros((2, 2), np.float32)},
        str(weights),
        metadata={"format": "fewlabels.adapted-weights/1", "kind": "image-body"},
    )
    with pytest.raises(FewlabelsError, match=r"1 are foreign.*head tensors are missing"):
        load_adapted(folder, device="cpu")


def _bars(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal bars (class 0) and vertical bars (class 1) at random places, with random
    brightness, background and noise: the nuisances SimCLR's augmentations teach it to ignore."""
    rng = np.random.default_rng(seed)
    X, y = np.zeros((n, 32, 32), np.float32), np.arange(n) % 2
    for i in range(n):
        r, c = rng.integers(6, 26, 2)
        if y[i] == 0:
            X[i, r - 2 : r + 2, 4:28] = 1
        else:
            X[i, 4:28, c - 2 : c + 2] = 1
        X[i] = X[i] * rng.uniform(120, 255) + rng.uniform(0, 80) + rng.normal(0, 20, (32, 32))
    return np.clip(X, 0, 255).astype(np.uint8), y


def _nn_accuracy(E: np.ndarray, y: np.ndarray) -> float:
    """Leave-one-out 1-nearest-neighbour accuracy (cosine)."""
    S = E @ E.T
    np.fill_diagonal(S, -np.inf)
    return float((y[S.argmax(axis=1)] == y).mean())


def test_adaptation_moves_same_class_images_closer(base: Any) -> None:
    X, y = _bars(32, seed=0)
    ds = Dataset(
        ids=np.array([f"b{i}" for i in range(32)], dtype=object),
        inputs=X,
        labels=np.full(32, -1),
        classes=("h", "v"),
        modality="image",
        name="bars",
    )
    toy = {"image_size": 32, "batch_size": 8, "rows_per_epoch": 32, "holdout": 0.0, "seed": 0}
    frozen = adapt(ds, base, method="simclr-image", device="cpu", epochs=0, **toy)
    adapted = adapt(ds, base, method="simclr-image", device="cpu", epochs=3, **toy)
    # no label was used: the pool's own images taught the invariance
    assert adapted.meta.labels["n_labeled"] == 0
    assert _nn_accuracy(frozen.encode(X), y) < 0.95
    assert _nn_accuracy(adapted.encode(X), y) == 1.0
