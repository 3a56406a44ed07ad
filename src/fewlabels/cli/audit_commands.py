"""The audit command: likely wrong labels of a workspace, most suspect first."""

from __future__ import annotations

import typer

from fewlabels.cli._app import _WS_OPTION, _esc, _open_workspace, app, console


@app.command("audit")
def audit_cmd(
    workspace: str = _WS_OPTION,
    top: int = typer.Option(20, "--top", help="How many of the most suspect labels to show."),
    learner: str | None = typer.Option(
        None, "--learner", help="Learner cross-fitted on the labels (default label-spreading)."
    ),
    csv: str | None = typer.Option(
        None, "--csv", help="Also write every audited label, most suspect first, to this CSV."
    ),
) -> None:
    """List labels that a model which never saw them disagrees with (confident learning).

    Each label is predicted by the learner fitted without it (cross-fitting); cleanlab's
    find_label_issues flags the likely wrong ones. Fix a label with the labelling page or
    `fewlabels import --overwrite`.
    """
    from rich.table import Table

    from fewlabels._validation import check_count

    check_count(top, name="--top", low=1, what="how many suspect labels to show")
    ws = _open_workspace(workspace, on_source_change="ignore")
    audit = ws.audit(learner=learner, top=None if csv else top)
    if csv:
        path = audit.write_csv(csv)
        console.print(f"wrote {len(audit.rows)} audited label(s) to {_esc(path)}")
    console.print(_esc(audit.summary()), highlight=False)
    if audit.warning is not None:
        console.print(f"[yellow]Warning:[/yellow] {_esc(audit.warning)}", highlight=False)
    table = Table("rank", "id", "you said", "the model thinks", "p", "quality", "flagged")
    for row in audit.rows[:top]:
        table.add_row(
            str(row.rank),
            _esc(row.item_id),
            _esc(row.given),
            _esc(row.suggested),
            f"{row.p_suggested:.2f}",
            f"{row.quality:.2f}",
            "yes" if row.flagged else "",
        )
    console.print(table)
    if audit.outliers:
        ids = ", ".join(_esc(o.item_id) for o in audit.outliers[:10])
        more = f" and {len(audit.outliers) - 10} more" if len(audit.outliers) > 10 else ""
        console.print(
            f"{len(audit.outliers)} pool item(s) lie farther from every class than 99% of the "
            f"labelled ones: {ids}{more}",
            highlight=False,
        )
