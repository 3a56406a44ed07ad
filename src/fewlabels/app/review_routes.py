"""The review page's routes: ``GET /review`` (annotator conflicts and the labels the audit
flags) and ``POST /api/review`` (keep, change or exclude).

In a multi-label workspace a review item is a conflict between annotators' label sets (the
audit of label sets is not built: the page says so). "Change" then picks one of the sets
the annotators gave, sent as ``{"action": "change", "labels": [...]}``; any other set is
labelled from the command line (``fewlabels label ID --labels a,b``), as the page says.
"""

import json
from typing import Any

from fewlabels.app.page_context import CLIENT_COOKIE, PageContext
from fewlabels.errors import FewlabelsError, MissingKeyError, StateError
from fewlabels.store import REVIEW_ACTIONS, encode_label_set

#: The most items the review page lists at once.
REVIEW_SHOWN = 50


def install_review(app: Any, ctx: PageContext) -> None:
    """Add the review page and its decisions to ``app``."""
    from fastapi import Request
    from fastapi.responses import HTMLResponse, JSONResponse
    from starlette.concurrency import run_in_threadpool

    from fewlabels.app.grid import workspace_command

    store, classes, multilabel = ctx.store, ctx.classes, ctx.multilabel
    review_page = ctx.env.get_template("review.html")
    label_command = workspace_command(ctx.workspace, "label")

    def set_choices(item: Any) -> list[tuple[str, str]]:
        """The sets the annotators gave an item, other than its current one: (JSON list of
        the set, the set as the page says it)."""
        sets = dict.fromkeys(v for v in item.votes.values() if v != item.given)
        return [
            (json.dumps(json.loads(text)), str(ctx.shown_label(text)))
            for text in sorted(sets)
            if text is not None
        ]

    @app.get("/review", response_class=HTMLResponse)
    def review(request: Request, refresh: int = 0) -> Any:  # a worker thread
        from fewlabels.workspace.review import review_queue

        client, new = ctx.client(request)
        note = None
        if refresh or "audit" not in ctx.audit_cache:
            try:
                ctx.audit_cache["audit"] = ctx.workspace.audit()
            except FewlabelsError as exc:  # too few labels, say: the conflicts still show
                ctx.audit_cache["audit"] = None
                note = str(exc)
        audit = ctx.audit_cache.get("audit")
        queue = review_queue(
            store.votes(),
            store.current_labels(),
            excluded=store.excluded(),
            audit_rows=() if audit is None else audit.rows,
        )
        shown = [
            (it, ctx.view(it.item_id)) for it in queue[:REVIEW_SHOWN] if it.item_id in ctx.positions
        ]
        html = review_page.render(
            token=ctx.token,
            query=ctx.query,
            items=shown,
            n_total=len(queue),
            classes=classes,
            annotator=ctx.settings.annotator,
            note=note,
            audited=audit is not None,
            multilabel=multilabel,
            shown=ctx.shown_label,
            set_choices=set_choices,
            label_command=label_command,
        )
        response = HTMLResponse(html)
        if new:
            response.set_cookie(CLIENT_COOKIE, client, httponly=True, samesite="strict")
        return response

    @app.post("/api/review")
    async def review_decision(request: Request) -> Any:
        """Keep, change or exclude an item of the review queue; the later decision wins."""
        body = await ctx.write_body(
            request, required=("item_id", "action"), optional=("label", "labels", "annotator")
        )
        item_id, action, value = body["item_id"], body["action"], body.get("label")
        if action not in REVIEW_ACTIONS:
            return JSONResponse(
                {"error": f"action must be one of {list(REVIEW_ACTIONS)}"}, status_code=422
            )
        if multilabel:
            refused = _check_set_change(action, value, body.get("labels"), classes)
            if refused is not None:
                return JSONResponse({"error": refused}, status_code=422)
            if action == "change":
                value = encode_label_set(body["labels"], classes)
        elif body.get("labels") is not None:
            return JSONResponse(
                {"error": "labels (a set) is for a multi-label workspace: send label"},
                status_code=422,
            )
        elif action == "change" and value not in classes:
            return JSONResponse({"error": f"label must be one of {classes}"}, status_code=422)
        who = ctx.who(request, body)
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
        out = {"item_id": item_id, "action": action, "label": label, "seq": ev.seq, "who": who}
        if multilabel and label is not None:
            out["labels"] = list(json.loads(label))
        return out


def _check_set_change(
    action: str, label: str | None, labels: list[str] | None, classes: list[str]
) -> str | None:
    """Why a multi-label review decision is refused (None when it is fine)."""
    if label is not None:
        return (
            "this workspace labels sets of classes: send labels (a list, [] for none) "
            "with the action 'change', not label"
        )
    if action != "change":
        return (
            None if labels is None else f"labels go with the action 'change' only, not {action!r}"
        )
    if labels is None:
        return "the action 'change' needs labels: the new set (a list, [] for none)"
    outside = [v for v in labels if v not in classes]
    if outside:
        return f"labels must be among the classes {classes}, but got {outside}; nothing was saved"
    return None
