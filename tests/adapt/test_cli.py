"""`fewlabels adapt`: on a built-in dataset and on a workspace (which then uses the result)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
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
    ws_dir, texts = _text_workspace(tmp_path, tiny_body_dir)
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


def _text_workspace(tmp_path: Path, tiny_body_dir: Path) -> tuple[Path, list[str]]:
    """A 24-row text workspace on the tiny random body, 8 rows labelled (two classes)."""
    import pandas as pd

    rng = np.random.default_rng(0)
    words = "house tree water light music paper stone cloud".split()
    texts = [" ".join([*rng.choice(words, 4), "happy" if i % 2 else "angry"]) for i in range(24)]
    labels = [("happy" if i % 2 else "angry") if i < 8 else "" for i in range(24)]
    table = tmp_path / "toy.csv"
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
    return ws_dir, texts


def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a connection fails the test (offline means offline)."""
    import socket

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a network connection was attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_lora_from_the_cli_is_recorded_said_and_reloads_offline_without_peft(
    tmp_path: Path, tiny_body_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fewlabels.adapt.body import body_tensors, load_body

    ws_dir, texts = _text_workspace(tmp_path, tiny_body_dir)
    result = runner.invoke(
        app,
        [
            "adapt", "-w", str(ws_dir), "--method", "setfit-body", "--device", "cpu",
            "--lora", "--lora-rank", "2", "--lora-alpha", "4",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "with setfit-body (LoRA rank 2, alpha 4):" in said
    ws = Workspace.open(ws_dir)
    folder = Path(ws.config.encoder.split(":", 1)[1])
    settings = json.loads((folder / "adapter.json").read_text())["settings"]
    assert (settings["lora"], settings["lora_rank"], settings["lora_alpha"]) == (True, 2, 4.0)
    assert settings["lr"] == 1e-4  # LoRA's rate when --lr is not given, not the body's 2e-5
    _no_network(monkeypatch)
    monkeypatch.setitem(sys.modules, "peft", None)  # the merged encoder needs no peft
    enc = get_encoder(ws.config.encoder, device="cpu")
    assert enc.meta.settings == settings and enc.meta.kind == "body"
    # LoRA really trained: only the attention projections moved, by a rank-2 update
    frozen = body_tensors(load_body(get_encoder(f"st:{tiny_body_dir}", device="cpu"), device="cpu"))
    changed = [k for k in frozen if not np.array_equal(frozen[k], enc.tensors[k])]
    assert len(changed) == 2 * 3  # 2 layers x (query, key, value)
    assert all(k.endswith(("query.weight", "key.weight", "value.weight")) for k in changed)
    assert all(np.linalg.matrix_rank(enc.tensors[k] - frozen[k], tol=1e-8) <= 2 for k in changed)
    np.testing.assert_allclose(np.asarray(ws.embeddings().X), enc.encode(texts), atol=1e-5)


def test_whole_body_adaptation_from_the_cli_says_no_lora(
    tmp_path: Path, tiny_body_dir: Path
) -> None:
    ws_dir, _ = _text_workspace(tmp_path, tiny_body_dir)
    result = runner.invoke(
        app,
        ["adapt", "-w", str(ws_dir), "--method", "setfit-body", "--device", "cpu", "--no-lora",
         "--epochs", "1"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "LoRA" not in result.output
    ws = Workspace.open(ws_dir)
    folder = Path(ws.config.encoder.split(":", 1)[1])
    settings = json.loads((folder / "adapter.json").read_text())["settings"]
    assert "lora" not in settings
    assert settings["lr"] == 2e-5  # the method's own default without --lora


def test_lr_from_the_cli_is_used_with_and_without_lora(tmp_path: Path, tiny_body_dir: Path) -> None:
    for options in (["--lora", "--lora-rank", "2"], []):
        (tmp_path / str(len(options))).mkdir()
        ws_dir, _ = _text_workspace(tmp_path / str(len(options)), tiny_body_dir)
        result = runner.invoke(
            app,
            ["adapt", "-w", str(ws_dir), "--method", "setfit-body", "--device", "cpu",
             "--epochs", "1", "--lr", "3e-4", *options],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        folder = Path(Workspace.open(ws_dir).config.encoder.split(":", 1)[1])
        assert json.loads((folder / "adapter.json").read_text())["settings"]["lr"] == 3e-4


@pytest.mark.parametrize("lr", ["0", "-1"])
def test_a_bad_lr_gives_the_configs_message(tmp_path: Path, lr: str) -> None:
    result = runner.invoke(
        app,
        ["adapt", "--dataset", "wine", "--method", "scarf", "--lr", lr, "--out",
         str(tmp_path / "o")],
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert f"ScarfConfig expected lr in (0, 10], but got {float(lr)}" in said
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("method", "options"),
    [
        ("head", ["--lora"]),
        ("scarf", ["--lora-rank", "4"]),
        ("simclr-image", ["--no-lora"]),
        ("head", ["--lora", "--lora-alpha", "8"]),
    ],
)
def test_lora_options_for_a_method_without_lora_name_the_methods_that_take_it(
    tmp_path: Path, method: str, options: list[str]
) -> None:
    result = runner.invoke(
        app,
        ["adapt", "--dataset", "wine", "--method", method, *options, "--out", str(tmp_path / "o")],
    )
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)  # the one error handler, no traceback
    said = " ".join(result.output.split())
    assert f"{options[0]}" in said and f"but the method is '{method}'" in said
    assert "(setfit-body or simcse)" in said
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("method", ["setfit-body", "simcse"])
@pytest.mark.parametrize("rank", ["0", "-1"])
def test_a_bad_lora_rank_gives_the_configs_message(
    tmp_path: Path, tiny_body_dir: Path, method: str, rank: str
) -> None:
    owner = {"setfit-body": "SetFitBodyConfig", "simcse": "SimCSEConfig"}[method]
    result = runner.invoke(
        app,
        [
            "adapt", "--dataset", "finefoods", "--encoder", f"st:{tiny_body_dir}",
            "--method", method, "--lora", "--lora-rank", rank, "--out", str(tmp_path / "o"),
        ],
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    said = " ".join(result.output.split())
    assert f"{owner} expected lora_rank to be a whole number >= 1, but got {rank}." in said
    assert not (tmp_path / "o").exists()


def test_rank_or_alpha_without_lora_is_refused(tmp_path: Path) -> None:
    for options, why in (
        (["--lora-rank", "4"], "it is missing"),
        (["--no-lora", "--lora-alpha", "8"], "--no-lora was given"),
    ):
        result = runner.invoke(
            app,
            ["adapt", "--dataset", "finefoods", "--method", "simcse", *options, "--out",
             str(tmp_path / "o")],
        )  # fmt: skip
        assert result.exit_code == 2, result.output
        said = " ".join(result.output.split())
        assert f"Expected --lora with {options[-2]}, but {why}" in said and "Add --lora" in said
