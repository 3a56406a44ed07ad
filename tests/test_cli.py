"""The foundation's commands: datasets, encoders, embed, demo."""

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rich.console import Console
from typer.testing import CliRunner

from fakes import FakeTextEncoder
from fewlabels.cli import app
from fewlabels.data import Dataset

runner = CliRunner()


def flat(text: str) -> str:
    """Output with line wrapping undone (rich wraps at the terminal width)."""
    return " ".join(text.split())


def test_datasets_and_encoders_list_names() -> None:
    out = runner.invoke(app, ["datasets"], terminal_width=200)
    assert out.exit_code == 0
    for name in ("digits", "mnist5k", "finefoods", "breast_cancer", "mnist5k-folder"):
        assert name in out.output
    for name in ("fashion-mnist", "fashion5k", "movielens-genre"):
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
    assert re.search(r"Auto chose [a-z-]+ \(\d+\.\d s\)", text)
    accs = [float(a) for a in re.findall(r"\b0\.\d{3}\b", text)]
    # 3 classifiers x (accuracy, balanced accuracy, macro-F1) + 2 rounds x 2 curves
    assert len(accs) >= 3 * 3 + 2 * 2 and all(0.3 < a <= 1.0 for a in accs)
    assert "balanced accuracy" in text and "macro-F1" in text
    # digits' test split: the most frequent class is 10.2 % of it (55 of 539)
    assert "majority class: 10.2% of the test split" in text
    assert "typiclust vs random" in text and "distil" not in text


