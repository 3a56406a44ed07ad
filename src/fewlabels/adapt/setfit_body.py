"""SetFit-style body adaptation: contrastive pair fine-tuning of a sentence-transformers body.

SetFit (Tunstall et al. 2022, "Efficient Few-Shot Learning Without Prompts") fine-tunes the
whole sentence encoder on pairs drawn from the few labelled texts: two texts of the same
class are a positive pair (cosine target 1), two of different classes a negative one
(target 0), trained with sentence-transformers' ``CosineSimilarityLoss``. Here the result is
an encoder (the fine-tuned body), not a classifier: every fewlabels learner then runs on its
embeddings. Confident pseudo-labels (nearest class mean on the frozen embeddings) can join
the labelled rows.

Pure function first (:func:`contrastive_pairs`), then :func:`fit_setfit_body`.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from fewlabels._validation import check_count, check_param
from fewlabels.adapt.body import body_tensors, load_body, training_length
from fewlabels.adapt.lora import attach_lora, check_lora_settings, merge_lora
from fewlabels.adapt.training import TrainResult, train
from fewlabels.errors import FewlabelsError

__all__ = [
    "SetFitBodyConfig",
    "check_pair_labels",
    "contrastive_pairs",
    "fit_setfit_body",
    "holdout_rows",
]


@dataclass(frozen=True)
class SetFitBodyConfig:
    """Settings of a SetFit-style body adaptation (all enter the adapted encoder's identity).

    Parameters
    ----------
    iterations : int, default 20
        Pairs per labelled text and epoch: one positive and one negative each time
        (SetFit's ``num_iterations`` and its oversampling).
    epochs : int, default 1
    batch_size : int, default 16
        Pairs per step.
    lr : float, default 2e-5
        AdamW's learning rate for the body (SetFit's ``body_learning_rate``).
    weight_decay : float, default 0.01
    max_length : int, optional, default 128
        Tokens kept per text while training (the saved encoder keeps the base's limit);
        None keeps the base's.
    holdout : float, default 0.0
        Share of each class's labelled texts held out for early stopping (the pair loss
        between held-out and training texts after each epoch); 0 trains on every label, as
        SetFit does: with 4 labels per class one held-out text costs a quarter of them.
    patience : int, default 1
    pseudo_threshold : float, default 1.0
        Smallest confidence of a pseudo-label (nearest class mean on the frozen embeddings,
        as in the head adaptation); 1.0 takes none.
    pseudo_per_class : int, default 8
        At most this many pseudo-labelled texts per class join the pairs (drawn at random
        among the confident ones).
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

    iterations: int = 20
    epochs: int = 1
    batch_size: int = 16
    lr: float = 2e-5
    weight_decay: float = 0.01
    max_length: int | None = 128
    holdout: float = 0.0
    patience: int = 1
    pseudo_threshold: float = 1.0
    pseudo_per_class: int = 8
    seed: int = 0
    lora: bool = False
    lora_rank: int = 8
    lora_alpha: float = 16.0

    def __post_init__(self) -> None:
        owner = "SetFitBodyConfig"
        for name, low in (
            ("iterations", 1),
            ("epochs", 0),
            ("batch_size", 2),
            ("patience", 1),
            ("pseudo_per_class", 0),
            ("seed", 0),
        ):
            check_count(getattr(self, name), name=name, low=low, owner=owner)
        if self.max_length is not None:
            check_count(self.max_length, name="max_length", low=8, owner=owner)
        check_param("lr", self.lr, low=0, high=1, learner=owner, low_open=True)
        check_param("weight_decay", self.weight_decay, low=0, high=10, learner=owner)
        check_param("holdout", self.holdout, low=0, high=0.5, learner=owner)
        check_param("pseudo_threshold", self.pseudo_threshold, low=0, high=1, learner=owner)
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
        """The fewest pool rows: two labelled texts of each of two classes."""
        return 4


def check_pair_labels(codes: np.ndarray | None) -> None:
    """Refuse labels that cannot make both kinds of pair.

    Needs at least 2 classes and a class with at least 2 labelled texts.
    """
    if codes is None or not (codes >= 0).any():
        raise FewlabelsError(
            "The adaptation method 'setfit-body' learns from pairs of labelled texts, but no "
            "row is labelled. Pass labels= (at least 2 texts in each of 2 classes), or use "
            "'simcse', which needs none."
        )
    counts = np.bincount(codes[codes >= 0])
    if counts.size < 2 or counts.max() < 2:
        raise FewlabelsError(
            "Expected at least 2 classes and 2 labelled texts in a class to make positive and "
            f"negative pairs for 'setfit-body', but the labels per class are "
            f"{counts.tolist()}. Label more texts, or use 'simcse'."
        )


def contrastive_pairs(
    codes: np.ndarray, *, iterations: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """SetFit's oversampled pairs: per labelled row and iteration, one positive, one negative.

    Assumes valid input (:func:`check_pair_labels`). A row alone in its class gets no
    positive; every row has a negative.

    Parameters
    ----------
    codes : ndarray of shape (n,), int, -1 = not used
    iterations : int
    rng : numpy.random.Generator

    Returns
    -------
    a, b : ndarray of shape (m,), int64
        Row indices of the pairs, shuffled.
    same : ndarray of shape (m,), float32
        1.0 for a positive pair (same class), 0.0 for a negative one.
    """
    codes = np.asarray(codes, dtype=np.int64)
    rows = np.flatnonzero(codes >= 0)
    by_class = {int(c): rows[codes[rows] == c] for c in np.unique(codes[rows])}
    a: list[int] = []
    b: list[int] = []
    same: list[float] = []
    for _ in range(iterations):
        for i in rows:
            c = int(codes[i])
            mates = by_class[c][by_class[c] != i]
            if mates.size:
                a.append(int(i))
                b.append(int(rng.choice(mates)))
                same.append(1.0)
            others = rows[codes[rows] != c]
            a.append(int(i))
            b.append(int(rng.choice(others)))
            same.append(0.0)
    order = rng.permutation(len(a))
    return (
        np.asarray(a, dtype=np.int64)[order],
        np.asarray(b, dtype=np.int64)[order],
        np.asarray(same, dtype=np.float32)[order],
    )


def holdout_rows(codes: np.ndarray, *, share: float, rng: np.random.Generator) -> np.ndarray:
    """Labelled rows held out for early stopping: ``share`` of each class, 2 always kept.

    Returns
    -------
    ndarray of shape (k,), int64
        Held-out row indices (empty when ``share`` is 0 or the classes are too small).
    """
    out: list[np.ndarray] = []
    if share <= 0:
        return np.zeros(0, dtype=np.int64)
    for c in np.unique(codes[codes >= 0]):
        members = rng.permutation(np.flatnonzero(codes == c))
        k = min(int(np.floor(share * members.size)), max(members.size - 2, 0))
        out.append(members[:k])
    return np.sort(np.concatenate(out)).astype(np.int64) if out else np.zeros(0, np.int64)


def _features(model: Any, texts: list[str]) -> dict[str, Any]:
    feats = model.preprocess(texts)
    return {k: v.to(model.device) if hasattr(v, "to") else v for k, v in feats.items()}


def fit_setfit_body(
    texts: list[str],
    codes: np.ndarray,
    config: SetFitBodyConfig,
    *,
    base: Any,
    key: str,
    X_base: np.ndarray | None = None,
    device: str | None = "cpu",
    checkpoint_dir: str | os.PathLike[str] | None = None,
    progress: bool = False,
) -> tuple[dict[str, np.ndarray], TrainResult, int]:
    """Fine-tune the base's body on pairs of labelled (and pseudo-labelled) texts.

    Assumes valid input (checked by :func:`fewlabels.adapt.adapt`).

    Parameters
    ----------
    texts : list of str of length n
        The pool (training rows only).
    codes : ndarray of shape (n,), int, -1 = unlabelled
    config : SetFitBodyConfig
    base : Encoder
        A sentence-transformers encoder (or one body-adapted from it).
    key : str
        Identifies the run for its checkpoints.
    X_base : ndarray of shape (n, d), optional
        Frozen embeddings of the pool, needed for pseudo-labels only.
    device : str, default "cpu"
    checkpoint_dir : path, optional
    progress : bool, default False

    Returns
    -------
    tensors : dict of str to ndarray
        The fine-tuned body's weights (its ``state_dict``).
    result : TrainResult
    n_pseudo : int
        Texts that joined the pairs with a pseudo-label.
    """
    import torch
    from sentence_transformers.sentence_transformer.losses import CosineSimilarityLoss

    from fewlabels.adapt.head import confident_pseudo_labels

    rng = np.random.default_rng(config.seed)
    codes = np.asarray(codes, dtype=np.int64)
    held = holdout_rows(codes, share=config.holdout, rng=rng)
    train_codes = codes.copy()
    train_codes[held] = -1
    n_pseudo = 0
    if config.pseudo_threshold < 1.0 and X_base is not None and config.pseudo_per_class > 0:
        full = confident_pseudo_labels(X_base, train_codes, threshold=config.pseudo_threshold)
        full[held] = -1
        for c in np.unique(full[(full >= 0) & (train_codes < 0)]):
            cand = np.flatnonzero((full == c) & (train_codes < 0))
            cand = np.setdiff1d(cand, held)
            take = rng.permutation(cand)[: config.pseudo_per_class]
            train_codes[take] = c
            n_pseudo += int(take.size)
    torch.manual_seed(config.seed)
    model = load_body(base, device=device)
    lora = (
        attach_lora(model, rank=config.lora_rank, alpha=config.lora_alpha) if config.lora else None
    )
    loss_fn = CosineSimilarityLoss(model)
    n_pairs = len(contrastive_pairs(train_codes, iterations=config.iterations, rng=rng)[0])
    steps = -(-n_pairs // config.batch_size)

    def pair_loss(a: np.ndarray, b: np.ndarray, same: np.ndarray) -> Any:
        feats_a = _features(model, [texts[int(i)] for i in a])
        feats_b = _features(model, [texts[int(i)] for i in b])
        return loss_fn([feats_a, feats_b], torch.from_numpy(same).to(model.device))

    def epoch_losses(gen: Any) -> Any:
        epoch_rng = np.random.default_rng(int(torch.randint(2**31 - 1, (1,), generator=gen)))
        a, b, same = contrastive_pairs(train_codes, iterations=config.iterations, rng=epoch_rng)
        for start in range(0, a.size, config.batch_size):
            sl = slice(start, start + config.batch_size)
            yield pair_loss(a[sl], b[sl], same[sl])

    held_out = None
    if held.size:
        train_rows = np.flatnonzero(train_codes >= 0)
        va = np.repeat(held, train_rows.size)
        vb = np.tile(train_rows, held.size)
        vsame = (codes[va] == codes[vb]).astype(np.float32)

        def held_out() -> float:
            losses = [
                float(pair_loss(va[s : s + 64], vb[s : s + 64], vsame[s : s + 64]))
                * min(64, va.size - s)
                for s in range(0, va.size, 64)
            ]
            return float(sum(losses) / va.size)

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
            description="adapt setfit-body",
            held_out=held_out,
            patience=config.patience,
            steps_per_epoch=steps,
            items_per_step=2 * config.batch_size,
        )
    if lora is not None:
        merge_lora(lora)
    return body_tensors(model), result, n_pseudo
