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
"""

import hmac
import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fewlabels.app.body import (
    BodyError,
    body_token,
    check_body,
    declared_length,
    parse_json,
    read_capped,
)
from fewlabels.errors import FewlabelsError, MissingExtraError, MissingKeyError, StateError
from fewlabels.store import (
    REVIEW_ACTIONS,
    LabelStore,
    UndoConflictError,
    check_annotator,
    is_locked_error,
)
from fewlabels.store.label_store import decode_label_set
from fewlabels.workspace import Workspace

_HERE = Path(__file__).parent
_STATIC = {"app.js": "text/javascript", "style.css": "text/css"}
_CLIENT_COOKIE = "fewlabels_client"
_ANNOTATOR_COOKIE = "fewlabels_annotator"  # set by the page's script from localStorage
#: The most items the review page lists at once.
_REVIEW_SHOWN = 50
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_TOKEN_REFUSED = "writes need the session token (reload the page from `fewlabels label`)"
_RETRY_AFTER_S = 1
_BUSY_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">'
    f'<meta http-equiv="refresh" content="{_RETRY_AFTER_S + 1}"><title>fewlabels: busy</title>'
    "</head><body><p>labels.db is busy (another process is writing to it). "
    "This page reloads by itself in a moment.</p></body></html>"
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
    busy_timeout_s : float, default 5
        How long a request waits for another writer's lock on ``labels.db`` before it is
        answered 503 (the page then retries).
    annotator : str or None
        The annotator of this session (its write token): recorded as ``who`` with each
        label. None lets each page give its own name.
    preselect_guess : bool or None
        Highlight the model's guess among the class buttons; None takes ``[page]
        preselect_guess`` of ``fewlabels.toml`` (off by default: it invites anchoring).
    """

    token: str
    view_token: bool = False
    allowed_hosts: tuple[str, ...] | None = None
    busy_timeout_s: float = 5.0
    annotator: str | None = None
    preselect_guess: bool | None = None

    def __post_init__(self) -> None:
        if self.annotator is not None:
            object.__setattr__(self, "annotator", check_annotator(self.annotator))


