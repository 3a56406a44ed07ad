"""The image student: a small CNN on pixels, with cheap augmentations (shifts, optional flips)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from fewlabels.distill.config import DistillConfig
from fewlabels.distill.image_input import ImageInput
from fewlabels.distill.student import Student
from fewlabels.distill.trainer import Trainer


class SmallCNN(nn.Module):
    """Four 3x3 convolutions with batch norm, two 2x2 max-pools, global average pooling.

    Parameters
    ----------
    channels : int
        Input channels.
    n_classes : int
    width : int
        Channels of the first block; later blocks use ``2 * width`` and ``4 * width``.

    Input ``pixels`` of shape (n, channels, height, width); output logits (n, n_classes).
    """

    def __init__(self, channels: int, n_classes: int, *, width: int = 16) -> None:
        super().__init__()

        def block(c_in: int, c_out: int) -> list[nn.Module]:
            return [
                nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
                nn.BatchNorm2d(c_out),
                nn.ReLU(),
            ]

        w = width
        self.features = nn.Sequential(
            *block(channels, w),
            *block(w, 2 * w),
            nn.MaxPool2d(2),
            *block(2 * w, 4 * w),
            nn.MaxPool2d(2),
            *block(4 * w, 4 * w),
        )
        self.head = nn.Linear(4 * w, n_classes)

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(pixels).mean(dim=(2, 3)))


class _ImageTrainer(Trainer):
    """Random shifts (pad and crop back) and, when told, horizontal flips (``augment``)."""

    def __init__(self, config: DistillConfig, *, shift: int, flip: bool) -> None:
        super().__init__(config)
        self.shift, self.flip = shift, flip

    def augment(
        self, inputs: tuple[torch.Tensor, ...], generator: torch.Generator
    ) -> tuple[torch.Tensor, ...]:
        (x,) = inputs
        n, _, h, w = x.shape
        if self.shift > 0:
            s = self.shift
            padded = nn.functional.pad(x, (s, s, s, s), mode="replicate")
            offsets = torch.randint(0, 2 * s + 1, (n, 2), generator=generator).tolist()
            x = torch.stack(
                [padded[i, :, dy : dy + h, dx : dx + w] for i, (dy, dx) in enumerate(offsets)]
            )
        if self.flip:
            mask = (torch.rand(n, generator=generator) < 0.5).to(x.device)
            x = torch.where(mask[:, None, None, None], x.flip(-1), x)
        return (x,)


class ImageStudent(Student):
    """A small CNN trained on soft labels from raw pixels.

    Parameters
    ----------
    width : int, default 16
        Channels of the first convolution block.
    shift : int, default 2
        Largest random shift in pixels (pad and random crop back to size); 0 turns it off.
    flip : bool, default False
        Random horizontal flips: only where a mirrored image keeps its class (photos of
        objects, not digits or text).
    config : DistillConfig, optional
        Training options.
    """

    kind = "cnn"
    modality = "image"

    def __init__(
        self,
        *,
        width: int = 16,
        shift: int = 2,
        flip: bool = False,
        config: DistillConfig | None = None,
    ) -> None:
        self.width = width
        self.shift = shift
        self.flip = flip
        self.config = config

    def _fit_spec(self, inputs: Any) -> ImageInput:
        from fewlabels.distill.image_input import as_uint8_images

        if isinstance(inputs, np.ndarray):
            return ImageInput.from_images(as_uint8_images(inputs))
        from PIL import Image

        paths = list(inputs)
        with Image.open(paths[0]) as im:
            w, h = im.size
        probe = ImageInput(h, w, 1 if _all_grey(paths[:16]) else 3, (0.0,), (1.0,))
        return ImageInput.from_images(probe.load(paths, resize=True))

    def _features(self, inputs: Any, spec: ImageInput, *, training: bool) -> np.ndarray:
        return spec.normalise(spec.load(inputs, resize=training))

    def _build(self, spec: ImageInput, n_classes: int) -> nn.Module:
        return SmallCNN(spec.channels, n_classes, width=int(self.width))

    def _trainer(self, config: DistillConfig) -> Trainer:
        return _ImageTrainer(config, shift=int(self.shift), flip=bool(self.flip))

    def _example(self) -> tuple[dict[str, np.ndarray], dict[str, dict[int, str]]]:
        s = self.input_spec_
        return {"pixels": np.zeros((2, s.channels, s.height, s.width), np.float32)}, {
            "pixels": {0: "n"}
        }


def _all_grey(paths: list[Any]) -> bool:
    from PIL import Image

    for p in paths:
        with Image.open(p) as im:
            if im.mode not in ("L", "1", "I", "I;16"):
                return False
    return True
