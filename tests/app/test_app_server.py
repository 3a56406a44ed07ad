"""The labelling page through FastAPI's TestClient: tokens, registered items only, escaping."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from fewlabels.app import AppSettings, create_app
from fewlabels.workspace import Workspace

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def text_ws(tmp_path: Path) -> Workspace:
    frame = pd.DataFrame(
        {
            "id": [f"t{k}" for k in range(8)],
            "text": [XSS] + [f"review number {k}" for k in range(1, 8)],
        }
    )
    frame.to_csv(tmp_path / "texts.csv", index=False)
    ws = Workspace.init(
        tmp_path / "ws",
        data=str(tmp_path / "texts.csv"),
        text="text",
        id="id",
        classes=["good", "bad"],
    )
    ws.store.add_round(
        "random", ["t0", "t1", "t2"], guesses=["bad", None, None], confidences=[0.81, None, None]
    )
    return ws


@pytest.fixture
def client(text_ws: Workspace) -> TestClient:
    return TestClient(create_app(text_ws, settings=AppSettings(token="s3cret")))


def _item(html: str) -> str:
    m = re.search(r'data-item-id="([^"]+)"', html)
    assert m, html
    return m.group(1)


def test_page_shows_item_guess_buttons_and_escapes_text(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert _item(r.text) == "t0"
    assert "<script>alert" not in r.text and "<img src=x" not in r.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in r.text
    assert "Model's guess: <strong>bad</strong>" in r.text and "81% sure" in r.text
    assert re.search(r'data-label="good" data-key="1"', r.text)
    assert "0 / 3 labelled" in r.text
    assert "script-src 'self'" in r.headers["content-security-policy"]


def test_a_zero_label_round_shows_the_zero_shot_guess(
    text_ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fakes import FakeTextEncoder

    monkeypatch.setattr("fewlabels.encode.get_encoder", lambda name, **kw: FakeTextEncoder())
    rnd = text_ws.suggest(2)  # no labels: the guesses come from zero-shot on the class names
    assert rnd.metrics["guesses_from"] == "zero-shot" and None not in rnd.guesses
    r = TestClient(create_app(text_ws, settings=AppSettings(token="s3cret"))).get("/")
    item = _item(r.text)
    guess = rnd.guesses[rnd.item_ids.index(item)]
    assert f"Zero-shot guess: <strong>{guess}</strong>" in r.text and "Model's guess" not in r.text
    assert "guessed" not in r.text  # shown, never pre-selected (it invites anchoring)


def test_writes_need_the_token(client: TestClient, text_ws: Workspace) -> None:
    for path, body in (
        ("/api/label", {"item_id": "t0", "label": "good"}),
        ("/api/skip", {"item_id": "t0"}),
        ("/api/undo", {}),
    ):
        assert client.post(path, json=body).status_code == 403
        assert (
            client.post(path, json=body, headers={"X-Fewlabels-Token": "wrong"}).status_code == 403
        )
    assert text_ws.store.history() == []
    ok = client.post("/api/label", json={"item_id": "t0", "label": "good", "token": "s3cret"})
    assert ok.status_code == 200 and text_ws.store.current_labels() == {"t0": "good"}


def test_label_skip_undo_flow(client: TestClient, text_ws: Workspace) -> None:
    h = {"X-Fewlabels-Token": "s3cret"}
    first = _item(client.get("/").text)
    seq = client.post("/api/label", json={"item_id": first, "label": "bad"}, headers=h).json()[
        "seq"
    ]
    second = _item(client.get("/").text)
    assert second != first
    assert client.post("/api/skip", json={"item_id": second}, headers=h).status_code == 200
    third = _item(client.get("/").text)
    assert third not in (first, second)
    undone = client.post("/api/undo", json={"seq": seq}, headers=h).json()
    assert undone == {"item_id": first, "label": None, "seq": seq + 1}
    assert _item(client.get("/").text) == first  # the undone item shows again
    conflict = client.post("/api/undo", json={"seq": seq}, headers=h)
    assert conflict.status_code == 409 and "changed since" in conflict.json()["error"]


def test_unknown_items_classes_and_paths_are_refused(
    client: TestClient, text_ws: Workspace
) -> None:
    h = {"X-Fewlabels-Token": "s3cret"}
    assert (
        client.post("/api/label", json={"item_id": "nope", "label": "good"}, headers=h).status_code
        == 404
    )
    assert (
        client.post("/api/label", json={"item_id": "t0", "label": "evil"}, headers=h).status_code
        == 422
    )
    assert (
        client.post("/api/skip", json={"item_id": "t5"}, headers=h).status_code == 404
    )  # not in round
    for path in (
        "/media?id=../../etc/passwd",
        "/media?id=t0",
        "/static/../server.py",
        "/static/%2e%2e%2fserver.py",
        "/../../etc/passwd",
        "/labels.db",
        "/fewlabels.toml",
        "/docs",
        "/openapi.json",
    ):
        assert client.get(path).status_code == 404, path
    assert text_ws.store.history() == []


def test_images_are_served_from_registered_items_only(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws", data="digits")
    first = ws.store.items()[0].id
    ws.store.add_round("random", [first])
    c = TestClient(create_app(ws))
    r = c.get("/media", params={"id": first})
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert f'src="/media?id={first}"' in c.get("/").text


def test_view_token_and_host_check(text_ws: Workspace) -> None:
    remote = TestClient(create_app(text_ws, settings=AppSettings(token="tok", view_token=True)))
    assert remote.get("/").status_code == 403
    page = remote.get("/?token=tok")
    assert page.status_code == 200 and "/static/app.js?token=tok" in page.text
    local = TestClient(
        create_app(text_ws, settings=AppSettings(token="tok", allowed_hosts=("127.0.0.1:8765",))),
        base_url="http://127.0.0.1:8765",
    )
    assert local.get("/").status_code == 200
    assert local.get("/", headers={"host": "evil.example:8765"}).status_code == 400


def test_done_and_empty_pages(tmp_path: Path, text_ws: Workspace) -> None:
    c = TestClient(create_app(text_ws, settings=AppSettings(token="t")))
    text_ws.store.add_labels([("t0", "good"), ("t1", "bad"), ("t2", "good")])
    assert "Round 1 done" in c.get("/").text
    frame = pd.DataFrame({"text": ["a", "b"]})
    frame.to_csv(tmp_path / "two.csv", index=False)
    fresh = Workspace.init(
        tmp_path / "fresh", data=str(tmp_path / "two.csv"), text="text", classes=["x", "y"]
    )
    assert "No round yet" in TestClient(create_app(fresh)).get("/").text


def test_a_second_page_server_on_the_same_workspace_shares_the_store(text_ws: Workspace) -> None:
    first = TestClient(create_app(text_ws, settings=AppSettings(token="a")))
    second = TestClient(create_app(Workspace.open(text_ws.root), settings=AppSettings(token="b")))
    one, two = _item(first.get("/").text), _item(second.get("/").text)
    assert one != two  # each page holds its own item of the round
    first.post(
        "/api/label", json={"item_id": one, "label": "good"}, headers={"X-Fewlabels-Token": "a"}
    )
    second.post(
        "/api/label", json={"item_id": two, "label": "bad"}, headers={"X-Fewlabels-Token": "b"}
    )
    assert text_ws.store.current_labels() == {one: "good", two: "bad"}
    assert "2 / 3 labelled" in first.get("/").text


def test_a_page_is_never_shown_the_item_another_page_holds(text_ws: Workspace) -> None:
    # found by the two-page browser test: with one item left, both pages showed it and it was
    # labelled twice
    text_ws.store.add_labels([("t0", "good"), ("t1", "bad")])
    first = TestClient(create_app(text_ws, settings=AppSettings(token="a")))
    second = TestClient(create_app(Workspace.open(text_ws.root), settings=AppSettings(token="b")))
    assert _item(first.get("/").text) == "t2"
    waiting = second.get("/").text
    assert 'id="held-elsewhere"' in waiting and "1 item(s) of this round" in waiting
    assert "Round 1 done" not in waiting
    first.post(
        "/api/label", json={"item_id": "t2", "label": "good"}, headers={"X-Fewlabels-Token": "a"}
    )
    assert "Round 1 done" in second.get("/").text


def test_image_files_are_read_from_the_registered_path(image_folder: Path, tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws", data=str(image_folder), encoder="pixels")
    ws.store.add_round("random", ["unlabeled/u0.jpg"])
    c = TestClient(create_app(ws))
    r = c.get("/media", params={"id": "unlabeled/u0.jpg"})
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    assert r.content == (image_folder / "unlabeled" / "u0.jpg").read_bytes()
    assert 'src="/media?id=unlabeled/u0.jpg"' in c.get("/").text
    for bad in ("unlabeled/../a/a0.png", str(image_folder / "a" / "a0.png"), "a/../../etc/passwd"):
        assert c.get("/media", params={"id": bad}).status_code == 404
