"""HFImageEncoder on a tiny randomly initialised DINOv2 saved to a folder; pooling rules."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from fewlabels.encode import UnreadableInputError, get_encoder, has_text_side
from fewlabels.encode.hf_image import HFImageEncoder, pool_outputs


@pytest.fixture(scope="module")
def dino(tiny_dinov2_dir: Path) -> HFImageEncoder:
    enc = get_encoder(f"hf-image:{tiny_dinov2_dir}", device="cpu", batch_size=2)
    assert isinstance(enc, HFImageEncoder)
    return enc


def test_unit_vectors_of_the_hidden_width(dino: HFImageEncoder, image_files: list[Path]) -> None:
    X = dino.encode([str(p) for p in image_files])
    assert X.shape == (5, 32) == (5, dino.dim) and X.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, atol=1e-5)
    assert dino.modality == "image" and not has_text_side(dino)
    assert np.abs(X[0] - X[1]).max() > 1e-3


def test_dinov2_gives_its_normed_cls_token(dino: HFImageEncoder, tiny_dinov2_dir: Path) -> None:
    import torch
    from transformers import AutoImageProcessor, Dinov2Model

    images = np.random.default_rng(0).integers(0, 256, size=(3, 40, 36, 3), dtype=np.uint8)
    model = Dinov2Model.from_pretrained(str(tiny_dinov2_dir)).eval()
    proc = AutoImageProcessor.from_pretrained(str(tiny_dinov2_dir))
    pixels = proc(images=list(images), return_tensors="pt")["pixel_values"]
    with torch.inference_mode():
        out = model(pixel_values=pixels)
    ref = out.pooler_output.numpy()
    # DINOv2's last_hidden_state is already layer-normed; its pooler output is the CLS token
    np.testing.assert_allclose(ref, out.last_hidden_state[:, 0].numpy(), atol=1e-6)
    np.testing.assert_allclose(
        dino.encode(images), ref / np.linalg.norm(ref, axis=1, keepdims=True), atol=1e-5
    )


def test_pool_outputs_without_a_pooler_takes_the_mean() -> None:
    import torch

    tokens = torch.arange(24, dtype=torch.float32).reshape(2, 3, 4)
    pooled = pool_outputs(SimpleNamespace(pooler_output=None, last_hidden_state=tokens))
    np.testing.assert_allclose(pooled.numpy(), tokens.numpy().mean(1))
    fmap = torch.arange(2 * 4 * 2 * 3, dtype=torch.float32).reshape(2, 4, 2, 3)
    pooled = pool_outputs(SimpleNamespace(last_hidden_state=fmap))
    np.testing.assert_allclose(pooled.numpy(), fmap.numpy().mean((2, 3)))
    conv_pool = torch.ones(2, 5, 1, 1)
    assert pool_outputs(SimpleNamespace(pooler_output=conv_pool)).shape == (2, 5)


def test_deterministic_and_batch_size_independent(
    dino: HFImageEncoder, tiny_dinov2_dir: Path, image_files: list[Path]
) -> None:
    paths = [str(p) for p in image_files]
    eight = HFImageEncoder(str(tiny_dinov2_dir), device="cpu", batch_size=8)
    a = eight.encode(paths)
    np.testing.assert_allclose(dino.encode(paths), a, atol=1e-5)
    np.testing.assert_array_equal(eight.encode(paths), a)


def test_unreadable_images_reported_at_their_positions(
    dino: HFImageEncoder, image_files: list[Path], corrupt_file: Path
) -> None:
    inputs = [str(corrupt_file), str(image_files[0]), str(image_files[1]), str(corrupt_file)]
    with pytest.raises(UnreadableInputError) as info:
        dino.encode(inputs)  # batch_size=2: one bad item in each batch
    assert info.value.positions == [0, 3]


def test_identity_and_dim_without_loading(tiny_dinov2_dir: Path, tiny_clip_dir: Path) -> None:
    enc = HFImageEncoder(str(tiny_dinov2_dir))
    assert enc.dim == 32 and "pool=" in enc.identity and enc._model is None
    assert str(tiny_dinov2_dir.parent) not in enc.identity
    assert HFImageEncoder(str(tiny_clip_dir)).identity != enc.identity


def test_clip_folder_gives_the_clip_image_features(
    tiny_clip_dir: Path, image_files: list[Path]
) -> None:
    from fewlabels.encode.clip import ClipEncoder

    paths = [str(p) for p in image_files[:2]]
    hf = HFImageEncoder(str(tiny_clip_dir), device="cpu")
    assert hf.dim == 16
    np.testing.assert_allclose(
        hf.encode(paths), ClipEncoder(str(tiny_clip_dir), device="cpu").encode(paths), atol=1e-6
    )


def test_input_errors(dino: HFImageEncoder, tiny_dinov2_dir: Path) -> None:
    with pytest.raises(TypeError, match=r"single string .* Wrap it in a list"):
        dino.encode("photo.png")
    with pytest.raises(ValueError, match=r"1, 3 or 4 channels, but got shape \(2, 8, 8, 2\)"):
        dino.encode(np.zeros((2, 8, 8, 2), dtype=np.uint8))
    with pytest.raises(ValueError, match=r"batch_size to be a whole number >= 1"):
        HFImageEncoder(str(tiny_dinov2_dir), batch_size=-1)
    with pytest.raises(ValueError, match=r"model id after 'hf-image:'"):
        get_encoder("hf-image")
    weights = next(tiny_dinov2_dir.glob("*.safetensors"))
    with pytest.raises(FileNotFoundError, match=r"is a file, not a folder"):
        HFImageEncoder(str(weights))
    assert dino.encode([]).shape == (0, 32)


def test_missing_package_names_the_extra(
    tiny_dinov2_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "transformers", None)
    with pytest.raises(ImportError, match=r"image encoders .*pip install 'fewlabels\[vision\]'"):
        HFImageEncoder(str(tiny_dinov2_dir)).encode(np.zeros((1, 8, 8), dtype=np.uint8))


def test_offline_hub_id_fails_at_once_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # huggingface_hub reads the variable once, at import: make sure nothing can go online
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=r"HF_HUB_OFFLINE is set.*efficientnet-lite0.*"):
        get_encoder("hf-image:fewlabels-test/no-such-model", device="cpu").encode(
            np.zeros((1, 8, 8, 3), dtype=np.uint8)
        )
    assert time.perf_counter() - t0 < 5
