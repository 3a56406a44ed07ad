"""Write bodies of the page: token first, a size cap before reading, shape checked; never a 500."""

from __future__ import annotations

import json
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient

from fewlabels.app import AppSettings, create_app
from fewlabels.app.body import MAX_BODY_BYTES
from fewlabels.workspace import Workspace

TOKEN = "s3cret"
WRITES = ("/api/label", "/api/skip", "/api/undo", "/api/close-round")


@pytest.fixture
def client(ws: Workspace) -> TestClient:
    # a server error would raise here: these tests prove none happens
    return TestClient(create_app(ws, settings=AppSettings(token=TOKEN)))


def _post(client: TestClient, path: str, raw: bytes, *, token: bool) -> int:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["X-Fewlabels-Token"] = TOKEN
    return client.post(path, content=raw, headers=headers).status_code


ODD_BODIES = [
    b'{"token": 123}',
    b'{"token": ["s3cret"]}',
    b"[1, 2, 3]",
    b"true",
    b"null",
    b'"s3cret"',
    b"42",
    b"{not json",
    b"\xff\xfe\x00garbage",
    b"[" * 30_000 + b"]" * 30_000,  # nests past Python's recursion limit, under the size cap
    b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
    b'{"seq": ' + str(10**30).encode() + b"}",
]


@pytest.mark.parametrize("raw", ODD_BODIES, ids=lambda r: repr(r[:20]))
def test_odd_bodies_without_a_token_are_403(client: TestClient, raw: bytes) -> None:
    for path in WRITES:
        assert _post(client, path, raw, token=False) == 403, path


@pytest.mark.parametrize("raw", ODD_BODIES, ids=lambda r: repr(r[:20]))
def test_odd_bodies_with_the_token_are_400(client: TestClient, ws: Workspace, raw: bytes) -> None:
    for path in WRITES:
        assert _post(client, path, raw, token=True) == 400, path
    assert ws.store.history() == []


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/label", {"item_id": 5, "label": "a"}),
        ("/api/label", {"item_id": "t0", "label": True}),
        ("/api/label", {"item_id": "t0"}),
        ("/api/label", {"item_id": "t0", "label": "a", "extra": 1}),
        ("/api/label", {"item_id": "t0" * 5000, "label": "a"}),
        ("/api/skip", {"item_id": ["t0"]}),
        ("/api/skip", {}),
        ("/api/undo", {"seq": 10**30}),
        ("/api/undo", {"seq": -1}),
        ("/api/undo", {"seq": True}),
        ("/api/undo", {"seq": 1.5}),
        ("/api/undo", {"seq": "1"}),
        ("/api/close-round", {"round_id": "1"}),
        ("/api/close-round", {}),
    ],
)
def test_fields_of_the_wrong_type_or_range_are_400(
    client: TestClient, path: str, body: dict[str, Any]
) -> None:
    r = client.post(path, json=body, headers={"X-Fewlabels-Token": TOKEN})
    assert r.status_code == 400, r.text
    assert "error" in r.json()


def test_a_body_token_of_the_wrong_type_is_403_and_a_good_one_works(
    client: TestClient, ws: Workspace
) -> None:
    body: dict[str, Any] = {"item_id": "t0", "label": "a", "token": 123}
    assert client.post("/api/label", json=body).status_code == 403
    body["token"] = TOKEN
    assert client.post("/api/label", json=body).status_code == 200
    assert ws.store.current_labels() == {"t0": "a"}


def test_a_wrong_header_token_is_403_before_the_body_is_looked_at(client: TestClient) -> None:
    bad = {"X-Fewlabels-Token": "wrong", "Content-Type": "application/json"}
    for raw in (
        b"[",
        b"true",
        json.dumps({"item_id": "t0", "label": "a", "token": TOKEN}).encode(),
    ):
        assert client.post("/api/label", content=raw, headers=bad).status_code == 403


def _asgi_post(
    app: Any, path: str, *, headers: dict[str, str], chunks: int, size: int = 1 << 20
) -> tuple[int, int]:
    """POST ``chunks`` chunks of ``size`` bytes to an ASGI app; the status and how many chunks
    the app pulled."""
    pulled = 0
    status: list[int] = []

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        if pulled < chunks:
            pulled += 1
            return {"type": "http.request", "body": b" " * size, "more_body": pulled < chunks}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")]
        + [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }

    async def main() -> None:
        await app(scope, receive, send)

    anyio.run(main)
    return status[0], pulled


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
@pytest.mark.parametrize("token", [True, False], ids=["token", "no-token"])
def test_a_huge_body_is_refused_without_being_read(
    ws: Workspace, declared: bool, token: bool
) -> None:
    app = create_app(ws, settings=AppSettings(token=TOKEN))
    chunks = 64  # 64 MiB offered
    headers = {"content-type": "application/json"}
    if declared:
        headers["content-length"] = str(chunks << 20)
    if token:
        headers["x-fewlabels-token"] = TOKEN
    status, pulled = _asgi_post(app, "/api/label", headers=headers, chunks=chunks)
    assert status == (413 if token else 403)
    assert pulled <= 1  # at most the first chunk: the rest is never read


def test_a_body_just_under_the_cap_is_read(client: TestClient) -> None:
    pad = " " * (MAX_BODY_BYTES - 100)
    raw = ('{"item_id": "t0", "label": "a"}' + pad).encode()
    assert _post(client, "/api/label", raw, token=True) == 200
    assert _post(client, "/api/label", raw + b" " * 200, token=True) == 413
