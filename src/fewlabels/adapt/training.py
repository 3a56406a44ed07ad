"""The one training loop of every adaptation: epochs, checkpoints after each, resume.

A method (``head``, ``scarf``) gives a torch module and a function that yields the batch
losses of one epoch from a generator; this loop owns the optimiser, the seeds, the
checkpoints and the history. Each epoch draws its randomness from its own generator,
seeded by ``(seed, epoch)``, and torch's global generator (dropout) is reseeded the same way,
and the learning rate is constant, so a run resumed from the checkpoint of epoch ``k`` takes
the same steps as one that was never stopped.

Early stopping: given a ``held_out`` loss (measured after each epoch on a share of rows the
steps never see), training stops once it has not improved for ``patience`` epochs and the
module is put back to its best epoch.

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
    held_out : list of float
        The held-out loss after each epoch (empty without early stopping).
    best_epoch : int
        The epoch (1-based) whose weights were kept; ``epochs`` without early stopping.
    stopped : str
        ``"epochs"`` (all epochs ran) or ``"early"`` (the held-out loss stopped improving).
    """

    history: list[float] = field(default_factory=list)
    epochs: int = 0
    resumed_from: int = 0
    seconds: float = 0.0
    steps_per_second: float = 0.0
    held_out: list[float] = field(default_factory=list)
    best_epoch: int = 0
    stopped: str = "epochs"


def weighted_mean(values: Iterable[tuple[float, int]]) -> float:
    """The mean of ``(value, weight)`` pairs (batch losses with their batch sizes); 0 for none.

    The held-out loss of an epoch, over batches of unequal size.
    """
    pairs = list(values)
    return float(sum(v * w for v, w in pairs) / max(sum(w for _, w in pairs), 1))


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


def _global_seed(seed: int, epoch: int) -> None:
    """Reseed torch's global generator (dropout draws from it) for one epoch."""
    import torch

    torch.manual_seed(int(seed) * 1_000_003 + int(epoch) + 7_919)


def _save(
    path: Path,
    module: Any,
    optimizer: Any,
    meta: dict[str, Any],
    best: dict[str, Any] | None = None,
) -> None:
    from safetensors.torch import save_file

    tensors = {f"model.{k}": v.detach().contiguous() for k, v in module.state_dict().items()}
    for k, v in (best or {}).items():
        tensors[f"best.{k}"] = v.contiguous()
    for i, state in optimizer.state_dict()["state"].items():
        for name, value in state.items():
            tensors[f"opt.{i}.{name}"] = value.detach().clone().contiguous()
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata={"format": _FORMAT, "meta": json.dumps(meta)})


def _load(
    path: Path, key: str, module: Any, optimizer: Any
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Restore module and optimiser from a checkpoint of this run; None when there is none.

    Returns the checkpoint's metadata and the best weights kept for early stopping (empty
    without).
    """
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
    best = {k[len("best.") :]: v for k, v in tensors.items() if k.startswith("best.")}
    return meta, best


def _snapshot(module: Any) -> dict[str, Any]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


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
    held_out: Callable[[], float] | None = None,
    patience: int = 1,
    steps_per_epoch: int | None = None,
    items_per_step: int | None = None,
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
    held_out : callable, optional
        ``held_out()`` returns the loss on rows the steps never see, measured after each epoch
        (torch's global generator seeded the same each time); training stops once it has not
        improved for ``patience`` epochs, and the best epoch's weights are kept.
    patience : int, default 1
    steps_per_epoch : int, optional
        When known, the bar counts steps (with items/s) instead of epochs.
    items_per_step : int, optional
        Rows per step, for the items/s the bar shows.

    Returns
    -------
    TrainResult
    """
    import torch

    optimizer = torch.optim.AdamW(module.parameters(), lr=lr, weight_decay=weight_decay)
    start_time = time.perf_counter()
    result = TrainResult()
    best: dict[str, Any] = {}
    best_loss, bad = float("inf"), 0
    path = Path(checkpoint_dir) / CHECKPOINT_NAME if checkpoint_dir is not None else None
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        loaded = _load(path, key, module, optimizer)
        if loaded is not None:
            meta, best = loaded
            result.history = [float(v) for v in meta["history"]]
            result.resumed_from = int(meta["epoch"])
            result.held_out = [float(v) for v in meta.get("held_out", [])]
            result.best_epoch = int(meta.get("best_epoch", result.resumed_from))
            bad = int(meta.get("bad", 0))
            if result.held_out:
                best_loss = min(result.held_out)
            if meta.get("stopped") == "early":
                result.stopped = "early"
    steps, items = 0, 0
    module.train()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    bar = Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[info]}", markup=False),
        disable=not progress,
    )
    per = steps_per_epoch or 0
    with bar:
        task = bar.add_task(
            description,
            total=epochs * per if per else epochs,
            completed=result.resumed_from * per if per else result.resumed_from,
            info="",
        )

        def rate() -> str:
            elapsed = max(time.perf_counter() - start_time, 1e-9)
            text = f"{steps / elapsed:,.1f} steps/s"
            if items_per_step:
                text += f", {items / elapsed:,.1f} items/s"
            return text

        for epoch in range(result.resumed_from, epochs):
            if result.stopped == "early":
                break
            gen = _epoch_generator(seed, epoch)
            _global_seed(seed, epoch)
            total, count = 0.0, 0
            for loss in epoch_losses(gen):
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                total += float(loss.detach())
                count += 1
                steps += 1
                items += items_per_step or 0
                if per:
                    bar.update(task, advance=1, info=f"loss {float(loss.detach()):.4f}, {rate()}")
            result.history.append(total / max(count, 1))
            if held_out is not None:
                module.eval()
                _global_seed(seed, -1 - epoch)
                with torch.no_grad():
                    value = float(held_out())
                module.train()
                result.held_out.append(value)
                if value < best_loss:
                    best_loss, bad = value, 0
                    best = _snapshot(module)
                    result.best_epoch = epoch + 1
                else:
                    bad += 1
                    if bad >= patience:
                        result.stopped = "early"
            else:
                result.best_epoch = epoch + 1
            if path is not None:
                _save(
                    path,
                    module,
                    optimizer,
                    {
                        "key": key,
                        "epoch": epoch + 1,
                        "history": result.history,
                        "held_out": result.held_out,
                        "best_epoch": result.best_epoch,
                        "bad": bad,
                        "stopped": result.stopped,
                    },
                    best if held_out is not None else None,
                )
            info = f"loss {result.history[-1]:.4f}"
            if result.held_out:
                info += f", held-out {result.held_out[-1]:.4f}"
            if per:
                bar.update(task, info=f"{info}, {rate()}")
            else:
                bar.update(task, advance=1, info=f"{info}, {rate()}")
    if held_out is not None and best and result.best_epoch < len(result.history):
        module.load_state_dict(best)
    module.eval()
    result.epochs = len(result.history)
    result.seconds = time.perf_counter() - start_time
    result.steps_per_second = steps / max(result.seconds, 1e-9)
    return result
