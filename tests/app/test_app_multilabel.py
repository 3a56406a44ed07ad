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


def _seen(ws: Workspace, item_id: str) -> int | None:
    ev = ws.store.current().get(item_id)
    return None if ev is None else ev.seq


def test_grid_adds_a_class_to_each_selected_set_and_says_so(
    client: TestClient, ml_ws: Workspace
) -> None:
    html = client.get("/grid?mode=item&item=m5").text
    assert 'id="grid-multilabel"' in html and "adds one class to each selected item" in html
    assert "add to the labels of all selected" in html and 'class="grid-label"' in html
    assert "labelled <strong>{money}</strong>" in html  # the set, not its JSON text
    ml_ws.store.add_label_sets([("m1", [])], who="ana")  # the empty set grows too
    items = [{"id": i, "seen": _seen(ml_ws, i)} for i in ("m0", "m1", "m5")]
    r = client.post("/api/grid-label", json={"items": items, "label": "legal"}, headers=H)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["added"] is True and out["label"] == "legal" and out["changed"] == []
    assert sorted(out["written"]) == ["m0", "m1", "m5"]
    assert ml_ws.store.current_label_sets() == {
        "m0": ("legal",),
        "m1": ("legal",),
        "m5": ("legal", "money"),  # kept what it had
    }
    r = client.post("/api/undo-batch", json={"batch": out["batch"]}, headers=H)
    assert r.status_code == 200 and sorted(r.json()["undone"]) == ["m0", "m1", "m5"]
    assert ml_ws.store.current_label_sets() == {"m1": (), "m5": ("money",)}  # one undo, all back
    r = client.post("/api/undo-batch", json={"batch": out["batch"]}, headers=H)
    assert r.status_code == 409 and "undone already" in r.json()["error"]


def test_grid_leaves_a_set_labelled_meanwhile_and_names_it(
    client: TestClient, ml_ws: Workspace
) -> None:
    items = [{"id": "m0", "seen": None}, {"id": "m2", "seen": None}]  # both shown unlabelled
    ml_ws.store.add_label_sets([("m2", ["shipping"])], who="ben")  # another page, meanwhile
    r = client.post("/api/grid-label", json={"items": items, "label": "money"}, headers=H)
    out = r.json()
    assert out["written"] == ["m0"]
    assert [(c["id"], c["label"], c["who"]) for c in out["changed"]] == [
        ("m2", "{shipping}", "ben")
    ]
    assert ml_ws.store.current_label_sets()["m2"] == ("shipping",)


def test_grid_refuses_a_class_outside_the_classes(client: TestClient, ml_ws: Workspace) -> None:
    body = {"items": [{"id": "m0", "seen": None}], "label": "zzz"}
    r = client.post("/api/grid-label", json=body, headers=H)
    assert r.status_code == 422 and "label must be one of" in r.json()["error"]
    body = {"items": [{"id": "m0", "seen": None}], "labels": ["legal"]}
    r = client.post("/api/grid-label", json=body, headers=H)
    assert r.status_code == 400
    assert ml_ws.store.current_label_sets() == {"m5": ("money",)}


def test_review_shows_conflicting_sets_and_change_picks_one(
    client: TestClient, ml_ws: Workspace
) -> None:
    ml_ws.store.add_label_sets([("m0", ["legal"])], who="ana")
    ml_ws.store.add_label_sets([("m0", ["legal", "shipping"])], who="ben")
    html = client.get("/review").text
    assert "ana said <strong>{legal}</strong>" in html
    assert "ben said <strong>{legal, shipping}</strong>" in html
    assert "auditing label sets is not built yet" in html  # the audit says it is not built
    assert 'data-labels="[&#34;legal&#34;]"' in html  # change to ana's set
    assert "--labels a,b" in html  # any other set: the command
    body = {"item_id": "m0", "action": "change", "labels": ["legal"]}
    r = client.post("/api/review", json=body, headers=H)
    assert r.status_code == 200, r.text
    assert r.json()["labels"] == ["legal"]
    assert ml_ws.store.current_label_sets()["m0"] == ("legal",)
    assert "ana said" not in client.get("/review").text  # decided: off the queue
    body = {"item_id": "m0", "action": "change", "labels": []}  # the empty set is a set too
    assert client.post("/api/review", json=body, headers=H).status_code == 200
    assert ml_ws.store.current_label_sets()["m0"] == ()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"action": "change", "label": "legal"}, "send labels .* not label"),
        ({"action": "change"}, "needs labels"),
        ({"action": "change", "labels": ["zzz"]}, r"among the classes .* \['zzz'\]"),
        ({"action": "keep", "labels": ["legal"]}, "with the action 'change' only"),
    ],
)
def test_review_change_of_a_set_refuses_bad_input(
    client: TestClient, ml_ws: Workspace, body: dict[str, object], message: str
) -> None:
    ml_ws.store.add_label_sets([("m0", ["legal"])], who="ana")
    ml_ws.store.add_label_sets([("m0", ["money"])], who="ben")
    n = len(ml_ws.store.history())
    r = client.post("/api/review", json={"item_id": "m0", **body}, headers=H)
    assert r.status_code == 422 and re.search(message, r.json()["error"]), r.text
    assert len(ml_ws.store.history()) == n
