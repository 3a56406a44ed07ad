"""The Encoder protocol: frozen models that map inputs to L2-normalised embeddings."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np

from fewlabels.errors import InputTypeError
from fewlabels.typing import Modality


@runtime_checkable
class Encoder(Protocol):
    """A frozen encoder.

    Attributes
    ----------
    name : str
        The registry name (``"minilm"``, ``"clip:openai/clip-vit-base-patch32"``...).
    dim : int
        Embedding width.
    modality : {"text", "image", "tabular"}
        What ``encode`` takes.
    identity : str
        Everything that changes the output (model id, revision, preprocessing, fitted
        statistics); the embedding cache is keyed by it.
    """

    name: str
    modality: Modality

    @property
    def dim(self) -> int: ...

    @property
    def identity(self) -> str: ...

    def encode(self, inputs: Any) -> np.ndarray:
        """Embed a batch.

        Parameters
        ----------
        inputs : list of str, ndarray or DataFrame of length n
            Texts, image paths or arrays, or table rows, by ``modality``.

        Returns
        -------
        ndarray of shape (n, dim), float32, rows of unit L2 norm
        """
        ...


@runtime_checkable
class TextImageEncoder(Encoder, Protocol):
    """A joint encoder (CLIP-like, or a text encoder used on text) with a text side."""

    def encode_text(self, prompts: list[str]) -> np.ndarray:
        """Embed prompts into the same space as ``encode``: ndarray of shape (n, dim)."""
        ...


@runtime_checkable
class FittableEncoder(Encoder, Protocol):
    """An encoder whose output depends on statistics of the data (no labels used)."""

    @property
    def is_fitted(self) -> bool: ...

    def fit(self, inputs: Any) -> FittableEncoder:
        """Learn the statistics of ``inputs`` (never their labels); return self."""
        ...


class SharedOnCopy:
    """Mixin of the encoders that hold a loaded model: ``copy.deepcopy`` returns the encoder.

    ``sklearn.clone`` of a learner that holds an encoder (``ZeroShot``, ``Auto``)
    deep-copies its parameters; a loaded model is shared instead of copied, and an ONNX
    session cannot be copied at all.
    """

    def __deepcopy__(self, memo: dict[int, object]) -> object:
        return self


def has_text_side(encoder: object) -> bool:
    """Whether ``encoder`` can embed class-name prompts (``encode_text``)."""
    return callable(getattr(encoder, "encode_text", None))


def check_text_side(encoder: object, *, learner: str = "ZeroShot") -> None:
    """Refuse an encoder that cannot embed class-name prompts (no ``encode_text``).

    Parameters
    ----------
    encoder : object
        The encoder that embedded the pool.
    learner : str, default "ZeroShot"
        Who needs the text side, for the message.

    Raises
    ------
    InputTypeError
        When ``encoder`` has no ``encode_text`` method.
    """
    if not has_text_side(encoder):
        name = getattr(encoder, "name", type(encoder).__name__)
        raise InputTypeError(
            f"{learner} needs an encoder with a text side (an encode_text method), but the "
            f"encoder {name!r} has none. Use an encoder that embeds prompts: 'minilm' or "
            "'st:<model-id>' for text data, 'clip:<model-id>' for images; or label a few rows "
            "and use another learner (fewlabels.learn.list_learners())."
        )


def l2_normalize(x: np.ndarray, *, eps: float = 1e-12) -> np.ndarray:
    """Scale each row to unit L2 norm.

    Parameters
    ----------
    x : ndarray of shape (n, d)

    Returns
    -------
    ndarray of shape (n, d), float32
    """
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.maximum(norms, eps)).astype(np.float32, copy=False)


def resolve_device(device: str | None = "auto") -> str:
    """Turn ``"auto"``/None into ``"cuda"`` when torch sees a GPU, else ``"cpu"``."""
    if device not in (None, "auto"):
        return str(device)
    try:
        import torch
    except ImportError:
        return "cpu"
    return "cuda" if torch.cuda.is_available() else "cpu"
