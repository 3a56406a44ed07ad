"""LoRA for body adaptation: low-rank adapters on the attention projections, through peft.

LoRA (Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large Language Models") freezes the
transformer and learns, for each attention projection ``W`` (query, key, value), a low-rank
update ``W + (alpha / r) B A`` with ``A`` of shape (r, d_in) and ``B`` of shape (d_out, r),
``B`` starting at zero so that training starts from the base model. Only ``A`` and ``B`` train:
fewer gradients and AdamW moments than fine-tuning the whole body, which is what makes body
adaptation of a large model fit in memory (ExPLoRA, Khanna et al. 2024, adapts ViTs this way).

The body methods (``setfit-body``, ``simcse``) take ``lora=True``: :func:`attach_lora` injects
peft's LoRA layers into the sentence-transformers model in place (the model's own forward is
kept), and after training :func:`merge_lora` folds ``B A`` into the weights and removes the
layers. The saved encoder is then an ordinary body adaptation (the merged transformer's
weights as safetensors): it loads offline as ``adapted:<folder>`` without peft, and its
identity records the LoRA settings (they are part of the method's settings).

peft is the optional ``lora`` extra (``pip install 'fewlabels[lora]'``), imported only here.
"""

from __future__ import annotations

from typing import Any

from fewlabels._validation import check_count, check_param
from fewlabels.errors import FewlabelsError, missing_extra

__all__ = [
    "ATTENTION_TARGETS",
    "LORA_DEFAULTS",
    "attach_lora",
    "check_lora_settings",
    "lora_targets",
    "merge_lora",
    "require_peft",
]

#: The attention projections LoRA adapts, per family of transformer (the first that fits).
ATTENTION_TARGETS: tuple[tuple[str, ...], ...] = (
    ("query", "key", "value"),  # BERT, MiniLM, RoBERTa, XLM-R
    ("q_proj", "k_proj", "v_proj"),  # most decoder and newer encoder models
    ("q", "k", "v"),  # MPNet, T5
    ("q_lin", "k_lin", "v_lin"),  # DistilBERT
)

#: Defaults of the LoRA fields of a body config (``lora_rank``, ``lora_alpha``).
LORA_DEFAULTS = {"lora_rank": 8, "lora_alpha": 16.0}

#: The learning rate the CLI uses with ``--lora`` when ``--lr`` is not given (the adapters
#: start at zero and are small; the whole-body default of 2e-5 barely moves them). The LoRA
#: measurement of docs/benchmarks.md ran at this rate.
LORA_LR = 1e-4


def check_lora_settings(*, lora: Any, rank: Any, alpha: Any, owner: str) -> None:
    """Refuse LoRA settings that cannot work, or that would be silently ignored.

    Parameters
    ----------
    lora : bool
    rank : int
        ``lora_rank``: a whole number >= 1 (at most the projections' width, checked when the
        adapter is attached).
    alpha : float
        ``lora_alpha``, the scale numerator (updates are scaled by ``alpha / rank``), > 0.
    owner : str
        The config class, for the message.
    """
    if not isinstance(lora, bool):
        raise FewlabelsError(
            f"{owner} expected lora to be True or False, but got {lora!r}. Pass lora=True to "
            "train a LoRA adapter instead of the whole body."
        )
    check_count(rank, name="lora_rank", low=1, owner=owner, hint="8 or 16 is usual.")
    check_param("lora_alpha", alpha, low=0, high=10_000, learner=owner, low_open=True)
    if not lora and (rank, alpha) != (LORA_DEFAULTS["lora_rank"], LORA_DEFAULTS["lora_alpha"]):
        raise FewlabelsError(
            f"{owner} got lora_rank={rank!r} and lora_alpha={alpha!r}, but lora is False, so "
            "they would be ignored. Pass lora=True as well, or leave them out."
        )


def require_peft() -> Any:
    """Import peft, or fail naming the ``lora`` extra.

    Raises
    ------
    MissingExtraError
    """
    try:
        import peft
    except ImportError as exc:
        raise missing_extra("LoRA body adaptation (lora=True)", "lora", exc) from exc
    return peft


def _transformer(model: Any) -> Any:
    """The Hugging Face model inside a sentence-transformers model (its first module)."""
    first = model[0]
    inner = getattr(first, "model", None) or getattr(first, "auto_model", None)
    if inner is None:
        raise FewlabelsError(
            f"Expected a sentence-transformers model whose first module holds a transformer, "
            f"but it is {type(first).__name__}. LoRA needs a transformer body; use lora=False."
        )
    return inner


def lora_targets(transformer: Any) -> tuple[str, ...]:
    """The attention projections of ``transformer`` that LoRA adapts (names of its Linears).

    Raises
    ------
    FewlabelsError
        When none of :data:`ATTENTION_TARGETS` fits (names the linear layers there are).
    """
    import torch

    linear = {
        name.rsplit(".", 1)[-1]
        for name, module in transformer.named_modules()
        if isinstance(module, torch.nn.Linear)
    }
    for family in ATTENTION_TARGETS:
        if set(family) <= linear:
            return family
    raise FewlabelsError(
        f"Expected attention projections named {' or '.join('/'.join(f) for f in ATTENTION_TARGETS)} "
        f"in {type(transformer).__name__} for LoRA, but its linear layers are "
        f"{sorted(linear)[:8]}. Use lora=False to fine-tune the whole body."
    )


def attach_lora(model: Any, *, rank: int, alpha: float) -> Any:
    """Inject LoRA adapters into the attention projections of ``model``, in place.

    Every other weight is frozen (``requires_grad=False``). Seed torch before calling: the
    ``A`` matrices start random (``B`` starts at zero, so the model's output is unchanged).

    Parameters
    ----------
    model : sentence_transformers.SentenceTransformer
    rank : int
        Assumed valid (:func:`check_lora_settings`); refused here when above the width of a
        projection.
    alpha : float

    Returns
    -------
    peft.PeftModel
        The handle :func:`merge_lora` needs; the sentence-transformers model keeps running
        its own forward, now through the LoRA layers.
    """
    peft = require_peft()
    import torch

    transformer = _transformer(model)
    targets = lora_targets(transformer)
    widths = [
        min(m.in_features, m.out_features)
        for name, m in transformer.named_modules()
        if isinstance(m, torch.nn.Linear) and name.rsplit(".", 1)[-1] in targets
    ]
    if rank > min(widths):
        raise FewlabelsError(
            f"Expected lora_rank at most the width of the attention projections ({min(widths)}), "
            f"but got {rank}: a larger rank is no longer low-rank. Use a smaller lora_rank, or "
            "lora=False to fine-tune the whole body."
        )
    config = peft.LoraConfig(
        r=int(rank),
        lora_alpha=float(alpha),
        target_modules=list(targets),
        lora_dropout=0.0,
        bias="none",
    )
    import warnings

    with warnings.catch_warnings():
        # peft asks transformers a deprecated question (is_gradient_checkpointing): not ours
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*")
        return peft.get_peft_model(transformer, config)


def merge_lora(handle: Any) -> None:
    """Fold the trained adapters into the projections' weights and remove the LoRA layers.

    The transformer (shared with the sentence-transformers model) is left with its original
    module names and shapes, so its ``state_dict`` fits the base model again.
    """
    handle.merge_and_unload()
