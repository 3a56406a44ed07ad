"""Commands on data: datasets, encoders, embed, demo, simulate."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from fewlabels.cli._app import _esc, _split_list, app, console

if TYPE_CHECKING:
    pass


@app.command()
def datasets() -> None:
    """List the built-in datasets (all work offline)."""
    from rich.table import Column, Table

    from fewlabels.data import list_builtin

    # names are what users type: never cut them
    table = Table(
        Column("name", no_wrap=True), "modality", "train", "test", "classes", "extra", "description"
    )
    for info in list_builtin():
        table.add_row(
            info.name,
            info.modality,
            str(info.n_train),
            str(info.n_test),
            str(info.n_classes),
            info.needs,
            info.description,
        )
    console.print(table)


@app.command()
def encoders() -> None:
    """List the encoder names (offline ones first)."""
    from rich.table import Table

    from fewlabels.encode import list_encoders

    table = Table("name", "modality", "offline", "extra", "description")
    for info in sorted(list_encoders(), key=lambda i: not i.offline):
        table.add_row(
            info.name, info.modality, "yes" if info.offline else "hub", info.extra, info.description
        )
    console.print(table)


@app.command()
def embed(
    source: str = typer.Argument(..., help="Built-in dataset name, image folder or table file."),
    encoder: str = typer.Option(..., "--encoder", "-e", help="Encoder name (see `encoders`)."),
    cache_dir: str | None = typer.Option(None, help="Cache root (default ~/.cache/fewlabels)."),
    text: str | None = typer.Option(None, help="Text column of a table."),
    features: str | None = typer.Option(None, help="Comma-separated feature columns."),
    label: str | None = typer.Option(None, help="Label column of a table (blank = unlabelled)."),
    id_column: str | None = typer.Option(None, "--id", help="Id column of a table."),
    device: str = typer.Option("auto", help="Torch device; auto picks CUDA when present."),
    batch_size: int | None = typer.Option(None, help="Items per forward pass."),
    out: str | None = typer.Option(None, help="Also write the embeddings to this .npy file."),
    ray: str | None = typer.Option(
        None,
        "--ray",
        metavar="auto|ADDRESS",
        help="Encode on a Ray cluster (pip install 'fewlabels[ray]'): 'auto' or HOST:PORT.",
    ),
) -> None:
    """Embed a data source into the resumable on-disk cache.

    Chunks commit every few seconds; Ctrl-C keeps the rows embedded so far (exit code 130)
    and the same command resumes from them.
    """
    import numpy as np

    from fewlabels.data import load_source
    from fewlabels.encode import embed as embed_dataset
    from fewlabels.encode import get_encoder
    from fewlabels.encode.cache import EmbedInterrupted

    try:
        dataset = load_source(
            source, text=text, features=_split_list(features), label=label, id=id_column
        )
        enc = get_encoder(encoder, device=device, batch_size=batch_size)
        result = embed_dataset(dataset, enc, cache_dir=cache_dir, ray_address=ray)
    except EmbedInterrupted as exc:
        console.print(f"[yellow]{_esc(exc)}[/]", highlight=False)
        raise typer.Exit(code=130) from None
    except KeyboardInterrupt:
        console.print("[yellow]interrupted before embedding began; nothing new was cached[/]")
        raise typer.Exit(code=130) from None
    # n_encoded counts the inputs this call tried, the unreadable ones included.
    n_skipped = len(result.skipped)
    n_now = max(result.n_encoded - n_skipped, 0)
    console.print(
        f"[green]embedded[/] {len(result.dataset)} item(s) of {_esc(repr(dataset.name))} with "
        f"{_esc(encoder)} -> {result.X.shape[1]}-d ({n_now} encoded now, "
        f"{len(result.dataset) - n_now} from the cache"
        + (f", {n_skipped} unreadable skipped)" if n_skipped else ")")
    )
    if result.skipped:
        console.print(f"[yellow]skipped {n_skipped} unreadable input(s):[/]")
        for item_id, reason in result.skipped[:20]:
            console.print(f"  {_esc(item_id)}: {_esc(reason)}")
    if out:
        np.save(out, np.asarray(result.X))
        console.print(f"wrote {_esc(out)}")


@app.command()
def demo(
    dataset: str = typer.Option("mnist5k", help="Built-in dataset (see `datasets`)."),
    encoder: str | None = typer.Option(None, help="Encoder (a sensible one per dataset)."),
    per_class: int = typer.Option(10, help="Labels per class in the budget."),
    seed: int = typer.Option(0, help="Seed of the budget split and the learners."),
    rounds: int = typer.Option(5, help="Simulated active-learning rounds (0 skips them)."),
    strategy: str = typer.Option("typiclust", help="Active-learning strategy vs random."),
    distill: bool = typer.Option(True, help="Distil, export and compare a student."),
    cache_dir: str | None = typer.Option(None, help="Embedding cache root."),
    out_dir: str | None = typer.Option(None, help="Where the student's ONNX file goes."),
) -> None:
    """The whole pipeline on a built-in dataset: embed, learn, ask, distil."""
    from fewlabels.demo import run_demo

    run_demo(
        dataset=dataset,
        encoder=encoder,
        per_class=per_class,
        seed=seed,
        rounds=rounds,
        strategy=strategy,
        distill=distill,
        cache_dir=cache_dir,
        out_dir=out_dir,
        console=console,
    )


@app.command()
def simulate(
    dataset: str = typer.Option(..., "--dataset", "-d", help="Built-in dataset (see `datasets`)."),
    strategy: str = typer.Option(
        "all",
        "--strategy",
        "-s",
        help="Comma-separated strategies, or 'all' (see fewlabels.active.list_strategies); "
        "random is always added as the reference.",
    ),
    encoder: str | None = typer.Option(None, help="Encoder (default: minilm-int8/pixels/tabular)."),
    learner: str = typer.Option("auto", help="Learner refitted each round (fewlabels.learn)."),
    start: int = typer.Option(0, help="Random seed-set size; 0 = cold start."),
    batch: int = typer.Option(10, help="Labels per round."),
    rounds: int = typer.Option(10, help="Selection rounds."),
    seeds: int = typer.Option(3, help="Seeds 0..N-1."),
    out: str | None = typer.Option(
        None, help="Results table (.csv/.parquet) to append to; default simulate-<dataset>.csv."
    ),
    cache_dir: str | None = typer.Option(None, help="Embedding cache root."),
) -> None:
    """Play the active-learning loop with the true labels as the oracle."""
    from pathlib import Path

    from rich.table import Table

    from fewlabels.active import list_strategies
    from fewlabels.active.curves import compare_to_random
    from fewlabels.active.experiment import run_simulation
    from fewlabels.bench.results import concat_results, read_results, write_results

    names = list_strategies() if strategy.strip() == "all" else _split_list(strategy) or []

    def progress(rows: list[dict[str, object]]) -> None:
        last = rows[-1]
        console.print(
            f"  {_esc(last['strategy']):>16} seed {last['seed']}: {last['n_labels']} labels -> "
            f"accuracy {last['accuracy']:.3f}, balanced accuracy "
            f"{last['balanced_accuracy']:.3f}, macro-F1 {last['macro_f1']:.3f}"
        )

    frame = run_simulation(
        dataset,
        encoder,
        strategies=names,
        learner=learner,
        start=start,
        batch=batch,
        rounds=rounds,
        seeds=seeds,
        cache_dir=cache_dir,
        on_curve=progress,
    )
    summary = compare_to_random(frame)
    majority = float(frame["majority_rate"].iloc[0])
    n_classes = int(frame["n_classes"].iloc[0])
    target = Path(out or f"simulate-{dataset}.csv")
    if target.exists():
        frame = concat_results([frame, read_results(target)])
    write_results(frame, target)
    table = Table(
        "strategy",
        "final labels",
        "final acc",
        "final bal acc",
        "final macro-F1",
        "labels to reach random",
        "ratio",
        title=f"{_esc(dataset)}: labels needed to reach random's final accuracy "
        f"({summary['target'].iloc[0]:.3f})",
    )
    for _, row in summary.iterrows():
        needed = (
            "never"
            if row["labels_needed"] != row["labels_needed"]
            else f"{row['labels_needed']:.0f}"
        )
        ratio = "-" if row["ratio"] != row["ratio"] else f"{row['ratio']:.0%}"
        table.add_row(
            _esc(row["strategy"]),
            str(row["final_labels"]),
            f"{row['final_accuracy']:.3f}",
            f"{row['final_balanced_accuracy']:.3f}",
            f"{row['final_macro_f1']:.3f}",
            needed,
            ratio,
        )
    console.print(table)
    console.print(
        f"majority class: {majority:.3f} of the test split (always answering it scores "
        f"balanced accuracy {1 / n_classes:.3f} and macro-F1 "
        f"{2 * majority / (1 + majority) / n_classes:.3f}); a strategy near these has "
        "learned next to nothing"
    )
    console.print(f"wrote {_esc(target)}")
