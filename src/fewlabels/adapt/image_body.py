"""SimCLR on the pool's images: fine-tune the last blocks of EfficientNet-Lite0, the rest frozen.

SimCLR (Chen et al. 2020, "A Simple Framework for Contrastive Learning of Visual
Representations"): two augmented views of each image (:mod:`fewlabels.adapt.image_augment`)
pass through the encoder and a small projection MLP, and the NT-Xent loss
(:func:`fewlabels.adapt.losses.info_nce`) pulls each pair together against the other images
of the batch. Only the last ``train_blocks`` MBConv blocks and the head convolution of the
packaged EfficientNet-Lite0 train (their batch-norm statistics stay frozen, as in ExPLoRA's
"unfreeze the last block" and SimCLRv2's fine-tuning from a middle layer); the frozen stem and
blocks run without gradients. The projection is dropped after training (SimCLR's
representation is before it).

CPU cost is bounded three ways: images are decoded at ``image_size`` (96 px by default, not
224: the network is convolutional with a global pool, so any size fits), at most ``max_rows``
images of the pool are used, and each epoch sees ``rows_per_epoch`` of them. The adapted
encoder embeds at the same ``image_size``. Early stopping watches the loss on a held-out share
of the sample, with fixed views.

The saved weights (kind ``"image-body"``) are the trained blocks' tensors under their names in
the network's ``state_dict`` (``_blocks.15._project_conv.weight``...).

This file runs just past 400 lines: one method, its config and the module surgery on
EfficientNet-Lite0 (which blocks train, which stay frozen); the augmentations are in
``image_augment.py`` and the loop in ``training.py``.
"""

from __future__ import annotations

import copy
import os
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from fewlabels._validation import check_count, check_param
from fewlabels.adapt.image_augment import AugmentSettings, augment_batch
from fewlabels.adapt.training import TrainResult, train, weighted_mean
from fewlabels.encode.base import resolve_device
from fewlabels.errors import FewlabelsError

__all__ = [
    "IMAGE_BODY_KIND",
    "SimCLRImageConfig",
    "check_image_base",
    "fit_simclr_image",
    "image_net",
    "load_image_tensors",
    "net_inputs",
    "tail_names",
]

#: The transform kind of an image body adaptation in ``adapter.json`` and the weights header.
IMAGE_BODY_KIND = "image-body"
_FEATURES = 1280


@dataclass(frozen=True)
class SimCLRImageConfig:
    """Settings of a SimCLR image body adaptation (all enter the adapted encoder's identity).

    Parameters
    ----------
    epochs : int, default 3
    train_blocks : int, default 2
        Last MBConv blocks fine-tuned (of 16), with the head convolution; 0 trains the head
        convolution only.
    image_size : int, default 96
        Side of the images while training and when the adapted encoder embeds.
    max_rows : int, optional, default 2000
        Images sampled from the pool (seeded) to adapt on; None takes them all.
    rows_per_epoch : int, optional, default 512
        Images drawn from the sample each epoch (None: all of it).
    batch_size : int, default 64
        Images per step; each has its two views, the other 2(b - 1) views are negatives.
    lr : float, default 1e-4
    weight_decay : float, default 1e-4
    temperature : float, default 0.2
    projection_dim : int, default 128
    min_scale, flip, degrees, brightness, contrast, noise
        The augmentations (:class:`~fewlabels.adapt.image_augment.AugmentSettings`); ``flip``
        is off by default (digits and letters are not mirror-symmetric).
    holdout : float, default 0.1
        Share of the sample held out for early stopping (at most ``max_holdout`` images).
    max_holdout : int, default 128
    patience : int, default 1
    seed : int, default 0
    """

    epochs: int = 3
    train_blocks: int = 2
    image_size: int = 96
    max_rows: int | None = 2000
    rows_per_epoch: int | None = 512
    batch_size: int = 64
    lr: float = 1e-4
    weight_decay: float = 1e-4
    temperature: float = 0.2
    projection_dim: int = 128
    min_scale: float = 0.5
    flip: bool = False
    degrees: float = 10.0
    brightness: float = 0.3
    contrast: float = 0.3
    noise: float = 0.03
    holdout: float = 0.1
    max_holdout: int = 128
    patience: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        owner = "SimCLRImageConfig"
        for name, low, high in (
            ("epochs", 0, None),
            ("train_blocks", 0, 16),
            ("image_size", 32, 512),
            ("batch_size", 2, None),
            ("projection_dim", 2, None),
            ("max_holdout", 0, None),
            ("patience", 1, None),
            ("seed", 0, None),
        ):
            check_count(getattr(self, name), name=name, low=low, high=high, owner=owner)
        for name in ("max_rows", "rows_per_epoch"):
            if getattr(self, name) is not None:
                check_count(getattr(self, name), name=name, low=2, owner=owner)
        if not isinstance(self.flip, bool):
            raise FewlabelsError(f"{owner} expected flip as True or False, but got {self.flip!r}.")
        check_param("lr", self.lr, low=0, high=1, learner=owner, low_open=True)
        check_param("weight_decay", self.weight_decay, low=0, high=10, learner=owner)
        check_param("temperature", self.temperature, low=0, high=10, learner=owner, low_open=True)
        check_param("holdout", self.holdout, low=0, high=0.5, learner=owner)
        self.augment_settings()  # checks the augmentation fields

    def augment_settings(self) -> AugmentSettings:
        """The augmentation fields as :class:`AugmentSettings`."""
        return AugmentSettings(
            min_scale=self.min_scale,
            flip=self.flip,
            degrees=self.degrees,
            brightness=self.brightness,
            contrast=self.contrast,
            noise=self.noise,
        )

    def settings(self) -> dict[str, Any]:
        """The settings as a JSON-able dict."""
        return asdict(self)

    def min_rows(self) -> int:
        """The fewest pool images: two batches' worth of negatives, at least 8."""
        return max(8, 2 * self.batch_size)


