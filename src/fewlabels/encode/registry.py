"""The registry of named encoders: ``get_encoder("minilm")``, ``get_encoder("clip:<model-id>")``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fewlabels.encode.base import Encoder
from fewlabels.errors import FewlabelsError


@dataclass(frozen=True)
class EncoderInfo:
    """What a registry name gives."""

    name: str
    modality: str
    offline: bool
    description: str
    extra: str


def _pixels(arg: str | None, **kw: Any) -> Encoder:
    from fewlabels.encode.pixels import PixelsEncoder

    size = int(arg) if arg else None
    return PixelsEncoder(size=size)


def _tabular(arg: str | None, **kw: Any) -> Encoder:
    from fewlabels.encode.tabular import TabularEncoder

    return TabularEncoder()


def _minilm(arg: str | None, **kw: Any) -> Encoder:
    from fewlabels.encode.sentence_transformer import SentenceTransformerEncoder

    return SentenceTransformerEncoder.packaged_minilm(**kw)


def _minilm_int8(arg: str | None, **kw: Any) -> Encoder:
    from fewlabels.encode.onnx_minilm import OnnxMiniLMEncoder

    return OnnxMiniLMEncoder(**{k: v for k, v in kw.items() if k == "batch_size"})


def _efficientnet(arg: str | None, **kw: Any) -> Encoder:
    from fewlabels.encode.efficientnet import EfficientNetLite0Encoder

    return EfficientNetLite0Encoder(**kw)


def _st(arg: str | None, **kw: Any) -> Encoder:
    from fewlabels.encode.sentence_transformer import SentenceTransformerEncoder

    return SentenceTransformerEncoder(_need_arg("st", arg), **kw)


def _clip(arg: str | None, **kw: Any) -> Encoder:
    from fewlabels.encode.clip import ClipEncoder

    return ClipEncoder(_need_arg("clip", arg), **kw)


def _hf_image(arg: str | None, **kw: Any) -> Encoder:
    from fewlabels.encode.hf_image import HFImageEncoder

    return HFImageEncoder(_need_arg("hf-image", arg), **kw)


def _need_arg(prefix: str, arg: str | None) -> str:
    if not arg:
        raise FewlabelsError(
            f"Expected a model id after '{prefix}:', e.g. '{prefix}:<org>/<model>' or a local "
            f"folder, but got '{prefix}' alone."
        )
    return arg


_REGISTRY: dict[str, tuple[EncoderInfo, Callable[..., Encoder]]] = {
    "minilm": (
        EncoderInfo("minilm", "text", True, "all-MiniLM-L6-v2 (384-d), packaged, offline", "text"),
        _minilm,
    ),
    "minilm-int8": (
        EncoderInfo(
            "minilm-int8", "text", True, "all-MiniLM-L6-v2 as int8 ONNX (384-d), no torch", "text"
        ),
        _minilm_int8,
    ),
    "efficientnet-lite0": (
        EncoderInfo(
            "efficientnet-lite0",
            "image",
            True,
            "EfficientNet-Lite0 ImageNet (1280-d), packaged",
            "vision",
        ),
        _efficientnet,
    ),
    "tabular": (
        EncoderInfo(
            "tabular", "tabular", True, "standardised numbers + one-hot categories (no labels)", "-"
        ),
        _tabular,
    ),
    "pixels": (
        EncoderInfo(
            "pixels", "image", True, "flattened grey pixels; 'pixels:N' resizes to N x N", "-"
        ),
        _pixels,
    ),
    "st": (
        EncoderInfo(
            "st:<model-id>",
            "text",
            False,
            "any sentence-transformers model (hub or folder)",
            "text",
        ),
        _st,
    ),
    "clip": (
        EncoderInfo(
            "clip:<model-id>",
            "image",
            False,
            "transformers CLIP/SigLIP, image and text towers (zero-shot)",
            "vision",
        ),
        _clip,
    ),
    "hf-image": (
        EncoderInfo(
            "hf-image:<model-id>",
            "image",
            False,
            "transformers image model (DINOv2...), pooled",
            "vision",
        ),
        _hf_image,
    ),
}


def list_encoders() -> list[EncoderInfo]:
    """Every registry name with its modality, whether it works offline, and its extra."""
    return [info for info, _ in _REGISTRY.values()]


def get_encoder(
    name: str, *, device: str | None = "auto", batch_size: int | None = None
) -> Encoder:
    """Build the encoder a registry name stands for.

    Parameters
    ----------
    name : str
        ``"minilm"``, ``"minilm-int8"``, ``"efficientnet-lite0"``, ``"tabular"``, ``"pixels"``
        (or ``"pixels:N"``), ``"st:<model-id>"``, ``"clip:<model-id>"``, ``"hf-image:<model-id>"``.
    device : str, default "auto"
        Torch device; ``"auto"`` picks CUDA when present.
    batch_size : int, optional
        Items per forward pass; each encoder has a sensible default.
    """
    key, _, arg = name.partition(":")
    if key not in _REGISTRY:
        known = ", ".join(info.name for info in list_encoders())
        raise FewlabelsError(f"Unknown encoder {name!r}. Known encoders: {known}.")
    kwargs: dict[str, Any] = {"device": device}
    if batch_size is not None:
        kwargs["batch_size"] = batch_size
    if key in ("pixels", "tabular"):
        kwargs = {}
    return _REGISTRY[key][1](arg or None, **kwargs)
