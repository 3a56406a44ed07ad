"""What every route of the page shares: the workspace, its store, the session's settings, and
the checks of a request (its token, its body, its client and annotator), built once by
:func:`fewlabels.app.server.create_app`."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
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
from fewlabels.app.settings import AppSettings
from fewlabels.data.dataset import Dataset
from fewlabels.errors import FewlabelsError
from fewlabels.store import LabelStore, check_annotator
from fewlabels.workspace import Workspace

CLIENT_COOKIE = "fewlabels_client"
ANNOTATOR_COOKIE = "fewlabels_annotator"  # set by the page's script from localStorage
TOKEN_REFUSED = "writes need the session token (reload the page from `fewlabels label`)"


@dataclass
class PageContext:
    """The state the page's routes share (one per server).

    Parameters
    ----------
    workspace : Workspace
    store : LabelStore
        The workspace's store with the session's busy timeout.
    settings : AppSettings
    dataset : Dataset
        The source pool (items are looked up in it by id, through ``positions``).
    env : jinja2.Environment
        The page's templates.
    """

    workspace: Workspace
    store: LabelStore
    settings: AppSettings
    dataset: Dataset
    env: Any
    positions: dict[str, int] = field(init=False)
    classes: list[str] = field(init=False)
    multilabel: bool = field(init=False)
    data_root: Path | None = field(init=False)
    audit_cache: dict[str, Any] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.positions = {str(i): k for k, i in enumerate(self.dataset.ids)}
        self.classes = list(self.workspace.config.classes)
        self.multilabel = self.workspace.multilabel
        data = self.workspace.config.data  # image files must resolve into the data folder
        self.data_root = Path(data.source).expanduser().resolve() if data.kind == "folder" else None

    @property
    def token(self) -> str:
        return self.settings.token

    @property
    def query(self) -> str:
        """The query string a link needs to view a page (the token, when views need it)."""
        return f"?token={self.settings.token}" if self.settings.view_token else ""

    def token_ok(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(
            given.encode(), self.settings.token.encode()
        )

    def client(self, request: Any) -> tuple[str, bool]:
        """The page's client id (its cookie) and whether it is new."""
        cid = request.cookies.get(CLIENT_COOKIE, "")
        if len(cid) == 32 and all(c in "0123456789abcdef" for c in cid):
            return cid, False
        return secrets.token_hex(16), True

    async def write_body(
        self, request: Any, *, required: tuple[str, ...] = (), optional: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """The checked body of a write, after its token (header first, else the body's)."""
        header = request.headers.get("x-fewlabels-token")
        if header is not None and not self.token_ok(header):
            raise BodyError(403, TOKEN_REFUSED)
        try:
            raw = await read_capped(request.stream(), declared=declared_length(request.headers))
        except BodyError:
            if header is None:  # no token seen: refused as unauthorised, unread
                raise BodyError(403, TOKEN_REFUSED) from None
            raise
        data = parse_json(raw)
        if header is None and not self.token_ok(body_token(data)):
            raise BodyError(403, TOKEN_REFUSED)
        return check_body(data, required=required, optional=optional)

    def known(self, item_id: str) -> bool:
        return item_id in self.positions and self.store.has_item(item_id)

    def page_annotator(self, request: Any) -> str | None:
        """The annotator of a page view: the session's, else the page's cookie (if valid)."""
        if self.settings.annotator is not None:
            return self.settings.annotator
        from urllib.parse import unquote

        raw = request.cookies.get(ANNOTATOR_COOKIE)
        if not raw:
            return None
        try:
            return check_annotator(unquote(raw))
        except FewlabelsError:
            return None

    def who(self, request: Any, body: dict[str, Any]) -> str:
        """Who makes a write: the session's annotator, the body's, else ``page:<client>``.

        Raises
        ------
        BodyError
            422 when the body names an invalid annotator (empty, too long).
        """
        if self.settings.annotator is not None:
            return self.settings.annotator
        name = body.get("annotator")
        if name is not None:
            try:
                return check_annotator(name)
            except FewlabelsError as exc:
                raise BodyError(422, str(exc)) from None
        client, _ = self.client(request)
        return f"page:{client[:8]}"

    def view(self, item_id: str) -> Any:
        """How an item shows (:func:`fewlabels.app.media.item_view`)."""
        from fewlabels.app.media import item_view

        return item_view(self.dataset, self.positions[item_id])

    def n_conflicts(self) -> int:
        """How many items wait for review as annotator conflicts."""
        from fewlabels.workspace.review import review_queue

        store = self.store
        return len(review_queue(store.votes(), store.current_labels(), excluded=store.excluded()))

    def shown_label(self, label: str | None) -> str | None:
        """A label as the page says it: a multi-label set as ``{a, b}`` (``no labels``)."""
        if label is None or not self.multilabel:
            return label
        from fewlabels.store import decode_label_set

        names = decode_label_set(label)
        return "{" + ", ".join(names) + "}" if names else "no labels"


def not_an_item() -> Any:
    """The answer about an id that is no item of the workspace (404)."""
    from fastapi.responses import JSONResponse

    return JSONResponse({"error": "not an item of this workspace"}, status_code=404)
