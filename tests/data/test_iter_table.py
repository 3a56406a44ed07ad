"""iter_table: a table file in blocks, the same rows as read_table (issue 15, item 3)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fewlabels.data.table import iter_table, read_table


def frame(n: int = 23) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["001", "NA", "", "7"] * (n // 4) + ["x"] * (n % 4),
            "v": np.arange(n, dtype=float),
            "t": [f"text {i}" for i in range(n)],
        }
    )


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl", ".parquet"])
def test_blocks_put_together_are_the_whole_table(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"t{suffix}"
    f = frame()
    if suffix == ".parquet":
        f.iloc[2:].to_parquet(path, row_group_size=5)  # a stored index, 4 row groups
    elif suffix == ".jsonl":
        f.to_json(path, orient="records", lines=True)
    else:
        f.to_csv(path, index=False, sep="\t" if suffix == ".tsv" else ",")
    blocks = list(iter_table(path, as_written=["id"], rows=6))
    whole = read_table(path, as_written=["id"])
    assert all(len(b) <= 6 for b in blocks) and sum(map(len, blocks)) == len(whole)
    pd.testing.assert_frame_equal(
        pd.concat(blocks, ignore_index=True), whole.reset_index(drop=True)
    )
    if suffix in (".csv", ".tsv"):
        assert blocks[0]["id"].tolist()[:3] == ["001", "NA", ""]  # ids kept as written


def test_errors_are_those_of_read_table(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="Expected a table file ending in"):
        iter_table(tmp_path / "t.xlsx")
    with pytest.raises(FileNotFoundError, match="Expected a table file at"):
        iter_table(tmp_path / "none.csv")
    (tmp_path / "e.csv").write_text("")
    with pytest.raises(ValueError, match="but the file is empty"):
        list(iter_table(tmp_path / "e.csv"))
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n" + "1,2\n" * 10 + '3,"unclosed\n')
    with pytest.raises(ValueError, match="Expected a readable .csv table in .*could not be parsed"):
        list(iter_table(bad, rows=4))
    with pytest.raises(ValueError, match="Expected rows >= 1, but got 0"):
        iter_table(bad, rows=0)
