"""A one- or two-item class whose name is close to a bigger class's: warned at init and status."""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from fewlabels.cli import app
from fewlabels.workspace import LikelyTypo, Workspace, likely_typos


def test_likely_typos_finds_small_classes_close_to_a_bigger_one() -> None:
    counts = {"positive": 120, "postive": 1, "negative": 80, "Negative": 2, "neutral": 1}
    assert likely_typos(counts) == [
        LikelyTypo("postive", 1, "positive", 120),
        LikelyTypo("Negative", 2, "negative", 80),
    ]
    assert likely_typos(counts)[0].message() == (
        "class 'postive' has 1 item(s) and is close to 'positive' (120 item(s)): a typo?"
    )


def test_likely_typos_leaves_distinct_or_big_classes_alone() -> None:
    assert likely_typos({"cat": 50, "car": 1, "dog": 40}) == []  # 'car' is no typo of 'cat'
    assert likely_typos({"positive": 120, "postive": 3}) == []  # 3 items: a real class
    assert likely_typos({"positive": 0, "postive": 1}) == []  # the other has fewer items
    assert likely_typos({"0": 10, "1": 1, "7": 2}) == []
    assert likely_typos({}) == []


def _rows(path: Path) -> Path:
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text", "label"])
        for k in range(6):
            w.writerow([f"r{k}", f"text {k}", ("positive", "negative")[k % 2]])
        w.writerow(["r6", "text 6", "postive"])
    return path


def test_init_and_status_warn_about_a_typo_class(tmp_path: Path) -> None:
    src = _rows(tmp_path / "rows.csv")
    runner = CliRunner()
    ws = str(tmp_path / "ws")
    args = ["init", ws, "--data", str(src), "--text", "text", "--label", "label", "--id", "id"]
    r = runner.invoke(app, args)
    out = " ".join(r.output.split())
    assert r.exit_code == 0, out
    warning = "class 'postive' has 1 item(s) and is close to 'positive' (3 item(s)): a typo?"
    assert warning in out
    st = Workspace.open(ws).status(with_accuracy=False)
    assert st.likely_typos == [LikelyTypo("postive", 1, "positive", 3)]
    r = runner.invoke(app, ["status", "-w", ws])
    assert warning in " ".join(r.output.split()), r.output
