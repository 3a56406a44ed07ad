"""Workspace commands: init, describe, suggest (creating a workspace and its rounds).

The other workspace commands live by area: :mod:`fewlabels.cli.label_commands` (label,
undo), :mod:`fewlabels.cli.status_commands` (status, export, import) and
:mod:`fewlabels.cli.curation_commands` (exclude, include, forget).
"""

from __future__ import annotations

from typing import Any

import typer

from fewlabels.cli._app import _WS_OPTION, _esc, _open_workspace, _split_list, app, console
from fewlabels.errors import FewlabelsError

_DESCRIBE_CLASS_HELP = (
    "A class description as 'class=sentence'; repeat it for more (added to those of the file)."
)


def _descriptions(path: str | None, pairs: list[str] | None) -> dict[str, Any]:
    """The descriptions of a --describe file and --describe-class options, joined (unchecked)."""
    from fewlabels.workspace.config import (
        load_descriptions,
        merge_descriptions,
        parse_description_pairs,
    )

    from_file = load_descriptions(path) if path is not None else {}
    return merge_descriptions(from_file, parse_description_pairs(pairs or []))


@app.command()
def init(
    directory: str = typer.Argument(..., help="The workspace folder to create."),
    data: str = typer.Option(
        ..., "--data", help="Built-in dataset name, image folder or table file."
    ),
    classes: str | None = typer.Option(
        None, "--classes", help="Comma-separated class names (default: those of the source)."
    ),
    encoder: str | None = typer.Option(None, "--encoder", help="Encoder name (see `encoders`)."),
    text: str | None = typer.Option(None, help="Text column of a table."),
    features: str | None = typer.Option(None, help="Comma-separated feature columns of a table."),
    label: str | None = typer.Option(
        None, help="Label column of a table (its labels are imported)."
    ),
    id_column: str | None = typer.Option(None, "--id", help="Id column of a table."),
    learner: str = typer.Option("auto", help="Learner fitted by `suggest` (fewlabels.learn)."),
    describe: str | None = typer.Option(
        None,
        "--describe",
        help="A .toml or .json file of class = description (a sentence or a list of them), "
        "for zero-shot guesses before any label.",
    ),
    describe_class: list[str] | None = typer.Option(
        None, "--describe-class", help=_DESCRIBE_CLASS_HELP
    ),
    task: str = typer.Option(
        "single",
        "--task",
        help="single (one class per item) or multilabel (a set of classes per item, possibly "
        "empty; the label column holds lists, or labels joined by --sep).",
    ),
    sep: str | None = typer.Option(
        None, "--sep", help="With --task multilabel: the separator of labels in a cell ('|')."
    ),
) -> None:
    """Create a workspace: fewlabels.toml, labels.db (SQLite, WAL), cache/, models/, reports/.

    A built-in dataset loses its labels; labels already in a folder or table are imported.
    Class descriptions (--describe, --describe-class) go to the [descriptions] table of
    fewlabels.toml; `fewlabels describe` replaces them later.
    """
    from fewlabels.workspace import Workspace

    # none given: None, so that a built-in source brings its own descriptions
    descriptions = _descriptions(describe, describe_class) if describe or describe_class else None
    ws = Workspace.init(
        directory,
        data=data,
        classes=_split_list(classes),
        encoder=encoder,
        text=text,
        features=_split_list(features),
        label=label,
        id=id_column,
        learner=learner,
        descriptions=descriptions,
        task=task,
        sep=sep,
    )
    counts = ws.store.label_counts()
    n_imported = len(ws.store.current_labels()) if ws.multilabel else sum(counts.values())
    console.print(
        f"[green]created[/] {directory}: {ws.store.n_items()} item(s), "
        + ("multi-label, " if ws.multilabel else "")
        + f"classes {list(ws.config.classes)}, "
        f"encoder {ws.config.encoder}, {n_imported} imported label"
        + (" set(s)" if ws.multilabel else "(s)")
        + (f", {len(ws.config.descriptions)} class(es) described" if ws.config.descriptions else "")
    )
    for typo in ws.status(with_accuracy=False).likely_typos:
        console.print(f"[yellow]warning:[/] {_esc(typo.message())}", highlight=False)
    console.print(
        f"next: [bold]fewlabels suggest -w {directory} -n 20[/], "
        f"then [bold]fewlabels label -w {directory}[/]"
    )


@app.command("describe")
def describe_cmd(
    path: str | None = typer.Argument(
        None, help="A .toml or .json file of class = description (or a list of them)."
    ),
    describe_class: list[str] | None = typer.Option(
        None, "--describe-class", help=_DESCRIBE_CLASS_HELP
    ),
    clear: bool = typer.Option(False, "--clear", help="Remove every class description."),
    workspace: str = _WS_OPTION,
) -> None:
    """Set the class descriptions that zero-shot guesses use, replacing those there were.

    fewlabels.toml is rewritten in one step, after the descriptions are checked against the
    classes. Without a file, --describe-class or --clear, print the current descriptions.
    """
    ws = _open_workspace(workspace, on_source_change="ignore")
    if clear or path is not None or describe_class:
        if clear and (path is not None or describe_class):
            raise FewlabelsError(
                "Expected either --clear or new descriptions (a file, --describe-class), but "
                "got both. Pass one of them."
            )
        ws.set_descriptions({} if clear else _descriptions(path, describe_class))
        console.print(
            f"[green]updated[/] {_esc(workspace)}: "
            f"{len(ws.config.descriptions)} class(es) described"
        )
    if not ws.config.descriptions:
        console.print("no class descriptions: zero-shot uses the class names alone")
    for name, sentences in ws.config.descriptions.items():
        for sentence in sentences:
            console.print(f"{_esc(name)}: {_esc(sentence)}", highlight=False)


@app.command()
def suggest(
    n: int = typer.Option(20, "-n", help="How many items to label in this round."),
    strategy: str | None = typer.Option(
        None,
        "--strategy",
        "-s",
        help="Strategy name (default: typiclust at cold start, then badge; "
        "multilabel-uncertainty in a multi-label workspace).",
    ),
    workspace: str = _WS_OPTION,
    double: float | None = typer.Option(
        None,
        "--double",
        help="Share (0-1) of the round sent to a second annotator: items labelled once by "
        "someone come first, for anyone else (default: [labelling] double_label_share).",
    ),
) -> None:
    """Embed the pool, fit the model on the labels so far and pick the next round to label."""
    ws = _open_workspace(workspace)
    rnd = ws.suggest(n, strategy=strategy, progress=True, double=double)
    from fewlabels.workspace.suggest import leftover_message

    left = leftover_message(rnd.metrics)
    if left is not None:
        console.print(left, markup=False, highlight=False)
    acc = rnd.metrics.get("cv_accuracy")
    console.print(
        f"[green]round {rnd.id}[/] ({_esc(rnd.strategy)}): {len(rnd.item_ids)} item(s) to "
        f"label; {rnd.metrics.get('n_labelled', 0)} labelled so far"
        + (f", cross-validated accuracy {acc:.3f}" if acc is not None else "")
    )
    if rnd.metrics.get("guesses_from") == "zero-shot":
        console.print(
            "the guesses shown come from zero-shot (class names"
            + (" and descriptions)" if ws.config.descriptions else ")")
            + " until 2 classes have labels"
        )
    console.print(f"label them with [bold]fewlabels label -w {_esc(workspace)}[/]")
