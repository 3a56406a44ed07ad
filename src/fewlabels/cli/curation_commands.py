"""Taking items out of a workspace's pool: exclude, include (bring back) and forget."""

from __future__ import annotations

import typer

from fewlabels.cli._app import _WS_OPTION, _esc, _open_workspace, app, console
from fewlabels.cli.label_commands import _default_who
from fewlabels.errors import FewlabelsError

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
