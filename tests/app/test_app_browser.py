"""The labelling page in a real browser: headless Debian Chromium driven by Playwright.

The server runs as a subprocess (``python -m fewlabels.app``) on a free port, so killing it
with SIGKILL is real. Chromium comes from Debian (``apt-get install chromium``); these tests
fail, never skip, when it is missing.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fewlabels.store import LabelStore
from fewlabels.workspace import Workspace

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROUND = 6


class Server:
    """``python -m fewlabels.app WS`` on a free port; ``url`` is what it printed."""

    def __init__(self, root: Path, *extra: str) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "fewlabels.app",
                str(root),
                "--no-browser",
                "--port",
                "0",
                *extra,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 60
        self.url = ""
        lines = []
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line and self.proc.poll() is not None:
                break
            lines.append(line)
            m = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
            if m:
                self.url = m.group(1)
                break
        assert self.url, f"the server printed no URL: {''.join(lines)}"

    def kill(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium is missing at {CHROMIUM}: the real-browser tests need it. Install it with "
            "`apt-get install -y chromium` (Debian; `.ci/run` does this). "
            "Never `playwright install`."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    ws = Workspace.init(tmp_path / "ws", data="digits")
    ws.suggest(n=ROUND)
    return ws


@pytest.fixture
def server(workspace: Workspace) -> Iterator[Server]:
    srv = Server(workspace.root)
    yield srv
    srv.kill()


def _shown(page: Any) -> str | None:
    el = page.query_selector("#item")
    return None if el is None else el.get_attribute("data-item-id")


def _press(page: Any, key: str) -> None:
    """Press a key and wait for the reload that follows the commit."""
    with page.expect_navigation():
        page.keyboard.press(key)
    page.wait_for_selector("body[data-ready='1']")


def test_keyboard_labels_undo_reload_and_database(
    browser: Any, server: Server, workspace: Workspace
) -> None:
    page = browser.new_page()
    page.goto(server.url)
    page.wait_for_selector("body[data-ready='1']")
    assert page.is_visible("#item-image")
    assert page.inner_text("#progress-text") == f"0 / {ROUND} labelled"
    labelled = []
    for key in ("2", "5", "8"):  # keys 1-9 pick the 1st-9th class: here "1", "4", "7"
        item = _shown(page)
        assert item is not None
        _press(page, key)
        labelled.append(item)
    store = LabelStore(workspace.store.path)
    assert store.current_labels() == dict(zip(labelled, ["1", "4", "7"], strict=True))
    assert page.inner_text("#progress-text") == f"3 / {ROUND} labelled"
    _press(page, "u")  # undo the last label: that item shows again
    assert _shown(page) == labelled[-1]
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    assert _shown(page) == labelled[-1]
    assert page.inner_text("#progress-text") == f"2 / {ROUND} labelled"
    hist = store.history()
    assert [e.item_id for e in hist] == [*labelled, labelled[-1]]
    assert [e.label for e in hist] == ["1", "4", "7", None]
    assert hist[-1].undoes == hist[2].seq and {e.source for e in hist} == {"human"}
    assert store.current_labels() == dict(zip(labelled[:2], ["1", "4"], strict=True))
    page.screenshot(path=str(workspace.root / "page.png"))
    page.close()


def test_two_clients_label_at_once_and_lose_nothing(
    browser: Any, server: Server, workspace: Workspace
) -> None:
    ctx_a, ctx_b = browser.new_context(), browser.new_context()  # two cookies: two clients
    pages = [ctx_a.new_page(), ctx_b.new_page()]
    ok: list[str] = []
    for p in pages:
        p.on(
            "response",
            lambda r: (
                ok.append(r.url) if r.url.endswith("/api/label") and r.status == 200 else None
            ),
        )
        p.goto(server.url)
        p.wait_for_selector("body[data-ready='1']")
    seen: list[str] = []
    for _ in range(ROUND):
        active = [p for p in pages if _shown(p) is not None]
        if not active:
            break
        shown = [_shown(p) for p in active]
        seen.extend(s for s in shown if s is not None)
        if len(active) == 2:
            assert shown[0] != shown[1], "two pages were shown the same item"
        navs = [p.expect_navigation() for p in active]
        for nav in navs:
            nav.__enter__()
        for k, p in enumerate(active):  # both keys go out before either reload finishes
            p.keyboard.press(str(k + 1))
        for nav in navs:
            nav.__exit__(None, None, None)
        for p in active:
            p.wait_for_selector("body[data-ready='1']")
    for p in pages:
        assert p.is_visible("#done")
    hist = LabelStore(workspace.store.path).history()
    rnd = workspace.store.latest_round()
    assert rnd is not None
    assert len(hist) == len(ok) == ROUND  # every committed POST is in the history, once
    assert {e.item_id for e in hist} == set(rnd.item_ids)
    assert len({e.who for e in hist}) == 2
    ctx_a.close()
    ctx_b.close()


def test_sigkill_mid_session_keeps_every_committed_label(
    browser: Any, server: Server, workspace: Workspace
) -> None:
    page = browser.new_page()
    page.goto(server.url)
    page.wait_for_selector("body[data-ready='1']")
    committed = []
    for key in ("1", "2", "3"):
        committed.append(_shown(page))
        _press(page, key)  # the page reloads only after the server committed the label
    server.kill(signal.SIGKILL)
    assert server.proc.returncode == -signal.SIGKILL
    page.close()
    again = Server(workspace.root)
    try:
        store = LabelStore(workspace.store.path)
        assert set(store.current_labels()) == set(committed)
        assert [e.label for e in store.history()] == ["0", "1", "2"]
        page = browser.new_page()
        page.goto(again.url)
        page.wait_for_selector("body[data-ready='1']")
        assert page.inner_text("#progress-text") == f"3 / {ROUND} labelled"
        assert _shown(page) not in committed
        _press(page, "4")
        assert len(LabelStore(workspace.store.path).current_labels()) == 4
        page.close()
    finally:
        again.kill()


def test_a_label_sent_while_labels_db_is_locked_is_kept_and_retried(
    browser: Any, workspace: Workspace
) -> None:
    srv = Server(workspace.root, "--busy-timeout", "0.3")
    other = sqlite3.connect(workspace.store.path, isolation_level=None)
    try:
        page = browser.new_page()
        page.goto(srv.url)
        page.wait_for_selector("body[data-ready='1']")
        item = _shown(page)
        other.execute("BEGIN IMMEDIATE")  # another writer (an import, say) holds the lock
        page.keyboard.press("1")
        page.wait_for_selector("#status[data-state='retrying']", timeout=15_000)
        assert "your label is kept" in page.inner_text("#status")
        assert page.evaluate("sessionStorage.getItem('fewlabels-pending')") is not None
        assert LabelStore(workspace.store.path).history() == []
        with page.expect_navigation(timeout=30_000):
            other.execute("COMMIT")  # the lock goes: the queued label is sent again and saved
        page.wait_for_selector("body[data-ready='1']")
        assert page.evaluate("sessionStorage.getItem('fewlabels-pending')") is None
        hist = LabelStore(workspace.store.path).history()
        assert [(e.item_id, e.label) for e in hist] == [(item, "0")]
        assert _shown(page) != item
        page.close()
    finally:
        if other.in_transaction:
            other.execute("ROLLBACK")
        other.close()
        srv.kill()


def test_none_of_these_key_and_a_review_decision(
    browser: Any, server: Server, workspace: Workspace
) -> None:
    page = browser.new_page()
    page.goto(server.url)
    page.wait_for_selector("body[data-ready='1']")
    off_topic = _shown(page)
    assert off_topic is not None
    _press(page, "n")  # none of these: out of the pool, done for the round
    store = LabelStore(workspace.store.path)
    assert set(store.excluded()) == {off_topic}
    assert _shown(page) not in (None, off_topic)
    assert page.inner_text("#progress-text") == f"1 / {ROUND} labelled"
    rnd = store.latest_round()
    assert rnd is not None
    disputed = next(i for i in rnd.item_ids if i != off_topic)
    store.add_label(disputed, "1", who="ana")
    store.add_label(disputed, "2", who="ben")
    page.goto(server.url + "review")
    page.wait_for_selector("body[data-ready='1']")
    page.fill("#annotator", "cleo")  # asked once, kept in localStorage
    with page.expect_navigation():
        page.press("#annotator", "Enter")
    page.wait_for_selector("body[data-ready='1']")
    assert page.evaluate("localStorage.getItem('fewlabels-annotator')") == "cleo"
    card = f'.review-item[data-item-id="{disputed}"]'
    assert "ana said 1, ben said 2" in page.inner_text(card)
    with page.expect_navigation():
        page.click(f'{card} button.review-change[data-label="3"]')
    page.wait_for_selector("body[data-ready='1']")
    assert page.is_visible("#review-empty")
    last = store.history(disputed)[-1]
    assert (last.label, last.who, last.source) == ("3", "cleo", "human")
    assert store.current_labels()[disputed] == "3"
    page.close()
