"""The labelling page: ``python -m fewlabels.app WORKSPACE [--host H] [--port P]``."""

from __future__ import annotations

import argparse
import functools
import sys

from fewlabels.app.server import serve
from fewlabels.workspace import Workspace


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments and serve the page (same as ``fewlabels label``)."""
    parser = argparse.ArgumentParser(prog="python -m fewlabels.app", description=__doc__)
    parser.add_argument("workspace", nargs="?", default=".")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument(
        "--busy-timeout",
        type=float,
        default=5.0,
        help="Seconds a request waits for another writer's lock on labels.db (then 503, retried).",
    )
    parser.add_argument(
        "--annotator", default=None, help="The name recorded with each label of this page."
    )
    parser.add_argument(
        "--preselect-guess",
        action="store_true",
        default=None,
        help="Highlight the model's guess among the class buttons (default: [page] config).",
    )
    args = parser.parse_args(argv)
    ws = Workspace.open(args.workspace)
    serve(
        ws,
        host=args.host,
        port=args.port,
        open_browser=not args.no_browser,
        echo=functools.partial(print, flush=True),
        busy_timeout_s=args.busy_timeout,
        annotator=args.annotator,
        preselect_guess=args.preselect_guess,
    )


if __name__ == "__main__":  # pragma: no cover
    main()
    sys.exit(0)
