"""DistillConfig: validated once, imports without torch, never changed by distill()."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from typing import Any

import pytest

from fewlabels.distill import TextStudent, distill
from fewlabels.distill.config import DistillConfig, TrainConfig
from fewlabels.distill.students import STUDENTS, check_student_kind, list_students
from fewlabels.errors import FewlabelsError

from .conftest import soft, toy_pool, toy_texts


def test_the_config_imports_without_torch() -> None:
    code = (
        "import sys\n"
        "from fewlabels.distill.config import DistillConfig\n"
        "from fewlabels.distill.students import list_students\n"
        "DistillConfig.from_dict({'epochs': 3}); list_students()\n"
        "assert 'torch' not in sys.modules, sorted(m for m in sys.modules if 'torch' in m)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"epochs": 0}, r"epochs to be a whole number >= 1, but got 0"),
        ({"batch_size": 2.5}, r"batch_size to be a whole number >= 1, but got 2.5"),
        ({"patience": True}, r"patience to be a whole number >= 1, but got True"),
        ({"epochs": 5, "min_epochs": 9}, r"min_epochs in \[0, epochs=5\]"),
        ({"temperature": 0}, r"distillation temperature > 0"),
        ({"val_fraction": 0.6}, r"val_fraction in \[0, 0.5\]"),
        ({"lr": 0.0}, r"lr to be a finite number"),
        ({"hard_weight": float("nan")}, r"hard_weight to be a finite number"),
        ({"weighting": "confidence"}, r"weighting in \('none', 'max', 'margin', 'entropy'\)"),
        ({"drop_fraction": 1.0}, r"drop_fraction in \[0, 1\)"),
        ({"labelled_only": "yes"}, r"labelled_only to be True or False"),
        ({"device": 0}, r"device to be a torch device name"),
        ({"random_state": -1}, r"random_state to be a whole number >= 0"),
    ],
)
def test_bad_values_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(FewlabelsError, match=message):
        DistillConfig(**changes)
    with pytest.raises(FewlabelsError, match=message):
        DistillConfig.from_dict(changes)


def test_unknown_keys_are_refused_with_the_known_ones() -> None:
    with pytest.raises(
        FewlabelsError,
        match=r"Unknown distill setting\(s\) \['temprature'\] in distill.toml\. Allowed "
        r"distill settings: epochs, batch_size, .*temperature",
    ):
        DistillConfig.from_dict({"epochs": 3, "temprature": 4.0}, source="distill.toml")
    with pytest.raises(FewlabelsError, match=r"Unknown distill setting\(s\) \['epoch'\]"):
        DistillConfig().replace(epoch=3)
    with pytest.raises(FewlabelsError, match="Expected a mapping of distill settings"):
        DistillConfig.from_dict([("epochs", 3)])  # type: ignore[arg-type]


def test_round_trip_and_the_old_name() -> None:
    cfg = DistillConfig(epochs=3, weighting="margin", device=None)
    assert DistillConfig.from_dict(cfg.to_dict()) == cfg
    assert cfg.replace(epochs=4).epochs == 4 and cfg.epochs == 3
    assert TrainConfig is DistillConfig
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.epochs = 5  # type: ignore[misc]


def test_distill_never_changes_the_config_or_the_student_it_is_given() -> None:
    cfg = DistillConfig(epochs=2, batch_size=16, progress=False, weighting="max")
    before = cfg.to_dict()
    given = TextStudent(word_buckets=128, char_buckets=128, dim=4)
    _, y = toy_texts(60)
    student = distill(soft(y), toy_pool(60), student=given, config=cfg)
    assert cfg.to_dict() == before
    assert given.config is None and not hasattr(given, "module_")  # cloned, not fitted
    assert student is not given and student.config is cfg and student.config_ is cfg
    # the student's own config is used when distill gets none, and is left as it was
    own = DistillConfig(epochs=1, progress=False)
    mine = TextStudent(word_buckets=128, char_buckets=128, dim=4, config=own)
    out = distill(soft(y), toy_pool(60), student=mine, config=None)
    assert out.config_ is own and mine.config is own and not hasattr(mine, "module_")
    # a dict goes through from_dict
    with pytest.raises(FewlabelsError, match=r"Unknown distill setting\(s\) \['epoch'\]"):
        distill(soft(y), toy_pool(60), config={"epoch": 2})


def test_students_registry() -> None:
    assert list_students() == ["text-ngram", "cnn", "mlp"]
    assert STUDENTS.entry("cnn").modalities == ("image",)
    assert check_student_kind("auto", "tabular") == "mlp"
    with pytest.raises(FewlabelsError, match="The student 'mlp' reads tabular data"):
        check_student_kind("mlp", "text")
    with pytest.raises(FewlabelsError, match="Expected a student kind among"):
        check_student_kind("gbdt", "text")
