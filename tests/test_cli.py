"""The foundation's commands: datasets, encoders, embed, demo."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from fewlabels.cli import app

runner = CliRunner()


def flat(text: str) -> str:
    """Output with line wrapping undone (rich wraps at the terminal width)."""
    return " ".join(text.split())


def test_datasets_and_encoders_list_names() -> None:
    out = runner.invoke(app, ["datasets"], terminal_width=200)
    assert out.exit_code == 0
    for name in ("digits", "mnist5k", "finefoods", "breast_cancer"):
        assert name in out.output
    out = runner.invoke(app, ["encoders"], terminal_width=200)
    assert out.exit_code == 0
    for name in ("minilm", "minilm-int8", "efficientnet-lite0", "clip:<model-id>"):
        assert name in out.output


def test_embed_a_folder_then_hit_the_cache(image_folder: Path, tmp_path: Path) -> None:
    args = ["embed", str(image_folder), "--encoder", "pixels", "--cache-dir", str(tmp_path / "c")]
    first = runner.invoke(app, [*args, "--out", str(tmp_path / "x.npy")], terminal_width=200)
    assert first.exit_code == 0, first.output
    assert "10 encoded now" in flat(first.output)
    assert np.load(tmp_path / "x.npy").shape[0] == 10
    second = runner.invoke(app, args, terminal_width=200)
    assert "0 encoded now, 10 from the cache" in flat(second.output)


def test_embed_a_table_with_bad_column_explains(tmp_path: Path) -> None:
    pd.DataFrame({"body": ["a", "b"], "y": ["p", "q"]}).to_csv(tmp_path / "t.csv", index=False)
    out = runner.invoke(
        app,
        ["embed", str(tmp_path / "t.csv"), "--encoder", "pixels", "--text", "text"],
        terminal_width=200,
    )
    assert out.exit_code == 2
    assert "text column(s) ['text']" in flat(out.output) and "'body'" in out.output


def test_embed_unknown_encoder_exits_2_with_known_names(image_folder: Path) -> None:
    out = runner.invoke(app, ["embed", str(image_folder), "--encoder", "nope"], terminal_width=200)
    assert out.exit_code == 2
    assert "Unknown encoder 'nope'" in flat(out.output) and "minilm" in out.output


def test_demo_prints_few_and_all_label_accuracies_and_a_learning_curve(tmp_path: Path) -> None:
    out = runner.invoke(
        app,
        [
            "demo",
            "--dataset",
            "digits",
            "--per-class",
            "2",
            "--rounds",
            "2",
            "--no-distill",
            "--cache-dir",
            str(tmp_path),
        ],
        terminal_width=200,
    )
    assert out.exit_code == 0, out.output
    text = flat(out.output)
    assert re.search(r"Auto \(chose [a-z-]+", text)
    accs = [float(a) for a in re.findall(r"\b0\.\d{3}\b", text)]
    assert len(accs) >= 3 + 2 * 2 and all(0.3 < a <= 1.0 for a in accs)
    assert "typiclust vs random" in text and "distil" not in text


def test_demo_distils_a_student_close_to_its_teacher_on_digits(tmp_path: Path) -> None:
    from fewlabels.data import load_builtin
    from fewlabels.demo import run_demo

    # `fewlabels demo --dataset digits --per-class 4` without the simulated rounds. Measured
    # (deterministic, seed 0): teacher 0.955, student 0.842 (88 % of the teacher, agreement
    # 0.83), majority rate 0.102. The margins leave about 3 points of headroom.
    result = run_demo(
        dataset="digits", per_class=4, rounds=0, cache_dir=str(tmp_path), out_dir=str(tmp_path)
    )
    cmp = result.extra["distill"]
    test_labels = load_builtin("digits").test.labels
    majority = np.bincount(test_labels).max() / test_labels.size
    assert cmp["teacher_accuracy"] >= 0.92
    assert cmp["student_accuracy"] >= cmp["teacher_accuracy"] - 0.15
    assert cmp["student_accuracy"] >= majority + 0.6 and cmp["student_macro_f1"] >= 0.75
    assert cmp["agreement"] >= 0.75
    assert cmp["teacher_items_per_s"] > 0 and cmp["student_items_per_s"] > 0
    assert (tmp_path / "digits-student.onnx").is_file()
