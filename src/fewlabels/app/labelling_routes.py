"""The labelling page's routes: the item to label (``GET /``), its image (``GET /media``) and
the writes of one item: label (a class, or a set in a multi-label workspace), skip, undo,
exclude ("none of these"), include, and closing the round."""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations (Request).
from typing import Any

from fewlabels.app.page_context import CLIENT_COOKIE, PageContext, not_an_item
from fewlabels.errors import StateError
from fewlabels.store import UndoConflictError, decode_label_set


def install_labelling(app: Any, ctx: PageContext) -> None:
    """Add the labelling page and its writes to ``app``."""
    from fastapi import Request
    from fastapi.responses import HTMLResponse, JSONResponse, Response
    from starlette.concurrency import run_in_threadpool

    from fewlabels.app.grid import suggest_command, workspace_command
    from fewlabels.app.keys import class_keys
    from fewlabels.workspace.context import context_columns

    workspace, store, cfg, classes = ctx.workspace, ctx.store, ctx.settings, ctx.classes
    multilabel = ctx.multilabel
    page = ctx.env.get_template("page.html")
    keys = class_keys(classes)
    context = context_columns(workspace.config.data, workspace.config.page.context)
    preselect = (
        workspace.config.page.preselect_guess
        if cfg.preselect_guess is None
        else cfg.preselect_guess
    )
    next_command = suggest_command(workspace)
    status_command = workspace_command(workspace, "status")

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request) -> Any:  # a plain def: FastAPI runs it in a worker thread
        client, new = ctx.client(request)
        who = ctx.page_annotator(request) or f"page:{client[:8]}"
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
                label_proba, guess_set = multilabel_guess(rnd.metrics, item_id, classes)
                guess = None
            view = ctx.view(item_id)
        html = page.render(
            token=cfg.token,
            query=ctx.query,
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
            n_review=ctx.n_conflicts(),
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
            response.set_cookie(CLIENT_COOKIE, client, httponly=True, samesite="strict")
        return response

    @app.get("/media")
    def media(id: str = "") -> Any:  # a plain def: FastAPI runs it in a worker thread
        if not ctx.known(id):
            return not_an_item()
        from fewlabels.app.media import image_bytes

        try:
            data, media_type = image_bytes(ctx.dataset, ctx.positions[id], root=ctx.data_root)
        except (OSError, ValueError):
            return JSONResponse({"error": "this item has no readable image"}, status_code=404)
        return Response(data, media_type=media_type)

    @app.post("/api/label")
    async def label(request: Request) -> Any:
        if multilabel:
            return await _label_set(request)
        body = await ctx.write_body(request, required=("item_id", "label"), optional=("annotator",))
        item_id, value = body["item_id"], body["label"]
        if not await run_in_threadpool(ctx.known, item_id):
            return not_an_item()
        if value not in classes:
            return JSONResponse({"error": f"label must be one of {classes}"}, status_code=422)
        who = ctx.who(request, body)
        seq = await run_in_threadpool(
            lambda: store.add_label(item_id, value, who=who, source="human")
        )
        return {"seq": seq, "item_id": item_id, "label": value, "who": who}

    async def _label_set(request: Request) -> Any:
        """A multi-label page's write: ``{"item_id", "labels": [...]}``, ``[]`` the empty set."""
        body = await ctx.write_body(
            request, required=("item_id", "labels"), optional=("annotator",)
        )
        item_id, values = body["item_id"], body["labels"]
        if not await run_in_threadpool(ctx.known, item_id):
            return not_an_item()
        outside = [v for v in values if v not in classes]
        if outside:
            return JSONResponse(
                {
                    "error": f"labels must be among the classes {classes}, but got {outside}; "
                    "nothing was saved"
                },
                status_code=422,
            )
        who = ctx.who(request, body)
        ordered = [c for c in classes if c in values]
        seq = await run_in_threadpool(
            lambda: store.add_label_sets([(item_id, ordered)], who=who, source="human")[0]
        )
        return {"seq": seq, "item_id": item_id, "labels": ordered, "who": who}

    @app.post("/api/skip")
    async def skip(request: Request) -> Any:
        body = await ctx.write_body(request, required=("item_id",), optional=("annotator",))
        item_id = body["item_id"]
        rnd = await run_in_threadpool(store.latest_round)
        if (
            rnd is None
            or item_id not in rnd.item_ids
            or not await run_in_threadpool(ctx.known, item_id)
        ):
            return JSONResponse({"error": "not an item of the current round"}, status_code=404)
        await run_in_threadpool(store.skip, rnd.id, item_id)
        return {"skipped": item_id}

    @app.post("/api/undo")
    async def undo(request: Request) -> Any:
        body = await ctx.write_body(request, optional=("seq", "annotator"))
        client, _ = ctx.client(request)
        seq = body.get("seq")
        who = ctx.who(request, body)
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
        body = await ctx.write_body(request, required=("item_id",), optional=("annotator",))
        item_id = body["item_id"]
        if not await run_in_threadpool(ctx.known, item_id):
            return not_an_item()
        who = ctx.who(request, body)
        change = store.exclude if excluded else store.include
        try:
            rec = await run_in_threadpool(lambda: change(item_id, who=who))
        except StateError as exc:
            return JSONResponse({"error": str(exc)}, status_code=409)
        if not excluded:  # it shows again on this page
            client, _ = ctx.client(request)
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

    @app.post("/api/close-round")
    async def close_round(request: Request) -> Any:
        body = await ctx.write_body(request, required=("round_id",), optional=("annotator",))
        rnd = await run_in_threadpool(store.latest_round)
        if rnd is None or rnd.id != body["round_id"]:
            return JSONResponse(
                {"error": "only the current round can be closed (reload the page)"},
                status_code=409,
            )
        left = await run_in_threadpool(store.close_round, rnd.id)
        return {"round_id": rnd.id, "left": len(left)}


def multilabel_guess(
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
