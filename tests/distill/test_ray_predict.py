"""predict_to_file(..., ray_address=) on a real local Ray cluster (tests/ray_cluster.py)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fewlabels.cli import app
from fewlabels.distill import DistillConfig, TabularStudent, TextStudent, load_student
from fewlabels.distill.predict import ExportedStudent, predict_to_file
from fewlabels.errors import FewlabelsError
from ray_cluster import free_port

from .conftest import soft, toy_table, toy_texts


@pytest.fixture(scope="module")
def table_model(tmp_path_factory: pytest.TempPathFactory) -> ExportedStudent:
    frame, y = toy_table()
    config = DistillConfig(epochs=4, batch_size=32, lr=1e-2, patience=3, progress=False)
    student = TabularStudent(config=config).fit(frame, soft(y), classes=("no", "yes"))
    return load_student(student.export(tmp_path_factory.mktemp("m") / "mlp.onnx"), threads=1)


@pytest.fixture(scope="module")
def text_model(tmp_path_factory: pytest.TempPathFactory) -> ExportedStudent:
    texts, y = toy_texts(60)
    student = TextStudent(
        word_buckets=64, char_buckets=64, dim=4, config=DistillConfig(epochs=2, progress=False)
    )
    student.fit(texts, soft(y), classes=("bad", "good"))
    return load_student(student.export(tmp_path_factory.mktemp("m") / "text.onnx"), threads=1)


def test_an_address_nobody_listens_on_fails_in_seconds(
    table_model: ExportedStudent, tmp_path: Path
) -> None:
    frame, _ = toy_table(20)
    table = tmp_path / "rows.csv"
    frame.to_csv(table, index=False)
    address = f"127.0.0.1:{free_port()}"
    began = time.perf_counter()
    with pytest.raises(FewlabelsError, match=f"Ray cluster at '{address}', but nothing answers"):
        predict_to_file(table_model, table, tmp_path / "out.csv", ray_address=address)
    assert time.perf_counter() - began < 10
    assert not (tmp_path / "out.csv").exists()


def test_cli_ray_options_name_a_dead_address(table_model: ExportedStudent, tmp_path: Path) -> None:
    address = f"127.0.0.1:{free_port()}"
    frame, _ = toy_table(20)
    frame.to_csv(tmp_path / "rows.csv", index=False)
    runner = CliRunner()
    for args in (
        ["predict", str(table_model.path), str(tmp_path / "rows.csv"), "--ray", address],
        ["embed", "wine", "-e", "tabular", "--ray", address, "--cache-dir", str(tmp_path)],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code != 0, args
        assert address in result.output and "nothing answers" in result.output, result.output


@pytest.mark.slow
@pytest.mark.parametrize("proba", [False, True])
def test_table_blocks_on_the_cluster_give_the_same_file(
    ray_cluster, table_model: ExportedStudent, tmp_path: Path, proba: bool
) -> None:  # type: ignore[no-untyped-def]
    frame, _ = toy_table(301)
    frame = frame.assign(id=[f"{i:04d}" for i in range(301)])
    table = tmp_path / "rows.parquet"
    frame.to_parquet(table, row_group_size=50)
    here = predict_to_file(table_model, table, tmp_path / "here.csv", rows=37, proba=proba)
    there = predict_to_file(
        table_model,
        table,
        tmp_path / "ray.csv",
        rows=37,
        proba=proba,
        ray_address=ray_cluster.address,
    )
    assert (tmp_path / "ray.csv").read_bytes() == (tmp_path / "here.csv").read_bytes()
    assert there.n_predicted == here.n_predicted == 301
    assert there.counts == here.counts


@pytest.mark.slow
def test_text_lines_on_the_cluster_give_the_same_file(
    ray_cluster, text_model: ExportedStudent, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    texts, _ = toy_texts(250)
    source = tmp_path / "texts.txt"
    source.write_text("\n".join(texts) + "\n")
    predict_to_file(text_model, source, tmp_path / "here.parquet", rows=40)
    result = CliRunner().invoke(
        app,
        [
            "predict",
            str(text_model.path),
            str(source),
            "-o",
            str(tmp_path / "ray.parquet"),
            "--ray",
            ray_cluster.address,
        ],
    )
    assert result.exit_code == 0, result.output
    # the CLI reads blocks of 65,536 rows: one block, the same rows and bytes of predictions
    import pandas as pd

    here = pd.read_parquet(tmp_path / "here.parquet")
    there = pd.read_parquet(tmp_path / "ray.parquet")
    pd.testing.assert_frame_equal(here, there)
