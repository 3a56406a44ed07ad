"""The page's "none of these", annotators and review queue, through FastAPI's TestClient."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from fewlabels.app import AppSettings, create_app
from fewlabels.errors import FewlabelsError
from fewlabels.workspace import Workspace

H = {"X-Fewlabels-Token": "tok"}


@pytest.fixture
def client(ws: Workspace) -> TestClient:
    return TestClient(create_app(ws, settings=AppSettings(token="tok")))


def _shown(html: str) -> str | None:
    m = re.search(r'id="item" data-item-id="([^"]+)"', html)
    return None if m is None else m.group(1)


def test_none_of_these_takes_the_item_out_and_undo_brings_it_back(
    client: TestClient, ws: Workspace
) -> None:
    page = client.get("/").text
    assert 'id="none" data-key="n"' in page and _shown(page) == "t0"
    r = client.post("/api/exclude", json={"item_id": "t0", "annotator": "ana"}, headers=H)
    assert r.status_code == 200 and r.json()["who"] == "ana"
    assert set(ws.store.excluded()) == {"t0"}
    page = client.get("/").text
    assert _shown(page) == "t1" and "1 / 3 labelled" in page  # excluded counts as done
    again = client.post("/api/exclude", json={"item_id": "t0"}, headers=H)
    assert again.status_code == 409 and "already excluded by ana" in again.json()["error"]
    back = client.post("/api/include", json={"item_id": "t0"}, headers=H)
    assert back.status_code == 200 and ws.store.excluded() == {}
    assert _shown(client.get("/").text) == "t0"  # leased back to this page
    assert client.post("/api/exclude", json={"item_id": "t0"}).status_code == 403


def test_labels_carry_the_annotator_and_bad_names_are_refused(
    client: TestClient, ws: Workspace
) -> None:
    r = client.post(
        "/api/label", json={"item_id": "t0", "label": "a", "annotator": "ana"}, headers=H
    )
    assert r.status_code == 200 and r.json()["who"] == "ana"
    for bad, why in (("", "empty"), ("x" * 65, "at most 64 characters")):
        r = client.post(
            "/api/label", json={"item_id": "t1", "label": "a", "annotator": bad}, headers=H
        )
        assert r.status_code == 422 and why in r.json()["error"]
    skip = client.post("/api/skip", json={"item_id": "t2", "annotator": "ana"}, headers=H)
    assert skip.status_code == 200  # every write of a named page carries the name
    anon = client.post("/api/label", json={"item_id": "t1", "label": "b"}, headers=H)
    assert anon.json()["who"].startswith("page:")
    assert [e.who for e in ws.store.history()] == ["ana", anon.json()["who"]]


def test_a_session_annotator_wins_and_is_checked(ws: Workspace) -> None:
    c = TestClient(create_app(ws, settings=AppSettings(token="tok", annotator="ben")))
    assert 'data-annotator="ben"' in c.get("/").text
    r = c.post("/api/label", json={"item_id": "t0", "label": "a", "annotator": "ana"}, headers=H)
    assert r.json()["who"] == "ben"
    with pytest.raises(FewlabelsError, match="at most 64"):
        AppSettings(token="tok", annotator="y" * 80)


def test_a_second_opinion_is_not_shown_to_its_first_annotator(ws: Workspace) -> None:
    ws.store.add_label("t2", "a", who="ana")
    ws.store.add_round("random", ["t2", "t0"], second_opinion=["t2"])
    c = TestClient(create_app(ws, settings=AppSettings(token="tok")))
    c.cookies.set("fewlabels_annotator", "ana")
    assert _shown(c.get("/").text) == "t0"
    other = TestClient(create_app(ws, settings=AppSettings(token="tok")))
    other.cookies.set("fewlabels_annotator", "ben")
    page = other.get("/").text
    assert _shown(page) == "t2" and "Second opinion" in page


def _conflict(ws: Workspace) -> None:
    ws.store.add_label("t1", "a", who="ana")
    ws.store.add_label("t1", "b", who="ben")


def test_review_lists_conflicts_and_keep_records_a_decision(
    client: TestClient, ws: Workspace
) -> None:
    _conflict(ws)
    assert "Review (1)" in client.get("/").text
    page = client.get("/review").text
    assert 'data-item-id="t1" data-kind="conflict"' in page
    assert "ana said <strong>a</strong>, ben said <strong>b</strong>" in page
    r = client.post(
        "/api/review", json={"item_id": "t1", "action": "keep", "annotator": "cleo"}, headers=H
    )
    assert r.status_code == 200 and r.json()["label"] == "b"
    last = ws.store.history("t1")[-1]
    assert (last.label, last.who, last.source) == ("b", "cleo", "human")
    assert "Nothing to review" in client.get("/review").text


def test_two_reviews_of_one_item_both_stay_and_the_later_wins(
    client: TestClient, ws: Workspace
) -> None:
    _conflict(ws)
    for who, label in (("cleo", "a"), ("dan", "b")):
        r = client.post(
            "/api/review",
            json={"item_id": "t1", "action": "change", "label": label, "annotator": who},
            headers=H,
        )
        assert r.status_code == 200
    assert [(e.label, e.who) for e in ws.store.history("t1")][-2:] == [("a", "cleo"), ("b", "dan")]
    assert ws.store.current_labels()["t1"] == "b"


def test_review_of_an_item_excluded_or_forgotten_meanwhile_says_so(
    client: TestClient, ws: Workspace
) -> None:
    _conflict(ws)
    r = client.post("/api/review", json={"item_id": "t1", "action": "exclude"}, headers=H)
    assert r.status_code == 200 and set(ws.store.excluded()) == {"t1"}
    n = len(ws.store.history())
    r = client.post(
        "/api/review", json={"item_id": "t1", "action": "change", "label": "a"}, headers=H
    )
    assert r.status_code == 409 and "excluded by" in r.json()["error"]
    assert "Nothing was written" in r.json()["error"] and len(ws.store.history()) == n
    r = client.post("/api/review", json={"item_id": "ghost", "action": "keep"}, headers=H)
    assert r.status_code == 410 and "forgotten meanwhile" in r.json()["error"]
    bad = client.post("/api/review", json={"item_id": "t1", "action": "drop"}, headers=H)
    assert bad.status_code == 422
    bad = client.post(
        "/api/review", json={"item_id": "t0", "action": "change", "label": "zz"}, headers=H
    )
    assert bad.status_code == 422 and len(ws.store.history()) == n


def test_a_single_label_review_refuses_a_label_set(client: TestClient, ws: Workspace) -> None:
    _conflict(ws)
    n = len(ws.store.history())
    r = client.post(
        "/api/review", json={"item_id": "t1", "action": "change", "labels": ["a"]}, headers=H
    )
    assert r.status_code == 422 and "for a multi-label workspace: send label" in r.json()["error"]
    assert len(ws.store.history()) == n
    assert "data-labels" not in client.get("/review").text