# --- the network ---------------------------------------------------------------------------


def check_image_base(base: Any, *, method: str) -> None:
    """Refuse an image encoder that is not EfficientNet-Lite0 (name the one that fits)."""
    from fewlabels.encode.efficientnet import EfficientNetLite0Encoder

    if not isinstance(base, EfficientNetLite0Encoder):
        raise FewlabelsError(
            f"The adaptation method {method!r} fine-tunes the last blocks of EfficientNet-Lite0, "
            f"but the base encoder is {getattr(base, 'name', type(base).__name__)!r}. Use "
            "'efficientnet-lite0' as the base, or the 'head' method for this encoder."
        )


def image_net(base: Any, *, device: str | None = "cpu") -> tuple[Any, str]:
    """A fresh copy of the base encoder's network (the base's own is never changed).

    Returns
    -------
    net : efficientnet_lite_pytorch.EfficientNet, in eval mode on ``device``
    device : str
        The resolved torch device.
    """
    resolved = resolve_device(device)
    net = copy.deepcopy(base._load()).to(resolved).eval()
    return net, resolved


def tail_names(net: Any, train_blocks: int) -> list[str]:
    """The ``state_dict`` names of the last ``train_blocks`` blocks and the head.

    Batch-norm step counters (``num_batches_tracked``) are left out: the statistics are frozen.
    """
    first = len(net._blocks) - train_blocks
    prefixes = [f"_blocks.{i}." for i in range(first, len(net._blocks))] + ["_conv_head.", "_bn1."]
    return [
        k
        for k in net.state_dict()
        if k.startswith(tuple(prefixes)) and not k.endswith("num_batches_tracked")
    ]


def load_image_tensors(net: Any, tensors: dict[str, np.ndarray], *, where: str) -> None:
    """Load saved tail weights into ``net``, refusing any that do not fit it.

    Raises
    ------
    FewlabelsError
        When a name is not the network's, a shape differs, or the head is missing.
    """
    import torch

    own = net.state_dict()
    foreign = sorted(set(tensors) - set(own))
    wrong = sorted(
        k for k in set(own) & set(tensors) if tuple(own[k].shape) != tuple(tensors[k].shape)
    )
    head = [
        k
        for k in own
        if k.startswith(("_conv_head.", "_bn1.")) and not k.endswith("num_batches_tracked")
    ]
    missing = sorted(set(head) - set(tensors))
    if foreign or wrong or missing:
        raise FewlabelsError(
            f"Expected the image body weights at {where} to be EfficientNet-Lite0 blocks "
            f"(names of its state_dict, the head included), but {len(foreign)} are foreign "
            f"(e.g. {foreign[:2]}), {len(wrong)} have other shapes (e.g. {wrong[:2]}) and "
            f"{len(missing)} head tensors are missing. They belong to another model: adapt "
            "the encoder again on this base."
        )
    net.load_state_dict(
        {k: torch.from_numpy(np.ascontiguousarray(v)).to(own[k].dtype) for k, v in tensors.items()},
        strict=False,
    )


def net_inputs(images: np.ndarray, device: str) -> Any:
    """Decoded images (n, h, w, 3), 0..255, to the network's input (n, 3, h, w), scaled."""
    import torch

    from fewlabels.encode.efficientnet import _MEAN, _STD

    x = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32)).to(device)
    return x.permute(0, 3, 1, 2).sub(_MEAN).div(_STD)


def _prefix(net: Any, x: Any, first: int) -> Any:
    """The frozen stem and blocks ``0..first-1`` (eval mode, no gradients)."""
    x = net._swish(net._bn0(net._conv_stem(x)))
    for block in net._blocks[:first]:
        x = block(x)
    return x


