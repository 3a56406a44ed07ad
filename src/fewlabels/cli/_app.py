"""The command group, its one error handler and the helpers every command shares."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from fewlabels.errors import FewlabelsError

if TYPE_CHECKING:
    from fewlabels.workspace import Workspace


class _Commands(TyperGroup):
    """The command group with fewlabels' one error handler.

    A :class:`~fewlabels.errors.FewlabelsError` (bad input: its message says what was expected
    and how to fix it) and an ``OSError`` from the machine (permission denied, disk full, a
    port in use) print one line and exit with code 2. Anything else is a bug and keeps its
    traceback.
    """

    def invoke(self, ctx: Any) -> Any:  # a click Context (typer vendors click)
        try:
            return super().invoke(ctx)
        except (FewlabelsError, OSError) as exc:
            raise _fail(exc) from exc


app = typer.Typer(
    cls=_Commands,
    name="fewlabels",
    help="Turn a large unlabelled pool and a few labels into an accurate, compact classifier.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()


def _split_list(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def _esc(value: object) -> str:
    """``value`` as text that Rich prints literally (a class named "[/red]" is no markup)."""
    from rich.markup import escape

    return escape(str(value))


def _fail(exc: BaseException) -> typer.Exit:
    """Print a user error (which says what was expected and how to fix it) and exit 2."""
    from rich.markup import escape

    console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
    return typer.Exit(code=2)


_WS_OPTION = typer.Option(".", "--workspace", "-w", help="The workspace folder.")


def _open_workspace(path: str, on_source_change: str = "error") -> Workspace:
    from fewlabels.workspace import Workspace

    return Workspace.open(path, on_source_change=on_source_change)  # type: ignore[arg-type]
