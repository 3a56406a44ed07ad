"""The body-adapted text encoder: a sentence-transformers base whose transformer was fine-tuned.

Written by the body methods (``setfit-body``, ``simcse``; :mod:`fewlabels.adapt.body`) and
loaded by :func:`fewlabels.adapt.encoder.load_adapted` for the kind ``"body"``.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from fewlabels.adapt.encoder import AdaptedEncoder, AdaptedMeta
from fewlabels.encode.base import Encoder
from fewlabels.errors import FewlabelsError

__all__ = ["BodyAdaptedEncoder"]


class BodyAdaptedEncoder(AdaptedEncoder):
    """A sentence-transformers base whose body was fine-tuned (``setfit-body``, ``simcse``).

    The weights are the whole transformer's (its ``state_dict``); ``encode`` runs the base
    model with them instead of transforming the base's embeddings. Identity, saving and
    loading are those of every adapted encoder.

    Parameters
    ----------
    base : Encoder
        The sentence-transformers encoder it was adapted from.
    tensors : dict of str to ndarray
        The body's weights; they must fit the base model exactly.
    meta : AdaptedMeta
    path : path, optional
    device : str, default "auto"
        Where the body runs (CUDA when present).
    """

    def __init__(
        self,
        base: Encoder,
        tensors: dict[str, np.ndarray],
        meta: AdaptedMeta,
        *,
        path: str | os.PathLike[str] | None = None,
        device: str | None = "auto",
    ) -> None:
        self.device = device
        self._model: Any = None
        super().__init__(base, tensors, meta, path=path)

    #: The encoder this body was adapted from, for a further body adaptation on top.
    @property
    def body_base(self) -> Encoder:
        return self.base

    def body_model(self) -> Any:
        """The fine-tuned sentence-transformers model (loaded on first use)."""
        return self._load()

    def _check(self, *, where: str) -> int:
        from fewlabels.adapt.body import load_body, load_body_tensors

        model = load_body(self.base, device=self.device)
        load_body_tensors(model, self._tensors, where=where)
        model.eval()
        self._model = model
        return int(self.meta.dim)

    def _load(self) -> Any:
        if self._model is None:
            self._check(where=str(self.path))
        return self._model

    def transform(self, base_embeddings: np.ndarray) -> np.ndarray:
        """Not available: a body adaptation changes the encoder itself, not its output."""
        raise FewlabelsError(
            f"Expected inputs (texts) for the body-adapted encoder {self.name!r}: it has no "
            "transform of base embeddings, its transformer itself was fine-tuned. Call "
            "encode(texts), or fewlabels.embed(dataset, encoder)."
        )

    def encode(self, inputs: Any) -> np.ndarray:
        """Embed texts with the fine-tuned body: (n, dim) float32, unit rows."""
        from fewlabels.encode.inputs import check_texts

        texts = check_texts(inputs, encoder=f"Encoder {self.name!r}")
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        emb = self._load().encode(
            texts,
            batch_size=int(getattr(self.base, "batch_size", 64)),
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(emb, dtype=np.float32)

    def encode_text(self, prompts: list[str]) -> np.ndarray:
        """The text side of a text encoder is itself: the same as ``encode``."""
        return self.encode(prompts)
