"""Labelling commands: label (the page, or items from the command line) and undo."""

from __future__ import annotations

from typing import Any

import typer

from fewlabels.cli._app import _WS_OPTION, _esc, _open_workspace, app, console
from fewlabels.errors import FewlabelsError


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


def _default_who() -> str:
    """Who runs the command: the login name, as ``cli:NAME``."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"[:64]
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return "cli"
