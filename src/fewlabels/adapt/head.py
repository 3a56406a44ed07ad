"""Head adaptation: a small residual projection trained on the frozen embeddings.

The base encoder is never touched. A head ``x + W2 relu(W1 x)`` (or ``x + W x``), whose last
layer starts at zero so that the untrained head is the identity, learns two objectives at
once on the pool's frozen embeddings:

* self-supervised InfoNCE where the positive of a row is one of its nearest neighbours in the
  frozen space (nearest-neighbour positives, as in NNCLR, Dwibedi et al. 2021);
* with labels, supervised contrastive on the labelled rows plus the confident pseudo-labels
  of nearest class means (Khosla et al. 2020): SetFit's objective (Tunstall et al. 2022)
  without touching the body.

Pure functions first (:func:`neighbour_indices`, :func:`confident_pseudo_labels`), then
:func:`fit_head`, which returns the head as named numpy tensors.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

from fewlabels._validation import check_count, check_param
from fewlabels.adapt.training import TrainResult, epoch_batches, train
from fewlabels.encode.base import l2_normalize
from fewlabels.errors import FewlabelsError

__all__ = ["HeadConfig", "confident_pseudo_labels", "fit_head", "neighbour_indices"]


@dataclass(frozen=True)
class HeadConfig:
    """Settings of a head adaptation (all of them enter the adapted encoder's identity).

    Parameters
    ----------
    kind : {"mlp", "linear"}, default "mlp"
        ``x + W2 relu(W1 x + b1) + b2`` or ``x + W x + b``.
    hidden : int, default 256
        Width of the MLP's hidden layer.
    epochs : int, default 30
    batch_size : int, default 256
    lr : float, default 3e-4
    weight_decay : float, default 1e-4
    temperature : float, default 0.1
        Of both contrastive losses.
    n_neighbors : int, default 10
        A row's positive is drawn from its ``n_neighbors`` nearest neighbours.
    min_steps : int, default 20
        Fewest optimiser steps per epoch: a small pool is passed over several times.
    self_supervised_weight : float, optional
        Weight of the nearest-neighbour InfoNCE loss; 0 trains on the labels alone. By
        default 1.0 without labels and 0.0 with them: on a validation split of the finefoods
        training pool (MiniLM) the nearest-neighbour term lowered macro-F1 by 2-4 points
        whenever labels were there (benchmarks/adapt.py).
    supervised_weight : float, default 1.0
        Weight of the supervised contrastive loss (used only with labels).
    pseudo_threshold : float, default 0.95
        Smallest confidence (softmax over cosine to the class means, temperature 0.05) for a
        pseudo-label; 1.0 takes none.
    seed : int, default 0
    """

    kind: Literal["mlp", "linear"] = "mlp"
    hidden: int = 256
    epochs: int = 30
    batch_size: int = 256
    lr: float = 3e-4
    weight_decay: float = 1e-4
    temperature: float = 0.1
    n_neighbors: int = 10
    min_steps: int = 20
    self_supervised_weight: float | None = None
    supervised_weight: float = 1.0
    pseudo_threshold: float = 0.95
    seed: int = 0

    def __post_init__(self) -> None:
        if self.kind not in ("mlp", "linear"):
            raise FewlabelsError(
                f"HeadConfig expected kind 'mlp' or 'linear', but got {self.kind!r}."
            )
        check_count(self.hidden, name="hidden", low=1, owner="HeadConfig")
        check_count(self.epochs, name="epochs", low=0, owner="HeadConfig")
        check_count(self.batch_size, name="batch_size", low=2, owner="HeadConfig")
        check_count(self.n_neighbors, name="n_neighbors", low=1, owner="HeadConfig")
        check_count(self.min_steps, name="min_steps", low=1, owner="HeadConfig")
        check_count(self.seed, name="seed", low=0, owner="HeadConfig")
        check_param("lr", self.lr, low=0, high=10, learner="HeadConfig", low_open=True)
        check_param("weight_decay", self.weight_decay, low=0, high=10, learner="HeadConfig")
        check_param(
            "temperature", self.temperature, low=0, high=10, learner="HeadConfig", low_open=True
        )
        if self.self_supervised_weight is not None:
            check_param(
                "self_supervised_weight",
                self.self_supervised_weight,
                low=0,
                high=100,
                learner="HeadConfig",
            )
        check_param(
            "supervised_weight", self.supervised_weight, low=0, high=100, learner="HeadConfig"
        )
        check_param("pseudo_threshold", self.pseudo_threshold, low=0, high=1, learner="HeadConfig")

    def settings(self) -> dict[str, Any]:
        """The settings as a JSON-able dict."""
        return asdict(self)

    def min_rows(self) -> int:
        """The fewest pool rows this head can train on."""
        return max(16, self.n_neighbors + 1)


def neighbour_indices(X: np.ndarray, *, n_neighbors: int, block: int = 2048) -> np.ndarray:
    """Each row's nearest neighbours by cosine similarity, itself excluded.

    Assumes valid input with more than ``n_neighbors`` rows.

    Parameters
    ----------
    X : ndarray of shape (n, d), rows of unit norm
    n_neighbors : int
    block : int, default 2048
        Rows compared at once (memory ``block * n`` floats).

    Returns
    -------
    ndarray of shape (n, n_neighbors), int64, most similar first
    """
    X = np.asarray(X, dtype=np.float32)
    n = X.shape[0]
    out = np.empty((n, n_neighbors), dtype=np.int64)
    for start in range(0, n, block):
        sim = X[start : start + block] @ X.T
        rows = np.arange(sim.shape[0])
        sim[rows, start + rows] = -np.inf
        part = np.argpartition(-sim, n_neighbors - 1, axis=1)[:, :n_neighbors]
        order = np.argsort(-np.take_along_axis(sim, part, axis=1), axis=1, kind="stable")
        out[start : start + sim.shape[0]] = np.take_along_axis(part, order, axis=1)
    return out


def confident_pseudo_labels(
    X: np.ndarray, codes: np.ndarray, *, threshold: float, temperature: float = 0.05
) -> np.ndarray:
    """Labels plus the confident nearest-class-mean guesses for unlabelled rows.

    Assumes valid input: ``codes`` in ``-1, 0..k-1`` with every class present.

    Parameters
    ----------
    X : ndarray of shape (n, d), rows of unit norm
    codes : ndarray of shape (n,), int, -1 = unlabelled
    threshold : float
        Smallest softmax confidence (over cosine to the class means / ``temperature``) kept.
    temperature : float, default 0.05

    Returns
    -------
    ndarray of shape (n,), int64
        ``codes`` with the confident unlabelled rows filled in; the rest stay -1.
    """
    codes = np.asarray(codes, dtype=np.int64)
    labelled = codes >= 0
    out = codes.copy()
    if not labelled.any() or threshold >= 1.0:
        return out
    k = int(codes.max()) + 1
    means = l2_normalize(np.stack([X[codes == c].mean(axis=0) for c in range(k)]))
    logits = (X @ means.T) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    proba = np.exp(logits)
    proba /= proba.sum(axis=1, keepdims=True)
    take = ~labelled & (proba.max(axis=1) >= threshold)
    out[take] = proba[take].argmax(axis=1)
    return out


class _Head:
    """Factory of the torch module (kept out of import time: torch is optional)."""

    @staticmethod
    def build(dim: int, config: HeadConfig) -> Any:
        import torch

        class ResidualHead(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                if config.kind == "linear":
                    self.w = torch.nn.Linear(dim, dim)
                    torch.nn.init.zeros_(self.w.weight)
                    torch.nn.init.zeros_(self.w.bias)
                else:
                    self.w1 = torch.nn.Linear(dim, config.hidden)
                    self.w2 = torch.nn.Linear(config.hidden, dim)
                    torch.nn.init.zeros_(self.w2.weight)
                    torch.nn.init.zeros_(self.w2.bias)

            def forward(self, x: Any) -> Any:
                if config.kind == "linear":
                    y = x + self.w(x)
                else:
                    y = x + self.w2(torch.relu(self.w1(x)))
                return torch.nn.functional.normalize(y, dim=1)

        return ResidualHead()

    @staticmethod
    def tensors(module: Any, config: HeadConfig) -> dict[str, np.ndarray]:
        names = {"w": module.w} if config.kind == "linear" else {"1": module.w1, "2": module.w2}
        out: dict[str, np.ndarray] = {}
        for suffix, layer in names.items():
            w = "w" if suffix == "w" else f"w{suffix}"
            b = "b" if suffix == "w" else f"b{suffix}"
            out[w] = layer.weight.detach().cpu().numpy().astype(np.float32)
            out[b] = layer.bias.detach().cpu().numpy().astype(np.float32)
        return out


def head_kind(config: HeadConfig) -> str:
    """The transform kind (:mod:`fewlabels.adapt.transforms`) a head config gives."""
    return "residual-linear" if config.kind == "linear" else "residual-mlp"


def fit_head(
    X: np.ndarray,
    codes: np.ndarray | None,
    config: HeadConfig,
    *,
    key: str,
    checkpoint_dir: str | os.PathLike[str] | None = None,
    progress: bool = False,
) -> tuple[dict[str, np.ndarray], TrainResult, int]:
    """Train a head on frozen embeddings.

    Assumes valid input (checked by :func:`fewlabels.adapt.adapt`).

    Parameters
    ----------
    X : ndarray of shape (n, d), float32, rows of unit norm
        The frozen embeddings of the pool (training rows only).
    codes : ndarray of shape (n,) or None
        Label codes, -1 = unlabelled; None adapts self-supervised only.
    config : HeadConfig
    key : str
        Identifies the run for its checkpoints.
    checkpoint_dir : path, optional
        Resume from and write per-epoch checkpoints there.
    progress : bool, default False

    Returns
    -------
    tensors : dict of str to ndarray
        The head's weights, for :func:`fewlabels.adapt.transforms.apply_transform`.
    result : TrainResult
    n_pseudo : int
        Unlabelled rows given a confident pseudo-label.
    """
    import torch

    from fewlabels.adapt.losses import info_nce, supervised_contrastive

    torch.manual_seed(config.seed)
    n, dim = X.shape
    module = _Head.build(dim, config)
    xt = torch.from_numpy(np.array(X, dtype=np.float32))
    sup_rows: Any = None
    n_pseudo = 0
    if codes is not None and (codes >= 0).any():
        full = confident_pseudo_labels(X, codes, threshold=config.pseudo_threshold)
        n_pseudo = int(((full >= 0) & (codes < 0)).sum())
        labelled = torch.from_numpy(np.flatnonzero(codes >= 0))
        pseudo = torch.from_numpy(np.flatnonzero((full >= 0) & (codes < 0)))
        sup_rows = (labelled, pseudo, torch.from_numpy(full))
    batch = min(config.batch_size, n)
    ssl_weight = config.self_supervised_weight
    if ssl_weight is None:
        ssl_weight = 0.0 if sup_rows is not None else 1.0
    if ssl_weight == 0 and (sup_rows is None or config.supervised_weight == 0):
        raise FewlabelsError(
            "Expected something for the head to learn, but self_supervised_weight is 0 and "
            f"{'no row is labelled' if sup_rows is None else 'supervised_weight is 0'}. Give "
            "labels, or a self_supervised_weight > 0."
        )
    nbrs = (
        torch.from_numpy(neighbour_indices(X, n_neighbors=min(config.n_neighbors, n - 1)))
        if ssl_weight > 0
        else None
    )

    def epoch_losses(gen: Any) -> Any:
        for idx in epoch_batches(n, batch, config.min_steps, gen):
            loss = xt.new_zeros(())
            if nbrs is not None:
                pick = torch.randint(nbrs.shape[1], (idx.numel(),), generator=gen)
                pos = nbrs[idx, pick]
                loss = ssl_weight * info_nce(
                    module(xt[idx]), module(xt[pos]), temperature=config.temperature
                )
            if sup_rows is not None and config.supervised_weight > 0:
                labelled, pseudo, full = sup_rows
                if pseudo.numel():
                    take = torch.randperm(pseudo.numel(), generator=gen)[:batch]
                    rows = torch.cat([labelled, pseudo[take]])
                else:
                    rows = labelled
                sup = supervised_contrastive(
                    module(xt[rows]), full[rows], temperature=config.temperature
                )
                loss = loss + config.supervised_weight * sup
            yield loss

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
        description="adapt head",
    )
    return _Head.tensors(module, config), result, n_pseudo
