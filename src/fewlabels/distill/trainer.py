"""The shared training loop of every student, with early stopping on teacher labels.

Variants override named steps (``collate``, ``augment``), never copy the loop: the text
student pads hashed n-grams in ``collate``, the image student shifts and flips in ``augment``.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from fewlabels.distill.config import DistillConfig, TrainConfig
from fewlabels.distill.losses import distillation_loss, kl_to_teacher

__all__ = ["DistillConfig", "TrainConfig", "TrainData", "TrainResult", "Trainer"]


@dataclass
class TrainData:
    """What the trainer fits on (assumed valid: the student checked it).

    Attributes
    ----------
    features : Any
        Whatever ``Trainer.collate`` reads (an array, or a CSR matrix of hashed n-grams).
    targets : ndarray of shape (n_samples, n_classes), float32
        Teacher probabilities, one-hot on human-labelled rows.
    labels : ndarray of shape (n_samples,), int64
        Human labels, -1 where none.
    weights : ndarray of shape (n_samples,), float32
        Trust in each row; 0 drops it.
    """

    features: Any
    targets: np.ndarray
    labels: np.ndarray
    weights: np.ndarray

    def __len__(self) -> int:
        return int(self.targets.shape[0])


@dataclass
class TrainResult:
    """What happened: per-epoch history, the best epoch and why the loop stopped."""

    history: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int = 0
    stop_reason: str = ""
    n_train: int = 0
    n_val: int = 0
    device: str = "cpu"


class Trainer:
    """Trains a module that maps collated inputs to logits, on teacher soft labels.

    Parameters
    ----------
    config : DistillConfig
        The training fields are read (epochs, batch_size, lr, temperature, ...).

    Attributes
    ----------
    objective : SigmoidObjective or None
        Set for a multi-label student (:class:`fewlabels.distill.sigmoid_head.SigmoidObjective`):
        ``loss`` and ``validate`` then ask it (per-label sigmoid BCE, set agreement) instead
        of the softmax distillation loss. None: the softmax student.
    """

    def __init__(self, config: DistillConfig) -> None:
        self.config = config
        self.objective: Any = None

    # --- named steps a variant may override ---------------------------------------------
    def collate(
        self, features: Any, idx: np.ndarray, device: torch.device
    ) -> tuple[torch.Tensor, ...]:
        """Rows ``idx`` of ``features`` as the module's input tensors."""
        return (torch.from_numpy(np.ascontiguousarray(features[idx])).to(device),)

    def augment(
        self, inputs: tuple[torch.Tensor, ...], generator: torch.Generator
    ) -> tuple[torch.Tensor, ...]:
        """Randomly change a training batch (default: unchanged)."""
        return inputs

    def split(self, data: TrainData, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Positions to train on and to validate on (a share of the teacher-labelled rows)."""
        usable = np.flatnonzero(data.weights > 0)
        teacher_rows = usable[data.labels[usable] < 0]
        n_val = math.floor(self.config.val_fraction * teacher_rows.size)
        val = np.sort(rng.permutation(teacher_rows)[:n_val]) if n_val else teacher_rows[:0]
        train = np.setdiff1d(usable, val)
        return train, val

    def batches(self, train_idx: np.ndarray, rng: np.random.Generator) -> Iterator[np.ndarray]:
        """Shuffled batches of positions for one epoch."""
        order = rng.permutation(train_idx)
        bs = self.config.batch_size
        for start in range(0, order.size, bs):
            yield order[start : start + bs]

    def loss(
        self,
        logits: torch.Tensor,
        targets: torch.Tensor,
        labels: torch.Tensor,
        weights: torch.Tensor,
    ) -> torch.Tensor:
        """The training loss of a batch (:func:`fewlabels.distill.losses.distillation_loss`,
        or the ``objective``'s)."""
        if self.objective is not None:
            return self.objective.loss(logits, targets, labels, weights)
        return distillation_loss(
            logits,
            targets,
            labels=labels,
            weights=weights,
            temperature=self.config.temperature,
            hard_weight=self.config.hard_weight,
        )

    def stop_score(self, record: dict[str, float]) -> float:
        """What early stopping minimises: minus the top-1 agreement with the teacher on the
        validation rows, ties broken by the validation KL.

        Agreement, not KL, because with a flat teacher (label spreading gives flat
        probabilities) the KL is lowest in the first epochs, while the student's agreement
        with the teacher, and its accuracy, keep improving as it grows sharper.
        """
        return -record["val_agreement"] + 1e-6 * record["val_loss"]

    def optimizer(self, module: nn.Module) -> torch.optim.Optimizer:
        """Adam at ``config.lr``."""
        return torch.optim.Adam(
            module.parameters(), lr=self.config.lr, weight_decay=self.config.weight_decay
        )

    def scheduler(self, optimizer: torch.optim.Optimizer) -> Any:
        """Cosine decay of the learning rate over ``config.epochs`` (stepped once an epoch),
        down to 5% of ``config.lr``: late epochs change the weights less, so the validation
        loss settles and early stopping picks a stable epoch."""
        return torch.optim.lr_scheduler.CosineAnnealingLR(
            optimizer, T_max=self.config.epochs, eta_min=0.05 * self.config.lr
        )

    # --- the loop ---------------------------------------------------------------------
    def fit(self, module: nn.Module, data: TrainData) -> TrainResult:
        """Train ``module`` in place; keep the weights of the best validation epoch."""
        from fewlabels.encode.base import resolve_device

        cfg = self.config
        device = torch.device(resolve_device(cfg.device))
        torch.manual_seed(cfg.random_state)
        rng = np.random.default_rng(cfg.random_state)
        generator = torch.Generator().manual_seed(cfg.random_state)
        module.to(device)
        train_idx, val_idx = self.split(data, rng)
        result = TrainResult(
            n_train=int(train_idx.size), n_val=int(val_idx.size), device=str(device)
        )
        opt = self.optimizer(module)
        schedule = self.scheduler(opt)
        targets = torch.from_numpy(np.asarray(data.targets, dtype=np.float32))
        labels = torch.from_numpy(np.asarray(data.labels, dtype=np.int64))
        weights = torch.from_numpy(np.asarray(data.weights, dtype=np.float32))
        best_score, best_state, stale = math.inf, copy.deepcopy(module.state_dict()), 0
        result.stop_reason = f"reached epochs={cfg.epochs}"
        min_epochs = cfg.epochs // 2 if cfg.min_epochs is None else cfg.min_epochs
        with _progress(cfg.progress, cfg.epochs) as bar:
            for epoch in range(1, cfg.epochs + 1):
                module.train()
                total, seen = 0.0, 0
                for idx in self.batches(train_idx, rng):
                    inputs = self.augment(self.collate(data.features, idx, device), generator)
                    t = torch.from_numpy(idx)
                    loss = self.loss(
                        module(*inputs),
                        targets[t].to(device),
                        labels[t].to(device),
                        weights[t].to(device),
                    )
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                    total += float(loss.detach()) * idx.size
                    seen += idx.size
                schedule.step()
                record = {"epoch": float(epoch), "train_loss": total / max(seen, 1)}
                if val_idx.size:
                    record.update(self.validate(module, data, val_idx, device))
                result.history.append(record)
                bar(epoch, record)
                if not val_idx.size:
                    result.best_epoch = epoch
                    continue
                score = self.stop_score(record)
                if score < best_score - 1e-9:
                    best_score, stale, result.best_epoch = score, 0, epoch
                    best_state = copy.deepcopy(module.state_dict())
                else:
                    stale += 1
                    if stale >= cfg.patience and epoch >= min_epochs:
                        result.stop_reason = (
                            f"early stopping: no better validation score for {cfg.patience} epochs"
                        )
                        break
        if val_idx.size:
            module.load_state_dict(best_state)
        module.eval()
        return result

    @torch.no_grad()
    def validate(
        self, module: nn.Module, data: TrainData, val_idx: np.ndarray, device: torch.device
    ) -> dict[str, float]:
        """Weighted KL to the teacher at the training temperature (the soft part of the training
        loss, so that stopping follows what training minimises) and top-1 agreement."""
        logits = self.logits(module, data.features, val_idx, device)
        targets = torch.from_numpy(np.asarray(data.targets[val_idx], dtype=np.float32))
        w = torch.from_numpy(np.asarray(data.weights[val_idx], dtype=np.float32))
        if self.objective is not None:
            return self.objective.validate(logits, targets, w)
        kl = kl_to_teacher(logits, targets, temperature=self.config.temperature)
        agree = (logits.argmax(1) == targets.argmax(1)).float().mean()
        return {
            "val_loss": float((w * kl).sum() / w.sum().clamp_min(1e-12)),
            "val_agreement": float(agree),
        }

    def eval_batches(self, features: Any, idx: np.ndarray) -> list[np.ndarray]:
        """Batches for evaluation, as positions into ``idx`` (default: runs of 256 rows)."""
        step = max(self.config.batch_size, 256)
        return [np.arange(start, min(start + step, idx.size)) for start in range(0, idx.size, step)]

    @torch.no_grad()
    def logits(
        self, module: nn.Module, features: Any, idx: np.ndarray, device: torch.device | None = None
    ) -> torch.Tensor:
        """Logits of rows ``idx`` (in that order) in evaluation mode, on the CPU."""
        if device is None:
            device = next(module.parameters()).device
        was_training = module.training
        module.eval()
        batches = self.eval_batches(features, idx)
        out = [module(*self.collate(features, idx[b], device)).float().cpu() for b in batches]
        module.train(was_training)
        if not out:
            return torch.zeros((0, 0))
        merged = torch.cat(out)
        result = torch.empty_like(merged)
        result[torch.from_numpy(np.concatenate(batches))] = merged
        return result


class _progress:
    """A rich progress bar over epochs (or nothing)."""

    def __init__(self, enabled: bool, total: int) -> None:
        self.enabled, self.total = enabled, total
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> _progress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(
                TextColumn("distilling"),
                BarColumn(),
                TextColumn("epoch {task.completed}/{task.total}"),
                TextColumn("{task.fields[info]}"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self._bar.__enter__()
            self._task = self._bar.add_task("distill", total=self.total, info="")
        return self

    def __call__(self, epoch: int, record: dict[str, float]) -> None:
        if self._bar is not None:
            info = " ".join(f"{k}={v:.4f}" for k, v in record.items() if k != "epoch")
            self._bar.update(self._task, completed=epoch, info=info)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)
