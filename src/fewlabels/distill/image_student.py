"""The image student: a small CNN on pixels, with cheap augmentations (shifts, optional flips)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from fewlabels.distill.config import DistillConfig
from fewlabels.distill.image_input import ImageInput, survey_images
from fewlabels.distill.student import Student
from fewlabels.distill.trainer import Trainer
from fewlabels.errors import FewlabelsError


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
    resize : bool, default False
        Image files of mixed sizes are resized to the most common size (bilinear), and colour
        images converted to grey for a grey student. Without it, :meth:`check_inputs` (run by
        :func:`fewlabels.distill.distill` before the teacher labels anything) refuses mixed
        sizes. Lossless mode changes (grey to RGB, a palette, alpha) never need it.
    config : DistillConfig, optional
        Training options.

    The student reads RGB when any image file is in a colour mode, else grey; its size is the
    most common size of the files (headers only, see
    :func:`fewlabels.distill.image_input.survey_images`).
    """

    kind = "cnn"
    modality = "image"

    def __init__(
        self,
        *,
        width: int = 16,
        shift: int = 2,
        flip: bool = False,
        resize: bool = False,
        config: DistillConfig | None = None,
    ) -> None:
        self.width = width
        self.shift = shift
        self.flip = flip
        self.resize = resize
        self.config = config

    def check_inputs(self, inputs: Any) -> None:
        """Refuse image files of mixed sizes (unless ``resize``) before any long work.

        Reads only the headers. Raises :class:`~fewlabels.errors.FewlabelsError` counting the
        files of each other size and naming one, with the ``--resize`` hint.
        """
        if isinstance(inputs, np.ndarray) or not len(inputs):
            return
        if not self.resize:
            self._probe(inputs).check_sizes(survey_images(list(inputs)))

    def _probe(self, paths: Any) -> ImageInput:
        """The student's input (size, channels) from the files' headers."""
        survey = survey_images(list(paths))
        if not survey.sizes:
            reason = survey.unreadable[0][1] if survey.unreadable else "no files"
            raise FewlabelsError(
                f"Expected readable image files to train the image student, but none of the "
                f"{len(paths)} can be opened (e.g. {reason})."
            )
        w, h = survey.common_size
        return ImageInput(h, w, 3 if survey.colour else 1, (0.0,), (1.0,))

    def _fit_spec(self, inputs: Any) -> ImageInput:
        from fewlabels.distill.image_input import as_uint8_images

        if isinstance(inputs, np.ndarray):
            return ImageInput.from_images(as_uint8_images(inputs))
        probe = self._probe(inputs)
        return ImageInput.from_images(probe.load(list(inputs), resize=bool(self.resize)))

    def _features(self, inputs: Any, spec: ImageInput, *, training: bool) -> np.ndarray:
        return spec.normalise(spec.load(inputs, resize=bool(self.resize)))

    def _build(self, spec: ImageInput, n_classes: int) -> nn.Module:
        return SmallCNN(spec.channels, n_classes, width=int(self.width))

    def _trainer(self, config: DistillConfig) -> Trainer:
        return _ImageTrainer(config, shift=int(self.shift), flip=bool(self.flip))

    def _example(self) -> tuple[dict[str, np.ndarray], dict[str, dict[int, str]]]:
        s = self.input_spec_
        return {"pixels": np.zeros((2, s.channels, s.height, s.width), np.float32)}, {
            "pixels": {0: "n"}
        }
