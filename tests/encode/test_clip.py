"""ClipEncoder on tiny randomly initialised CLIP and SigLIP models saved to folders."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from fewlabels.encode import UnreadableInputError, get_encoder, has_text_side
from fewlabels.encode.clip import ClipEncoder

PROMPTS = ["a photo of a cat", "a photo of a dog", "a blurry picture of a red car on a road", "x"]


@pytest.fixture(scope="module")
def clip(tiny_clip_dir: Path) -> ClipEncoder:
    enc = get_encoder(f"clip:{tiny_clip_dir}", device="cpu", batch_size=2)
    assert isinstance(enc, ClipEncoder)
    return enc


def test_images_and_prompts_share_one_unit_space(
    clip: ClipEncoder, image_files: list[Path]
) -> None:
    X = clip.encode([str(p) for p in image_files])
    T = clip.encode_text(PROMPTS)
    assert X.shape == (5, 16) and T.shape == (4, 16) and clip.dim == 16
    assert X.dtype == np.float32 and T.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(T, axis=1), 1.0, atol=1e-5)
    assert has_text_side(clip) and clip.modality == "image"
    assert np.abs(X[0] - X[1]).max() > 1e-3 and np.abs(T[0] - T[1]).max() > 1e-3


def test_matches_the_model_called_directly(clip: ClipEncoder, tiny_clip_dir: Path) -> None:
    import torch
    from transformers import AutoTokenizer, CLIPModel

    model = CLIPModel.from_pretrained(str(tiny_clip_dir)).eval()
    tok = AutoTokenizer.from_pretrained(str(tiny_clip_dir))
    enc = tok(PROMPTS, padding=True, return_tensors="pt")
    with torch.inference_mode():
        out = model.get_text_features(
            input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]
        )
    ref = (out if hasattr(out, "shape") else out.pooler_output).numpy()
    ref /= np.linalg.norm(ref, axis=1, keepdims=True)
    np.testing.assert_allclose(clip.encode_text(PROMPTS), ref, atol=1e-5)


def test_deterministic_and_batch_size_independent(
    clip: ClipEncoder, tiny_clip_dir: Path, image_files: list[Path]
) -> None:
    paths = [str(p) for p in image_files]
    eight = ClipEncoder(str(tiny_clip_dir), device="cpu", batch_size=8)
    one = ClipEncoder(str(tiny_clip_dir), device="cpu", batch_size=1)
    np.testing.assert_allclose(eight.encode(paths), clip.encode(paths), atol=1e-5)
    np.testing.assert_allclose(one.encode_text(PROMPTS), eight.encode_text(PROMPTS), atol=1e-5)
    np.testing.assert_array_equal(clip.encode_text(PROMPTS), clip.encode_text(PROMPTS))


def test_in_memory_grey_images(clip: ClipEncoder) -> None:
    grey = np.random.default_rng(0).integers(0, 256, size=(3, 28, 28), dtype=np.uint8)
    rgb = np.repeat(grey[..., None], 3, axis=-1)
    X = clip.encode(grey)
    assert X.shape == (3, 16)
    np.testing.assert_allclose(X, clip.encode(rgb), atol=1e-6)


def test_unreadable_images_reported_at_their_positions(
    clip: ClipEncoder, image_files: list[Path], corrupt_file: Path
) -> None:
    inputs = [str(image_files[0]), str(image_files[1]), str(corrupt_file), str(image_files[2])]
    with pytest.raises(UnreadableInputError) as info:
        clip.encode(inputs)
    assert info.value.positions == [2]
    assert "broken.png" in info.value.reasons[0]


def test_identity_is_read_from_files(tiny_clip_dir: Path, tiny_siglip_dir: Path) -> None:
    enc = ClipEncoder(str(tiny_clip_dir))
    ident = enc.identity
    assert enc.dim == 16 and enc._model is None
    assert "text_padding=longest" in ident and str(tiny_clip_dir.parent) not in ident
    sig = ClipEncoder(str(tiny_siglip_dir))
    assert "text_padding=max_length" in sig.identity and sig.identity != ident
    assert sig.dim == 32 and sig._model is None


def test_siglip_text_pads_to_full_length(tiny_siglip_dir: Path, image_files: list[Path]) -> None:
    one = ClipEncoder(str(tiny_siglip_dir), device="cpu", batch_size=1)
    four = ClipEncoder(str(tiny_siglip_dir), device="cpu", batch_size=4)
    T = four.encode_text(PROMPTS)
    # SigLIP pools the last position: only padding to a fixed length makes this hold
    np.testing.assert_allclose(one.encode_text(PROMPTS), T, atol=1e-5)
    X = four.encode([str(p) for p in image_files[:2]])
    assert X.shape == (2, 32) == (2, T.shape[1])
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, atol=1e-5)


def test_image_only_model_is_refused_with_the_fix(tiny_dinov2_dir: Path) -> None:
    with pytest.raises(TypeError, match=r"joint image-text model .*Use 'hf-image:"):
        ClipEncoder(str(tiny_dinov2_dir), device="cpu").encode_text(["a cat"])


def test_input_errors(clip: ClipEncoder, tiny_clip_dir: Path) -> None:
    with pytest.raises(TypeError, match=r"single string .* Wrap it in a list"):
        clip.encode("cat.jpg")
    with pytest.raises(TypeError, match=r"text side .*single string"):
        clip.encode_text("a photo of a cat")
    with pytest.raises(ValueError, match=r"batch_size to be a whole number >= 1"):
        ClipEncoder(str(tiny_clip_dir), batch_size=0)
    assert clip.encode_text([]).shape == (0, 16)
    assert clip.encode([]).shape == (0, 16)


def test_missing_package_names_the_extra(
    tiny_clip_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "transformers", None)
    with pytest.raises(ImportError, match=r"CLIP encoders .*pip install 'fewlabels\[vision\]'"):
        ClipEncoder(str(tiny_clip_dir)).encode_text(["a cat"])


def test_registry_needs_a_model_id(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"model id after 'clip:'"):
        get_encoder("clip")
    with pytest.raises(FileNotFoundError, match=r"model folder .* is missing. Check the path"):
        get_encoder(f"clip:{tmp_path / 'nope'}")


def test_offline_hub_id_fails_at_once_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # huggingface_hub reads the variable once, at import: make sure nothing can go online
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=r"HF_HUB_OFFLINE is set.*minilm-int8.*"):
        get_encoder("clip:fewlabels-test/no-such-model", device="cpu").encode_text(["a cat"])
    assert time.perf_counter() - t0 < 5
