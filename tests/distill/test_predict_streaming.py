"""Streaming predict: blocks in, blocks out, the same rows as reading whole (issue 15, item 3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from typer.testing import CliRunner

from fewlabels.cli import app
from fewlabels.distill import DistillConfig, ImageStudent, TabularStudent, TextStudent, load_student
from fewlabels.distill.predict import (
    ExportedStudent,
    iter_prediction_data,
    predict_file,
    predict_to_file,
    read_prediction_data,
)

from .conftest import soft, toy_images, toy_table, toy_texts


@pytest.fixture(scope="module")
def table_model(tmp_path_factory: pytest.TempPathFactory) -> ExportedStudent:
    frame, y = toy_table()
    config = DistillConfig(epochs=8, batch_size=32, lr=1e-2, patience=3, progress=False)
    student = TabularStudent(config=config).fit(frame, soft(y), classes=("no", "yes"))
    return load_student(student.export(tmp_path_factory.mktemp("m") / "mlp.onnx"))


@pytest.fixture(scope="module")
def text_model(tmp_path_factory: pytest.TempPathFactory) -> ExportedStudent:
    texts, y = toy_texts(60)
    student = TextStudent(
        word_buckets=64, char_buckets=64, dim=4, config=DistillConfig(epochs=3, progress=False)
    )
    student.fit(texts, soft(y), classes=("bad", "good"))
    return load_student(student.export(tmp_path_factory.mktemp("m") / "text.onnx"))


def big_table(n: int = 301) -> pd.DataFrame:
    frame, _ = toy_table(n)
    return frame.assign(id=[f"{i:04d}" for i in range(n)])[["id", "x", "z", "colour"]]


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl", ".tsv"])
@pytest.mark.parametrize("proba", [False, True])
def test_streaming_writes_the_bytes_of_a_whole_file_prediction(
    table_model: ExportedStudent, tmp_path: Path, suffix: str, proba: bool
) -> None:
    table = tmp_path / f"rows{suffix}"
    frame = big_table()
    if suffix == ".parquet":
        frame.to_parquet(table, row_group_size=50)
    elif suffix == ".jsonl":
        frame.to_json(table, orient="records", lines=True)
    else:
        frame.to_csv(table, index=False, sep="\t" if suffix == ".tsv" else ",")
    whole = predict_file(table_model, frame, out=tmp_path / "whole.csv", proba=proba)
    summary = predict_to_file(
        table_model, table, tmp_path / "streamed.csv", rows=37, batch_size=16, proba=proba
    )
    assert (tmp_path / "streamed.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()
    assert summary.n_predicted == 301 and summary.skipped == []
    assert summary.counts == whole["label"].value_counts().to_dict()
    assert list(summary.counts.values()) == sorted(summary.counts.values(), reverse=True)
    assert summary.items_per_s > 0
    # a Parquet output holds the same rows
    predict_to_file(table_model, table, tmp_path / "streamed.parquet", rows=37, proba=proba)
    back = pd.read_parquet(tmp_path / "streamed.parquet")
    as_text = {"id": str, "label": str}
    pd.testing.assert_frame_equal(back.astype(as_text), whole.astype(as_text))


def test_blocks_are_bounded_and_cover_the_table_in_order(
    table_model: ExportedStudent, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = tmp_path / "rows.csv"
    big_table(100).drop(columns=["id"]).to_csv(table, index=False)
    blocks = list(iter_prediction_data(table, table_model, rows=30))
    assert [len(ids) for ids, _ in blocks] == [30, 30, 30, 10]
    assert [i for ids, _ in blocks for i in ids] == [str(i) for i in range(100)]  # row numbers
    seen: list[int] = []
    real = ExportedStudent.predict_readable

    def spy(self: ExportedStudent, inputs: Any, **kw: Any) -> Any:
        seen.append(len(inputs))
        return real(self, inputs, **kw)

    monkeypatch.setattr(ExportedStudent, "predict_readable", spy)
    predict_to_file(table_model, table, tmp_path / "out.csv", rows=30)
    assert seen == [30, 30, 30, 10]


def test_a_failing_block_leaves_no_half_written_file(
    table_model: ExportedStudent, tmp_path: Path
) -> None:
    frame = big_table(90)
    frame.loc[75, "x"] = np.nan  # refused (a missing value), in the third block
    table = tmp_path / "rows.csv"
    frame.to_csv(table, index=False)
    out = tmp_path / "out.csv"
    with pytest.raises(ValueError, match="1 of 30 row"):
        predict_to_file(table_model, table, out, rows=30)
    assert not out.exists() and list(tmp_path.iterdir()) == [table]


def test_text_lines_stream_with_their_line_numbers(
    text_model: ExportedStudent, tmp_path: Path
) -> None:
    lines = ["tasty food", "", "stale bread", "  ", "lovely\x0cawful", "great\r\nbland", "last"]
    data = tmp_path / "texts.txt"
    data.write_bytes("\n".join(lines).encode("utf-8"))
    text = data.read_text(encoding="utf-8")
    expected = [(str(i + 1), ln) for i, ln in enumerate(text.splitlines()) if ln.strip()]
    blocks = list(iter_prediction_data(data, text_model, rows=2))
    assert [(i, t) for ids, texts in blocks for i, t in zip(ids, texts, strict=True)] == expected
    assert max(len(ids) for ids, _ in blocks) <= 3  # a line cut by \x0c may add one
    ids, texts = read_prediction_data(data, text_model)
    assert list(zip(ids, texts, strict=True)) == expected
    streamed = predict_to_file(text_model, data, tmp_path / "p.csv", rows=2)
    assert streamed.n_predicted == len(expected)
    whole = predict_file(text_model, [t for _, t in expected])
    assert pd.read_csv(tmp_path / "p.csv")["label"].tolist() == whole["label"].tolist()


def test_a_folder_is_listed_lazily_in_sorted_path_order(tmp_path: Path) -> None:
    imgs, y = toy_images(8)
    student = ImageStudent(width=4, config=DistillConfig(epochs=1, progress=False))
    student.fit(imgs, soft(y), classes=("bar", "square"))
    model = load_student(student.export(tmp_path / "cnn.onnx"))
    folder = tmp_path / "imgs"
    names = ["b.png", "a/x.png", "a.png", "a-b.png", "a/c/z.png", "c.PNG", "notes.txt"]
    for k, name in enumerate(names):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        if name.endswith(".txt"):
            (folder / name).write_text("not an image")
        else:
            Image.fromarray(imgs[k]).save(folder / name, format="PNG")
    # the order predict always had: sorted paths (by their parts: a/c/z.png before a-b.png)
    paths = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() == ".png")
    expected = [p.relative_to(folder).as_posix() for p in paths]
    assert expected[:2] == ["a/c/z.png", "a/x.png"]
    blocks = list(iter_prediction_data(folder, model, rows=2))
    assert [i for ids, _ in blocks for i in ids] == expected
    assert [len(ids) for ids, _ in blocks] == [2, 2, 2]
    empty = tmp_path / "empty"
    (empty / "sub").mkdir(parents=True)
    with pytest.raises(ValueError, match="Expected images .* but found none"):
        list(iter_prediction_data(empty, model))


def test_bad_arguments_are_explained(table_model: ExportedStudent, tmp_path: Path) -> None:
    table = tmp_path / "rows.csv"
    big_table(5).to_csv(table, index=False)
    with pytest.raises(ValueError, match="Expected rows to be a whole number >= 1, but got 0"):
        iter_prediction_data(table, table_model, rows=0)
    with pytest.raises(KeyError, match="Expected the id column 'key'"):
        predict_to_file(table_model, table, tmp_path / "o.csv", id_column="key")
    (tmp_path / "rows.xlsx").write_bytes(b"PK")
    with pytest.raises(ValueError, match="Expected a table file ending in"):
        predict_to_file(table_model, tmp_path / "rows.xlsx", tmp_path / "o.csv")


def test_the_cli_streams_and_prints_items_per_second(
    table_model: ExportedStudent, tmp_path: Path
) -> None:
    table = tmp_path / "rows.parquet"
    big_table(40).to_parquet(table)
    out = tmp_path / "p.parquet"
    res = CliRunner().invoke(
        app, ["predict", str(table_model.path), str(table), "-o", str(out)], terminal_width=300
    )
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert f"wrote {out}: 40 prediction(s), {{'no': " in text and " items/s)" in text
    assert pd.read_parquet(out)["id"].tolist() == [f"{i:04d}" for i in range(40)]
