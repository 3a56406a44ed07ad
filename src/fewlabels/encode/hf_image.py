"""Image embeddings from any transformers vision backbone (DINOv2, ViT, ConvNeXt...), pooled."""

from __future__ import annotations

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
from fewlabels.encode.inputs import check_encoder_int, check_images, check_model_source
from fewlabels.errors import missing_extra
from fewlabels.typing import Modality

_IDENTITY_VERSION = "fewlabels-hf-image-v1"
_POOLING = "pooler_output|mean-tokens"


def pool_outputs(out: Any) -> Any:
    """One vector per image from a transformers vision model's output.

    ``pooler_output`` when the model has one: the layer-normed CLS token for DINOv2 (Oquab et
    al., 2023, "DINOv2: Learning Robust Visual Features without Supervision") and ViT, global
    average pooling for ConvNeXt and ResNet. Otherwise the mean of ``last_hidden_state`` over
    its tokens (or over the spatial axes of a feature map).

    Parameters
    ----------
    out : transformers ModelOutput
        With ``pooler_output`` and/or ``last_hidden_state`` of shape (n, tokens, d) or
        (n, d, h, w).

    Returns
    -------
    Tensor of shape (n, dim)
    """
    pooled = getattr(out, "pooler_output", None)
    if pooled is None:
        hidden = out.last_hidden_state
        pooled = hidden.mean(1) if hidden.ndim == 3 else hidden.mean((2, 3))
    return pooled.reshape(pooled.shape[0], -1)


class HFImageEncoder(SharedOnCopy):
    """Embed images with a transformers vision backbone, pooled and L2-normalised.

    Loads ``AutoModel`` and ``AutoImageProcessor`` (the model's own resize, crop and
    normalisation) and pools as :func:`pool_outputs` says: DINOv2 gives its CLS token. A joint
    image-text model (CLIP) gives its projected image features. The next batch is decoded and
    preprocessed in a thread while the model runs on the current one.

    Parameters
    ----------
    model_id_or_path : str
        A local folder (``save_pretrained`` of the model and its image processor) or a hub id
        such as ``facebook/dinov2-small`` (downloaded once into the Hugging Face cache; needs a
        network).
    device : str, default "auto"
        Torch device; ``"auto"`` picks CUDA when present.
    batch_size : int, default 32
        Images per forward pass.
    revision : str, optional
        Hub branch, tag or commit.
    name : str, optional
        Registry name; default ``"hf-image:<model_id_or_path>"``.

    Attributes
    ----------
    name : str
    modality : "image"
    dim : int
    identity : str
        Model name and a fingerprint of its files (configs and processor settings by content,
        weights by name and size), pooling and normalisation.
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
        self.model_id_or_path = check_model_source(model_id_or_path, encoder="HFImageEncoder")
        self.device = device
        self.batch_size = check_encoder_int(batch_size, encoder="HFImageEncoder")
        self.revision = revision
        self.name = name or f"hf-image:{self.model_id_or_path}"
        self._model: Any = None
        self._processor: Any = None
        self._device: str | None = None
        self._identity: str | None = None
        self._dim: int | None = None

    @property
    def identity(self) -> str:
        """Everything that changes the output; read from files, loading only an uncached hub id."""
        if self._identity is None:
            folder = local_model_folder(self.model_id_or_path, revision=self.revision)
            if folder is None:
                self._load()
                folder = local_model_folder(self.model_id_or_path, revision=self.revision)
            files = files_fingerprint(folder) if folder is not None else f"rev={self.revision}"
            self._identity = (
                f"{_IDENTITY_VERSION}|{model_label(self.model_id_or_path)}|files={files}"
                f"|pool={_POOLING}|normalize=l2"
            )
        return self._identity

    @property
    def dim(self) -> int:
        """Embedding width: from ``config.json`` for the common layouts, else by a dummy pass."""
        if self._dim is None:
            folder = local_model_folder(self.model_id_or_path, revision=self.revision)
            cfg: dict[str, Any] = {}
            if folder is not None and (folder / "config.json").is_file():
                cfg = json.loads((folder / "config.json").read_text())
            if cfg.get("projection_dim") and "vision_config" in cfg:
                self._dim = int(cfg["projection_dim"])
            elif cfg.get("model_type") in ("dinov2", "vit", "deit", "beit") and cfg.get(
                "hidden_size"
            ):
                self._dim = int(cfg["hidden_size"])
            else:
                self._load()
                size = self._processor_size()
                blank = np.zeros((1, size, size, 3), dtype=np.uint8)
                self._dim = int(self._run(self._decode(blank)).shape[1])
        return self._dim

    def _processor_size(self) -> int:
        crop = getattr(self._processor, "crop_size", None) or {}
        size = getattr(self._processor, "size", None) or {}
        values = [v for v in (*dict(crop).values(), *dict(size).values()) if isinstance(v, int)]
        return max(values) if values else 224

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
                from transformers import AutoImageProcessor, AutoModel
            except ImportError as exc:
                raise missing_extra("Hugging Face image encoders", "vision", exc) from exc
            loading = model_loading_errors(self.model_id_or_path, encoder=self.name)
            with quiet_model_loading(), loading:
                model = AutoModel.from_pretrained(self.model_id_or_path, **kw)
            with model_loading_errors(self.model_id_or_path, encoder=self.name):
                self._processor = AutoImageProcessor.from_pretrained(self.model_id_or_path, **kw)
            self._device = resolve_device(self.device)
            self._model = model.eval().to(self._device)
        return self._model

    def _decode(self, batch: Sequence[Any] | np.ndarray) -> Any:
        images = decode_native(batch)
        return self._processor(
            images=images, return_tensors="pt", input_data_format="channels_last"
        )["pixel_values"]

    def _run(self, pixel_values: Any) -> np.ndarray:
        import torch

        model = self._load()
        with torch.inference_mode():
            pixel_values = pixel_values.to(self._device)
            if hasattr(model, "get_image_features"):
                out = model.get_image_features(pixel_values=pixel_values)
                pooled = out if hasattr(out, "shape") else out.pooler_output
            else:
                pooled = pool_outputs(model(pixel_values=pixel_values))
            return pooled.float().cpu().numpy()

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
            images, batch_size=self.batch_size, decode=self._decode, run=self._run, dim=self.dim
        )
        return l2_normalize(out)

    def __repr__(self) -> str:
        return (
            f"HFImageEncoder({self.model_id_or_path!r}, device={self.device!r}, "
            f"batch_size={self.batch_size})"
        )
