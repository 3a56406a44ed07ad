"""Workspace commands: init, describe, suggest, label, status, export, import."""

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

    descriptions = _descriptions(describe, describe_class)
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


@app.command("label")
def label_page(
    items: list[str] | None = typer.Argument(
        None,
        help="Item ids to label from the command line (with --labels or --empty) instead of "
        "starting the page.",
    ),
    labels: list[str] | None = typer.Option(
        None,
        "--labels",
        "-l",
        help="The classes of ITEMS: comma-separated or repeated (--labels a,b or -l a -l b); "
        "one class in a single-label workspace.",
    ),
    empty: bool = typer.Option(
        False,
        "--empty",
        help="Multi-label: label ITEMS with the empty set (none of the labels fits).",
    ),
    who: str | None = typer.Option(
        None, "--who", help="Who labels from the command line (default: cli:<login name>)."
    ),
    workspace: str = _WS_OPTION,
    host: str = typer.Option(
        "127.0.0.1", help="Bind address; anything but 127.0.0.1 requires the printed token URL."
    ),
    port: int = typer.Option(0, help="Port (0 = a free one, printed)."),
    no_browser: bool = typer.Option(False, "--no-browser", help="Do not open a browser."),
    annotator: str | None = typer.Option(
        None,
        "--annotator",
        help="Your name, recorded with each label of this page (default: the page asks).",
    ),
    preselect_guess: bool | None = typer.Option(
        None,
        "--preselect-guess/--no-preselect-guess",
        help="Highlight the model's guess (default: [page] preselect_guess, off: it invites "
        "anchoring).",
    ),
) -> None:
    """Start the labelling page for the current round (Ctrl+C stops it).

    Keys: 1-9 (and 0 for a 10th class) label, S skip, U undo. Each label is committed to
    labels.db before the next item shows. A second `fewlabels label` on the same workspace
    works: both share labels.db (SQLite WAL) and each page is shown different items.
    In a multi-label workspace the keys toggle classes and Enter confirms the set.

    With item ids and --labels (or --empty) it labels those items and exits:
    `fewlabels label -w WS 17 --labels a,b`; `fewlabels undo -w WS` takes it back.
    """
    from fewlabels.app import serve
    from fewlabels.store import check_annotator

    if items or labels is not None or empty:
        _label_from_cli(workspace, items or [], labels, empty=empty, who=who)
        return
    name = None if annotator is None else check_annotator(annotator)
    ws = _open_workspace(workspace)
    serve(
        ws,
        host=host,
        port=port,
        open_browser=not no_browser,
        annotator=name,
        preselect_guess=preselect_guess,
        echo=lambda line: console.print(line, soft_wrap=True, highlight=False, markup=False),
    )


def _label_set_text(labels: Any) -> str:
    """A label set as the page and the CLI say it: ``{a, b}``, or ``no labels``."""
    names = list(labels)
    return "{" + ", ".join(names) + "}" if names else "no labels"


def _label_from_cli(
    workspace: str, items: list[str], labels: list[str] | None, *, empty: bool, who: str | None
) -> None:
    """``fewlabels label ITEMS --labels a,b``: label items without the page."""
    if not items:
        raise FewlabelsError(
            "Expected the ids of the items to label before --labels/--empty, but got none. "
            "Write e.g. `fewlabels label -w WS 17 --labels a,b`, or leave --labels out to "
            "start the page."
        )
    names = [v.strip() for part in labels or [] for v in part.split(",") if v.strip()]
    if empty and names:
        raise FewlabelsError(
            f"Expected either --empty (no labels) or --labels, but got both (--labels {names}). "
            "Pass one of them."
        )
    if labels is None and not empty:
        raise FewlabelsError(
            f"Expected --labels a,b (or --empty for none of the labels) for the items {items}, "
            "but got neither."
        )
    ws = _open_workspace(workspace)
    if not names and not ws.multilabel:
        raise FewlabelsError(
            "Expected one class for each item of a single-label workspace, but the set is "
            "empty. Pass --labels CLASS; `fewlabels exclude` takes an item that fits no class "
            "out of the pool."
        )
    name = who or _default_who()
    from fewlabels.store.label_store import decode_label_set

    for item in items:
        ev = ws.label(item, names, who=name)
        stored = str(ev.label)
        shown = _label_set_text(decode_label_set(stored)) if ws.multilabel else repr(stored)
        console.print(
            f"labelled {_esc(item)} as {_esc(shown)} — undo with "
            f"`fewlabels undo -w {_esc(workspace)}`",
            highlight=False,
        )


@app.command()
def undo(
    item: str | None = typer.Option(
        None, "--item", help="Undo the current label of this item (default: the latest label)."
    ),
    who: str | None = typer.Option(
        None, "--who", help="Undo the latest label of this annotator (default: anyone's)."
    ),
    workspace: str = _WS_OPTION,
) -> None:
    """Undo a human label: the item gets its previous label (or label set) back."""
    ws = _open_workspace(workspace, on_source_change="ignore")
    ev = ws.undo(item_id=item, who=who)
    if ev.label is None:
        back = "unlabelled again"
    elif ws.multilabel:
        from fewlabels.store.label_store import decode_label_set

        back = f"back to {_label_set_text(decode_label_set(ev.label))}"
    else:
        back = f"back to {ev.label!r}"
    console.print(f"undid the label of {_esc(ev.item_id)}: {_esc(back)}", highlight=False)


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
) -> None:
    """Export the current labels (or the full history) to CSV or JSONL."""
    ws = _open_workspace(workspace, on_source_change="ignore")
    path = ws.export(out, history=history)
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


