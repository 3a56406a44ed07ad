"""The grid, search, keys past ten classes, feedback and undo of a grid action in real Chromium.

Same set-up as ``test_app_browser.py``: the server is a subprocess, Chromium is Debian's.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from app.test_app_browser import Server, browser  # noqa: F401 - the module-scoped fixture
from fewlabels.store import LabelStore
from fewlabels.workspace import Workspace

pytestmark = pytest.mark.slow


@pytest.fixture
def digits(tmp_path: Path) -> Iterator[tuple[Workspace, Server]]:
    ws = Workspace.init(tmp_path / "ws", data="digits")
    ws.suggest(n=6)
    srv = Server(ws.root)
    yield ws, srv
    srv.kill()


def _ready(page: Any) -> None:
    page.wait_for_selector("body[data-ready='1']")


def test_grid_labels_the_ticked_items_feedback_and_undo_of_the_batch(
    browser: Any,  # noqa: F811
    digits: tuple[Workspace, Server],
) -> None:
    ws, srv = digits
    page = browser.new_page()
    page.goto(srv.url)
    _ready(page)
    item = page.get_attribute("#item", "data-item-id")
    with page.expect_navigation():
        page.click("#similar-link")
    _ready(page)
    cells = page.query_selector_all("#grid .cell")
    assert len(cells) == 24 and page.inner_text("#n-selected") == "24"
    ids = [c.get_attribute("data-item-id") for c in cells]
    assert item not in ids
    page.click(f'.cell[data-item-id="{ids[0]}"] .pick-box')  # untick one
    assert page.inner_text("#n-selected") == "23"
    with page.expect_navigation():
        page.keyboard.press("8")  # the 8th class, "7"
    _ready(page)
    assert page.inner_text("#feedback") == "labelled 23 as '7' — undo with U"
    store = LabelStore(ws.store.path)
    assert store.current_labels() == dict.fromkeys(ids[1:], "7")
    with page.expect_navigation():
        page.keyboard.press("u")  # one undo: the whole batch
    _ready(page)
    assert page.inner_text("#feedback") == "undid the labels of 23 item(s)"
    assert store.current_labels() == {}
    assert len(store.history()) == 46
    page.close()


def test_a_grid_action_on_items_labelled_meanwhile_says_which_and_can_confirm(
    browser: Any,  # noqa: F811
    digits: tuple[Workspace, Server],
) -> None:
    ws, srv = digits
    page = browser.new_page()
    first = str(ws.source_dataset().ids[0])
    page.goto(srv.url + f"grid?mode=neighbours&item={first}&n=4")
    _ready(page)
    ids = [c.get_attribute("data-item-id") for c in page.query_selector_all("#grid .cell")]
    store = LabelStore(ws.store.path)
    store.add_label(ids[2], "3", who="ben")  # another page, after this grid was shown
    page.click('button.grid-label[data-label="1"]')
    page.wait_for_selector("#confirm-changed")
    text = page.inner_text("#feedback")
    assert "labelled 3 as '1'" in text and f"{ids[2]} ('3' by ben)" in text
    assert store.current_labels()[ids[2]] == "3"
    with page.expect_navigation():
        page.click("#confirm-changed")
    _ready(page)
    assert store.current_labels()[ids[2]] == "1"
    page.close()


def test_search_box_empty_query_and_no_text_side(
    browser: Any,  # noqa: F811
    digits: tuple[Workspace, Server],
) -> None:
    _, srv = digits
    page = browser.new_page()
    page.goto(srv.url)
    _ready(page)
    page.select_option("#search-how", "semantic")
    page.fill("#search-q", "a seven")
    with page.expect_navigation():
        page.press("#search-q", "Enter")
    _ready(page)
    assert "has no text side" in page.inner_text("#grid-note") or "has none" in page.inner_text(
        "#grid-note"
    )
    assert page.is_visible("#offer-similar")
    page.fill("#search-q", "")
    with page.expect_navigation():
        page.click("#search-go")
    _ready(page)
    assert "Expected a search query" in page.inner_text("#grid-note")
    page.close()


def test_lexical_search_finds_text_and_keys_past_ten_classes(
    browser: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    classes = [f"topic{k}" for k in range(12)]
    texts = ["the court ruled", "a refund came", "the court again", "shipping late"]
    pd.DataFrame({"id": [f"t{k}" for k in range(4)], "text": texts}).to_csv(
        tmp_path / "t.csv", index=False
    )
    ws = Workspace.init(
        tmp_path / "ws", data=str(tmp_path / "t.csv"), text="text", id="id", classes=classes
    )
    ws.store.add_round("random", ["t0", "t1"])
    srv = Server(ws.root)
    try:
        page = browser.new_page()
        page.goto(srv.url)
        _ready(page)
        shown = page.get_attribute("#item", "data-item-id")
        with page.expect_navigation():
            page.keyboard.press("b")  # the 12th class: 1-9, 0, then a, b
        _ready(page)
        assert LabelStore(ws.store.path).current_labels() == {shown: "topic11"}
        assert page.inner_text("#feedback") == f"labelled {shown} as 'topic11' — undo with U"
        with page.expect_navigation():
            page.keyboard.press("u")
        _ready(page)
        assert page.inner_text("#feedback") == f"undid the label of {shown}: unlabelled again"
        page.fill("#search-q", "court")
        with page.expect_navigation():
            page.press("#search-q", "Enter")
        _ready(page)
        ids = [c.get_attribute("data-item-id") for c in page.query_selector_all("#grid .cell")]
        assert ids == ["t0", "t2"]
        with page.expect_navigation():
            page.keyboard.press("a")  # the 11th class on the grid
        _ready(page)
        assert LabelStore(ws.store.path).current_labels() == {"t0": "topic10", "t2": "topic10"}
        page.close()
    finally:
        srv.kill()
