"""Adapting an encoder to the pool: heads on frozen embeddings, SCARF for tables, and body
fine-tuning of sentence-transformers text encoders (SetFit-style pairs, SimCSE) and of the last
blocks of EfficientNet-Lite0 on images (SimCLR).

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
    BodyAdaptedEncoder,
    load_adapted,
)
from fewlabels.adapt.head import HeadConfig, confident_pseudo_labels, neighbour_indices
from fewlabels.adapt.image_augment import AugmentSettings, augment
from fewlabels.adapt.image_body import SimCLRImageConfig
from fewlabels.adapt.image_encoder import ImageBodyAdaptedEncoder
from fewlabels.adapt.runs import adapt_builtin, adapt_workspace
from fewlabels.adapt.scarf import ScarfConfig, corrupt
from fewlabels.adapt.setfit_body import SetFitBodyConfig, contrastive_pairs
from fewlabels.adapt.simcse import SimCSEConfig

__all__ = [
    "METHODS",
    "AdaptedEncoder",
    "AdaptedMeta",
    "AdaptedTextEncoder",
    "AugmentSettings",
    "BodyAdaptedEncoder",
    "HeadConfig",
    "ImageBodyAdaptedEncoder",
    "MethodInfo",
    "ScarfConfig",
    "SetFitBodyConfig",
    "SimCLRImageConfig",
    "SimCSEConfig",
    "adapt",
    "adapt_builtin",
    "adapt_workspace",
    "augment",
    "confident_pseudo_labels",
    "contrastive_pairs",
    "corrupt",
    "load_adapted",
    "neighbour_indices",
]
