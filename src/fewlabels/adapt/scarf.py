"""SCARF for tables: contrastive learning with random feature corruption (Bahri et al. 2022).

On the ``tabular`` encoder's features of the pool, each row is paired with a corrupted copy
of itself in which a share of the features (``corruption``) is replaced by the values of the
same features in other random rows (draws from each feature's empirical marginal). An MLP
encoder ``f`` and a projection head ``g`` are trained with InfoNCE between ``g(f(x))`` and
``g(f(corrupt(x)))``; the adapted encoder keeps ``f`` and drops ``g``, as in the paper. No
label is used.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from fewlabels._validation import check_count, check_param
from fewlabels.adapt.training import TrainResult, epoch_batches, train

__all__ = ["ScarfConfig", "corrupt", "fit_scarf"]


@dataclass(frozen=True)
class ScarfConfig:
    """Settings of a SCARF adaptation (all of them enter the adapted encoder's identity).

    Parameters
    ----------
    hidden : int, default 256
        Width of the encoder's layers and of its output.
    layers : int, default 3
        Linear layers of the encoder (ReLU between them).
    head_hidden : int, default 128
        Width of the projection head (two layers), dropped after training.
    corruption : float, default 0.6
        Share of features replaced in the corrupted view (the paper's default).
    epochs : int, default 60
    batch_size : int, default 128
    min_steps : int, default 20
        Fewest optimiser steps per epoch: a small table is passed over several times.
    lr : float, default 1e-3
    weight_decay : float, default 1e-5
    temperature : float, default 1.0
        Of InfoNCE (the paper's default).
    seed : int, default 0
    """

    hidden: int = 256
    layers: int = 3
    head_hidden: int = 128
    corruption: float = 0.6
    epochs: int = 60
    batch_size: int = 128
    min_steps: int = 20
    lr: float = 1e-3
    weight_decay: float = 1e-5
    temperature: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        for name, low in (
            ("hidden", 1),
            ("layers", 1),
            ("head_hidden", 1),
            ("epochs", 0),
            ("batch_size", 2),
            ("min_steps", 1),
            ("seed", 0),
        ):
            check_count(getattr(self, name), name=name, low=low, owner="ScarfConfig")
        check_param("corruption", self.corruption, low=0, high=1, learner="ScarfConfig")
        check_param("lr", self.lr, low=0, high=10, learner="ScarfConfig", low_open=True)
        check_param("weight_decay", self.weight_decay, low=0, high=10, learner="ScarfConfig")
        check_param(
            "temperature", self.temperature, low=0, high=10, learner="ScarfConfig", low_open=True
        )

    def settings(self) -> dict[str, Any]:
        """The settings as a JSON-able dict."""
        return asdict(self)

    def min_rows(self) -> int:
        """The fewest pool rows SCARF can train on."""
        return 16


def corrupt(x: Any, pool: Any, *, rate: float, generator: Any) -> Any:
    """SCARF's corruption: replace a random share of each row's features by other rows' values.

    Parameters
    ----------
    x : Tensor of shape (b, d)
        The rows to corrupt.
    pool : Tensor of shape (n, d)
        Where replacement values come from (feature ``j`` from column ``j`` of a random row).
    rate : float
        Chance that each feature is replaced.
    generator : torch.Generator

    Returns
    -------
    Tensor of shape (b, d)
    """
    import torch

    b, d = x.shape
    mask = torch.rand((b, d), generator=generator) < rate
    donors = torch.randint(pool.shape[0], (b, d), generator=generator)
    replacement = torch.gather(pool, 0, donors)
    return torch.where(mask, replacement, x)


def _build(dim: int, config: ScarfConfig) -> tuple[Any, Any]:
    import torch

    layers: list[Any] = []
    width = dim
    for k in range(config.layers):
        layers.append(torch.nn.Linear(width, config.hidden))
        if k < config.layers - 1:
            layers.append(torch.nn.ReLU())
        width = config.hidden
    encoder = torch.nn.Sequential(*layers)
    head = torch.nn.Sequential(
        torch.nn.ReLU(),
        torch.nn.Linear(config.hidden, config.head_hidden),
        torch.nn.ReLU(),
        torch.nn.Linear(config.head_hidden, config.head_hidden),
    )
    return encoder, head


def fit_scarf(
    F: np.ndarray,
    config: ScarfConfig,
    *,
    key: str,
    checkpoint_dir: str | os.PathLike[str] | None = None,
    progress: bool = False,
) -> tuple[dict[str, np.ndarray], TrainResult]:
    """Train a SCARF encoder on tabular features.

    Assumes valid input (checked by :func:`fewlabels.adapt.adapt`).

    Parameters
    ----------
    F : ndarray of shape (n, d), float32
        The ``tabular`` encoder's features of the pool (training rows only).
    config : ScarfConfig
    key : str
        Identifies the run for its checkpoints.
    checkpoint_dir : path, optional
    progress : bool, default False

    Returns
    -------
    tensors : dict of str to ndarray
        The encoder's layers as ``w0, b0, ...`` (an ``"mlp"`` transform).
    result : TrainResult
    """
    import torch

    from fewlabels.adapt.losses import info_nce

    torch.manual_seed(config.seed)
    n, dim = F.shape
    encoder, head = _build(dim, config)
    module = torch.nn.ModuleDict({"encoder": encoder, "head": head})
    ft = torch.from_numpy(np.array(F, dtype=np.float32))
    batch = min(config.batch_size, n)

    def project(x: Any) -> Any:
        return torch.nn.functional.normalize(head(encoder(x)), dim=1)

    def epoch_losses(gen: Any) -> Any:
        for idx in epoch_batches(n, batch, config.min_steps, gen):
            x = ft[idx]
            x_tilde = corrupt(x, ft, rate=config.corruption, generator=gen)
            yield info_nce(project(x), project(x_tilde), temperature=config.temperature)

    result = train(
        module,
        epoch_losses,
        epochs=config.epochs,
        lr=config.lr,
        weight_decay=config.weight_decay,
        seed=config.seed,
        key=key,
        checkpoint_dir=checkpoint_dir,
        progress=progress,
        description="adapt scarf",
    )
    linears = [m for m in encoder if isinstance(m, torch.nn.Linear)]
    tensors: dict[str, np.ndarray] = {}
    for k, layer in enumerate(linears):
        tensors[f"w{k}"] = layer.weight.detach().cpu().numpy().astype(np.float32)
        tensors[f"b{k}"] = layer.bias.detach().cpu().numpy().astype(np.float32)
    return tensors, result
