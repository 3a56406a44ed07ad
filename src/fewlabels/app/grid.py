"""The page's bulk views: the grid, search, browse and the confusion view, and their writes.

Routes (installed on the app by :func:`install_grid`):

* ``GET /grid?mode=...`` a grid of up to ``n`` items (default 24), each with a checkbox
  (checked when the item is unlabelled) and one action, "label all selected as X":
  ``mode=neighbours&item=ID`` (more like this), ``mode=cluster&item=ID`` (its TypiClust
  cluster), ``mode=search&q=...&how=lexical|semantic``, ``mode=confident&class=C`` (the
  unlabelled items the model puts in C with probability >= 0.8: accept all that are right),
  ``mode=browse&by=predicted|confidence|labelled[&class=C]`` and ``mode=item&item=ID``
  (relabel one item by id). ``?refresh=1`` refits the model and re-reads the embeddings.
* ``GET /confusion``: human labels against cross-fitted predictions (the audit), each cell a
  link to its items (``mode=audit&given=A&suggested=B``).
* ``POST /api/grid-label`` ``{"items": [{"id", "seen"}], "label"}``: one history row per
  item, in one transaction, all named by a new batch id. An item labelled by another page
  since this one showed it (its current label is not ``seen``) is left as it is and listed in
  ``changed`` with who labelled it; sending it again with the new ``seen`` labels it. In a
  multi-label workspace the action is "add class X to the selected items": each item's new
  set is its current set plus X (``{X}`` when unlabelled), see
  :meth:`fewlabels.store.LabelStore.add_to_label_sets`; the answer carries ``"added": true``.
* ``POST /api/undo-batch`` ``{"batch"}``: undoes the whole batch (409 when undone already).
"""

import secrets
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fewlabels.errors import FewlabelsError, MissingKeyError, StateError
from fewlabels.store import LabelStore, UndoConflictError, decode_label_set
from fewlabels.workspace import Workspace
from fewlabels.workspace.browse import MAX_GRID, Hit, PoolBrowser, confusion_counts

#: The grid modes and what their title says.
GRID_MODES = {
    "neighbours": "More like this",
    "cluster": "Its cluster",
    "search": "Search",
    "confident": "Accept all that are right",
    "browse": "Browse",
    "item": "One item",
    "audit": "Labels against the cross-fitted model",
}
DEFAULT_GRID = 24
#: What the grid's action does in a multi-label workspace (the page says it).
MULTILABEL_GRID = (
    "the action adds one class to each selected item's labels and keeps the labels it has "
    "(an unlabelled item gets just that class); to remove a class, label that item's set on "
    "its own (fewlabels label ID --labels a,b)"
)


@dataclass
class GridContext:
    """What the grid routes share with the rest of the page (built in ``create_app``)."""

    workspace: Workspace
    store: LabelStore
    classes: list[str]
    positions: dict[str, int]
    env: Any
    token: str
    query: str
    view: Callable[[str], Any]
    context: dict[str, list[tuple[str, str]]]
    keys: list[str | None]
    write_body: Callable[..., Any]
    who: Callable[[Any, dict[str, Any]], str]
    audit_cache: dict[str, Any]
    multilabel: bool = False


def workspace_command(workspace: Workspace, command: str) -> str:
    """``fewlabels COMMAND -w <this workspace>``, quoted for a shell."""
    return f"fewlabels {command} -w {shlex.quote(str(workspace.root))}"


def suggest_command(workspace: Workspace) -> str:
    """The exact command for the next round of this workspace."""
    return workspace_command(workspace, "suggest") + " -n 20"


