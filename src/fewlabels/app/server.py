"""The local labelling page: FastAPI, server-rendered HTML and a little JavaScript.

Security model
--------------
* It binds 127.0.0.1 unless told otherwise; it then only answers requests whose ``Host`` is
  that address (or ``localhost``), which stops DNS-rebinding pages from reading it.
* Bound to any other address, viewing needs the session token in the URL (``?token=...``).
* Every write (label, skip, undo, close round, exclude, include, review) needs the per-session token, sent in the
  ``X-Fewlabels-Token`` header (or a ``token`` field of the JSON body); the page carries it.
  The token is checked before anything else: a missing or wrong one is a 403 whatever the
  body holds. A write body is read under a 64 KiB cap (413 past it, without reading the rest)
  and checked for shape (a JSON object with the expected fields and types: 400 otherwise);
  see :mod:`fewlabels.app.body`.
* Only items registered in the store are served, looked up by id; the file read is the one
  registered for the item, never a path from the request, and only when it resolves (links
  followed) inside the data folder. Any other path is a 404.
* Text is escaped by Jinja2's autoescape; a Content-Security-Policy allows only the page's
  own script and style.
* Each label is committed to SQLite (WAL, synchronous=FULL) before the response returns,
  so the next item never shows before the label is on disk.
* Store calls run in worker threads, never in the event loop, so a slow or locked
  ``labels.db`` (an import in another process) never delays other requests (the page's own
  script and style are served from memory). A call that waits longer than
  ``AppSettings.busy_timeout_s`` for another writer's lock is answered 503 with
  ``Retry-After``; the page keeps the label queued and retries it.

Annotators
----------
Each label is recorded with its annotator (``who``): the name the server was started with
(``fewlabels label --annotator NAME``), else the name typed on the page (kept in the
browser's localStorage and sent with each write), else ``page:<client>``. Names are checked
with :func:`fewlabels.store.check_annotator` (422 when empty or over 64 characters).

Review
------
``/review`` lists the items waiting for review (:mod:`fewlabels.workspace.review`):
conflicts between annotators and the labels the audit flags (computed once per server and
on ``?refresh=1``). Each can be kept, changed or excluded (``POST /api/review``); a decision
on an item excluded or forgotten meanwhile is refused with a message, nothing written.

Routes
------
This module builds the app and guards it; the routes live by page area:
:mod:`fewlabels.app.labelling_routes` (the item to label and its writes),
:mod:`fewlabels.app.review_routes` (review) and :mod:`fewlabels.app.grid` (the grid, search,
browse and the confusion view). They share a :class:`fewlabels.app.page_context.PageContext`.
"""

import secrets
import sqlite3
from pathlib import Path
from typing import Any

from fewlabels.app.body import BodyError
from fewlabels.app.labelling_routes import install_labelling
from fewlabels.app.page_context import PageContext
from fewlabels.app.review_routes import install_review
from fewlabels.app.settings import AppSettings
from fewlabels.errors import MissingExtraError
from fewlabels.store import LabelStore, is_locked_error
from fewlabels.workspace import Workspace

__all__ = ["AppSettings", "create_app", "page_url", "serve"]

_HERE = Path(__file__).parent
_STATIC = {"app.js": "text/javascript", "style.css": "text/css"}
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_RETRY_AFTER_S = 1
_BUSY_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">'
    f'<meta http-equiv="refresh" content="{_RETRY_AFTER_S + 1}"><title>fewlabels: busy</title>'
    "</head><body><p>labels.db is busy (another process is writing to it). "
    "This page reloads by itself in a moment.</p></body></html>"
)


