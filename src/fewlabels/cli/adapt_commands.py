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
    the body of a sentence-transformers text encoder (setfit-body, simcse)."""
    from fewlabels.adapt import adapt_builtin, adapt_workspace

    settings: dict[str, int] = {}
    if epochs is not None:
        settings["epochs"] = epochs
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
        f"adapted {_esc(adapted.meta.base['name'])} with {method}: {adapted.dim}-d, "
        f"{t['epochs']} epochs in {t['seconds']:.1f}s on {adapted.meta.rows['n']} rows "
        f"({adapted.meta.labels['n_labeled']} labelled, {adapted.meta.labels.get('n_pseudo', 0)} "
        "pseudo-labelled)"
    )
    console.print(f"encoder: {_esc(adapted.name)}")
    if workspace is not None:
        console.print("the workspace now uses it (fewlabels.toml)")
