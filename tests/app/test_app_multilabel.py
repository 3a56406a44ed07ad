"""The multi-label page through FastAPI's TestClient: checkboxes, label sets, undo, refusals."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.multilabel_fixtures import multilabel_text_workspace
from fewlabels.app import AppSettings, create_app
from fewlabels.workspace import Workspace

H = {"X-Fewlabels-Token": "s3cret"}


@pytest.fixture
def ml_ws(tmp_path: Path) -> Workspace:
    return multilabel_text_workspace(tmp_path)


@pytest.fixture
def client(ml_ws: Workspace) -> TestClient:
    return TestClient(create_app(ml_ws, settings=AppSettings(token="s3cret")))


def _boxes(html: str) -> list[tuple[str, str, bool]]:
    """(class, key, checked) of each checkbox of the item view."""
    return [
        (m.group(1), m.group(2), m.group(3) is not None)
        for m in re.finditer(
            r'<input type="checkbox" class="label-box" data-label="([^"]+)" data-key="([^"]+)"'
            r"( checked)?>",
            html,
        )
    ]


def test_item_view_has_checkboxes_with_keys_and_unticked_probabilities(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert 'data-task="multilabel"' in r.text
    assert _boxes(r.text) == [
        ("legal", "1", False),
        ("shipping", "2", False),
        ("money", "3", False),
    ]
    for name, pct in (("legal", 91), ("shipping", 62), ("money", 8)):
        assert f'title="the model\'s probability of {name}">{pct}%</span>' in r.text
    assert "nothing is ticked for you" in r.text
    assert 'id="confirm"' in r.text and "<kbd>Enter</kbd> confirm the set" in r.text
    assert 'button type="button" class="label' not in r.text  # no single-label buttons
    assert "1 item(s) labelled, 0 with no labels" in r.text  # m5 {money}, from the source


def test_preselect_guess_ticks_the_predicted_set(ml_ws: Workspace) -> None:
    app = create_app(ml_ws, settings=AppSettings(token="s3cret", preselect_guess=True))
    html = TestClient(app).get("/").text
    assert _boxes(html) == [("legal", "1", True), ("shipping", "2", True), ("money", "3", False)]
    assert "its predicted set is ticked" in html


def test_no_model_yet_says_so(tmp_path: Path) -> None:
    ws = multilabel_text_workspace(tmp_path)
    ws.store.add_round("typiclust", ["m3", "m4"])  # a cold-start round: no probabilities
    html = TestClient(create_app(ws, settings=AppSettings(token="s3cret"))).get("/").text
    assert "No model yet: tick the classes that fit, or none." in html
    assert "%</span>" not in html
    assert all(not checked for _, _, checked in _boxes(html))


def test_label_sets_the_empty_set_and_undo(client: TestClient, ml_ws: Workspace) -> None:
    client.get("/")  # the page's client cookie: every write below is one annotator's
    r = client.post(
        "/api/label", json={"item_id": "m0", "labels": ["shipping", "legal"]}, headers=H
    )
    assert r.status_code == 200
    assert r.json()["labels"] == ["legal", "shipping"]  # class order
    r = client.post("/api/label", json={"item_id": "m1", "labels": []}, headers=H)
    assert r.status_code == 200 and r.json()["labels"] == []
    assert ml_ws.store.current_label_sets() == {
        "m0": ("legal", "shipping"),
        "m1": (),
        "m5": ("money",),
    }
    assert ml_ws.store.progress().done == 2  # the empty set counts as done
    assert "3 item(s) labelled, 1 with no labels" in client.get("/").text
    r = client.post("/api/label", json={"item_id": "m1", "labels": ["money", "money"]}, headers=H)
    assert r.json()["labels"] == ["money"]  # repeats collapse
    r = client.post("/api/undo", json={"seq": r.json()["seq"]}, headers=H)
    assert r.status_code == 200 and r.json()["labels"] == []  # back to the empty set
    r = client.post("/api/undo", json={}, headers=H)  # the latest label not undone: m0's
    assert r.status_code == 200 and r.json()["item_id"] == "m0" and r.json()["labels"] is None
    assert ml_ws.store.current_label_sets() == {"m1": (), "m5": ("money",)}


def test_bad_label_sets_are_refused_and_nothing_is_written(
    client: TestClient, ml_ws: Workspace
) -> None:
    r = client.post("/api/label", json={"item_id": "m0", "labels": ["legal", "zzz"]}, headers=H)
    assert r.status_code == 422
    assert r.json()["error"] == (
        "labels must be among the classes ['legal', 'shipping', 'money'], but got ['zzz']; "
        "nothing was saved"
    )
    r = client.post("/api/label", json={"item_id": "m0", "labels": "legal"}, headers=H)
    assert r.status_code == 400 and "must be a list of class names" in r.json()["error"]
    r = client.post("/api/label", json={"item_id": "m0", "labels": [1]}, headers=H)
    assert r.status_code == 400
    r = client.post("/api/label", json={"item_id": "m0", "label": "legal"}, headers=H)
    assert r.status_code == 400 and "Unknown field(s) ['label']" in r.json()["error"]
    r = client.post("/api/label", json={"item_id": "nope", "labels": []}, headers=H)
    assert r.status_code == 404
    r = client.post("/api/label", json={"item_id": "m0", "labels": []})  # no token
    assert r.status_code == 403
    assert ml_ws.store.current_label_sets() == {"m5": ("money",)}


def test_grid_shows_items_but_refuses_bulk_label_sets(client: TestClient, ml_ws: Workspace) -> None:
    html = client.get("/grid?mode=item&item=m0").text
    assert 'id="grid-multilabel"' in html and "bulk labelling of label sets is not built" in html
    assert 'class="grid-label"' not in html
    body = {"items": [{"id": "m0", "seen": None}], "label": "legal"}
    r = client.post("/api/grid-label", json=body, headers=H)
    assert r.status_code == 409 and "nothing was saved" in r.json()["error"]
    assert ml_ws.store.current_label_sets() == {"m5": ("money",)}
