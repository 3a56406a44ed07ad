"""The JSON body of a page write: read under a size cap, parsed safely, checked for shape.

Every write body is a small JSON object (``{"item_id": "...", "label": "..."}``). Anything
else is answered with a status code, never a server error: a body over :data:`MAX_BODY_BYTES`
is refused as soon as its ``Content-Length`` says so, or as soon as a chunked body has sent
more (413), without reading the rest; JSON that does not parse, nests too deep or is not an
object, and fields of the wrong type or out of range, are a 400.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

#: The largest write body read (a real one is under 200 bytes).
MAX_BODY_BYTES = 64 * 1024
#: The largest string field (an item id, a class name, a token).
MAX_STRING = 4096
#: Integer fields (``seq``, ``round_id``) are history rows or round ids: SQLite integers.
MAX_INT = 2**63 - 1

#: The type of each field a write body may carry.
FIELD_TYPES: dict[str, type] = {
    "item_id": str,
    "label": str,
    "seq": int,
    "round_id": int,
    "token": str,
    "annotator": str,
    "action": str,
    "batch": str,
    "items": list,
    "labels": list,
}

#: The most items one grid write carries.
MAX_ITEMS = 200


class BodyError(Exception):
    """A write body the page refuses: ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def declared_length(headers: Mapping[str, str]) -> int | None:
    """The ``Content-Length`` of a request, None when absent (a chunked body).

    Raises
    ------
    BodyError
        400 when the header is not a non-negative integer.
    """
    raw = headers.get("content-length")
    if raw is None:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise BodyError(400, f"Content-Length must be a byte count, but got {raw[:40]!r}.")
    return int(raw)


async def read_capped(
    chunks: AsyncIterator[bytes], *, declared: int | None, cap: int = MAX_BODY_BYTES
) -> bytes:
    """Read a body of at most ``cap`` bytes, stopping as soon as it is known to be longer.

    Raises
    ------
    BodyError
        413 when ``declared`` (the Content-Length) or the bytes received exceed ``cap``.
    """
    too_big = BodyError(413, f"A write body is at most {cap} bytes; this one is longer.")
    if declared is not None and declared > cap:
        raise too_big
    parts: list[bytes] = []
    total = 0
    async for chunk in chunks:
        total += len(chunk)
        if total > cap:
            raise too_big
        parts.append(chunk)
    return b"".join(parts)


def parse_json(raw: bytes) -> Any:
    """The JSON value of ``raw``, or :data:`INVALID` when it is not JSON (or nests too deep)."""
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return INVALID


INVALID: Any = object()


def body_token(data: Any) -> str | None:
    """The ``token`` field of a parsed body, when it is an object with a string token."""
    if isinstance(data, dict):
        token = data.get("token")
        if isinstance(token, str) and len(token) <= MAX_STRING:
            return token
    return None


def check_body(
    data: Any, *, required: tuple[str, ...] = (), optional: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Check a parsed body: an object with the ``required`` fields, no unknown ones, each of
    its type (:data:`FIELD_TYPES`; ``None`` allowed for optional ones) and within range.

    Raises
    ------
    BodyError
        400, saying which field is wrong and what was expected.
    """
    if data is INVALID:
        raise BodyError(400, 'The body must be JSON (an object such as {"item_id": "..."}).')
    if not isinstance(data, dict):
        raise BodyError(
            400, f"The body must be a JSON object, but it is a JSON {type(data).__name__}."
        )
    allowed = set(required) | set(optional) | {"token"}
    unknown = sorted(str(k)[:40] for k in data if k not in allowed)
    if unknown:
        raise BodyError(400, f"Unknown field(s) {unknown}; expected only {sorted(allowed)}.")
    missing = [k for k in required if k not in data]
    if missing:
        raise BodyError(400, f"Missing field(s) {missing}.")
    out: dict[str, Any] = {}
    for key, value in data.items():
        if value is None and key not in required:
            out[key] = None
            continue
        kind = FIELD_TYPES[key]
        if kind is list:
            out[key] = check_label_list(value) if key == "labels" else check_grid_items(value)
            continue
        if kind is int:
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_INT:
                raise BodyError(400, f"Field {key!r} must be an integer between 0 and {MAX_INT}.")
        elif not isinstance(value, str) or len(value) > MAX_STRING:
            raise BodyError(400, f"Field {key!r} must be a string of at most {MAX_STRING} chars.")
        out[key] = value
    return out


def check_label_list(value: Any) -> list[str]:
    """The ``labels`` of a multi-label write: a list of class names, possibly empty.

    Repeats collapse (first one kept); whether each is a class is checked by the route.

    Raises
    ------
    BodyError
        400 when it is not a list of strings, or longer than :data:`MAX_ITEMS`.
    """
    if (
        not isinstance(value, list)
        or len(value) > MAX_ITEMS
        or not all(isinstance(v, str) and len(v) <= MAX_STRING for v in value)
    ):
        raise BodyError(
            400,
            f"Field 'labels' must be a list of class names (at most {MAX_ITEMS}; [] for none "
            "of the labels).",
        )
    return list(dict.fromkeys(value))


def check_grid_items(value: Any) -> list[tuple[str, int | None]]:
    """The ``items`` of a grid write: ``[{"id": "...", "seen": seq or null}, ...]``.

    ``seen`` is the ``seq`` of the current label the page showed for the item (null: shown
    unlabelled). At most :data:`MAX_ITEMS` items.

    Raises
    ------
    BodyError
        400, saying which item is wrong.
    """
    shape = 'a list of {"id": "...", "seen": null or a label seq}'
    if not isinstance(value, list) or not value or len(value) > MAX_ITEMS:
        raise BodyError(400, f"Field 'items' must be {shape}, with 1 to {MAX_ITEMS} items.")
    out: list[tuple[str, int | None]] = []
    for k, item in enumerate(value):
        if not isinstance(item, dict) or set(item) != {"id", "seen"}:
            raise BodyError(400, f"Item {k} of 'items' must be an object with id and seen.")
        item_id, seen = item["id"], item["seen"]
        if not isinstance(item_id, str) or len(item_id) > MAX_STRING:
            raise BodyError(400, f"Item {k} of 'items': id must be a string.")
        if seen is not None and (
            isinstance(seen, bool) or not isinstance(seen, int) or not 0 <= seen <= MAX_INT
        ):
            raise BodyError(400, f"Item {k} of 'items': seen must be null or a label seq.")
        out.append((item_id, seen))
    return out
