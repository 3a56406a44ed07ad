from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from fewlabels.cli import app


def test_simulate_on_digits_writes_results(tmp_path: Path) -> None:
    out = tmp_path / "sim.csv"
    args = [
        "simulate",
        "--dataset",
        "digits",
        "--strategy",
        "margin",
        "--learner",
        "ncm",
        "--batch",
        "10",
        "--rounds",
        "2",
        "--seeds",
        "1",
        "--out",
        str(out),
    ]
    result = CliRunner().invoke(app, args, terminal_width=200)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "reach random's final accuracy" in text and "macro-F1" in text
    # the row: final labels, final accuracy, balanced accuracy and macro-F1, labels needed
    assert re.search(r"│ margin │ 20 │ 0\.\d{3} │ 0\.\d{3} │ 0\.\d{3} │ \d+ │", text)
    assert re.search(r"accuracy 0\.\d{3}, balanced accuracy 0\.\d{3}, macro-F1 0\.\d{3}", text)
    # digits' test split: the majority class is about a tenth of it
    found = re.search(r"majority class: (0\.\d{3}) of the test split", text)
    assert found is not None and 0.09 < float(found.group(1)) < 0.12
    frame = pd.read_csv(out)
    assert frame["balanced_accuracy"].between(0.0, 1.0).all()
    assert frame["top_pred_share"].between(0.1, 1.0).all()
    assert sorted(frame["strategy"].unique()) == ["margin", "random"]
    assert sorted(frame["n_labels"].unique()) == [10, 20]
    # running again appends without duplicating cells
    again = CliRunner().invoke(
        app, [*args[:-6], "--rounds", "3", "--seeds", "1", "--out", str(out)]
    )
    assert again.exit_code == 0, again.output
    assert len(pd.read_csv(out)) == 2 * 3


def test_simulate_unknown_strategy_lists_known(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "simulate",
            "--dataset",
            "digits",
            "--strategy",
            "uncertain",
            "--out",
            str(tmp_path / "x.csv"),
        ],
    )
    assert result.exit_code == 2
    assert "Unknown strategy 'uncertain'" in result.output and "badge" in result.output
