"""`fewlabels adapt`: on a built-in dataset and on a workspace (which then uses the result)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from fewlabels.cli import app
from fewlabels.data import load_builtin
from fewlabels.encode import get_encoder
from fewlabels.workspace import Workspace

runner = CliRunner()


def test_adapt_a_builtin_dataset_writes_a_loadable_encoder(tmp_path: Path) -> None:
    out = tmp_path / "wine-scarf"
    result = runner.invoke(
        app, ["adapt", "--dataset", "wine", "--method", "scarf", "--epochs", "2", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "adapted tabular with scarf" in result.output
    enc = get_encoder(f"adapted:{out}")
    bundle = load_builtin("wine")
    assert enc.meta.rows["n"] == len(bundle.train)  # the training split only
    Z = enc.encode(bundle.test.inputs)
    assert Z.shape == (len(bundle.test), enc.dim)


def test_adapt_a_workspace_switches_its_encoder(tmp_path: Path) -> None:
    ws_dir = tmp_path / "ws"
    result = runner.invoke(app, ["init", str(ws_dir), "--data", "wine"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["adapt", "-w", str(ws_dir), "--epochs", "1"])
    assert result.exit_code == 0, result.output
    ws = Workspace.open(ws_dir)
    assert ws.config.encoder.startswith("adapted:")
    assert Path(ws.config.encoder.split(":", 1)[1]).parent == (ws_dir / "adapted").resolve()
    emb = ws.embeddings()
    np.testing.assert_allclose(np.linalg.norm(np.asarray(emb.X), axis=1), 1.0, atol=1e-5)


def test_adapt_needs_one_source(tmp_path: Path) -> None:
    result = runner.invoke(app, ["adapt"])
    assert result.exit_code == 2 and "either -w WORKSPACE or --dataset" in result.output
    result = runner.invoke(app, ["adapt", "--dataset", "wine"])
    assert result.exit_code == 2 and "Expected --out DIR" in result.output
    result = runner.invoke(
        app, ["adapt", "--dataset", "finefoods", "--method", "scarf", "--out", str(tmp_path)]
    )
    assert result.exit_code == 2 and "Methods for text encoders: head" in result.output


def test_body_adaptation_of_a_text_workspace(tmp_path: Path, tiny_body_dir: Path) -> None:
    rng = np.random.default_rng(0)
    words = "house tree water light music paper stone cloud".split()
    texts = [" ".join([*rng.choice(words, 4), "happy" if i % 2 else "angry"]) for i in range(24)]
    labels = [("happy" if i % 2 else "angry") if i < 8 else "" for i in range(24)]
    table = tmp_path / "toy.csv"
    import pandas as pd

    pd.DataFrame({"text": texts, "label": labels}).to_csv(table, index=False)
    ws_dir = tmp_path / "ws"
    result = runner.invoke(
        app,
        [
            "init", str(ws_dir), "--data", str(table), "--text", "text", "--label", "label",
            "--encoder", f"st:{tiny_body_dir}",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        app, ["adapt", "-w", str(ws_dir), "--method", "setfit-body", "--device", "cpu"]
    )
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())  # the console wraps long lines
    assert "with setfit-body" in said and "(8 labelled, 0 pseudo-labelled)" in said
    assert "items/s" in said  # the progress bar
    ws = Workspace.open(ws_dir)
    assert ws.config.encoder.startswith("adapted:")
    enc = get_encoder(ws.config.encoder, device="cpu")
    assert enc.meta.kind == "body" and enc.meta.base["name"] == f"st:{tiny_body_dir}"
    emb = ws.embeddings()
    np.testing.assert_allclose(np.asarray(emb.X), enc.encode(texts), atol=1e-5)