def _tail_module(net: Any, first: int, projection_dim: int) -> Any:
    """The trainable part: blocks ``first..``, head conv and a projection MLP."""
    import torch
    from torch import nn

    class SimCLRTail(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.blocks = nn.ModuleList(list(net._blocks[first:]))
            self.conv_head = net._conv_head
            self.bn1 = net._bn1
            self.act = net._swish
            self.projection = nn.Sequential(
                nn.Linear(_FEATURES, 512), nn.ReLU(), nn.Linear(512, projection_dim)
            )
            self.rate = float(net._global_params.drop_connect_rate or 0.0)
            self.n_blocks = len(net._blocks)

        def train(self, mode: bool = True) -> SimCLRTail:
            super().train(mode)
            for m in self.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.eval()  # frozen statistics: small batches would ruin them
            return self

        def forward(self, x: Any) -> Any:
            for i, block in enumerate(self.blocks):
                rate = self.rate * (first + i) / self.n_blocks if self.rate else None
                x = block(x, drop_connect_rate=rate)
            h = self.act(self.bn1(self.conv_head(x))).mean((2, 3))
            return torch.nn.functional.normalize(self.projection(h), dim=1)

    for p in net.parameters():
        p.requires_grad_(False)
    tail = SimCLRTail()
    for p in tail.parameters():
        p.requires_grad_(True)
    return tail


def _decode(inputs: Any, rows: np.ndarray, size: int) -> np.ndarray:
    from fewlabels.encode.images import load_images

    subset = inputs[rows] if isinstance(inputs, np.ndarray) else [inputs[int(i)] for i in rows]
    return load_images(subset, size=(size, size), mode="RGB")


def fit_simclr_image(
    inputs: Any,
    config: SimCLRImageConfig,
    *,
    base: Any,
    key: str,
    device: str | None = "cpu",
    checkpoint_dir: str | os.PathLike[str] | None = None,
    progress: bool = False,
) -> tuple[dict[str, np.ndarray], TrainResult]:
    """Fine-tune the last blocks of the base's EfficientNet-Lite0 with SimCLR on the pool.

    Assumes valid input (checked by :func:`fewlabels.adapt.adapt`).

    Parameters
    ----------
    inputs : list of paths of length n, or ndarray of shape (n, height, width[, channels])
        The pool's images (training rows only).
    config : SimCLRImageConfig
    base : EfficientNetLite0Encoder
    key : str
    device : str, default "cpu"
    checkpoint_dir : path, optional
    progress : bool, default False

    Returns
    -------
    tensors : dict of str to ndarray
        The trained blocks' and head's weights, by their ``state_dict`` names.
    result : TrainResult
    """
    import torch

    from fewlabels.adapt.losses import info_nce

    n = len(inputs)
    rng = np.random.default_rng(config.seed)
    sample = rng.permutation(n)[: config.max_rows or n]
    n_held = min(int(np.floor(config.holdout * sample.size)), config.max_holdout)
    held_rows, rows = sample[:n_held], sample[n_held:]
    size, aug = config.image_size, config.augment_settings()
    images = _decode(inputs, rows, size)
    torch.manual_seed(config.seed)
    net, dev = image_net(base, device=device)
    first = len(net._blocks) - config.train_blocks
    tail = _tail_module(net, first, config.projection_dim).to(dev)
    per_epoch = (
        rows.size if config.rows_per_epoch is None else min(config.rows_per_epoch, rows.size)
    )
    batch = max(2, min(config.batch_size, per_epoch))

    def frozen(views: np.ndarray) -> Any:
        with torch.no_grad():
            return _prefix(net, net_inputs(views, dev), first)

    def epoch_losses(gen: Any) -> Any:
        view_rng = np.random.default_rng(int(torch.randint(0, 2**31 - 1, (1,), generator=gen)))
        pick = torch.randperm(rows.size, generator=gen).numpy()[:per_epoch]
        for start in range(0, pick.size, batch):
            idx = pick[start : start + batch]
            if idx.size < 2:
                break
            a = frozen(augment_batch(images[idx], view_rng, size=size, settings=aug))
            b = frozen(augment_batch(images[idx], view_rng, size=size, settings=aug))
            yield info_nce(tail(a), tail(b), temperature=config.temperature)

    held_out = None
    if held_rows.size >= 2:
        held_images = _decode(inputs, held_rows, size)
        held_rng = np.random.default_rng(config.seed + 1)
        held_views = [
            (
                frozen(
                    augment_batch(held_images[s : s + batch], held_rng, size=size, settings=aug)
                ),
                frozen(
                    augment_batch(held_images[s : s + batch], held_rng, size=size, settings=aug)
                ),
            )
            for s in range(0, held_rows.size, batch)
            if held_rows[s : s + batch].size >= 2
        ]

        def held_out() -> float:
            values = [
                (float(info_nce(tail(a), tail(b), temperature=config.temperature)), a.shape[0])
                for a, b in held_views
            ]
            return weighted_mean(values)

    result = train(
        tail,
        epoch_losses,
        epochs=config.epochs,
        lr=config.lr,
        weight_decay=config.weight_decay,
        seed=config.seed,
        key=key,
        checkpoint_dir=checkpoint_dir,
        progress=progress,
        description="adapt simclr-image",
        held_out=held_out,
        patience=config.patience,
        steps_per_epoch=-(-per_epoch // batch),
        items_per_step=batch,
    )
    names = tail_names(net, config.train_blocks)
    state = net.state_dict()
    tensors = {k: state[k].detach().cpu().float().numpy().copy() for k in names}
    return tensors, result
