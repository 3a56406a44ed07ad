"""Screenshots of the labelling page in each mode, for the docs: ``docs/img/page_*.png``.

Runs the real page (``python -m fewlabels.app``) on two small workspaces and photographs it
in headless Debian Chromium (Playwright):

* digits (pixels encoder): one item, the "more like this" grid, feedback after a grid
  action, browse by confidence, accept-all-that-are-right, the confusion view, and a search
  by meaning refused (pixels has no text side);
* a text table with context columns (MiniLM int8): the item with its context, and a search;
* a multi-label text table (MiniLM int8, ``task = "multilabel"``): the item with its
  checkboxes and the model's per-class probabilities, one class ticked
  (``page-multilabel.png``).

Usage: ``python benchmarks/page_screens.py [--out docs/img] [--only multilabel]`` (about a
minute).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from app.test_app_browser import CHROMIUM, CHROMIUM_ARGS, Server
from fewlabels.workspace import Workspace

TEXTS = [
    ("The court dismissed the appeal on procedural grounds.", "Appeal dismissed", "Reuters"),
    ("Parcel arrived two weeks late and the box was crushed.", "Late again", "a buyer"),
    ("I asked for my money back and got a refund in a day.", "Quick refund", "a buyer"),
    ("New ruling on data privacy takes effect next month.", "Privacy ruling", "AP"),
    ("Tracking says delivered but nothing came.", "Lost parcel", "a buyer"),
    ("The bank reversed the charge after my complaint.", "Charge reversed", "a buyer"),
]


def _shoot(page, url: str, path: Path, *, wait: str = "body[data-ready='1']") -> None:
    page.goto(url)
    page.wait_for_selector(wait)
    page.screenshot(path=str(path), full_page=True)
    print("wrote", path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="docs/img")
    parser.add_argument(
        "--only", choices=["all", "multilabel"], default="all", help="Which screenshots to take."
    )
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        root = Path(tmp)
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        if args.only == "multilabel":
            _multilabel(page, root, out)
            browser.close()
            return

        ws = Workspace.init(root / "digits", data="digits")
        ws.suggest(n=20)
        srv = Server(ws.root)
        try:
            _shoot(page, srv.url, out / "page_label.png")
            item = page.get_attribute("#item", "data-item-id")
            _shoot(page, srv.url + f"grid?mode=neighbours&item={item}&n=24", out / "page_grid.png")
            page.click("#grid .cell:nth-child(3) .pick-box")  # untick one
            with page.expect_navigation():
                page.keyboard.press("1")
            page.wait_for_selector("body[data-ready='1']")
            page.screenshot(path=str(out / "page_feedback.png"), full_page=True)
            print("wrote", out / "page_feedback.png")
            ids = [str(i) for i in ws.source_dataset().ids[:60]]
            from fewlabels.data import load_builtin

            truth = dict(
                zip(
                    [str(i) for i in ws.source_dataset().ids],
                    _digit_truth(ws, load_builtin),
                    strict=True,
                )
            )
            ws.store.add_labels([(i, truth[i]) for i in ids], who="screens")
            _shoot(
                page,
                srv.url + "grid?mode=browse&by=confidence&n=24&refresh=1",
                out / "page_browse.png",
            )
            _shoot(page, srv.url + "grid?mode=confident&class=3&n=24", out / "page_confident.png")
            _shoot(page, srv.url + "confusion?refresh=1", out / "page_confusion.png")
            _shoot(
                page,
                srv.url + "grid?mode=search&how=semantic&q=a%20seven",
                out / "page_search_no_text_side.png",
            )
        finally:
            srv.kill()

        frame = pd.DataFrame(
            [
                {"id": f"d{k}", "text": t, "title": h, "author": a}
                for k, (t, h, a) in enumerate(TEXTS)
            ]
        )
        frame.to_csv(root / "texts.csv", index=False)
        tw = Workspace.init(
            root / "texts",
            data=str(root / "texts.csv"),
            text="text",
            id="id",
            classes=["legal", "shipping", "money"],
        )
        toml = tw.root / "fewlabels.toml"
        toml.write_text(toml.read_text() + '\n[page]\ncontext = ["title", "author"]\n')
        tw.store.add_round("random", ["d0", "d1", "d2"])
        srv = Server(tw.root)
        try:
            _shoot(page, srv.url, out / "page_context.png")
            _shoot(
                page,
                srv.url + "grid?mode=search&how=semantic&q=a%20late%20delivery&n=6",
                out / "page_search.png",
            )
        finally:
            srv.kill()
        _multilabel(page, root, out)
        browser.close()


#: A multi-label text task: each complaint can be about several things, or none of them.
MULTI = [
    ("The courier lost my parcel and the shop refuses a refund.", ["shipping", "money"]),
    ("Court rules the seller must pay back every customer.", ["legal", "money"]),
    ("Parcel arrived two weeks late.", ["shipping"]),
    ("My card was charged twice for one order.", ["money"]),
    ("The new consumer law covers late deliveries too.", ["legal", "shipping"]),
    ("Lovely colours, exactly as pictured.", []),
    ("A lawyer says the warranty terms are unlawful.", ["legal"]),
    ("Refund came quickly after I sent the item back by post.", ["money", "shipping"]),
    ("Tracking says delivered, but nothing came; the bank will not reverse the charge.", None),
    ("They settled the lawsuit over hidden fees.", None),
    ("Great fit, will buy again.", None),
    ("The box was crushed in transit.", None),
]


def _multilabel(page, root: Path, out: Path) -> None:
    """The multi-label item view: checkboxes, keys, per-class probabilities, one ticked."""
    import json

    src = root / "multi.jsonl"
    src.write_text(
        "\n".join(
            json.dumps({"id": f"c{k}", "text": t, "tags": tags})
            for k, (t, tags) in enumerate(MULTI)
        )
        + "\n",
        encoding="utf-8",
    )
    ws = Workspace.init(
        root / "multi",
        data=str(src),
        text="text",
        id="id",
        label="tags",
        classes=["legal", "shipping", "money"],
        task="multilabel",
        encoder="minilm-int8",
    )
    ws.suggest(n=4, strategy="multilabel-uncertainty")
    srv = Server(ws.root)
    try:
        page.goto(srv.url)
        page.wait_for_selector("body[data-ready='1']")
        page.keyboard.press("2")  # tick "shipping"
        path = out / "page-multilabel.png"
        page.screenshot(path=str(path), full_page=True)
        print("wrote", path)
    finally:
        srv.kill()


def _digit_truth(ws: Workspace, load_builtin) -> list[str]:
    """The true digit of each pool item (for the screenshots' labels only), by content."""
    import hashlib

    import numpy as np

    train = load_builtin("digits").train
    key = {
        hashlib.sha256(np.ascontiguousarray(x).tobytes()).hexdigest(): train.classes[c]
        for x, c in zip(train.inputs, train.labels, strict=True)
    }
    return [
        key[hashlib.sha256(np.ascontiguousarray(x).tobytes()).hexdigest()]
        for x in ws.source_dataset().inputs
    ]


if __name__ == "__main__":
    main()