def _default_who() -> str:
    """Who runs the command: the login name, as ``cli:NAME``."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"[:64]
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return "cli"


_WHO_OPTION = typer.Option(None, "--who", help="Who decides (default: cli:<login name>).")


@app.command()
def exclude(
    ids: list[str] = typer.Argument(..., help="Item ids to take out of the pool."),
    workspace: str = _WS_OPTION,
    who: str | None = _WHO_OPTION,
    reason: str = typer.Option("none of these", "--reason", help="Why (kept in the history)."),
) -> None:
    """Mark items out of scope ("none of these"): they leave learning and suggestions.

    They stay in labels.db with their history; `fewlabels include` brings them back. Unknown
    ids are listed and nothing is written.
    """
    ws = _open_workspace(workspace, on_source_change="ignore")
    done = ws.exclude(ids, who=who or _default_who(), reason=reason)
    console.print(
        f"[green]excluded[/] {len(done)} item(s)"
        + (
            f"; {len(set(ids)) - len(done)} were excluded already"
            if len(done) < len(set(ids))
            else ""
        )
    )


@app.command()
def include(
    ids: list[str] = typer.Argument(..., help="Excluded item ids to bring back."),
    workspace: str = _WS_OPTION,
    who: str | None = _WHO_OPTION,
) -> None:
    """Bring excluded items back into the pool (their labels, if any, count again)."""
    ws = _open_workspace(workspace, on_source_change="ignore")
    done = ws.include(ids, who=who or _default_who())
    console.print(
        f"[green]brought back[/] {len(done)} item(s)"
        + (f"; {len(set(ids)) - len(done)} were not excluded" if len(done) < len(set(ids)) else "")
    )


@app.command()
def forget(
    ids: list[str] | None = typer.Argument(None, help="Item ids to forget."),
    workspace: str = _WS_OPTION,
    from_file: str | None = typer.Option(
        None, "--from-file", help="A text file of item ids, one per line (# starts a comment)."
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="Forget without asking first."),
    who: str | None = _WHO_OPTION,
) -> None:
    """Forget items for good: out of labels.db (a tombstone without the id stays), the
    embedding cache and the fitted models; the next suggest refits without them.

    Without --yes it lists what will go and asks; without a terminal to answer on, pass --yes.
    Unknown ids are listed and nothing is written; ids forgotten before are skipped, so a run
    that was interrupted can be repeated as it was.
    """
    import sys

    from fewlabels.workspace.forget import check_forget_ids, read_id_file

    wanted = list(ids or []) + (read_id_file(from_file) if from_file is not None else [])
    ws = _open_workspace(workspace, on_source_change="ignore")  # finishes a killed forget
    to_forget, before = check_forget_ids(ws.store, wanted)
    if to_forget and not yes:
        labels = ws.store.current_labels()
        console.print(
            f"[bold]{len(to_forget)} item(s) will be forgotten[/] (this cannot be undone):"
        )
        for item in to_forget[:20]:
            console.print(
                f"  {_esc(item)}" + (f"  ({_esc(labels[item])})" if item in labels else "")
            )
        if len(to_forget) > 20:
            console.print(f"  ... and {len(to_forget) - 20} more")
        console.print("Forget them? [y/N] ", end="")
        answer = sys.stdin.readline() if sys.stdin is not None else ""
        if not answer:
            raise FewlabelsError(
                f"Expected a yes or no to forget {len(to_forget)} item(s), but there is no input "
                "to read it from. Pass --yes to forget without asking."
            )
        if answer.strip().lower() not in ("y", "yes"):
            console.print("nothing was forgotten")
            raise typer.Exit(code=1)
    report = ws.forget(to_forget + before, who=who or _default_who())
    console.print(
        f"[green]forgot[/] {report.n_forgotten} item(s)"
        + (f"; {len(report.already_forgotten)} were forgotten before" if before else "")
        + (
            "; embedding cache cleared (it is rebuilt on the next suggest)"
            if report.cache_cleared
            else f"; {report.cache_rows} embedding row(s) removed from the cache"
        )
        + (
            f"; {len(report.models_removed)} fitted model(s) removed"
            if report.models_removed
            else ""
        )
    )
    for folder in report.stale_adapted:
        console.print(
            f"[yellow]stale:[/] the adapted encoder {_esc(folder)} was trained on the pool "
            "before this forget; adapt again to retrain it",
            highlight=False,
        )
    for path in sorted((ws.root / "models").glob("*.onnx")):
        try:
            from fewlabels.distill.predict import pool_staleness

            stale = pool_staleness(path)
        except (ImportError, FewlabelsError):  # no onnxruntime, or not a fewlabels student
            stale = None
        if stale is not None:
            console.print(f"[yellow]stale:[/] {_esc(stale)}", highlight=False)
