"""Adapting an encoder to the pool: heads on frozen embeddings, SCARF for tables.

An adaptation takes a base encoder, the pool (and, optionally, labels) and produces a new
encoder with its own identity, usable wherever an encoder is (``embed`` and its cache, every
learner, a workspace, bench protocols, distillation teachers)::

    from fewlabels.adapt import adapt
    enc = adapt(dataset, "minilm", labels=dataset.labels)   # head adaptation (default)
    enc.save("my-encoder")                                   # safetensors + adapter.json
    get_encoder("adapted:my-encoder")                        # loads offline
"""

from fewlabels.adapt.api import METHODS, MethodInfo, adapt
from fewlabels.adapt.encoder import (
    AdaptedEncoder,
    AdaptedMeta,
    AdaptedTextEncoder,
    load_adapted,
)
from fewlabels.adapt.head import HeadConfig, confident_pseudo_labels, neighbour_indices
from fewlabels.adapt.runs import adapt_builtin, adapt_workspace
from fewlabels.adapt.scarf import ScarfConfig, corrupt

__all__ = [
    "METHODS",
    "AdaptedEncoder",
    "AdaptedMeta",
    "AdaptedTextEncoder",
    "HeadConfig",
    "MethodInfo",
    "ScarfConfig",
    "adapt",
    "adapt_builtin",
    "adapt_workspace",
    "confident_pseudo_labels",
    "corrupt",
    "load_adapted",
    "neighbour_indices",
]
