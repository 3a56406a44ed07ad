"""The multi-label page in a real browser (headless Debian Chromium through Playwright): keys
toggle classes, Enter confirms the set (the empty set too), the feedback line, undo."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.multilabel_fixtures import multilabel_text_workspace
from app.test_app_browser import Server, browser  # noqa: F401 - the module-scoped fixture
from fewlabels.store import LabelStore
from fewlabels.workspace import Workspace

pytestmark = pytest.mark.slow


@pytest.fixture
def ml_ws(tmp_path: Path) -> Workspace:
    return multilabel_text_workspace(tmp_path)


@pytest.fixture
def server(ml_ws: Workspace) -> Iterator[Server]:
    srv = Server(ml_ws.root)
    yield srv
    srv.kill()


def _ready(page: Any) -> None:
    page.wait_for_selector("body[data-ready='1']")


def _shown(page: Any) -> str | None:
    el = page.query_selector("#item")
    return None if el is None else el.get_attribute("data-item-id")


def _ticked(page: Any) -> list[str]:
    return page.eval_on_selector_all(
        "input.label-box", "bs => bs.filter(b => b.checked).map(b => b.dataset.label)"
    )


def _press(page: Any, key: str) -> None:
    """Press a key and wait for the reload that follows the commit."""
    with page.expect_navigation():
        page.keyboard.press(key)
    _ready(page)


def _sets(ws: Workspace) -> dict[str, tuple[str, ...]]:
    return LabelStore(ws.store.path).current_label_sets(sources=("human",))


def test_keys_toggle_enter_confirms_feedback_and_undo(
    browser: Any,  # noqa: F811 - the fixture imported above
    server: Server,
    ml_ws: Workspace,
) -> None:
    page = browser.new_page()
    page.goto(server.url)
    _ready(page)
    first = _shown(page)
    assert first == "m0" and _ticked(page) == []  # the guess {legal, shipping} is not ticked
    assert page.inner_text(".label-pick:nth-of-type(1) .proba") == "91%"
    assert "Enter confirms no labels" in page.inner_text("#chosen")
    page.keyboard.press("1")
    page.keyboard.press("3")
    assert _ticked(page) == ["legal", "money"]
    assert page.inner_text("#chosen") == "Enter confirms {legal, money}"
    page.keyboard.press("1")  # a second press unticks
    page.keyboard.press("2")
    assert _ticked(page) == ["shipping", "money"]
    _press(page, "Enter")
    assert _sets(ml_ws) == {"m0": ("shipping", "money")}
    assert page.inner_text("#feedback") == "labelled m0 as {shipping, money} — undo with U"
    second = _shown(page)
    assert second not in (None, "m0") and _ticked(page) == []  # a fresh item, nothing ticked
    _press(page, "Enter")  # nothing ticked: the empty set, a label like any other
    assert page.inner_text("#feedback") == f"labelled {second} as no labels — undo with U"
    assert _sets(ml_ws) == {"m0": ("shipping", "money"), str(second): ()}
    assert page.inner_text("#progress-text") == "2 / 3 labelled"
    _press(page, "u")  # undo the empty set: that item shows again, unlabelled
    assert _shown(page) == second
    assert page.inner_text("#feedback") == f"undid the labels of {second}: unlabelled again"
    assert _sets(ml_ws) == {"m0": ("shipping", "money")}
    _press(page, "u")  # and the set before it
    assert page.inner_text("#feedback") == "undid the labels of m0: unlabelled again"
    assert _sets(ml_ws) == {}
    page.close()


def test_click_then_confirm_button_and_a_refused_class(
    browser: Any,  # noqa: F811 - the fixture imported above
    server: Server,
    ml_ws: Workspace,
) -> None:
    page = browser.new_page()
    page.goto(server.url)
    _ready(page)
    page.click(".label-pick:nth-of-type(2)")  # a click on the class ticks it too
    assert _ticked(page) == ["shipping"]
    # a class the workspace does not have (a stale or tampered page) is refused, nothing saved
    page.evaluate("document.querySelector('input.label-box').dataset.label = 'zzz'")
    page.keyboard.press("1")
    page.click("#confirm")
    page.wait_for_selector("#status[data-state='error']")
    assert "labels must be among the classes ['legal', 'shipping', 'money']" in page.inner_text(
        "#status"
    )
    assert _sets(ml_ws) == {}
    page.reload()
    _ready(page)
    page.click(".label-pick:nth-of-type(2)")
    with page.expect_navigation():
        page.click("#confirm")
    _ready(page)
    assert page.inner_text("#feedback") == "labelled m0 as {shipping} — undo with U"
    assert _sets(ml_ws) == {"m0": ("shipping",)}
    page.close()


def test_preselect_guess_ticks_the_model_set(
    browser: Any,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
) -> None:
    ws = multilabel_text_workspace(
        tmp_path, page="\n[page]\ncontext = []\npreselect_guess = true\n"
    )
    srv = Server(ws.root)
    try:
        page = browser.new_page()
        page.goto(srv.url)
        _ready(page)
        assert _ticked(page) == ["legal", "shipping"]
        _press(page, "Enter")  # accepting the guess is one key
        assert _sets(ws) == {"m0": ("legal", "shipping")}
        page.close()
    finally:
        srv.kill()


def test_grid_adds_a_class_to_the_ticked_sets_and_one_undo_restores_them(
    browser: Any,  # noqa: F811 - the fixture imported above
    server: Server,
    ml_ws: Workspace,
) -> None:
    ml_ws.store.add_label_sets([("m1", ["shipping"])], who="ana")
    page = browser.new_page()
    page.goto(server.url + "grid?mode=search&how=lexical&q=the")
    _ready(page)
    assert "adds one class to each selected item" in page.inner_text("#grid-multilabel")
    ids = [c.get_attribute("data-item-id") for c in page.query_selector_all("#grid .cell")]
    assert {"m1", "m5"} <= set(ids)
    for item in ("m1", "m5"):  # labelled items start unticked: tick them
        page.click(f'.cell[data-item-id="{item}"] .pick-box')
    before = LabelStore(ml_ws.store.path).current_label_sets()  # m1 {shipping}, m5 {money}
    with page.expect_navigation():
        page.keyboard.press("3")  # the 3rd class, "money"
    _ready(page)
    n = len(ids)
    assert page.inner_text("#feedback") == (
        f"added 'money' to the labels of {n} item(s) — undo with U"
    )
    now = LabelStore(ml_ws.store.path).current_label_sets()
    assert now["m1"] == ("shipping", "money") and now["m5"] == ("money",)
    assert all("money" in now[i] for i in ids)
    with page.expect_navigation():
        page.keyboard.press("u")  # one undo: every set as it was
    _ready(page)
    assert page.inner_text("#feedback") == f"undid the labels of {n} item(s)"
    assert LabelStore(ml_ws.store.path).current_label_sets() == before
    page.close()
