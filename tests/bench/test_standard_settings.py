from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fewlabels.bench.protocol import load_protocol
from fewlabels.bench.report import write_report
from fewlabels.bench.runner import run_protocol, with_encoder
from fewlabels.bench.standard_settings import PUBLISHED, SETTINGS, published_for


def test_published_numbers_convert_to_accuracy_consistently() -> None:
    cifar10 = published_for("cifar10")
    fix40 = cifar10[(cifar10["method"] == "FixMatch") & (cifar10["n_labels"] == 40)].iloc[0]
    assert fix40["metric"] == "error" and fix40["value"] == 13.81
    assert fix40["accuracy"] == pytest.approx(86.19)
    assert fix40["budget"] == "4/class"
    imagenet = published_for("imagenet")
    assert imagenet["accuracy"].tolist() == [76.6, 80.9]  # published as accuracy: unchanged
    assert imagenet["budget"].tolist() == ["1%", "10%"]
    assert published_for("mnist").empty
    assert all(r.source and r.setting in SETTINGS for r in PUBLISHED)


@pytest.mark.parametrize("setting", ["cifar10", "cifar100", "stl10", "imagenet"])
def test_every_published_budget_is_a_budget_of_its_protocol(setting: str) -> None:
    labels = {b.label for b in load_protocol(setting).budgets}
    assert set(published_for(setting)["budget"]) <= labels
    assert load_protocol(setting).published == setting


def _fake_folder(root: Path, classes: int, train: int, test: int, unlabeled: int = 0) -> None:
    rng = np.random.default_rng(0)
    if unlabeled:
        (root / "train" / "unlabeled").mkdir(parents=True)
        for i in range(unlabeled):
            img = rng.integers(0, 255, size=(8, 8), dtype=np.uint8)
            Image.fromarray(img).save(root / "train" / "unlabeled" / f"u{i}.png")
    for part, n in (("train", train), ("test", test)):
        for c in range(classes):
            folder = root / part / f"class{c}"
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(n):
                img = np.clip(rng.normal(25 * c, 8, size=(8, 8)), 0, 255).astype(np.uint8)
                Image.fromarray(img).save(folder / f"{i}.png")


def test_cifar10_protocol_on_a_tiny_fake_folder(tmp_path: Path) -> None:
    _fake_folder(tmp_path / "data" / "cifar10", classes=10, train=5, test=2, unlabeled=5)
    proto = with_encoder(load_protocol("cifar10"), "pixels:8")
    proto = dataclasses.replace(
        proto,
        seeds=(0,),
        methods=("ncm", "logreg-labelled", "setfit", "ceiling"),
        budgets=tuple(b for b in proto.budgets if b.per_class == 4),
    )
    result = run_protocol(
        proto,
        out=tmp_path / "run",
        data_root=tmp_path / "data",
        cache_dir=tmp_path / "cache",
        progress=False,
    )
    frame = result.results
    assert result.counts == {"ok": 3, "failed": 0, "n/a": 1}
    # the unlabelled images join the transductive pool; the ceiling sees the 50 labelled ones
    assert set(frame["n_test"]) == {20} and set(frame["n_train"]) == {55}
    assert (frame[frame["method"] == "ncm"]["n_labels"] == 40).all()
    assert frame[frame["method"] == "ceiling"]["n_labels"].tolist() == [50]
    files = write_report([tmp_path / "run"], out=tmp_path / "rep")
    md = files.markdown.read_text()
    assert "### Published numbers beside ours" in md
    assert (
        "| 4/class | FixMatch | FixMatch (RA) | Sohn et al. 2020 (FixMatch), NeurIPS, Table 2 | "
        "86.19 (error 13.81) |" in md
    )
    assert "FreeMatch" in md


def test_a_missing_data_root_or_folder_is_a_clear_error(tmp_path: Path) -> None:
    proto = load_protocol("stl10")
    with pytest.raises(ValueError, match="Pass --data-root DIR"):
        run_protocol(proto, out=tmp_path / "run", progress=False)
    with pytest.raises(
        FileNotFoundError, match="train/<class>/ and test/<class>/, but train/ is missing"
    ):
        run_protocol(proto, out=tmp_path / "run", data_root=tmp_path, progress=False)
