"""The image-body-adapted encoder: EfficientNet-Lite0 whose last blocks were fine-tuned.

Written by ``simclr-image`` (:mod:`fewlabels.adapt.image_body`) and loaded by
:func:`fewlabels.adapt.encoder.load_adapted` for the kind ``"image-body"``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from fewlabels.adapt.encoder import AdaptedEncoder, AdaptedMeta
from fewlabels.encode.base import Encoder, l2_normalize
from fewlabels.errors import FewlabelsError

__all__ = ["ImageBodyAdaptedEncoder"]


class ImageBodyAdaptedEncoder(AdaptedEncoder):
    """EfficientNet-Lite0 with its last blocks fine-tuned on the pool (``simclr-image``).

    ``encode`` decodes images at the adaptation's ``image_size``, runs the network with the
    fine-tuned blocks and mean-pools the last feature map (1280-d, L2-normalised), as the base
    does at 224 px. Identity, saving and loading are those of every adapted encoder.

    Parameters
    ----------
    base : EfficientNetLite0Encoder
        The encoder it was adapted from; its own network is never changed.
    tensors : dict of str to ndarray
        The fine-tuned blocks' weights, by their names in the network's ``state_dict``.
    meta : AdaptedMeta
    path : path, optional
    device : str, default "auto"
        Where the network runs (CUDA when present).
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
        self._net: Any = None
        self._device = "cpu"
        self.image_size = int(meta.settings.get("image_size", 224))
        super().__init__(base, tensors, meta, path=path)

    def _check(self, *, where: str) -> int:
        from fewlabels.adapt.image_body import image_net, load_image_tensors

        net, self._device = image_net(self.base, device=self.device)
        load_image_tensors(net, self._tensors, where=where)
        self._net = net.eval()
        return int(self.meta.dim)

    def transform(self, base_embeddings: np.ndarray) -> np.ndarray:
        """Not available: an image body adaptation changes the network, not its output."""
        raise FewlabelsError(
            f"Expected images for the body-adapted encoder {self.name!r}: it has no transform "
            "of base embeddings, the last blocks of its network were fine-tuned. Call "
            "encode(images), or fewlabels.embed(dataset, encoder)."
        )

    def _decode(self, batch: Sequence[Any] | np.ndarray) -> np.ndarray:
        from fewlabels.encode.images import load_images

        return load_images(batch, size=(self.image_size, self.image_size), mode="RGB")

    def _run(self, images: np.ndarray) -> np.ndarray:
        import torch

        from fewlabels.adapt.image_body import net_inputs

        with torch.inference_mode():
            feats = self._net.extract_features(net_inputs(images, self._device)).mean((2, 3))
        return feats.float().cpu().numpy()

    def encode(self, inputs: Any) -> np.ndarray:
        """Embed images: ndarray of shape (n, 1280), float32, rows of unit L2 norm.

        Parameters
        ----------
        inputs : list of paths of length n, or ndarray of shape (n, height, width[, channels])
        """
        from fewlabels.encode._image_batches import map_image_batches
        from fewlabels.encode.inputs import check_images

        images = check_images(inputs, encoder=f"Encoder {self.name!r}")
        if len(images) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = map_image_batches(
            images,
            batch_size=int(getattr(self.base, "batch_size", 32)),
            decode=self._decode,
            run=self._run,
            dim=self.dim,
        )
        return l2_normalize(out)
