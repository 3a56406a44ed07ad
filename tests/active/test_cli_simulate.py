from __future__ import annotations

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
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "labels to reach random" in result.output
    frame = pd.read_csv(out)
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
