"""The grid, search, browse and confusion views and their writes, through TestClient."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from fewlabels.app import AppSettings, create_app
from fewlabels.app.keys import CLASS_KEYS, RESERVED, class_keys
from fewlabels.workspace import Workspace

H = {"X-Fewlabels-Token": "s3cret"}
WORDS = ["refund", "shipping", "law"]


@pytest.fixture
def text_ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    from fakes import FakeTextEncoder

    rows = [
        {
            "id": f"t{k}",
            "text": f"{WORDS[k % 3]} message {k}",
            "title": f"title {k}",
            "author": f"author {k % 2}",
        }
        for k in range(24)
    ]
    pd.DataFrame(rows).to_csv(tmp_path / "texts.csv", index=False)
    ws = Workspace.init(
        tmp_path / "ws",
        data=str(tmp_path / "texts.csv"),
        text="text",
        id="id",
        classes=["money", "post", "legal"],
    )
    monkeypatch.setattr("fewlabels.encode.get_encoder", lambda name, **kw: FakeTextEncoder())
    ws.store.add_round("random", ["t0", "t1", "t2"], guesses=["post", None, None])
    return ws


@pytest.fixture
def client(text_ws: Workspace) -> TestClient:
    return TestClient(create_app(text_ws, settings=AppSettings(token="s3cret")))


def _cells(html: str) -> list[str]:
    return re.findall(r'class="cell[^"]*" data-item-id="([^"]+)"', html)


def _items(ids: list[str], seen: dict[str, int] | None = None) -> list[dict[str, object]]:
    return [{"id": i, "seen": (seen or {}).get(i)} for i in ids]


# -- keys ------------------------------------------------------------------------------------
def test_class_keys_go_past_ten_classes_with_letters_skipping_the_bound_ones() -> None:
    twelve = class_keys([f"c{k}" for k in range(12)])
    assert twelve == [*"123456789", "0", "a", "b"]
    many = class_keys([f"c{k}" for k in range(40)])
    letters = [k for k in many[10:] if k is not None]
    assert not set(letters) & RESERVED and len(set(letters)) == len(letters) == 22
    assert many[10:14] == ["a", "b", "c", "d"] and "o" in letters and "t" in letters
    assert many[len(CLASS_KEYS) :] == [None] * (40 - len(CLASS_KEYS))


def test_the_page_binds_a_key_to_each_of_twelve_classes(tmp_path: Path) -> None:
    classes = [f"class{k}" for k in range(12)]
    pd.DataFrame({"id": ["a", "b"], "text": ["x", "y"]}).to_csv(tmp_path / "t.csv", index=False)
    ws = Workspace.init(
        tmp_path / "ws", data=str(tmp_path / "t.csv"), text="text", id="id", classes=classes
    )
    ws.store.add_round("random", ["a", "b"])
    html = TestClient(create_app(ws, settings=AppSettings(token="s3cret"))).get("/").text
    assert 'data-label="class9" data-key="0"' in html
    assert 'data-label="class10" data-key="a"' in html
    assert 'data-label="class11" data-key="b"' in html
    assert 'id="class-filter"' not in html  # every class has a key: no filter box needed


# -- the single-item page: guess, context, feedback, round done --------------------------------
def test_the_guess_is_shown_but_not_preselected_unless_asked(text_ws: Workspace) -> None:
    first = TestClient(create_app(text_ws, settings=AppSettings(token="s3cret")))
    plain = first.get("/").text
    assert "Model's guess: <strong>post</strong>" in plain
    assert "guessed" not in plain
    asked = TestClient(  # the same client (cookie), so the same item shows
        create_app(text_ws, settings=AppSettings(token="s3cret", preselect_guess=True)),
        cookies=dict(first.cookies),
    ).get("/")
    assert 'class="label guessed" data-label="post"' in asked.text
    assert 'id="feedback"' in plain


def test_context_columns_from_the_config_are_shown_beside_the_item(text_ws: Workspace) -> None:
    import dataclasses

    from fewlabels.workspace.config import PageConfig

    text_ws.config = dataclasses.replace(
        text_ws.config, page=PageConfig(context=("title", "author"))
    )
    html = TestClient(create_app(text_ws, settings=AppSettings(token="s3cret"))).get("/").text
    table = html[html.index('class="context"') :]
    assert '<th scope="row">title</th><td>title 0</td>' in table
    assert '<th scope="row">author</th><td>author 0</td>' in table


def test_a_context_column_the_table_lacks_is_refused_with_the_columns(text_ws: Workspace) -> None:
    import dataclasses

    from fewlabels.errors import MissingKeyError
    from fewlabels.workspace.config import PageConfig

    text_ws.config = dataclasses.replace(text_ws.config, page=PageConfig(context=("year",)))
    with pytest.raises(MissingKeyError, match=r"context column\(s\) \['year'\].*'title'"):
        create_app(text_ws, settings=AppSettings(token="s3cret"))


def test_round_done_names_the_exact_command_with_the_workspace(
    client: TestClient, text_ws: Workspace
) -> None:
    for item in ("t0", "t1", "t2"):
        client.post("/api/label", json={"item_id": item, "label": "money"}, headers=H)
    html = client.get("/").text
    assert f"fewlabels suggest -w {text_ws.root} -n 20" in html
    assert f"fewlabels status -w {text_ws.root}" in html


# -- grids -----------------------------------------------------------------------------------
def test_neighbours_grid_shows_similar_items_first_and_not_the_item(client: TestClient) -> None:
    r = client.get("/grid?mode=neighbours&item=t0&n=5")
    assert r.status_code == 200
    cells = _cells(r.text)
    assert len(cells) == 5 and "t0" not in cells
    assert all(int(c[1:]) % 3 == 0 for c in cells)  # the fake encoder groups by first word
    assert r.text.count('class="pick-box" checked') == 5  # unlabelled items start selected


def test_cluster_grid_holds_the_items_cluster(client: TestClient) -> None:
    r = client.get("/grid?mode=cluster&item=t3&n=50")
    cells = _cells(r.text)
    assert r.status_code == 200 and "t3" in cells and 1 <= len(cells) <= 24


def test_lexical_search_and_its_errors(client: TestClient) -> None:
    r = client.get("/grid?mode=search&q=LAW&how=lexical")
    assert r.status_code == 200
    assert sorted(_cells(r.text), key=lambda c: int(c[1:])) == [f"t{k}" for k in range(2, 24, 3)]
    assert "8 item(s) matching &#39;LAW&#39; by words" in r.text
    empty = client.get("/grid?mode=search&q=%20%20&how=lexical")
    assert empty.status_code == 422 and "Expected a search query" in empty.text
    assert _cells(empty.text) == []
    bad = client.get("/grid?mode=sideways&item=t0")
    assert bad.status_code == 422 and "Expected a grid mode" in bad.text


def test_semantic_search_uses_the_text_side(client: TestClient) -> None:
    r = client.get("/grid?mode=search&q=refund&how=semantic&n=4")
    assert r.status_code == 200
    assert all(int(c[1:]) % 3 == 0 for c in _cells(r.text))


def test_search_by_meaning_without_a_text_side_says_so_and_offers_more_like_this(
    tmp_path: Path,
) -> None:
    ws = Workspace.init(tmp_path / "ws", data="digits")  # pixels: no text side
    c = TestClient(create_app(ws, settings=AppSettings(token="s3cret")))
    r = c.get("/grid?mode=search&q=a%20seven&how=semantic")
    assert r.status_code == 422
    assert "encoder &#39;pixels&#39; has none" in r.text and 'id="offer-similar"' in r.text
    words = c.get("/grid?mode=search&q=seven&how=lexical")
    assert words.status_code == 422 and "Expected text items" in words.text
    item = str(ws.source_dataset().ids[0])
    assert len(_cells(c.get(f"/grid?mode=neighbours&item={item}&n=6").text)) == 6


def test_unknown_item_is_a_404_and_one_item_grid_relabels_by_id(
    client: TestClient, text_ws: Workspace
) -> None:
    assert client.get("/grid?mode=item&item=nope").status_code == 404
    seq = text_ws.store.add_label("t5", "money", who="ana")
    r = client.get("/grid?mode=item&item=t5")
    assert _cells(r.text) == ["t5"] and f'data-seen="{seq}"' in r.text
    assert "labelled <strong>money</strong> by ana" in r.text
    assert 'class="pick-box">' in r.text  # a labelled item starts unselected
    out = client.post(
        "/api/grid-label", json={"items": _items(["t5"], {"t5": seq}), "label": "legal"}, headers=H
    )
    assert out.json()["written"] == ["t5"] and text_ws.store.current_labels()["t5"] == "legal"


# -- grid writes -----------------------------------------------------------------------------
def test_grid_label_writes_one_row_per_item_in_one_batch(
    client: TestClient, text_ws: Workspace
) -> None:
    r = client.post(
        "/api/grid-label", json={"items": _items(["t3", "t6", "t9"]), "label": "money"}, headers=H
    )
    body = r.json()
    assert r.status_code == 200 and body["written"] == ["t3", "t6", "t9"] and body["changed"] == []
    hist = text_ws.store.history()
    assert [(e.item_id, e.label) for e in hist] == [
        ("t3", "money"),
        ("t6", "money"),
        ("t9", "money"),
    ]
    assert body["batch"] and len(body["batch"]) == 16


def test_grid_on_items_labelled_meanwhile_keeps_them_and_says_by_whom(
    client: TestClient, text_ws: Workspace
) -> None:
    shown = client.get("/grid?mode=neighbours&item=t0&n=3")
    ids = _cells(shown.text)
    seq = text_ws.store.add_label(ids[1], "legal", who="ben")  # another page, meanwhile
    r = client.post("/api/grid-label", json={"items": _items(ids), "label": "money"}, headers=H)
    body = r.json()
    assert body["written"] == [ids[0], ids[2]]
    assert body["changed"] == [{"id": ids[1], "label": "legal", "who": "ben", "seen": seq}]
    assert text_ws.store.current_labels()[ids[1]] == "legal"  # nothing lost
    confirm = client.post(
        "/api/grid-label",
        json={"items": _items([ids[1]], {ids[1]: seq}), "label": "money"},
        headers=H,
    )
    assert confirm.json()["written"] == [ids[1]]
    assert text_ws.store.current_labels()[ids[1]] == "money"


def test_undo_of_a_grid_action_undoes_the_whole_batch_once(
    client: TestClient, text_ws: Workspace
) -> None:
    text_ws.store.add_label("t3", "legal", who="ben")
    seq3 = text_ws.store.current()["t3"].seq
    batch = client.post(
        "/api/grid-label",
        json={"items": _items(["t3", "t6", "t9"], {"t3": seq3}), "label": "money"},
        headers=H,
    ).json()["batch"]
    undone = client.post("/api/undo-batch", json={"batch": batch}, headers=H)
    assert undone.status_code == 200 and sorted(undone.json()["undone"]) == ["t3", "t6", "t9"]
    assert text_ws.store.current_labels() == {"t3": "legal"}  # back to ben's label
    again = client.post("/api/undo-batch", json={"batch": batch}, headers=H)
    assert again.status_code == 409 and "undone already" in again.json()["error"]
    assert text_ws.store.current_labels() == {"t3": "legal"}


def test_grid_writes_need_the_token_and_a_good_body(client: TestClient, text_ws: Workspace) -> None:
    body = {"items": _items(["t3"]), "label": "money"}
    assert client.post("/api/grid-label", json=body).status_code == 403
    assert client.post("/api/undo-batch", json={"batch": "x"}).status_code == 403
    bad = client.post("/api/grid-label", json={"items": [], "label": "money"}, headers=H)
    assert bad.status_code == 400 and "1 to 200 items" in bad.json()["error"]
    shape = client.post(
        "/api/grid-label", json={"items": [{"id": "t3"}], "label": "money"}, headers=H
    )
    assert shape.status_code == 400 and "id and seen" in shape.json()["error"]
    cls = client.post("/api/grid-label", json={**body, "label": "evil"}, headers=H)
    assert cls.status_code == 422
    ghost = client.post("/api/grid-label", json={**body, "items": _items(["ghost"])}, headers=H)
    assert ghost.status_code == 404
    assert text_ws.store.history() == []


# -- browse, confident, confusion -------------------------------------------------------------
def _label_some(ws: Workspace) -> None:
    names = {"refund": "money", "shipping": "post", "law": "legal"}
    ws.store.add_labels([(f"t{k}", names[WORDS[k % 3]]) for k in range(9)], who="ana")


def test_browse_by_labelled_predicted_and_confidence(
    client: TestClient, text_ws: Workspace
) -> None:
    _label_some(text_ws)
    labelled = _cells(client.get("/grid?mode=browse&by=labelled&class=legal").text)
    assert labelled == ["t2", "t5", "t8"]
    predicted = client.get("/grid?mode=browse&by=predicted&class=legal&n=50&refresh=1")
    assert predicted.status_code == 200
    assert set(_cells(predicted.text)) >= {"t11", "t14"}
    conf = client.get("/grid?mode=browse&by=confidence&n=50")
    assert conf.status_code == 200 and len(_cells(conf.text)) == 24
    scores = [float(s) for s in re.findall(r'class="score">([0-9.]+)<', conf.text)]
    assert scores == sorted(scores)  # least sure first


def test_confident_grid_lists_unlabelled_items_of_the_class(
    client: TestClient, text_ws: Workspace
) -> None:
    _label_some(text_ws)
    r = client.get("/grid?mode=confident&class=money&n=50&refresh=1")
    cells = _cells(r.text)
    assert r.status_code == 200 and "accept" in r.text.lower()
    assert cells and all(int(c[1:]) % 3 == 0 and int(c[1:]) >= 9 for c in cells)
    no_model = TestClient(create_app(text_ws, settings=AppSettings(token="s3cret")))
    assert no_model.get("/grid?mode=confident&class=nope").status_code == 422


def test_confusion_view_says_why_when_too_few_labels_then_counts(
    client: TestClient, text_ws: Workspace
) -> None:
    r = client.get("/confusion")
    assert r.status_code == 200 and 'id="confusion-note"' in r.text
    _label_some(text_ws)
    text_ws.store.add_labels([(f"t{k}", "money") for k in (9, 12, 15)] + [("t10", "legal")])
    r = client.get("/confusion?refresh=1")
    assert 'id="confusion"' in r.text, r.text
    counts = [int(n) for n in re.findall(r"<td class=\"[a-z]*\">(?:<a [^>]+>)?(\d+)", r.text)]
    assert sum(counts) == 13
    link = re.search(r'href="(/grid\?mode=audit[^"]+)"', r.text)
    assert link is not None
    audit_grid = client.get(link.group(1).replace("&amp;", "&"))
    assert audit_grid.status_code == 200 and _cells(audit_grid.text)


def test_the_grid_refits_its_model_when_labels_changed_and_only_then(
    client: TestClient, text_ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    # found by the labelling-speed benchmark: "accept all that are right" kept the model of the
    # first grid for the life of the server
    import fewlabels.workspace.suggest as suggest

    fits = []
    real = suggest._fit_proba

    def counting(*args, **kwargs):
        fits.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(suggest, "_fit_proba", counting)
    _label_some(text_ws)
    first = client.get("/grid?mode=confident&class=money")
    n_first = len(text_ws.store.current_labels())
    assert f"on {n_first} labels" in first.text and len(fits) == 1
    client.get("/grid?mode=confident&class=post")
    assert len(fits) == 1  # the same labels: no second fit
    text_ws.store.add_labels([("t12", "money"), ("t13", "post")])
    again = client.get("/grid?mode=confident&class=money")
    assert f"on {n_first + 2} labels" in again.text and len(fits) == 2
    text_ws.store.exclude("t15", who="ana")
    client.get("/grid?mode=confident&class=money")
    assert len(fits) == 3  # an exclusion changes the pool: refit
