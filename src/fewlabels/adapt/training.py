"""The one training loop of every adaptation: epochs, checkpoints after each, resume.

A method (``head``, ``scarf``) gives a torch module and a function that yields the batch
losses of one epoch from a generator; this loop owns the optimiser, the seeds, the
checkpoints and the history. Each epoch draws its randomness from its own generator,
seeded by ``(seed, epoch)``, and the learning rate is constant, so a run resumed from the
checkpoint of epoch ``k`` takes the same steps as one that was never stopped.

A checkpoint is one safetensors file (module weights, AdamW moments and step counts) whose
header metadata holds the epoch, the loss history and the key of the run it belongs to (a
digest of the method, its settings and the rows); a checkpoint of another run is ignored.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fewlabels._atomic import atomic_path

__all__ = ["TrainResult", "epoch_batches", "train"]

CHECKPOINT_NAME = "checkpoint.safetensors"
_FORMAT = "fewlabels.adapt-checkpoint/1"


@dataclass
class TrainResult:
    """What :func:`train` did.

    Attributes
    ----------
    history : list of float
        Mean loss of each epoch, resumed epochs included.
    epochs : int
        Epochs completed in all.
    resumed_from : int
        The epoch the run resumed from (0 for a fresh start).
    seconds : float
        Wall time of this call.
    steps_per_second : float
    """

    history: list[float] = field(default_factory=list)
    epochs: int = 0
    resumed_from: int = 0
    seconds: float = 0.0
    steps_per_second: float = 0.0


def _epoch_generator(seed: int, epoch: int) -> Any:
    import torch

    return torch.Generator().manual_seed(int(seed) * 1_000_003 + int(epoch))


def epoch_batches(n: int, batch: int, min_steps: int, generator: Any) -> Any:
    """The row indices of each batch of one epoch: shuffled passes over ``n`` rows.

    At least ``min_steps`` batches, so that a small pool still trains; each pass is a fresh
    permutation and a short tail (fewer than 2 rows) is dropped.

    Yields
    ------
    Tensor of shape (b,), int64
    """
    import torch

    batch = max(2, min(batch, n))
    per_pass = max(1, n // batch) if n % batch < 2 else -(-n // batch)
    steps = max(per_pass, min_steps)
    done = 0
    while done < steps:
        perm = torch.randperm(n, generator=generator)
        for start in range(0, n, batch):
            idx = perm[start : start + batch]
            if idx.numel() < 2:
                break
            yield idx
            done += 1
            if done >= steps:
                return


def _save(path: Path, module: Any, optimizer: Any, meta: dict[str, Any]) -> None:
    from safetensors.torch import save_file

    tensors = {f"model.{k}": v.detach().contiguous() for k, v in module.state_dict().items()}
    for i, state in optimizer.state_dict()["state"].items():
        for name, value in state.items():
            tensors[f"opt.{i}.{name}"] = value.detach().clone().contiguous()
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata={"format": _FORMAT, "meta": json.dumps(meta)})


def _load(path: Path, key: str, module: Any, optimizer: Any) -> dict[str, Any] | None:
    """Restore module and optimiser from a checkpoint of this run; None when there is none."""
    if not path.exists():
        return None
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as fh:
            header = fh.metadata() or {}
            if header.get("format") != _FORMAT:
                return None
            meta = json.loads(header["meta"])
            if meta.get("key") != key:
                return None
            tensors = {k: fh.get_tensor(k) for k in fh.keys()}
    except (OSError, ValueError, KeyError, RuntimeError):
        return None  # a torn or foreign file: start again
    model = {k[len("model.") :]: v for k, v in tensors.items() if k.startswith("model.")}
    module.load_state_dict(model)
    opt_state = optimizer.state_dict()
    state: dict[int, dict[str, Any]] = {}
    for k, v in tensors.items():
        if k.startswith("opt."):
            _, i, name = k.split(".", 2)
            state.setdefault(int(i), {})[name] = v
    opt_state["state"] = state
    optimizer.load_state_dict(opt_state)
    return meta


def train(
    module: Any,
    epoch_losses: Callable[[Any], Iterable[Any]],
    *,
    epochs: int,
    lr: float,
    weight_decay: float,
    seed: int,
    key: str,
    checkpoint_dir: str | os.PathLike[str] | None = None,
    progress: bool = False,
    description: str = "adapt",
) -> TrainResult:
    """Train ``module`` for ``epochs`` with AdamW, checkpointing after each epoch.

    Parameters
    ----------
    module : torch.nn.Module
        Initialised by the caller (seeded); trained in place.
    epoch_losses : callable
        ``epoch_losses(generator)`` yields the loss tensor of each step of one epoch.
    epochs : int
        Epochs in all; a resumed run trains only those left.
    lr, weight_decay : float
        AdamW's constant learning rate and decoupled weight decay.
    seed : int
        Seeds each epoch's generator with ``(seed, epoch)``.
    key : str
        Identifies the run (method, settings, rows); a checkpoint with another key is ignored.
    checkpoint_dir : path, optional
        Where ``checkpoint.safetensors`` is kept; resumed from when it belongs to this run.
    progress : bool, default False
        Show a progress bar of epochs with the loss.
    description : str
        The progress bar's label.

    Returns
    -------
    TrainResult
    """
    import torch

    optimizer = torch.optim.AdamW(module.parameters(), lr=lr, weight_decay=weight_decay)
    start_time = time.perf_counter()
    result = TrainResult()
    path = Path(checkpoint_dir) / CHECKPOINT_NAME if checkpoint_dir is not None else None
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = _load(path, key, module, optimizer)
        if meta is not None:
            result.history = [float(v) for v in meta["history"]]
            result.resumed_from = int(meta["epoch"])
    steps = 0
    module.train()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    bar = Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[info]}", markup=False),
        disable=not progress,
    )
    with bar:
        task = bar.add_task(description, total=epochs, completed=result.resumed_from, info="")
        for epoch in range(result.resumed_from, epochs):
            gen = _epoch_generator(seed, epoch)
            total, count = 0.0, 0
            for loss in epoch_losses(gen):
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                total += float(loss.detach())
                count += 1
            steps += count
            result.history.append(total / max(count, 1))
            if path is not None:
                _save(
                    path,
                    module,
                    optimizer,
                    {"key": key, "epoch": epoch + 1, "history": result.history},
                )
            elapsed = time.perf_counter() - start_time
            bar.update(
                task,
                advance=1,
                info=f"loss {result.history[-1]:.4f}, {steps / max(elapsed, 1e-9):,.0f} steps/s",
            )
    module.eval()
    result.epochs = len(result.history)
    result.seconds = time.perf_counter() - start_time
    result.steps_per_second = steps / max(result.seconds, 1e-9)
    return result
