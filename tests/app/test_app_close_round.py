"""The page can close a round whose last items fit no class; the done view says what was left."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from fewlabels.app import AppSettings, create_app
from fewlabels.workspace import Workspace

H = {"X-Fewlabels-Token": "t"}


def test_close_round_from_the_page(ws: Workspace) -> None:
    c = TestClient(create_app(ws, settings=AppSettings(token="t")))
    page = c.get("/").text
    assert 'id="close-round"' in page and 'data-round-id="1"' in page
    assert c.post("/api/label", json={"item_id": "t0", "label": "a"}, headers=H).status_code == 200
    assert c.post("/api/close-round", json={"round_id": 1}).status_code == 403  # token first
    assert c.post("/api/close-round", json={"round_id": 2}, headers=H).status_code == 409
    r = c.post("/api/close-round", json={"round_id": 1}, headers=H)
    assert r.status_code == 200 and r.json() == {"round_id": 1, "left": 2}
    done = " ".join(c.get("/").text.split())
    assert "Round 1 closed" in done and 'id="item"' not in done
    assert re.search(
        r"2 item\(s\) of this round were left unlabelled: they returned to the pool", done
    )
    assert ws.store.current_labels() == {"t0": "a"}
    again = c.post("/api/close-round", json={"round_id": 1}, headers=H)
    assert again.status_code == 200 and again.json()["left"] == 0


def test_a_round_labelled_to_the_end_still_says_done(ws: Workspace) -> None:
    ws.store.add_labels([("t0", "a"), ("t1", "b"), ("t2", "a")])
    c = TestClient(create_app(ws, settings=AppSettings(token="t")))
    assert "Round 1 done" in c.get("/").text
    assert c.post("/api/close-round", json={"round_id": 1}, headers=H).json()["left"] == 0
    assert "Round 1 done" in c.get("/").text