def install_grid(app: Any, ctx: GridContext) -> PoolBrowser:
    """Add the grid, search, browse and confusion routes to ``app``; return their browser."""
    from fastapi import Request
    from fastapi.responses import HTMLResponse, JSONResponse
    from starlette.concurrency import run_in_threadpool

    browser = PoolBrowser(ctx.workspace)
    grid_page = ctx.env.get_template("grid.html")
    confusion_page = ctx.env.get_template("confusion.html")

    def _hits(params: dict[str, str], n: int) -> tuple[list[Hit], str]:
        """The items of a grid and a line saying what they are (raises FewlabelsError)."""
        mode = params.get("mode", "")
        item = params.get("item", "")
        if mode in ("neighbours", "cluster", "item") and not item:
            raise FewlabelsError(f"Expected ?item=ID with mode={mode}, but no item was given.")
        if mode == "neighbours":
            return browser.neighbours(item, n=n), f"the {n} items most like {item}"
        if mode == "cluster":
            return browser.cluster(item, n=n), f"the most typical items of {item}'s cluster"
        if mode == "item":
            browser.position(item)
            return [Hit(item, 1.0)], f"item {item}"
        if mode == "search":
            how = params.get("how", "lexical")
            hits = browser.search(params.get("q", ""), how=how, n=n)
            kind = "words" if how == "lexical" else "meaning"
            return hits, f"{len(hits)} item(s) matching {params.get('q', '').strip()!r} by {kind}"
        if mode == "confident":
            label = params.get("class", "")
            hits = browser.confident(label, n=n)
            return hits, (
                f"unlabelled items {browser.model} puts in {label!r} with probability >= 0.8: "
                "untick the wrong ones"
            )
        if mode == "browse":
            by, shown = params.get("by", "predicted"), params.get("class") or None
            hits = browser.browse(by, label=shown, n=n)
            what = {"predicted": "predicted as", "labelled": "labelled", "confidence": "by "}[by]
            tail = f" {shown!r}" if shown else ""
            if by == "confidence":
                return hits, f"the least sure predictions{tail and ' as' + tail} first"
            return hits, f"items {what}{tail}"
        if mode == "audit":
            audit = _audit()
            given, sugg = params.get("given"), params.get("suggested")
            rows = [r for r in audit.rows if r.given == given and r.suggested == sugg][:n]
            return [Hit(r.item_id, r.p_suggested) for r in rows], (
                f"labelled {given!r}, the cross-fitted model says {sugg!r}"
            )
        raise FewlabelsError(f"Expected a grid mode in {sorted(GRID_MODES)}, but got {mode!r}.")

    def _shown(label: str | None) -> str | None:
        """A current label as the page says it (a multi-label set as ``{a, b}``)."""
        if label is None or not ctx.multilabel:
            return label
        names = decode_label_set(label)
        return "{" + ", ".join(names) + "}" if names else "no labels"

    def _audit() -> Any:
        if ctx.audit_cache.get("audit") is None:
            ctx.audit_cache["audit"] = ctx.workspace.audit()
        return ctx.audit_cache["audit"]

    def _cards(hits: list[Hit]) -> list[dict[str, Any]]:
        current = ctx.store.current()
        cards = []
        for h in hits:
            if h.item_id not in ctx.positions:
                continue
            ev = current.get(h.item_id)
            shown = None if ev is None else _shown(ev.label)
            cards.append(
                {
                    "id": h.item_id,
                    "score": h.score,
                    "view": ctx.view(h.item_id),
                    "context": ctx.context.get(h.item_id, []),
                    "label": shown,
                    "who": None if ev is None else ev.who,
                    "seen": None if ev is None else ev.seq,
                }
            )
        return cards

    @app.get("/grid", response_class=HTMLResponse)
    def grid(request: Request) -> Any:  # a worker thread
        params = dict(request.query_params)
        if params.get("refresh"):
            browser.refresh()
            ctx.audit_cache.pop("audit", None)
        note, what, status = None, "", 200
        hits: list[Hit] = []
        try:
            n = int(params.get("n", DEFAULT_GRID))
            hits, what = _hits(params, max(1, min(n, MAX_GRID)))
        except ValueError as exc:  # FewlabelsError is one; so is a bad ?n=
            note, status = str(exc), 422
            if isinstance(exc, MissingKeyError):
                status = 404
        except StateError as exc:
            note, status = str(exc), 409
        mode = params.get("mode", "")
        html = grid_page.render(
            token=ctx.token,
            query=ctx.query,
            mode=mode,
            title=GRID_MODES.get(mode, "Grid"),
            what=what,
            note=note,
            cards=_cards(hits),
            classes=list(zip(ctx.classes, ctx.keys, strict=True)),
            params=params,
            offer_similar=mode == "search" and note is not None and "text side" in note,
            model=browser.model,
            multilabel_note=MULTILABEL_GRID if ctx.multilabel else None,
        )
        return HTMLResponse(html, status_code=status)

    @app.get("/confusion", response_class=HTMLResponse)
    def confusion(request: Request, refresh: int = 0) -> Any:  # a worker thread
        if refresh:
            ctx.audit_cache.pop("audit", None)
        note, matrix = None, None
        try:
            matrix = confusion_counts(_audit().rows, ctx.classes).tolist()
        except FewlabelsError as exc:
            note = str(exc)
        html = confusion_page.render(
            token=ctx.token, query=ctx.query, classes=ctx.classes, matrix=matrix, note=note
        )
        return HTMLResponse(html)

    @app.post("/api/grid-label")
    async def grid_label(request: Request) -> Any:
        body = await ctx.write_body(request, required=("items", "label"), optional=("annotator",))
        items, value = body["items"], body["label"]
        if value not in ctx.classes:
            return JSONResponse({"error": f"label must be one of {ctx.classes}"}, status_code=422)
        unknown = [i for i, _ in items if i not in ctx.positions]
        if unknown:
            return JSONResponse(
                {"error": f"not items of this workspace: {unknown[:10]}"}, status_code=404
            )
        who = ctx.who(request, body)
        batch = secrets.token_hex(8)
        write = ctx.store.add_to_label_sets if ctx.multilabel else ctx.store.add_batch
        try:
            out = await run_in_threadpool(
                lambda: write(items, value, batch=batch, who=who, source="human")
            )
        except FewlabelsError as exc:
            return JSONResponse({"error": str(exc)}, status_code=422)
        return {
            "batch": out.batch if out.written else None,
            "label": value,
            "added": ctx.multilabel,
            "written": list(out.written),
            "changed": [
                {"id": e.item_id, "label": _shown(e.label), "who": e.who, "seen": e.seq or None}
                for e in out.changed
            ],
            "who": who,
        }

    @app.post("/api/undo-batch")
    async def undo_batch(request: Request) -> Any:
        body = await ctx.write_body(request, required=("batch",), optional=("annotator",))
        try:
            out = await run_in_threadpool(lambda: ctx.store.undo_batch(body["batch"]))
        except UndoConflictError as exc:
            return JSONResponse({"error": str(exc)}, status_code=409)
        return {
            "batch": out.batch,
            "undone": [e.item_id for e in out.undone],
            "changed": out.changed,
        }

    return browser