def create_app(workspace: Workspace, *, settings: AppSettings | None = None) -> Any:
    """Build the FastAPI application for a workspace.

    Parameters
    ----------
    workspace : Workspace
    settings : AppSettings, optional
        By default a fresh random token, no view token and any Host (for tests and embedding).

    Returns
    -------
    fastapi.FastAPI
        With ``app.state.token`` set to the session token.
    """
    try:
        from fastapi import FastAPI, Request
        from fastapi.responses import HTMLResponse, JSONResponse, Response
        from jinja2 import Environment, FileSystemLoader, select_autoescape
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise MissingExtraError(
            "The labelling page needs fastapi, uvicorn and jinja2: pip install 'fewlabels[app]'"
        ) from exc

    cfg = settings or AppSettings(token=secrets.token_urlsafe(24))
    store: LabelStore = workspace.store.with_busy_timeout(cfg.busy_timeout_s)
    static_files = {name: (_HERE / "static" / name).read_bytes() for name in _STATIC}
    env = Environment(
        loader=FileSystemLoader(str(_HERE / "templates")),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    ctx = PageContext(
        workspace=workspace, store=store, settings=cfg, dataset=workspace.source_dataset(), env=env
    )
    from fewlabels.app.grid import GridContext, install_grid
    from fewlabels.app.keys import class_keys
    from fewlabels.workspace.context import context_columns

    app = FastAPI(title="fewlabels", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.token = cfg.token

    @app.middleware("http")
    async def guard(request: Request, call_next: Any) -> Any:
        if (
            cfg.allowed_hosts is not None
            and request.headers.get("host", "") not in cfg.allowed_hosts
        ):
            return JSONResponse({"error": "unexpected Host header"}, status_code=400)
        if (
            cfg.view_token
            and request.method == "GET"
            and not ctx.token_ok(request.query_params.get("token"))
        ):
            return JSONResponse(
                {"error": "this page needs its token: open the URL printed by `fewlabels label`"},
                status_code=403,
            )
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = _CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.exception_handler(BodyError)
    async def refused(request: Request, exc: BodyError) -> Any:
        return JSONResponse({"error": exc.message}, status_code=exc.status)

    @app.exception_handler(sqlite3.OperationalError)
    async def busy(request: Request, exc: sqlite3.OperationalError) -> Any:
        if not is_locked_error(exc):
            raise exc
        if request.method == "GET":  # the page itself: say so, and reload (no script needed)
            return HTMLResponse(
                _BUSY_PAGE, status_code=503, headers={"Retry-After": str(_RETRY_AFTER_S)}
            )
        return JSONResponse(
            {
                "error": "labels.db is busy (another process is writing to it); "
                "nothing was saved by this request: send it again",
                "retry": True,
            },
            status_code=503,
            headers={"Retry-After": str(_RETRY_AFTER_S)},
        )

    @app.get("/static/{name}")
    async def static(name: str) -> Any:  # from memory: never waits for a worker thread
        if name not in _STATIC:
            return JSONResponse({"error": "not found"}, status_code=404)
        return Response(static_files[name], media_type=_STATIC[name])

    install_labelling(app, ctx)
    install_review(app, ctx)
    install_grid(
        app,
        GridContext(
            workspace=workspace,
            store=store,
            classes=ctx.classes,
            positions=ctx.positions,
            env=env,
            token=cfg.token,
            query=ctx.query,
            view=ctx.view,
            context=context_columns(workspace.config.data, workspace.config.page.context),
            keys=class_keys(ctx.classes),
            write_body=ctx.write_body,
            who=ctx.who,
            audit_cache=ctx.audit_cache,
            multilabel=ctx.multilabel,
        ),
    )
    return app


def _has_display() -> bool:
    """Whether a graphical browser can open (on Linux without a display, webbrowser would
    start a console browser in the server's own terminal)."""
    import os
    import sys

    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def page_url(host: str, port: int, *, token: str | None = None) -> str:
    """The page's address: an IPv6 host in brackets (``http://[::1]:8000/``)."""
    shown = "127.0.0.1" if host == "localhost" else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/" + ("" if token is None else f"?token={token}")


def serve(
    workspace: Workspace,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    open_browser: bool = True,
    echo: Any = print,
    busy_timeout_s: float = 5.0,
    annotator: str | None = None,
    preselect_guess: bool | None = None,
) -> None:
    """Run the labelling page until interrupted.

    Parameters
    ----------
    workspace : Workspace
    host : str, default "127.0.0.1"
        Bind address. Anything but loopback requires the token in the URL to view.
    port : int, default 0
        0 picks a free port. The URL is printed (``echo``) and opened in a browser when one exists.
    busy_timeout_s : float, default 5
        How long a request waits for another writer's lock (see :class:`AppSettings`).
    annotator : str, optional
        The name recorded with each label of this session (default: each page gives its own).
    preselect_guess : bool, optional
        Highlight the model's guess (default: ``[page] preselect_guess``, off).
    """
    import socket
    import webbrowser

    import uvicorn

    loopback = host in ("127.0.0.1", "localhost", "::1")
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)  # connections queue from now on: the printed URL answers at once
    real_port = sock.getsockname()[1]
    token = secrets.token_urlsafe(24)
    hosts = (
        (f"127.0.0.1:{real_port}", f"localhost:{real_port}", f"[::1]:{real_port}")
        if loopback
        else None
    )
    settings = AppSettings(
        token=token,
        view_token=not loopback,
        allowed_hosts=hosts,
        busy_timeout_s=busy_timeout_s,
        annotator=annotator,
        preselect_guess=preselect_guess,
    )
    app = create_app(workspace, settings=settings)
    url = page_url(host, real_port, token=None if loopback else token)
    echo(f"fewlabels: labelling page at {url}")
    echo("Press Ctrl+C to stop. Every label is saved as you go.")
    if open_browser and _has_display():
        try:
            webbrowser.get()
            webbrowser.open(url)
        except webbrowser.Error:
            pass
    config = uvicorn.Config(app, log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])
