"""Body adaptation: what fine-tuning a sentence-transformers body needs, whatever the objective.

The methods that train the transformer itself (:mod:`fewlabels.adapt.setfit_body`,
:mod:`fewlabels.adapt.simcse`) share this: a fresh trainable copy of the base model
(:func:`load_body`), its weights as named float32 arrays for safetensors
(:func:`body_tensors`) and back (:func:`load_body_tensors`, which refuses weights that do not
fit the base), and a shorter token limit while training (:func:`training_length`).

The base is a sentence-transformers encoder (``minilm``, ``st:<folder or id>``) or an
encoder already body-adapted from one, so that SimCSE on the pool can be followed by
SetFit-style pairs on the labels.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from fewlabels.encode.base import resolve_device
from fewlabels.errors import FewlabelsError

__all__ = [
    "BODY_KIND",
    "body_source",
    "body_tensors",
    "check_body_base",
    "load_body",
    "load_body_tensors",
    "training_length",
]

#: The transform kind of a body adaptation in ``adapter.json`` and the weights header.
BODY_KIND = "body"


def body_source(base: Any) -> tuple[str, int | None] | None:
    """The model folder (or hub id) and token limit of a sentence-transformers base, or None.

    An encoder body-adapted from one has a source too (its own base's), marked by
    ``body_model``.
    """
    inner = getattr(base, "body_base", None)
    if inner is not None:
        return body_source(inner)
    path = getattr(base, "model_id_or_path", None)
    if path is None or not hasattr(base, "_load"):
        return None
    return str(path), getattr(base, "max_seq_length", None)


def check_body_base(base: Any, *, method: str) -> None:
    """Refuse a base that has no sentence-transformers body (name the encoders that do)."""
    if body_source(base) is None:
        raise FewlabelsError(
            f"The adaptation method {method!r} fine-tunes a sentence-transformers body, but "
            f"{getattr(base, 'name', type(base).__name__)!r} has none (an ONNX or other text "
            "encoder). Use 'minilm' or 'st:<folder>' as the base, or the 'head' method."
        )


def load_body(base: Any, *, device: str | None = "cpu") -> Any:
    """A fresh trainable copy of ``base``'s sentence-transformers model on ``device``.

    Assumes :func:`check_body_base` passed. For a body-adapted base, its fine-tuned weights
    are loaded into the copy.

    Returns
    -------
    sentence_transformers.SentenceTransformer
    """
    from fewlabels.encode._model_files import quiet_model_loading
    from fewlabels.errors import missing_extra

    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:  # pragma: no cover - the text extra brings it
        raise missing_extra("Body adaptation", "text", exc) from exc
    source = body_source(base)
    assert source is not None
    path, max_len = source
    with quiet_model_loading():
        model = SentenceTransformer(path, device=resolve_device(device), local_files_only=True)
    if max_len is not None:
        model.max_seq_length = int(max_len)
    inner = getattr(base, "body_model", None)
    if inner is not None:
        model.load_state_dict(inner().state_dict())
    return model


def body_tensors(model: Any) -> dict[str, np.ndarray]:
    """The model's weights as named float32 arrays (its ``state_dict``), for safetensors."""
    return {k: v.detach().cpu().float().numpy().copy() for k, v in model.state_dict().items()}


def load_body_tensors(model: Any, tensors: dict[str, np.ndarray], *, where: str) -> None:
    """Load saved body weights into ``model``, refusing any that do not fit it exactly.

    Raises
    ------
    FewlabelsError
        When names or shapes differ from the base model's (weights of another model).
    """
    import torch

    own = model.state_dict()
    missing = sorted(set(own) - set(tensors))
    extra = sorted(set(tensors) - set(own))
    wrong = sorted(
        k for k in set(own) & set(tensors) if tuple(own[k].shape) != tuple(tensors[k].shape)
    )
    if missing or extra or wrong:
        raise FewlabelsError(
            f"Expected the body weights at {where} to fit the base model ({len(own)} tensors), "
            f"but {len(missing)} are missing (e.g. {missing[:2]}), {len(extra)} are foreign "
            f"(e.g. {extra[:2]}) and {len(wrong)} have other shapes (e.g. {wrong[:2]}). They "
            "belong to another model: adapt the encoder again on this base."
        )
    model.load_state_dict(
        {k: torch.from_numpy(np.ascontiguousarray(v)).to(own[k].dtype) for k, v in tensors.items()}
    )


@contextlib.contextmanager
def training_length(model: Any, max_length: int | None) -> Iterator[None]:
    """Truncate texts to ``max_length`` tokens while training; the saved model keeps its own."""
    if max_length is None:
        yield
        return
    before = model.max_seq_length
    model.max_seq_length = min(int(max_length), int(before or max_length))
    try:
        yield
    finally:
        model.max_seq_length = before