def _data_root(workspace: Workspace) -> Path | None:
    """The folder image files must resolve into (the data folder), None for other sources."""
    data = workspace.config.data
    if data.kind != "folder":
        return None
    return Path(data.source).expanduser().resolve()


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
        from starlette.concurrency import run_in_threadpool
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise MissingExtraError(
            "The labelling page needs fastapi, uvicorn and jinja2: pip install 'fewlabels[app]'"
        ) from exc

    cfg = settings or AppSettings(token=secrets.token_urlsafe(24))
    store: LabelStore = workspace.store.with_busy_timeout(cfg.busy_timeout_s)
    dataset = workspace.source_dataset()
    data_root = _data_root(workspace)
    positions = {str(i): k for k, i in enumerate(dataset.ids)}
    classes = list(workspace.config.classes)
    static_files = {name: (_HERE / "static" / name).read_bytes() for name in _STATIC}
    env = Environment(
        loader=FileSystemLoader(str(_HERE / "templates")),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    page = env.get_template("page.html")
    review_page = env.get_template("review.html")
    audit_cache: dict[str, Any] = {}
    from fewlabels.app.grid import GridContext, install_grid, suggest_command, workspace_command
    from fewlabels.app.keys import class_keys
    from fewlabels.workspace.context import context_columns

    keys = class_keys(classes)
    multilabel = workspace.multilabel
    context = context_columns(workspace.config.data, workspace.config.page.context)
    preselect = (
        workspace.config.page.preselect_guess
        if cfg.preselect_guess is None
        else cfg.preselect_guess
    )
    next_command = suggest_command(workspace)
    status_command = workspace_command(workspace, "status")

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

    def _client(request: Request) -> tuple[str, bool]:
        cid = request.cookies.get(_CLIENT_COOKIE, "")
        if len(cid) == 32 and all(c in "0123456789abcdef" for c in cid):
            return cid, False
        return secrets.token_hex(16), True

    async def _write_body(
        request: Request, *, required: tuple[str, ...] = (), optional: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """The checked body of a write, after its token (header first, else the body's)."""
        header = request.headers.get("x-fewlabels-token")
        if header is not None and not _token_ok(header):
            raise BodyError(403, _TOKEN_REFUSED)
        try:
            raw = await read_capped(request.stream(), declared=declared_length(request.headers))
        except BodyError:
            if header is None:  # no token seen: refused as unauthorised, unread
                raise BodyError(403, _TOKEN_REFUSED) from None
            raise
        data = parse_json(raw)
        if header is None and not _token_ok(body_token(data)):
            raise BodyError(403, _TOKEN_REFUSED)
        return check_body(data, required=required, optional=optional)

    def _known(item_id: str) -> bool:
        return item_id in positions and store.has_item(item_id)

    def _page_annotator(request: Request) -> str | None:
        """The annotator of a page view: the session's, else the page's cookie (if valid)."""
        if cfg.annotator is not None:
            return cfg.annotator
        from urllib.parse import unquote

        raw = request.cookies.get(_ANNOTATOR_COOKIE)
        if not raw:
            return None
        try:
            return check_annotator(unquote(raw))
        except FewlabelsError:
            return None

    def _who(request: Request, body: dict[str, Any]) -> str:
        """Who makes a write: the session's annotator, the body's, else ``page:<client>``.

        Raises
        ------
        BodyError
            422 when the body names an invalid annotator (empty, too long).
        """
        if cfg.annotator is not None:
            return cfg.annotator
        name = body.get("annotator")
        if name is not None:
            try:
                return check_annotator(name)
            except FewlabelsError as exc:
                raise BodyError(422, str(exc)) from None
        client, _ = _client(request)
        return f"page:{client[:8]}"

    def _view(item_id: str) -> Any:
        from fewlabels.app.media import item_view

        return item_view(dataset, positions[item_id])

    def _not_an_item() -> Any:
        return JSONResponse({"error": "not an item of this workspace"}, status_code=404)

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request) -> Any:  # a plain def: FastAPI runs it in a worker thread
        client, new = _client(request)
        who = _page_annotator(request) or f"page:{client[:8]}"
        rnd = store.latest_round()
        item_id = store.next_item(client=client, annotator=who) if rnd is not None else None
        prog = store.progress() if rnd is not None else None
        guess = confidence = None
        view = None
        label_proba: dict[str, int] = {}
        guess_set: list[str] = []
        if rnd is not None and item_id is not None:
            k = rnd.item_ids.index(item_id)
            guess, confidence = rnd.guesses[k], rnd.confidences[k]
            if multilabel:
                label_proba, guess_set = _multilabel_guess(rnd.metrics, item_id, classes)
                guess = None
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
            guess_from=None if rnd is None else rnd.metrics.get("guesses_from"),
            confidence=None if confidence is None else round(100 * confidence),
            progress=prog,
            counts=store.label_counts(),
            annotator=cfg.annotator,
            n_review=_n_conflicts(),
            second=rnd is not None and item_id in rnd.second_ids,
            class_keys=list(zip(classes, keys, strict=True)),
            preselect=preselect,
            context=context.get(item_id, []) if item_id is not None else [],
            next_command=next_command,
            status_command=status_command,
            multilabel=multilabel,
            label_proba=label_proba,
            guess_set=guess_set,
            sets=store.current_label_sets(with_excluded=False) if multilabel else {},
        )
        response = HTMLResponse(html)
        if new:
            response.set_cookie(_CLIENT_COOKIE, client, httponly=True, samesite="strict")
        return response

    def _n_conflicts() -> int:
        from fewlabels.workspace.review import review_queue

        return len(review_queue(store.votes(), store.current_labels(), excluded=store.excluded()))

    @app.get("/review", response_class=HTMLResponse)
    def review(request: Request, refresh: int = 0) -> Any:  # a worker thread
        from fewlabels.workspace.review import review_queue

        client, new = _client(request)
        note = None
        if refresh or "audit" not in audit_cache:
            try:
                audit_cache["audit"] = workspace.audit()
            except FewlabelsError as exc:  # too few labels, say: the conflicts still show
                audit_cache["audit"] = None
                note = str(exc)
        audit = audit_cache.get("audit")
        queue = review_queue(
            store.votes(),
            store.current_labels(),
            excluded=store.excluded(),
            audit_rows=() if audit is None else audit.rows,
        )
        shown = [(it, _view(it.item_id)) for it in queue[:_REVIEW_SHOWN] if it.item_id in positions]
        html = review_page.render(
            token=cfg.token,
            query=f"?token={cfg.token}" if cfg.view_token else "",
            items=shown,
            n_total=len(queue),
            classes=classes,
            annotator=cfg.annotator,
            note=note,
            audited=audit is not None,
        )
        response = HTMLResponse(html)
        if new:
            response.set_cookie(_CLIENT_COOKIE, client, httponly=True, samesite="strict")
        return response

    @app.get("/media")
    def media(id: str = "") -> Any:  # a plain def: FastAPI runs it in a worker thread
        if not _known(id):
            return _not_an_item()
        from fewlabels.app.media import image_bytes

        try:
            data, media_type = image_bytes(dataset, positions[id], root=data_root)
        except (OSError, ValueError):
            return JSONResponse({"error": "this item has no readable image"}, status_code=404)
        return Response(data, media_type=media_type)

    @app.get("/static/{name}")
    async def static(name: str) -> Any:  # from memory: never waits for a worker thread
        if name not in _STATIC:
            return JSONResponse({"error": "not found"}, status_code=404)
        return Response(static_files[name], media_type=_STATIC[name])

    @app.post("/api/label")
    async def label(request: Request) -> Any:
        if multilabel:
            return await _label_set(request)
        body = await _write_body(request, required=("item_id", "label"), optional=("annotator",))
        item_id, value = body["item_id"], body["label"]
        if not await run_in_threadpool(_known, item_id):
            return _not_an_item()
        if value not in classes:
            return JSONResponse({"error": f"label must be one of {classes}"}, status_code=422)
        who = _who(request, body)
        seq = await run_in_threadpool(
            lambda: store.add_label(item_id, value, who=who, source="human")
        )
        return {"seq": seq, "item_id": item_id, "label": value, "who": who}

    async def _label_set(request: Request) -> Any:
        """A multi-label page's write: ``{"item_id", "labels": [...]}``, ``[]`` the empty set."""
        body = await _write_body(request, required=("item_id", "labels"), optional=("annotator",))
        item_id, values = body["item_id"], body["labels"]
        if not await run_in_threadpool(_known, item_id):
            return _not_an_item()
        outside = [v for v in values if v not in classes]
        if outside:
            return JSONResponse(
                {
                    "error": f"labels must be among the classes {classes}, but got {outside}; "
                    "nothing was saved"
                },
                status_code=422,
            )
        who = _who(request, body)
        ordered = [c for c in classes if c in values]
        seq = await run_in_threadpool(
            lambda: store.add_label_sets([(item_id, ordered)], who=who, source="human")[0]
        )
        return {"seq": seq, "item_id": item_id, "labels": ordered, "who": who}

    @app.post("/api/skip")
    async def skip(request: Request) -> Any:
        body = await _write_body(request, required=("item_id",), optional=("annotator",))
        item_id = body["item_id"]
        rnd = await run_in_threadpool(store.latest_round)
        if (
            rnd is None
            or item_id not in rnd.item_ids
            or not await run_in_threadpool(_known, item_id)
        ):
            return JSONResponse({"error": "not an item of the current round"}, status_code=404)
        await run_in_threadpool(store.skip, rnd.id, item_id)
        return {"skipped": item_id}

    @app.post("/api/undo")
    async def undo(request: Request) -> Any:
        body = await _write_body(request, optional=("seq", "annotator"))
        client, _ = _client(request)
        seq = body.get("seq")
        who = _who(request, body)
        try:
            ev = await run_in_threadpool(
                lambda: store.undo(seq, who=None if seq is not None else who)
            )
        except UndoConflictError as exc:
            return JSONResponse({"error": str(exc)}, status_code=409)
        await run_in_threadpool(store.lease, ev.item_id, client)
        out: dict[str, Any] = {"item_id": ev.item_id, "label": ev.label, "seq": ev.seq}
        if multilabel:
            out["labels"] = None if ev.label is None else list(decode_label_set(ev.label))
        return out

    async def _set_excluded(request: Request, *, excluded: bool) -> Any:
        """Exclude an item or bring it back; an unknown item or a no-op is refused."""
        body = await _write_body(request, required=("item_id",), optional=("annotator",))
        item_id = body["item_id"]
        if not await run_in_threadpool(_known, item_id):
            return _not_an_item()
        who = _who(request, body)
        change = store.exclude if excluded else store.include
        try:
            rec = await run_in_threadpool(lambda: change(item_id, who=who))
        except StateError as exc:
            return JSONResponse({"error": str(exc)}, status_code=409)
        if not excluded:  # it shows again on this page
            client, _ = _client(request)
            await run_in_threadpool(store.lease, item_id, client)
        return {"item_id": item_id, "excluded": excluded, "seq": rec.seq, "who": who}

    @app.post("/api/exclude")
    async def exclude(request: Request) -> Any:
        """Exclude an item ("none of these"): it leaves the pool and counts as done."""
        return await _set_excluded(request, excluded=True)

    @app.post("/api/include")
    async def include(request: Request) -> Any:
        """Bring an excluded item back (the page's undo of "none of these"); it shows again."""
        return await _set_excluded(request, excluded=False)

    @app.post("/api/review")
    async def review_decision(request: Request) -> Any:
        """Keep, change or exclude an item of the review queue; the later decision wins."""
        body = await _write_body(
            request, required=("item_id", "action"), optional=("label", "annotator")
        )
        item_id, action, value = body["item_id"], body["action"], body.get("label")
        if action not in REVIEW_ACTIONS:
            return JSONResponse(
                {"error": f"action must be one of {list(REVIEW_ACTIONS)}"}, status_code=422
            )
        if action == "change" and value not in classes:
            return JSONResponse({"error": f"label must be one of {classes}"}, status_code=422)
        who = _who(request, body)
        try:
            ev = await run_in_threadpool(
                lambda: store.review(
                    item_id, action, who=who, label=value if action == "change" else None
                )
            )
        except MissingKeyError as exc:
            return JSONResponse({"error": str(exc)}, status_code=410)
        except StateError as exc:
            return JSONResponse({"error": str(exc)}, status_code=409)
        except FewlabelsError as exc:
            return JSONResponse({"error": str(exc)}, status_code=422)
        label = getattr(ev, "label", None)
        return {"item_id": item_id, "action": action, "label": label, "seq": ev.seq, "who": who}

    @app.post("/api/close-round")
    async def close_round(request: Request) -> Any:
        body = await _write_body(request, required=("round_id",), optional=("annotator",))
        rnd = await run_in_threadpool(store.latest_round)
        if rnd is None or rnd.id != body["round_id"]:
            return JSONResponse(
                {"error": "only the current round can be closed (reload the page)"},
                status_code=409,
            )
        left = await run_in_threadpool(store.close_round, rnd.id)
        return {"round_id": rnd.id, "left": len(left)}

    install_grid(
        app,
        GridContext(
            workspace=workspace,
            store=store,
            classes=classes,
            positions=positions,
            env=env,
            token=cfg.token,
            query=f"?token={cfg.token}" if cfg.view_token else "",
            view=_view,
            context=context,
            keys=keys,
            write_body=_write_body,
            who=_who,
            audit_cache=audit_cache,
            multilabel=multilabel,
        ),
    )
    return app


def _multilabel_guess(
    metrics: dict[str, Any], item_id: str, classes: list[str]
) -> tuple[dict[str, int], list[str]]:
    """The model's per-class probabilities (percent) of an item of a multi-label round and the
    classes of its predicted set; empty when the round had no model."""
    proba = (metrics.get("label_proba") or {}).get(item_id)
    picked = (metrics.get("guess_sets") or {}).get(item_id) or []
    if not isinstance(proba, list) or len(proba) != len(classes):
        return {}, []
    shown = {c: round(100 * float(p)) for c, p in zip(classes, proba, strict=True)}
    return shown, [classes[k] for k in picked if isinstance(k, int) and 0 <= k < len(classes)]


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
