"""What a workspace holds, and labels in and out: status, export, import."""

from __future__ import annotations

import typer

from fewlabels.cli._app import _WS_OPTION, _esc, _open_workspace, app, console


@app.command()
def status(
    workspace: str = _WS_OPTION,
    accept_source_changes: bool = typer.Option(
        False,
        "--accept-source-changes",
        help="Re-register items whose content changed in the source.",
    ),
) -> None:
    """Labelled items per class, the model's cross-validated accuracy, and each round's metrics."""
    from rich.table import Table

    ws = _open_workspace(workspace, on_source_change="accept" if accept_source_changes else "error")
    st = ws.status()
    console.print(
        f"{st.n_labelled} of {st.n_items} item(s) labelled"
        + (f" ({st.n_empty} with no label: the empty set)" if st.multilabel else "")
    )
    for typo in st.likely_typos:  # a one-item class close to another's name: a mistyped label?
        console.print(f"[yellow]warning:[/] {_esc(typo.message())}", highlight=False)
    table = Table("class", "labelled")
    for name, count in st.labelled_per_class.items():
        table.add_row(_esc(name), str(count))
    console.print(table)
    acc = (
        "n/a (label at least 2 items of 2 classes)"
        if st.cv_accuracy is None
        else f"{st.cv_accuracy:.3f}"
    )
    if st.multilabel:
        scores = st.label_scores
        console.print(
            "multi-label learner: "
            + (
                "cross-fitted micro/macro-F1 n/a (label at least 6 items, with a class in "
                "some sets but not all)"
                if scores is None
                else _esc(scores.message())
            ),
            highlight=False,
        )
        if scores is not None:
            console.print(
                "per-class F1: "
                + ", ".join(f"{_esc(c)} {f:.3f}" for c, f in scores.per_label.items()),
                highlight=False,
            )
    else:
        console.print(
            f"cross-validated accuracy (ridge classifier on the embeddings, k-fold): {acc}"
        )
    if st.prediction is not None:
        console.print(_esc(st.prediction.message()), highlight=False)
    if st.agreement is not None:
        console.print(_esc(st.agreement.message()), highlight=False)
    if st.n_excluded:
        console.print(
            f"{st.n_excluded} item(s) excluded (none of these): out of the pool; "
            f"`fewlabels include -w {_esc(workspace)} IDS` brings them back"
        )
    if st.n_suspect:
        console.print(
            f"[yellow]{st.n_suspect} label(s) look suspect[/] (fewlabels audit -w {_esc(workspace)})"
        )
    if st.rounds:
        with_test = any("test_accuracy" in r.metrics for r in st.rounds)
        columns = ["round", "strategy", "labelled then", "accuracy then", "items"]
        columns += ["model's guess right"] + (["test accuracy then"] if with_test else [])
        rounds = Table(*columns)
        for r in st.rounds:
            a = r.metrics.get("cv_accuracy")
            t = r.metrics.get("test_accuracy")
            ok, n = st.guesses_right.get(r.id, (0, 0))
            cells = [
                str(r.id),
                _esc(r.strategy),
                str(r.metrics.get("n_labelled", "")),
                "-" if a is None else f"{a:.3f}",
                str(len(r.item_ids)),
                f"{ok} of {n}" if n else "-",
            ]
            rounds.add_row(*cells, *(["-" if t is None else f"{t:.3f}"] if with_test else []))
        console.print(rounds)
        console.print(
            "[dim]Accuracy is estimated on the labelled items; uncertainty sampling picks hard "
            "ones, so it can understate the model.[/]"
        )
    if st.progress is not None:
        console.print(f"current round: {st.progress[0]} / {st.progress[1]} labelled")


@app.command()
def export(
    out: str | None = typer.Argument(
        None,
        help="File to write (.csv or .jsonl); default labels.csv in the workspace. "
        "`fewlabels import` reads it back.",
    ),
    workspace: str = _WS_OPTION,
    history: bool = typer.Option(
        False, "--history", help="Write every history row, not just current labels."
    ),
    skip_excluded: bool = typer.Option(
        False,
        "--skip-excluded",
        help="Leave out the rows of excluded items (by default they are kept, marked "
        "excluded=true).",
    ),
) -> None:
    """Export the current labels (or the full history) to CSV or JSONL.

    Every row has an `excluded` column (true/false): an item taken out of the pool ("none of
    these") keeps its label in the store, so its row is kept but marked, for a training
    script elsewhere to drop. `fewlabels import` leaves marked rows out.
    """
    ws = _open_workspace(workspace, on_source_change="ignore")
    path = ws.export(out, history=history, with_excluded=not skip_excluded)
    console.print(f"wrote {path}")


@app.command("import")
def import_cmd(
    path: str = typer.Argument(
        ..., help="CSV or JSONL with an id and a label per row (a `fewlabels export` file)."
    ),
    workspace: str = _WS_OPTION,
    overwrite: bool = typer.Option(
        False, "--overwrite", help="Replace conflicting current labels."
    ),
    id_column: str = typer.Option("id", "--id-column", help="The column holding item ids."),
    label_column: str = typer.Option("label", "--label-column", help="The column holding labels."),
) -> None:
    """Import labels from CSV or JSONL (id,label; source=imported).

    Labels for unknown items or classes are reported and nothing is written (exit code 2).
    When every new label conflicts with a current one, nothing is written either (exit code
    1): --overwrite replaces them.
    """
    ws = _open_workspace(workspace, on_source_change="ignore")
    report = ws.import_labels(
        path,
        on_conflict="overwrite" if overwrite else "keep",
        id_column=id_column,
        label_column=label_column,
    )
    colour = "[green]" if report.ok and not report.kept_conflicts else "[yellow]"
    console.print((colour if report.ok else "[bold red]") + _esc(report.summary()) + "[/]")
    if not report.ok:
        raise typer.Exit(code=2)
    if report.only_conflicts:
        console.print(
            "[bold red]nothing was imported:[/] every new label conflicts with a current one; "
            "pass --overwrite to replace them"
        )
        raise typer.Exit(code=1)