def _tiny_text_splits(n: int) -> tuple[Dataset, Dataset]:
    """Two classes named like finefoods' whose first word tells them apart; 2/3 'great'."""
    words = {0: "great", 1: "other"}
    y = np.array([0 if i % 3 else 1 for i in range(n)])
    parts = []
    for name, rows in (("train", slice(0, n // 2)), ("test", slice(n // 2, n))):
        ys = y[rows]
        parts.append(
            Dataset(
                ids=np.array([f"{name}{i}" for i in range(len(ys))], dtype=object),
                inputs=[f"{words[c]} review {i}" for i, c in enumerate(ys)],
                labels=ys,
                classes=("great", "other"),
                modality="text",
                name="finefoods",
            )
        )
    return parts[0], parts[1]


def test_demo_shows_zero_shot_beside_the_learners_with_three_scores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`fewlabels demo --dataset finefoods`, on a tiny stand-in with a fake text encoder."""
    from fewlabels import demo
    from fewlabels.data.builtin import BuiltinSplits

    monkeypatch.setattr(demo, "load_builtin", lambda name: BuiltinSplits(*_tiny_text_splits(120)))
    monkeypatch.setattr(demo, "get_encoder", lambda name: FakeTextEncoder())
    buf = io.StringIO()
    result = demo.run_demo(
        dataset="finefoods",
        per_class=3,
        rounds=0,
        distill=False,
        cache_dir=str(tmp_path),
        console=Console(file=buf, width=200),
    )
    text = flat(buf.getvalue())
    assert list(result.scores) == [
        "zero-shot",
        "auto",
        "nearest class mean",
        "nearest class mean, all labels",
    ]
    for scores in result.scores.values():
        assert set(scores) == {"accuracy", "balanced_accuracy", "macro_f1", "top_pred_share"}
        assert all(0.0 <= v <= 1.0 for v in scores.values())
    # the first word names the class: every learner is right, zero-shot reads the names
    assert result.scores["nearest class mean"]["macro_f1"] == 1.0
    assert re.search(r"│ zero-shot[^│]*│ 0 │", text)
    assert "┃ classifier ┃ labels ┃ test accuracy ┃ balanced accuracy ┃ macro-F1 ┃" in text
    assert "zero-shot: ZeroShot from the class names and descriptions" in text
    # 40 of the 60 test rows are 'great': majority 66.7 %, its macro-F1 2 * 2/3 / (5/3) / 2
    assert result.majority_rate == pytest.approx(2 / 3)
    assert result.majority_macro_f1 == pytest.approx(0.4)
    assert "majority class: 66.7% of the test split" in text and "macro-F1 40.0%" in text


def test_demo_marks_a_learner_at_the_majority_level() -> None:
    from fewlabels.demo import _judged

    at_chance = {"accuracy": 0.665, "macro_f1": 0.5, "top_pred_share": 0.99}
    assert _judged("ZeroShot", at_chance, 0.658, 0.397) == "ZeroShot (≤ majority, collapsed)"
    fine = {"accuracy": 0.8, "macro_f1": 0.75, "top_pred_share": 0.6}
    assert _judged("linear", fine, 0.658, 0.397) == "linear"


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


# --- issue 10 -------------------------------------------------------------------------------


def _corrupt(folder: Path, relative: str) -> Path:
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not an image")
    return path


def test_embed_an_unlabelled_table_and_a_flat_folder(tmp_path: Path) -> None:
    """Item 3: unlabelled data is the main input; embed needs no classes."""
    from PIL import Image

    pd.DataFrame({"review": ["great taste", "awful", "fine"]}).to_csv(
        tmp_path / "t.csv", index=False
    )
    cache = ["--cache-dir", str(tmp_path / "c")]
    out = runner.invoke(
        app, ["embed", str(tmp_path / "t.csv"), "--text", "review", "-e", "minilm-int8", *cache]
    )
    assert out.exit_code == 0, out.output
    assert "embedded 3 item(s) of 't' with minilm-int8 -> 384-d" in flat(out.output)
    flat_folder = tmp_path / "flat"
    flat_folder.mkdir()
    for i in range(3):
        Image.fromarray(np.full((6, 6), 40 * i, np.uint8)).save(flat_folder / f"{i}.png")
    out = runner.invoke(app, ["embed", str(flat_folder), "-e", "pixels", *cache])
    assert out.exit_code == 0, out.output
    assert "embedded 3 item(s) of 'flat' with pixels -> 36-d" in flat(out.output)
    assert "--classes" not in out.output


def test_embed_counts_an_unreadable_input_and_prints_markup_in_names(
    image_folder: Path, tmp_path: Path
) -> None:
    """Items 17 and 18: a corrupt file named "[/x].png" is shown as such, and the summary adds
    up (10 encoded now, 0 from the cache, 1 skipped: not "-1 from the cache")."""
    _corrupt(image_folder, "unlabeled/[/x].png")
    args = ["embed", str(image_folder), "-e", "pixels", "--cache-dir", str(tmp_path / "c")]
    for expected in ("10 encoded now, 0 from the cache", "0 encoded now, 10 from the cache"):
        out = runner.invoke(app, args, terminal_width=200)
        assert out.exit_code == 0, out.output
        text = flat(out.output)
        assert f"embedded 10 item(s) of 'images' with pixels -> 144-d ({expected}, 1 " in text
        assert "unlabeled/[/x].png: UnidentifiedImageError" in text and "-1 from" not in text


def test_status_and_suggest_print_names_with_markup(image_folder: Path, tmp_path: Path) -> None:
    """Item 17: a class named "[/red]" and an item "[/x].png" are text, not Rich markup."""
    from fewlabels.workspace import Workspace

    _corrupt(image_folder, "unlabeled/[/x].png")
    ws_dir = tmp_path / "ws"
    ws = Workspace.init(
        ws_dir, data=str(image_folder), classes=["a", "b", "[/red]"], encoder="pixels"
    )
    ws.store.add_label("unlabeled/u0.jpg", "[/red]")
    out = runner.invoke(app, ["status", "-w", str(ws_dir)], terminal_width=200)
    assert out.exit_code == 0, out.output
    assert "[/red]" in out.output
    out = runner.invoke(
        app, ["suggest", "-w", str(ws_dir), "-n", "2", "-s", "random"], terminal_width=200
    )
    assert out.exit_code == 0, out.output
    assert "round 1 (random): 2 item(s)" in flat(out.output)


def test_cli_messages_name_the_problem_plainly(tmp_path: Path) -> None:
    """Item 18: no stray quotes, "does not exist", an empty CSV named, an IPv6 page URL."""
    from fewlabels.app.server import page_url

    pd.DataFrame({"body": ["a", "b"]}).to_csv(tmp_path / "t.csv", index=False)
    out = runner.invoke(
        app,
        ["embed", str(tmp_path / "t.csv"), "-e", "pixels", "--text", "text"],
        terminal_width=400,
    )
    assert out.exit_code == 2 and out.output.startswith("error: Expected text column(s)")
    out = runner.invoke(
        app, ["embed", str(tmp_path / "nothing.csv"), "-e", "pixels"], terminal_width=400
    )
    assert out.exit_code == 2 and "nothing.csv' does not exist" in flat(out.output)
    (tmp_path / "empty.csv").write_text("")
    out = runner.invoke(
        app,
        ["embed", str(tmp_path / "empty.csv"), "-e", "pixels", "--text", "t"],
        terminal_width=400,
    )
    assert out.exit_code == 2 and "empty.csv" in flat(out.output)
    assert "the file is empty" in flat(out.output) and "No columns to parse" not in out.output
    assert page_url("::1", 8765) == "http://[::1]:8765/"
    assert page_url("localhost", 1) == "http://127.0.0.1:1/"
    assert page_url("0.0.0.0", 2, token="t") == "http://0.0.0.0:2/?token=t"
