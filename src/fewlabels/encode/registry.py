"""The registry of named encoders: ``get_encoder("minilm")``, ``get_encoder("clip:<model-id>")``.

:data:`ENCODERS` is a :class:`fewlabels._registry.Registry` of :class:`~fewlabels._registry.Entry`
rows. A name that takes a model id is a prefix (``"st:"``, ``"clip:"``, ``"hf-image:"``);
``"pixels"`` is both a plain name (size from the first image) and a prefix (``"pixels:N"``
resizes to ``N x N``). Targets are imported only when an encoder is built, so listing the
encoders imports neither torch nor transformers.

Each entry's ``meta`` holds:

``offline``
    True when it works without a download (packaged weights or no model at all).
``text_side``
    True when the encoder embeds text prompts too (``encode_text``), which zero-shot needs.
``dim``
    The embedding width when known before loading, else None.
``batch_size``
    The default items per forward pass; None when the encoder takes no ``batch_size``.
``device``
    Whether it takes a torch ``device``.
``arg``
    For a prefix: ``"model id"`` or ``"path"`` (passed first) or ``"size"`` (a whole number,
    ``size=``).
``listed_as``
    Its name in :func:`list_encoders` (``"st:<model-id>"``); None hides an alias.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fewlabels._registry import Entry, Registry
from fewlabels.encode.base import Encoder
from fewlabels.errors import FewlabelsError, InputTypeError

__all__ = ["ENCODERS", "EncoderInfo", "get_encoder", "list_encoders"]

_HINT = "List them with `fewlabels encoders` or fewlabels.encode.list_encoders()."


def _meta(
    *,
    offline: bool,
    text_side: bool = False,
    dim: int | None = None,
    batch_size: int | None = None,
    device: bool = True,
    arg: str | None = None,
    listed_as: str | None,
) -> dict[str, Any]:
    return {
        "offline": offline,
        "text_side": text_side,
        "dim": dim,
        "batch_size": batch_size,
        "device": device,
        "arg": arg,
        "listed_as": listed_as,
    }


ENCODERS = Registry(
    "encoder",
    [
        Entry(
            "minilm",
            "fewlabels.encode.sentence_transformer:SentenceTransformerEncoder.packaged_minilm",
            "all-MiniLM-L6-v2 (384-d), packaged, offline",
            modalities=("text",),
            needs_labels=False,
            extra="text",
            meta=_meta(offline=True, text_side=True, dim=384, batch_size=64, listed_as="minilm"),
        ),
        Entry(
            "minilm-int8",
            "fewlabels.encode.onnx_minilm:OnnxMiniLMEncoder",
            "all-MiniLM-L6-v2 as int8 ONNX (384-d), no torch",
            modalities=("text",),
            needs_labels=False,
            extra="text",
            meta=_meta(
                offline=True,
                text_side=True,
                dim=384,
                batch_size=64,
                device=False,
                listed_as="minilm-int8",
            ),
        ),
        Entry(
            "use-int8",
            "fewlabels.encode.use_int8:UseInt8Encoder",
            "Universal Sentence Encoder multilingual as int8 ONNX (512-d), fast, no torch",
            modalities=("text",),
            needs_labels=False,
            extra="fast-text",
            meta=_meta(
                offline=True,
                text_side=True,
                dim=512,
                batch_size=1,
                device=False,
                listed_as="use-int8",
            ),
        ),
        Entry(
            "efficientnet-lite0",
            "fewlabels.encode.efficientnet:EfficientNetLite0Encoder",
            "EfficientNet-Lite0 ImageNet (1280-d), packaged",
            modalities=("image",),
            needs_labels=False,
            extra="vision",
            meta=_meta(offline=True, dim=1280, batch_size=32, listed_as="efficientnet-lite0"),
        ),
        Entry(
            "tabular",
            "fewlabels.encode.tabular:TabularEncoder",
            "standardised numbers + one-hot categories (no labels)",
            modalities=("tabular",),
            needs_labels=False,
            meta=_meta(offline=True, device=False, listed_as="tabular"),
        ),
        Entry(
            "pixels",
            "fewlabels.encode.pixels:PixelsEncoder",
            "flattened grey pixels; 'pixels:N' resizes to N x N",
            modalities=("image",),
            needs_labels=False,
            meta=_meta(offline=True, device=False, listed_as="pixels"),
        ),
        Entry(
            "pixels:",
            "fewlabels.encode.pixels:PixelsEncoder",
            "flattened grey pixels resized to N x N",
            modalities=("image",),
            needs_labels=False,
            meta=_meta(offline=True, device=False, arg="size", listed_as=None),
        ),
        Entry(
            "st:",
            "fewlabels.encode.sentence_transformer:SentenceTransformerEncoder",
            "any sentence-transformers model (hub or folder)",
            modalities=("text",),
            needs_labels=False,
            extra="text",
            meta=_meta(
                offline=False,
                text_side=True,
                batch_size=64,
                arg="model id",
                listed_as="st:<model-id>",
            ),
        ),
        Entry(
            "clip:",
            "fewlabels.encode.clip:ClipEncoder",
            "transformers CLIP/SigLIP, image and text towers (zero-shot)",
            modalities=("image",),
            needs_labels=False,
            extra="vision",
            meta=_meta(
                offline=False,
                text_side=True,
                batch_size=32,
                arg="model id",
                listed_as="clip:<model-id>",
            ),
        ),
        Entry(
            "hf-image:",
            "fewlabels.encode.hf_image:HFImageEncoder",
            "transformers image model (DINOv2...), pooled",
            modalities=("image",),
            needs_labels=False,
            extra="vision",
            meta=_meta(
                offline=False, batch_size=32, arg="model id", listed_as="hf-image:<model-id>"
            ),
        ),
        Entry(
            "adapted:",
            "fewlabels.adapt.encoder:load_adapted",
            "an encoder adapted to a pool (`fewlabels adapt`), from its folder",
            modalities=(),
            needs_labels=False,
            meta=_meta(offline=True, batch_size=64, arg="path", listed_as="adapted:<folder>"),
        ),
    ],
    hint=_HINT,
)


@dataclass(frozen=True)
class EncoderInfo:
    """One row of :func:`list_encoders`: what a registry name gives.

    Attributes
    ----------
    name : str
        The name as typed, with a placeholder for a prefix's argument (``"st:<model-id>"``).
    modality : {"text", "image", "tabular"}
    offline : bool
        Whether it works without a download.
    description : str
    extra : str
        The fewlabels extra to install (``"text"``, ``"vision"``), ``"-"`` for none.
    text_side : bool
        Whether it embeds text prompts too (``encode_text``), as zero-shot needs.
    """

    name: str
    modality: str
    offline: bool
    description: str
    extra: str
    text_side: bool = False

    @classmethod
    def from_entry(cls, entry: Entry) -> EncoderInfo:
        """The listing row of a registry entry."""
        return cls(
            name=entry.meta.get("listed_as") or entry.name,
            modality=entry.modalities[0] if entry.modalities else "any",
            offline=bool(entry.meta.get("offline")),
            description=entry.description,
            extra=entry.extra or "-",
            text_side=bool(entry.meta.get("text_side")),
        )


def list_encoders() -> list[EncoderInfo]:
    """Every registry name with its modality, whether it works offline, and its extra."""
    return [EncoderInfo.from_entry(e) for e in ENCODERS if e.meta.get("listed_as")]


def get_encoder(
    name: str, *, device: str | None = "auto", batch_size: int | None = None
) -> Encoder:
    """Build the encoder a registry name stands for.

    Parameters
    ----------
    name : str
        ``"minilm"``, ``"minilm-int8"``, ``"use-int8"``, ``"efficientnet-lite0"``, ``"tabular"``, ``"pixels"``
        (or ``"pixels:N"``), ``"st:<model-id>"``, ``"clip:<model-id>"``, ``"hf-image:<model-id>"``,
        ``"adapted:<folder>"`` (an encoder saved by ``fewlabels adapt``).
    device : str, default "auto"
        Torch device; ``"auto"`` picks CUDA when present. Encoders without torch ignore it.
    batch_size : int, optional
        Items per forward pass; each encoder has a sensible default. Encoders that embed
        without a model (``pixels``, ``tabular``) ignore it.

    Returns
    -------
    Encoder

    Raises
    ------
    FewlabelsError
        For an unknown name, or a prefix without its model id or size.
    """
    entry, arg = _resolve(name)
    kwargs: dict[str, Any] = {}
    if entry.meta.get("device"):
        kwargs["device"] = device
    if batch_size is not None and entry.meta.get("batch_size") is not None:
        kwargs["batch_size"] = batch_size
    factory = entry.load()
    if arg is None:
        return factory(**kwargs)
    if entry.meta.get("arg") == "size":
        return factory(size=_size(entry.name, arg), **kwargs)
    return factory(arg, **kwargs)


def _resolve(name: Any) -> tuple[Entry, str | None]:
    """The entry of ``name`` and its argument, with messages that say how to write it."""
    if not isinstance(name, str):
        raise InputTypeError(
            f"Expected an encoder name as a str (e.g. 'minilm'), but got "
            f"{type(name).__name__}. {_HINT}"
        )
    prefixes = {e.name: e for e in ENCODERS if e.is_prefix}
    prefix = name if name.endswith(":") else name + ":"
    if prefix in prefixes and (name == prefix or name not in ENCODERS):
        if prefixes[prefix].meta.get("arg") == "size":
            _size(prefix, "")
        raise FewlabelsError(
            f"Expected a model id after '{prefix}', e.g. '{prefix}<org>/<model>' or a local "
            f"folder, but got {name!r} alone."
        )
    if name not in ENCODERS:
        known = ", ".join(info.name for info in list_encoders())
        raise FewlabelsError(f"Unknown encoder {name!r}. Known encoders: {known}. {_HINT}")
    return ENCODERS.resolve(name)


def _size(prefix: str, arg: str) -> int:
    """The whole number after ``pixels:``."""
    if not arg.isdigit() or int(arg) < 1:
        raise FewlabelsError(
            f"Expected a whole number >= 1 after '{prefix}' (the side of the square images), "
            f"e.g. '{prefix}16', but got '{prefix}{arg}'."
        )
    return int(arg)
