from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fewlabels.bench import results as res


def _row(**kw: object) -> dict[str, object]:
    base: dict[str, object] = dict(
        dataset="d", encoder="e", method="m", seed=0, status="ok", accuracy=0.5, cell_id="c0"
    )
    base.update(kw)
    return res.make_row(**base)


def test_make_row_fills_defaults_and_refuses_unknown_columns() -> None:
    row = _row()
    assert list(row) == list(res.SCHEMA)
    assert row["strategy"] == "" and row["round"] == -1 and np.isnan(row["macro_f1"])
    with pytest.raises(ValueError, match=r"unknown column\(s\) \['acuracy'\]"):
        _row(acuracy=0.1)
    with pytest.raises(ValueError, match=r"\['accuracy'\] are missing"):
        res.make_row(dataset="d", encoder="e", method="m", seed=0, status="ok")
    with pytest.raises(ValueError, match="Expected status in"):
        _row(status="done")


def test_conform_adds_optional_columns_for_simulate_rows() -> None:
    frame = pd.DataFrame(
        {
            "dataset": ["d"],
            "encoder": ["e"],
            "method": ["auto"],
            "seed": [1],
            "status": ["ok"],
            "accuracy": [0.7],
            "strategy": ["margin"],
            "round": [3],
            "n_labels": [40],
        }
    )
    out = res.conform(frame)
    assert list(out.columns) == list(res.SCHEMA)
    assert out.loc[0, "strategy"] == "margin" and out.loc[0, "round"] == 3
    assert out.loc[0, "budget"] == "" and out["n_labels"].dtype == np.int64
    with pytest.raises(ValueError, match=r"\['status'\] are missing"):
        res.conform(frame.drop(columns=["status"]))


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_write_read_round_trip(tmp_path: Path, suffix: str) -> None:
    frame = pd.DataFrame(
        [_row(cell_id="a"), _row(cell_id="b", status="failed", accuracy=float("nan"), error="X: y")]
    )
    path = res.write_results(frame, tmp_path / f"r{suffix}")
    back = res.read_results(path)
    assert back["cell_id"].tolist() == ["a", "b"]
    assert back.loc[1, "error"] == "X: y" and np.isnan(back.loc[1, "accuracy"])
    assert back.loc[0, "strategy"] == ""
    with pytest.raises(ValueError, match="ending in .csv or .parquet"):
        res.write_results(frame, tmp_path / "r.txt")


def test_cells_are_files_and_merge(tmp_path: Path) -> None:
    res.write_cell(tmp_path, _row(cell_id="x|1"))
    res.write_cell(tmp_path, _row(cell_id="x|2", accuracy=0.9))
    assert res.done_cells(tmp_path) == {"x|1", "x|2"}
    frame = res.finalize_run(tmp_path)
    assert sorted(frame["cell_id"]) == ["x|1", "x|2"]
    assert (tmp_path / "results.csv").is_file() and (tmp_path / "results.parquet").is_file()
    assert res.read_results(tmp_path)["accuracy"].max() == pytest.approx(0.9)
    assert not list(tmp_path.glob("cells/.*tmp"))


def test_concat_keeps_first_of_repeated_cell_ids() -> None:
    a = pd.DataFrame([_row(cell_id="k", accuracy=0.1)])
    b = pd.DataFrame(
        [
            _row(cell_id="k", accuracy=0.2),
            _row(cell_id="", accuracy=0.3),
            _row(cell_id="", accuracy=0.4),
        ]
    )
    out = res.concat_results([a, b])
    assert out["accuracy"].tolist() == [0.1, 0.3, 0.4]


def test_read_results_missing_path_says_what(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nothing is there"):
        res.read_results(tmp_path / "nope.csv")
    with pytest.raises(FileNotFoundError, match="has neither"):
        res.read_results(tmp_path)


def test_load_for_report_reads_run_folders_with_their_records(tmp_path: Path) -> None:
    import json

    run = tmp_path / "run"
    res.write_cell(run, _row(protocol="p", cell_id="c0"))
    res.write_cell(run, _row(protocol="p", cell_id="c1", seed=1))
    (run / "protocol.json").write_text(json.dumps({"protocol": {"name": "p"}}))
    (run / "run.json").write_text(json.dumps({"sessions": [], "total_seconds": 3.0}))
    alone = tmp_path / "alone.csv"
    rows = [_row(protocol="p", cell_id="c1", seed=1), _row(protocol="p", cell_id="c2")]
    res.write_results(pd.DataFrame(rows), alone)
    frame, recorded, info = res.load_for_report([run, alone])
    assert frame["cell_id"].tolist() == ["c0", "c1", "c2"]  # the repeated c1 kept once
    assert recorded == {"name": "p"} and info == {"sessions": [], "total_seconds": 3.0}
    assert res.load_for_report([alone])[1:] == (None, None)
    with pytest.raises(ValueError, match="at least one results file"):
        res.load_for_report([])


def test_a_failed_write_keeps_the_old_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    target = tmp_path / "r.csv"
    res.write_results(pd.DataFrame([_row()]), target)
    before = target.read_bytes()
    monkeypatch.setattr(os, "replace", lambda a, b: (_ for _ in ()).throw(OSError("full")))
    with pytest.raises(OSError, match="full"):
        res.write_results(pd.DataFrame([_row(accuracy=0.9)]), target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["r.csv"]
    with pytest.raises(ValueError, match=r"ending in \.csv or \.parquet"):
        res.write_results(pd.DataFrame([_row()]), tmp_path / "r.txt")
