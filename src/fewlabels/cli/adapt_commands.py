"""Adaptation commands: adapt (an encoder to a workspace's pool or a built-in dataset)."""

from __future__ import annotations

import typer

from fewlabels.cli._app import _esc, _open_workspace, app, console
from fewlabels.errors import FewlabelsError


@app.command("adapt")
def adapt_cmd(
    workspace: str | None = typer.Option(
        None, "--workspace", "-w", help="Adapt the workspace's encoder and switch to it."
    ),
    dataset: str | None = typer.Option(
        None, "--dataset", help="A built-in dataset instead (its training split only)."
    ),
    encoder: str | None = typer.Option(None, help="Built-in only: the base encoder."),
    out: str | None = typer.Option(None, "--out", "-o", help="Built-in only: the folder to write."),
    method: str = typer.Option(
        "head",
        help="head (any encoder), scarf (tabular), setfit-body (fine-tune a sentence-transformers "
        "body on labelled pairs), simcse (continue pretraining it on the pool) or simclr-image "
        "(SimCLR on the pool's images: the last blocks of efficientnet-lite0).",
    ),
    epochs: int | None = typer.Option(None, help="Training epochs (the method's default)."),
    lr: float | None = typer.Option(
        None,
        "--lr",
        help="Learning rate (the method's default; with --lora 1e-4, LoRA's usual rate).",
    ),
    lora: bool | None = typer.Option(
        None,
        "--lora/--no-lora",
        help="setfit-body and simcse: train LoRA adapters (peft, the lora extra) on the "
        "attention projections instead of the whole body; merged into the weights when saved.",
    ),
    lora_rank: int | None = typer.Option(
        None, "--lora-rank", help="With --lora: the adapters' rank r (default 8)."
    ),
    lora_alpha: float | None = typer.Option(
        None, "--lora-alpha", help="With --lora: updates are scaled by alpha / rank (default 16)."
    ),
    per_class: int = typer.Option(
        0,
        "--per-class",
        help="Built-in only: labels per class for a supervised head or setfit-body (0: none).",
    ),
    no_labels: bool = typer.Option(
        False, "--no-labels", help="Workspace: adapt self-supervised, ignoring the labels."
    ),
    seed: int | None = typer.Option(None, help="Seed (default: the workspace's, or 0)."),
    device: str = typer.Option("auto", help="Body methods: torch device (auto: CUDA if present)."),
) -> None:
    """Adapt an encoder to the pool: a head on the frozen embeddings, SCARF for tables, or
    the body of a sentence-transformers text encoder (setfit-body, simcse; --lora trains
    low-rank adapters instead of the whole body), or EfficientNet-Lite0's last blocks."""
    from fewlabels.adapt import adapt_builtin, adapt_workspace

    settings: dict[str, int | float | bool] = {}
    if epochs is not None:
        settings["epochs"] = epochs
    settings.update(_lora_settings(method, lora=lora, rank=lora_rank, alpha=lora_alpha))
    if lr is not None:
        settings["lr"] = lr
    elif settings.get("lora"):
        from fewlabels.adapt.lora import LORA_LR

        settings["lr"] = LORA_LR
    if (workspace is None) == (dataset is None):
        raise FewlabelsError(
            "Expected either -w WORKSPACE or --dataset NAME --out DIR, but got "
            f"{'both' if workspace else 'neither'}."
        )
    if dataset is not None:
        if out is None:
            raise FewlabelsError(
                f"Expected --out DIR for the adapted encoder of {dataset!r}, but it is missing."
            )
        adapted = adapt_builtin(
            dataset,
            encoder=encoder,
            out=out,
            method=method,
            per_class=per_class,
            seed=seed or 0,
            device=device,
            progress=True,
            **settings,
        )
    else:
        if encoder is not None or out is not None or per_class:
            raise FewlabelsError(
                "Expected --encoder, --out and --per-class only with --dataset; a workspace "
                "adapts its own encoder on its labels and writes under <workspace>/adapted/."
            )
        if seed is not None:
            settings["seed"] = seed
        ws = _open_workspace(workspace or ".")
        adapted = adapt_workspace(
            ws, method=method, use_labels=not no_labels, device=device, progress=True, **settings
        )
    t = adapted.meta.training
    console.print(
        f"adapted {_esc(adapted.meta.base['name'])} with {method}"
        f"{_lora_note(adapted.meta.settings)}: {adapted.dim}-d, "
        f"{t['epochs']} epochs in {t['seconds']:.1f}s on {adapted.meta.rows['n']} rows "
        f"({adapted.meta.labels['n_labeled']} labelled, {adapted.meta.labels.get('n_pseudo', 0)} "
        "pseudo-labelled)"
    )
    console.print(f"encoder: {_esc(adapted.name)}")
    if workspace is not None:
        console.print("the workspace now uses it (fewlabels.toml)")


def _lora_settings(
    method: str, *, lora: bool | None, rank: int | None, alpha: float | None
) -> dict[str, int | float | bool]:
    """The LoRA options given on the command line, as settings of the method's config.

    Refuses them for a method without LoRA (naming the methods that take it) and a rank or
    alpha without ``--lora``; the values themselves are checked by the config.
    """
    from fewlabels.adapt.api import BODY_METHODS

    given = {
        flag: value
        for flag, value in (
            ("--lora" if lora else "--no-lora", lora),
            ("--lora-rank", rank),
            ("--lora-alpha", alpha),
        )
        if value is not None
    }
    if not given:
        return {}
    if method not in BODY_METHODS:
        raise FewlabelsError(
            f"Expected {', '.join(given)} only with a method that takes LoRA "
            f"({' or '.join(BODY_METHODS)}), but the method is {method!r}. Use --method "
            f"{BODY_METHODS[0]} or --method {BODY_METHODS[1]}, or leave the LoRA options out."
        )
    if not lora and (rank is not None or alpha is not None):
        raise FewlabelsError(
            f"Expected --lora with {' and '.join(f for f in given if f.startswith('--lora-'))}, "
            f"but {'--no-lora was given' if lora is False else 'it is missing'}, so they would "
            "be ignored. Add --lora, or leave them out."
        )
    out: dict[str, int | float | bool] = {"lora": bool(lora)}
    if rank is not None:
        out["lora_rank"] = rank
    if alpha is not None:
        out["lora_alpha"] = alpha
    return out


def _lora_note(settings: dict[str, object]) -> str:
    """The closing line's note "(LoRA rank R, alpha A)" for an adaptation with LoRA, else ""."""
    if not settings.get("lora"):
        return ""
    return f" (LoRA rank {settings['lora_rank']}, alpha {settings['lora_alpha']:g})"
