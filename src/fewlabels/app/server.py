"""The local labelling page: FastAPI, server-rendered HTML and a little JavaScript.

Security model
--------------
* It binds 127.0.0.1 unless told otherwise; it then only answers requests whose ``Host`` is
  that address (or ``localhost``), which stops DNS-rebinding pages from reading it.
* Bound to any other address, viewing needs the session token in the URL (``?token=...``).
* Every write (label, skip, undo) needs the per-session token, sent in the
  ``X-Fewlabels-Token`` header (or a ``token`` field of the JSON body); the page carries it.
* Only items registered in the store are served, looked up by id; the file read is the one
  registered for the item, never a path from the request. Any other path is a 404.
* Text is escaped by Jinja2's autoescape; a Content-Security-Policy allows only the page's
  own script and style.
* Each label is committed to SQLite (WAL, synchronous=FULL) before the response returns,
  so the next item never shows before the label is on disk.
"""

import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fewlabels.errors import MissingExtraError
from fewlabels.store import LabelStore, UndoConflictError
from fewlabels.workspace import Workspace

_HERE = Path(__file__).parent
_STATIC = {"app.js": "text/javascript", "style.css": "text/css"}
_CLIENT_COOKIE = "fewlabels_client"
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


@dataclass(frozen=True)
class AppSettings:
    """How a page server guards itself.

    Parameters
    ----------
    token : str
        The per-session secret that writes (and, with ``view_token``, views) must carry.
    view_token : bool
        Require ``?token=`` to view too (set when bound to an address other than loopback).
    allowed_hosts : tuple of str or None
        Accepted ``Host`` header values; None accepts any.
    """

    token: str
    view_token: bool = False
    allowed_hosts: tuple[str, ...] | None = None


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
    store: LabelStore = workspace.store
    dataset = workspace.source_dataset()
    positions = {str(i): k for k, i in enumerate(dataset.ids)}
    classes = list(workspace.config.classes)
    env = Environment(
        loader=FileSystemLoader(str(_HERE / "templates")),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    page = env.get_template("page.html")

    app = FastAPI(title="fewlabels", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.token = cfg.token

    def _token_ok(given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), cfg.token.encode())

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
            and not _token_ok(request.query_params.get("token"))
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

    def _client(request: Request) -> tuple[str, bool]:
        cid = request.cookies.get(_CLIENT_COOKIE, "")
        if len(cid) == 32 and all(c in "0123456789abcdef" for c in cid):
            return cid, False
        return secrets.token_hex(16), True

    async def _body(request: Request) -> dict[str, Any]:
        try:
            data = await request.json()
        except ValueError:
            data = None
        return data if isinstance(data, dict) else {}

    def _write_refused(request: Request, body: dict[str, Any]) -> Any:
        if _token_ok(request.headers.get("x-fewlabels-token")) or _token_ok(body.get("token")):
            return None
        return JSONResponse(
            {"error": "writes need the session token (reload the page from `fewlabels label`)"},
            status_code=403,
        )

    def _known(item_id: Any) -> bool:
        return isinstance(item_id, str) and item_id in positions and store.has_item(item_id)

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request) -> Any:
        client, new = _client(request)
        rnd = store.latest_round()
        item_id = store.next_item(client=client) if rnd is not None else None
        prog = store.progress() if rnd is not None else None
        guess = confidence = None
        view = None
        if rnd is not None and item_id is not None:
            k = rnd.item_ids.index(item_id)
            guess, confidence = rnd.guesses[k], rnd.confidences[k]
            from fewlabels.app.media import item_view

            view = item_view(dataset, positions[item_id])
        q = f"?token={cfg.token}" if cfg.view_token else ""
        html = page.render(
            token=cfg.token,
            query=q,
            rnd=rnd,
            item_id=item_id,
            view=view,
            classes=classes,
            guess=guess,
            confidence=None if confidence is None else round(100 * confidence),
            progress=prog,
            counts=store.label_counts(),
        )
        response = HTMLResponse(html)
        if new:
            response.set_cookie(_CLIENT_COOKIE, client, httponly=True, samesite="strict")
        return response

    @app.get("/media")
    def media(id: str = "") -> Any:
        if not _known(id):
            return JSONResponse({"error": "not an item of this workspace"}, status_code=404)
        from fewlabels.app.media import image_bytes

        try:
            data, media_type = image_bytes(dataset, positions[id])
        except (OSError, ValueError):
            return JSONResponse({"error": "this item has no readable image"}, status_code=404)
        return Response(data, media_type=media_type)

    @app.get("/static/{name}")
    def static(name: str) -> Any:
        if name not in _STATIC:
            return JSONResponse({"error": "not found"}, status_code=404)
        return Response((_HERE / "static" / name).read_bytes(), media_type=_STATIC[name])

    @app.post("/api/label")
    async def label(request: Request) -> Any:
        body = await _body(request)
        refused = _write_refused(request, body)
        if refused is not None:
            return refused
        item_id, value = body.get("item_id"), body.get("label")
        if not _known(item_id):
            return JSONResponse({"error": "not an item of this workspace"}, status_code=404)
        if value not in classes:
            return JSONResponse({"error": f"label must be one of {classes}"}, status_code=422)
        client, _ = _client(request)
        seq = store.add_label(str(item_id), str(value), who=f"page:{client[:8]}", source="human")
        return {"seq": seq, "item_id": item_id, "label": value}

    @app.post("/api/skip")
    async def skip(request: Request) -> Any:
        body = await _body(request)
        refused = _write_refused(request, body)
        if refused is not None:
            return refused
        item_id = body.get("item_id")
        rnd = store.latest_round()
        if not _known(item_id) or rnd is None or item_id not in rnd.item_ids:
            return JSONResponse({"error": "not an item of the current round"}, status_code=404)
        store.skip(rnd.id, str(item_id))
        return {"skipped": item_id}

    @app.post("/api/undo")
    async def undo(request: Request) -> Any:
        body = await _body(request)
        refused = _write_refused(request, body)
        if refused is not None:
            return refused
        client, _ = _client(request)
        seq = body.get("seq")
        if seq is not None and not isinstance(seq, int):
            return JSONResponse({"error": "seq must be an integer"}, status_code=422)
        try:
            ev = store.undo(seq, who=None if seq is not None else f"page:{client[:8]}")
        except UndoConflictError as exc:
            return JSONResponse({"error": str(exc)}, status_code=409)
        store.lease(ev.item_id, client)
        return {"item_id": ev.item_id, "label": ev.label, "seq": ev.seq}

    return app


def _has_display() -> bool:
    """Whether a graphical browser can open (on Linux without a display, webbrowser would
    start a console browser in the server's own terminal)."""
    import os
    import sys

    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def serve(
    workspace: Workspace,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    open_browser: bool = True,
    echo: Any = print,
) -> None:
    """Run the labelling page until interrupted.

    Parameters
    ----------
    workspace : Workspace
    host : str, default "127.0.0.1"
        Bind address. Anything but loopback requires the token in the URL to view.
    port : int, default 0
        0 picks a free port. The URL is printed (``echo``) and opened in a browser when one exists.
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
    settings = AppSettings(token=token, view_token=not loopback, allowed_hosts=hosts)
    app = create_app(workspace, settings=settings)
    shown = "127.0.0.1" if host == "localhost" else host
    url = f"http://{shown}:{real_port}/" + ("" if loopback else f"?token={token}")
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
