"""Joint image-text embeddings from transformers CLIP-like models (CLIP, SigLIP), for zero-shot."""

from __future__ import annotations

import inspect
import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from fewlabels.encode._image_batches import decode_native, map_image_batches
from fewlabels.encode._model_files import (
    files_fingerprint,
    hub_load_options,
    local_model_folder,
    model_label,
    model_loading_errors,
    quiet_model_loading,
)
from fewlabels.encode.base import SharedOnCopy, l2_normalize, resolve_device
from fewlabels.encode.inputs import check_encoder_int, check_images, check_model_source, check_texts
from fewlabels.errors import InputTypeError, missing_extra
from fewlabels.typing import Modality

_IDENTITY_VERSION = "fewlabels-clip-v1"
_TEXT_KEYS = ("input_ids", "attention_mask", "position_ids")


def _features(out: Any) -> Any:
    """transformers 4 returns a tensor from ``get_*_features``, 5 an output with the projection
    in ``pooler_output``."""
    return out if hasattr(out, "shape") else out.pooler_output


class ClipEncoder(SharedOnCopy):
    """Embed images (``encode``) and prompts (``encode_text``) into one L2-normalised space.

    CLIP (Radford et al., 2021, "Learning Transferable Visual Models From Natural Language
    Supervision") and SigLIP (Zhai et al., 2023, "Sigmoid Loss for Language Image Pre-Training")
    through transformers: ``AutoModel`` with ``get_image_features`` / ``get_text_features``, the
    model's own ``AutoImageProcessor`` (resize, crop, normalisation) and ``AutoTokenizer``
    (loaded separately rather than through ``AutoProcessor`` so any tokenizer class works).
    SigLIP prompts are padded to the full length, as in its training; CLIP prompts to the
    longest in the batch (CLIP pools at the end-of-text token under a causal mask, so padding
    does not change the result).

    Parameters
    ----------
    model_id_or_path : str
        A local folder (``save_pretrained`` of the model, tokenizer and image processor) or a hub
        id such as ``openai/clip-vit-base-patch32`` (downloaded once into the Hugging Face cache;
        needs a network).
    device : str, default "auto"
        Torch device; ``"auto"`` picks CUDA when present.
    batch_size : int, default 32
        Images or prompts per forward pass.
    revision : str, optional
        Hub branch, tag or commit.
    name : str, optional
        Registry name; default ``"clip:<model_id_or_path>"``.

    Attributes
    ----------
    name : str
    modality : "image"
    dim : int
        Width of the shared space (``projection_dim``; SigLIP: the vision width).
    identity : str
        Model name and a fingerprint of its files (configs, tokenizer and processor settings by
        content, weights by name and size), text padding and normalisation.
    """

    modality: Modality = "image"

    def __init__(
        self,
        model_id_or_path: str,
        *,
        device: str | None = "auto",
        batch_size: int = 32,
        revision: str | None = None,
        name: str | None = None,
    ) -> None:
        self.model_id_or_path = check_model_source(model_id_or_path, encoder="ClipEncoder")
        self.device = device
        self.batch_size = check_encoder_int(batch_size, encoder="ClipEncoder")
        self.revision = revision
        self.name = name or f"clip:{self.model_id_or_path}"
        self._model: Any = None
        self._tokenizer: Any = None
        self._processor: Any = None
        self._device: str | None = None
        self._identity: str | None = None
        self._dim: int | None = None

    # -- cheap metadata -------------------------------------------------------------------

    def _config(self) -> dict[str, Any]:
        folder = local_model_folder(self.model_id_or_path, revision=self.revision)
        if folder is None or not (folder / "config.json").is_file():
            self._load()
            return dict(self._model.config.to_dict())
        return dict(json.loads((folder / "config.json").read_text()))

    def _is_siglip(self, config: dict[str, Any]) -> bool:
        return "siglip" in str(config.get("model_type", ""))

    @property
    def dim(self) -> int:
        """Width of the shared space, read from ``config.json``."""
        if self._dim is None:
            cfg = self._config()
            if cfg.get("projection_dim"):
                self._dim = int(cfg["projection_dim"])
            else:
                self._dim = int(cfg["vision_config"]["hidden_size"])
        return self._dim

    @property
    def identity(self) -> str:
        """Everything that changes the output; read from files, loading only an uncached hub id."""
        if self._identity is None:
            folder = local_model_folder(self.model_id_or_path, revision=self.revision)
            if folder is None:
                self._load()
                folder = local_model_folder(self.model_id_or_path, revision=self.revision)
            files = files_fingerprint(folder) if folder is not None else f"rev={self.revision}"
            padding = "max_length" if self._is_siglip(self._config()) else "longest"
            self._identity = (
                f"{_IDENTITY_VERSION}|{model_label(self.model_id_or_path)}|files={files}"
                f"|text_padding={padding}|normalize=l2"
            )
        return self._identity

    # -- the model ------------------------------------------------------------------------

    def _load(self) -> Any:
        if self._model is None:
            # before importing torch: without a network an uncached hub id fails in seconds
            kw: dict[str, Any] = {
                "revision": self.revision,
                **hub_load_options(
                    self.model_id_or_path, revision=self.revision, encoder=self.name
                ),
            }
            try:
                import torch  # noqa: F401 - a clear message if torch is the missing piece
                from transformers import AutoImageProcessor, AutoModel, AutoTokenizer
            except ImportError as exc:
                raise missing_extra("CLIP encoders", "vision", exc) from exc
            loading = model_loading_errors(self.model_id_or_path, encoder=self.name)
            with quiet_model_loading(), loading:
                model = AutoModel.from_pretrained(self.model_id_or_path, **kw)
            if not (hasattr(model, "get_image_features") and hasattr(model, "get_text_features")):
                raise InputTypeError(
                    f"Expected a joint image-text model (CLIP, SigLIP...) with "
                    f"get_image_features and get_text_features for {self.name!r}, but "
                    f"{self.model_id_or_path!r} loads as {type(model).__name__}. Use "
                    f"'hf-image:{self.model_id_or_path}' for an image-only model."
                )
            with model_loading_errors(self.model_id_or_path, encoder=self.name):
                self._tokenizer = AutoTokenizer.from_pretrained(self.model_id_or_path, **kw)
                self._processor = AutoImageProcessor.from_pretrained(self.model_id_or_path, **kw)
            self._device = resolve_device(self.device)
            self._model = model.eval().to(self._device)
        return self._model

    def _decode(self, batch: Sequence[Any] | np.ndarray) -> Any:
        images = decode_native(batch)
        return self._processor(
            images=images, return_tensors="pt", input_data_format="channels_last"
        )["pixel_values"]

    def _run_images(self, pixel_values: Any) -> np.ndarray:
        import torch

        model = self._load()
        with torch.inference_mode():
            out = model.get_image_features(pixel_values=pixel_values.to(self._device))
            return _features(out).float().cpu().numpy()

    def encode(self, inputs: Any) -> np.ndarray:
        """Embed images.

        Parameters
        ----------
        inputs : list of paths of length n, or ndarray of shape (n, height, width[, channels])

        Returns
        -------
        ndarray of shape (n, dim), float32, rows of unit L2 norm

        Raises
        ------
        UnreadableInputError
            With the positions of every missing or corrupt image (the embedding cache skips them).
        """
        images = check_images(inputs, encoder=f"Encoder {self.name!r}")
        if len(images) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        self._load()
        out = map_image_batches(
            images,
            batch_size=self.batch_size,
            decode=self._decode,
            run=self._run_images,
            dim=self.dim,
        )
        return l2_normalize(out)

    def encode_text(self, prompts: list[str]) -> np.ndarray:
        """Embed prompts (e.g. ``"a photo of a {class}"``) into the images' space.

        Parameters
        ----------
        prompts : list of str of length n

        Returns
        -------
        ndarray of shape (n, dim), float32, rows of unit L2 norm
        """
        import torch

        texts = check_texts(prompts, encoder=f"The text side of {self.name!r}")
        model = self._load()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        text_cfg = model.config.text_config
        max_length = min(
            int(getattr(self._tokenizer, "model_max_length", 10**6) or 10**6),
            int(text_cfg.max_position_embeddings),
        )
        padding = "max_length" if self._is_siglip(model.config.to_dict()) else "longest"
        accepted = set(inspect.signature(model.get_text_features).parameters)
        out: list[np.ndarray] = []
        for start in range(0, len(texts), self.batch_size):
            enc = self._tokenizer(
                texts[start : start + self.batch_size],
                padding=padding,
                truncation=True,
                max_length=max_length,
                return_tensors="pt",
            )
            feed = {k: v.to(self._device) for k, v in enc.items() if k in _TEXT_KEYS}
            feed = {k: v for k, v in feed.items() if k in accepted}
            with torch.inference_mode():
                out.append(_features(model.get_text_features(**feed)).float().cpu().numpy())
        return l2_normalize(np.concatenate(out))

    def __repr__(self) -> str:
        return (
            f"ClipEncoder({self.model_id_or_path!r}, device={self.device!r}, "
            f"batch_size={self.batch_size})"
        )
