"""The ``fewlabels`` command line: thin, it parses, calls the library and prints.

One command group (:mod:`fewlabels.cli._app`, with the one error handler) and the commands,
one module per area. Importing this package loads only typer and rich: every command imports
the library it needs when it runs.
"""

from importlib import import_module

from fewlabels.cli._app import app

# Importing a module registers its commands, in this order in `fewlabels --help`.
for _area in (
    "data_commands",
    "bench_commands",
    "workspace_commands",
    "label_commands",
    "status_commands",
    "curation_commands",
    "audit_commands",
    "distill_commands",
    "adapt_commands",
):
    import_module(f"fewlabels.cli.{_area}")

__all__ = ["app", "main"]


def main() -> None:  # pragma: no cover - console-script entry
    """Run the command line."""
    app()
