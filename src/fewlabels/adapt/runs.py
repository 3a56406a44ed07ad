"""Whole adaptations as one call: on a built-in dataset's training split, or on a workspace.

The command line (``fewlabels adapt``) calls these; each is callable from Python too.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from fewlabels.adapt.api import adapt
from fewlabels.adapt.encoder import AdaptedEncoder

__all__ = ["adapt_builtin", "adapt_workspace"]

#: The methods that learn from labels (the others ignore them).
SUPERVISED = ("head", "setfit-body")


def adapt_builtin(
    name: str,
    *,
    encoder: str | None = None,
    out: str | os.PathLike[str],
    method: str = "head",
    per_class: int = 0,
    seed: int = 0,
    device: str | None = "auto",
    progress: bool = False,
    **settings: Any,
) -> AdaptedEncoder:
    """Adapt an encoder on a built-in dataset's **training** split and save it to ``out``.

    The test split never reaches the adaptation.

    Parameters
    ----------
    name : str
        A built-in dataset (``fewlabels.load_builtin``).
    encoder : str, optional
        The base encoder; the dataset's default by default.
    out : path
        The folder to write (``get_encoder("adapted:<out>")`` loads it).
    method : {"head", "scarf", "setfit-body", "simcse", "simclr-image"}
    per_class : int, default 0
        Labels per class kept for a supervised head or ``setfit-body`` (a budget split of
        the training rows with ``seed``); 0 adapts self-supervised.
    seed : int, default 0
        Seed of the budget split and of the adaptation.
    device : str, default "auto"
        Where a body method trains (CUDA when present).
    **settings
        The method's settings (``epochs=10``...).
    """
    from fewlabels.data import load_builtin
    from fewlabels.data.budget import budget_split
    from fewlabels.encode.default import default_encoder

    train = load_builtin(name).train
    labels = None
    if per_class and method in SUPERVISED:
        labels = budget_split(train, per_class=per_class, seed=seed).apply(train).labels
    base = encoder or default_encoder(train)
    adapted = adapt(
        train,
        base,
        method=method,
        labels=labels,
        progress=progress,
        seed=seed,
        device=device,
        **settings,
    )
    adapted.save(out)
    return adapted


def adapt_workspace(
    workspace: Any,
    *,
    method: str = "head",
    use_labels: bool = True,
    device: str | None = "auto",
    progress: bool = False,
    **settings: Any,
) -> AdaptedEncoder:
    """Adapt a workspace's encoder to its pool and switch the workspace to the result.

    The adapted encoder is written under ``<workspace>/adapted/<method>-<fingerprint>/`` and
    ``fewlabels.toml`` then names it (``encoder = "adapted:<folder>"``); the previous encoder
    name is kept in the adapted encoder's metadata (its base).

    Parameters
    ----------
    workspace : fewlabels.workspace.Workspace
    method : {"head", "scarf", "setfit-body", "simcse", "simclr-image"}
    use_labels : bool, default True
        Use the workspace's current labels (head and setfit-body).
    device : str, default "auto"
        Where a body method trains (CUDA when present).
    **settings
        The method's settings; ``seed`` defaults to the workspace's seed.
    """
    emb = workspace.embeddings(progress=progress)
    labels = emb.dataset.labels if use_labels and method in SUPERVISED else None
    if labels is not None and not (labels >= 0).any():
        labels = None
    settings.setdefault("seed", int(workspace.config.seed))
    adapted = adapt(
        emb,
        workspace.encoder(),
        method=method,
        labels=labels,
        checkpoint_dir=Path(workspace.root) / "adapted" / ".checkpoints" / method,
        device=device,
        progress=progress,
        **settings,
    )
    folder = Path(workspace.root) / "adapted" / f"{method}-{adapted.meta.fingerprint[:12]}"
    adapted.save(folder)
    workspace.set_encoder(adapted.name)
    return adapted
