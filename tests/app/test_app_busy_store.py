"""A slow or locked labels.db: other requests are still answered; a locked write is a 503."""

from __future__ import annotations

import sqlite3
import threading
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from fewlabels.app import AppSettings, create_app
from fewlabels.store import LabelStore, is_locked_error
from fewlabels.workspace import Workspace

H = {"X-Fewlabels-Token": "t"}


def test_a_label_while_another_writer_holds_the_lock_is_503_then_saved(ws: Workspace) -> None:
    client = TestClient(create_app(ws, settings=AppSettings(token="t", busy_timeout_s=0.2)))
    other = sqlite3.connect(ws.store.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # held far longer than the page's busy timeout
    try:
        started = time.monotonic()
        r = client.post("/api/label", json={"item_id": "t0", "label": "a"}, headers=H)
        assert time.monotonic() - started < 5  # the page's timeout, not the store's 30 s
        assert r.status_code == 503, r.text
        assert r.headers["retry-after"] == "1"
        assert r.json()["retry"] is True and "busy" in r.json()["error"]
        page = client.get("/")  # the page itself says it is busy and reloads by itself
        assert page.status_code == 503 and "busy" in page.text
        assert '<meta http-equiv="refresh"' in page.text
    finally:
        other.execute("COMMIT")
        other.close()
    r = client.post("/api/label", json={"item_id": "t0", "label": "a"}, headers=H)
    assert r.status_code == 200
    assert [(e.item_id, e.label) for e in ws.store.history()] == [("t0", "a")]


def test_skip_undo_and_close_are_503_too_while_locked(ws: Workspace) -> None:
    ws.store.add_label("t0", "a")
    client = TestClient(create_app(ws, settings=AppSettings(token="t", busy_timeout_s=0.1)))
    other = sqlite3.connect(ws.store.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        for path, body in (
            ("/api/skip", {"item_id": "t1"}),
            ("/api/undo", {}),
            ("/api/close-round", {"round_id": 1}),
        ):
            r = client.post(path, json=body, headers=H)
            assert r.status_code == 503, (path, r.text)
    finally:
        other.execute("COMMIT")
        other.close()
    assert len(ws.store.history()) == 1 and ws.store.latest_round().closed is None  # type: ignore[union-attr]


def test_static_files_are_answered_while_a_store_call_runs(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    entered = threading.Event()
    original = LabelStore.add_label

    def slow_add_label(self: LabelStore, *args: Any, **kwargs: Any) -> int:
        entered.set()
        time.sleep(2.0)  # an import in another process holding the lock, say
        return original(self, *args, **kwargs)

    monkeypatch.setattr(LabelStore, "add_label", slow_add_label)
    with TestClient(create_app(ws, settings=AppSettings(token="t"))) as client:
        result: dict[str, Any] = {}

        def post() -> None:
            result["r"] = client.post("/api/label", json={"item_id": "t0", "label": "a"}, headers=H)

        writer = threading.Thread(target=post)
        writer.start()
        assert entered.wait(10)
        started = time.monotonic()
        static = client.get("/static/app.js")
        elapsed = time.monotonic() - started
        writer.join(10)
    assert static.status_code == 200 and b"fewlabels" in static.content
    assert elapsed < 1.0, f"GET /static/app.js waited {elapsed:.2f} s for the store"
    assert result["r"].status_code == 200
    assert ws.store.current_labels() == {"t0": "a"}


def test_is_locked_error() -> None:
    assert is_locked_error(sqlite3.OperationalError("database is locked"))
    assert not is_locked_error(sqlite3.OperationalError("no such table: x"))
    assert not is_locked_error(ValueError("database is locked"))


def test_the_store_busy_timeout_is_a_setting(ws: Workspace) -> None:
    quick = ws.store.with_busy_timeout(0.1)
    assert quick.busy_timeout_s == 0.1 and ws.store.busy_timeout_s == 30.0
    assert quick.path == ws.store.path
    other = sqlite3.connect(ws.store.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            quick.add_label("t0", "a")
    finally:
        other.execute("COMMIT")
        other.close()
    with pytest.raises(ValueError, match="busy timeout"):
        ws.store.with_busy_timeout(-1)
