"""SimCSE: self-supervised continued pretraining of a sentence-transformers body on the pool.

Unsupervised SimCSE (Gao et al. 2021, "SimCSE: Simple Contrastive Learning of Sentence
Embeddings") passes each text through the encoder twice; dropout makes the two embeddings
differ, they are the positive pair, and the other texts of the batch are the negatives:
sentence-transformers' ``MultipleNegativesRankingLoss`` on ``(x, x)`` pairs. It needs no
label, so it shapes the body on the user's own texts (continued pretraining, after Gururangan
et al. 2020, "Don't Stop Pretraining"). Early stopping watches the same loss on a held-out
share of the pool.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from fewlabels._validation import check_count, check_param
from fewlabels.adapt.body import body_tensors, load_body, training_length
from fewlabels.adapt.lora import attach_lora, check_lora_settings, merge_lora
from fewlabels.adapt.training import TrainResult, train, weighted_mean

__all__ = ["SimCSEConfig", "fit_simcse"]


@dataclass(frozen=True)
class SimCSEConfig:
    """Settings of a SimCSE body adaptation (all enter the adapted encoder's identity).

    Parameters
    ----------
    epochs : int, default 1
    rows_per_epoch : int, optional, default 1024
        Texts drawn (without replacement) from the pool each epoch: bounds the time of an
        epoch on a large pool (None: every training text).
    batch_size : int, default 32
        Texts per step; the other texts of a batch are each text's negatives.
    lr : float, default 3e-5
        SimCSE's learning rate for BERT-base.
    weight_decay : float, default 0.01
    scale : float, default 20.0
        Inverse temperature of the loss (SimCSE's temperature 0.05).
    max_length : int, optional, default 64
        Tokens kept per text while training (SimCSE used 32); the saved encoder keeps the
        base's limit. None keeps the base's.
    holdout : float, default 0.1
        Share of the pool held out for early stopping (at most ``max_holdout`` texts).
    max_holdout : int, default 128
    patience : int, default 1
    seed : int, default 0
    lora : bool, default False
        Train LoRA adapters on the attention projections (through peft, the ``lora`` extra)
        instead of the whole body; they are merged into the weights when training ends
        (:mod:`fewlabels.adapt.lora`). Use a larger ``lr`` (1e-4 to 1e-3) than for the body.
    lora_rank : int, default 8
        The adapters' rank ``r``; only with ``lora=True``.
    lora_alpha : float, default 16.0
        Updates are scaled by ``lora_alpha / lora_rank``; only with ``lora=True``.
    """

    epochs: int = 1
    rows_per_epoch: int | None = 1024
    batch_size: int = 32
    lr: float = 3e-5
    weight_decay: float = 0.01
    scale: float = 20.0
    max_length: int | None = 64
    holdout: float = 0.1
    max_holdout: int = 128
    patience: int = 1
    seed: int = 0
    lora: bool = False
    lora_rank: int = 8
    lora_alpha: float = 16.0

    def __post_init__(self) -> None:
        owner = "SimCSEConfig"
        for name, low in (
            ("epochs", 0),
            ("batch_size", 2),
            ("max_holdout", 0),
            ("patience", 1),
            ("seed", 0),
        ):
            check_count(getattr(self, name), name=name, low=low, owner=owner)
        if self.rows_per_epoch is not None:
            check_count(self.rows_per_epoch, name="rows_per_epoch", low=2, owner=owner)
        if self.max_length is not None:
            check_count(self.max_length, name="max_length", low=8, owner=owner)
        check_param("lr", self.lr, low=0, high=1, learner=owner, low_open=True)
        check_param("weight_decay", self.weight_decay, low=0, high=10, learner=owner)
        check_param("scale", self.scale, low=0, high=1000, learner=owner, low_open=True)
        check_param("holdout", self.holdout, low=0, high=0.5, learner=owner)
        check_lora_settings(lora=self.lora, rank=self.lora_rank, alpha=self.lora_alpha, owner=owner)

    def settings(self) -> dict[str, Any]:
        """The settings as a JSON-able dict (without the LoRA fields when ``lora`` is off).

        Leaving them out keeps the identity of a whole-body adaptation what it was before LoRA
        existed; with ``lora=True`` all three enter it.
        """
        out = asdict(self)
        if not self.lora:
            for name in ("lora", "lora_rank", "lora_alpha"):
                out.pop(name)
        return out

    def min_rows(self) -> int:
        """The fewest pool texts: two batches' worth of in-batch negatives, at least 16."""
        return max(16, 2 * self.batch_size)


def _features(model: Any, texts: list[str]) -> dict[str, Any]:
    feats = model.preprocess(texts)
    return {k: v.to(model.device) if hasattr(v, "to") else v for k, v in feats.items()}


def fit_simcse(
    texts: list[str],
    config: SimCSEConfig,
    *,
    base: Any,
    key: str,
    device: str | None = "cpu",
    checkpoint_dir: str | os.PathLike[str] | None = None,
    progress: bool = False,
) -> tuple[dict[str, np.ndarray], TrainResult]:
    """Continue pretraining the base's body on the pool's texts with unsupervised SimCSE.

    Assumes valid input (checked by :func:`fewlabels.adapt.adapt`).

    Parameters
    ----------
    texts : list of str of length n
        The pool (training rows only).
    config : SimCSEConfig
    base : Encoder
        A sentence-transformers encoder (or one body-adapted from it).
    key : str
    device : str, default "cpu"
    checkpoint_dir : path, optional
    progress : bool, default False

    Returns
    -------
    tensors : dict of str to ndarray
        The body's weights (its ``state_dict``).
    result : TrainResult
    """
    import torch
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    n = len(texts)
    rng = np.random.default_rng(config.seed)
    order = rng.permutation(n)
    n_held = min(int(np.floor(config.holdout * n)), config.max_holdout)
    held, rows = order[:n_held], order[n_held:]
    torch.manual_seed(config.seed)
    model = load_body(base, device=device)
    lora = (
        attach_lora(model, rank=config.lora_rank, alpha=config.lora_alpha) if config.lora else None
    )
    loss_fn = MultipleNegativesRankingLoss(model, scale=config.scale)
    per_epoch = (
        rows.size if config.rows_per_epoch is None else min(config.rows_per_epoch, rows.size)
    )
    batch = min(config.batch_size, per_epoch)

    def batch_loss(idx: np.ndarray) -> Any:
        feats = _features(model, [texts[int(i)] for i in idx])
        again = {k: v.clone() if hasattr(v, "clone") else v for k, v in feats.items()}
        return loss_fn([feats, again], None)

    def epoch_losses(gen: Any) -> Any:
        pick = rows[torch.randperm(rows.size, generator=gen).numpy()[:per_epoch]]
        for start in range(0, pick.size - 1, batch):
            idx = pick[start : start + batch]
            if idx.size >= 2:
                yield batch_loss(idx)

    held_out = None
    if held.size >= 2:

        def held_out() -> float:
            # dropout stays on (the loss is defined by it); the loop seeds it the same each time
            model.train()
            values = [
                (float(batch_loss(held[s : s + batch])), min(batch, held.size - s))
                for s in range(0, held.size, batch)
                if held[s : s + batch].size >= 2
            ]
            model.eval()
            return weighted_mean(values)

    with training_length(model, config.max_length):
        result = train(
            model,
            epoch_losses,
            epochs=config.epochs,
            lr=config.lr,
            weight_decay=config.weight_decay,
            seed=config.seed,
            key=key,
            checkpoint_dir=checkpoint_dir,
            progress=progress,
            description="adapt simcse",
            held_out=held_out,
            patience=config.patience,
            steps_per_epoch=-(-per_epoch // batch),
            items_per_step=batch,
        )
    if lora is not None:
        merge_lora(lora)
    return body_tensors(model), result
