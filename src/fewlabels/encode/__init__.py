"""Frozen encoders and the resumable, memory-mapped embedding cache."""

from fewlabels.encode.base import (
    Encoder,
    FittableEncoder,
    TextImageEncoder,
    check_text_side,
    has_text_side,
    l2_normalize,
)
from fewlabels.encode.blocks import iter_row_blocks
from fewlabels.encode.cache import Embeddings, embed
from fewlabels.encode.default import default_encoder
from fewlabels.encode.images import UnreadableInputError, load_images
from fewlabels.encode.registry import ENCODERS, EncoderInfo, get_encoder, list_encoders

__all__ = [
    "ENCODERS",
    "Embeddings",
    "Encoder",
    "EncoderInfo",
    "FittableEncoder",
    "TextImageEncoder",
    "UnreadableInputError",
    "check_text_side",
    "default_encoder",
    "embed",
    "get_encoder",
    "has_text_side",
    "iter_row_blocks",
    "l2_normalize",
    "list_encoders",
    "load_images",
]
