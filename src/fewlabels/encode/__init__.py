"""Frozen encoders and the resumable, memory-mapped embedding cache."""

from fewlabels.encode.base import Encoder, FittableEncoder, TextImageEncoder, has_text_side
from fewlabels.encode.blocks import iter_row_blocks
from fewlabels.encode.cache import Embeddings, embed
from fewlabels.encode.images import UnreadableInputError, load_images
from fewlabels.encode.registry import EncoderInfo, get_encoder, list_encoders

__all__ = [
    "Embeddings",
    "Encoder",
    "EncoderInfo",
    "FittableEncoder",
    "TextImageEncoder",
    "UnreadableInputError",
    "embed",
    "get_encoder",
    "has_text_side",
    "iter_row_blocks",
    "list_encoders",
    "load_images",
]
