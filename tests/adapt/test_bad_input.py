"""Bad input to adaptation: each refused with a message that says what and how to fix it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from fewlabels.adapt import adapt, load_adapted
from fewlabels.encode import get_encoder
from fewlabels.errors import FewlabelsError, InputTypeError, MissingExtraError, MissingFileError


def _saved(tmp_path: Path, fake_encoder: object | None = None) -> Path:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 5)).astype(np.float32)
    enc = get_encoder("pixels:2")
    enc.fit(None)
    X = X[:, :4] / np.linalg.norm(X[:, :4], axis=1, keepdims=True)
    return adapt(X, enc, epochs=1).save(tmp_path / "enc")


def test_method_that_does_not_fit_the_modality_names_those_that_do() -> None:
    X = np.eye(20, 4, dtype=np.float32)
    enc = get_encoder("pixels:2")
    with pytest.raises(
        FewlabelsError, match=r"'scarf' fits tabular encoders.*encodes image.*image encoders: head"
    ):
        adapt(X, enc, method="scarf")
    with pytest.raises(
        FewlabelsError,
        match=r"method 'head', 'scarf', 'setfit-body', 'simcse', 'simclr-image', but got 'lora'",
    ):
        adapt(X, enc, method="lora")


def test_a_pool_too_small_says_how_many_rows_are_needed() -> None:
    enc = get_encoder("pixels:2")
    with pytest.raises(FewlabelsError, match=r"at least 16 rows, but it has 5.*unlabelled rows"):
        adapt(np.eye(5, 4, dtype=np.float32), enc)
    with pytest.raises(FewlabelsError, match=r"at least 31 rows"):
        adapt(np.eye(20, 4, dtype=np.float32), enc, n_neighbors=30)


def test_wrong_pool_and_settings() -> None:
    enc = get_encoder("pixels:2")
    with pytest.raises(FewlabelsError, match=r"width 4 from 'pixels:2'.*shape \(20, 3\)"):
        adapt(np.ones((20, 3), np.float32), enc)
    with pytest.raises(InputTypeError, match=r"Dataset, the Embeddings.*got list"):
        adapt([[1.0] * 4] * 20, enc)
    with pytest.raises(FewlabelsError, match=r"does not take \['epoch'\]"):
        adapt(np.eye(20, 4, dtype=np.float32), enc, epoch=3)
    with pytest.raises(FewlabelsError, match=r"one label per pool row \(20\), but got 3"):
        adapt(np.eye(20, 4, dtype=np.float32), enc, labels=[0, 1, 0])


def test_corrupt_weights_are_refused(tmp_path: Path) -> None:
    folder = _saved(tmp_path)
    (folder / "weights.safetensors").write_bytes(b"\x80\x04garbage-pickle")
    with pytest.raises(FewlabelsError, match=r"a Python pickle, which fewlabels never loads"):
        load_adapted(folder)


def test_foreign_safetensors_file_is_refused(tmp_path: Path) -> None:
    folder = _saved(tmp_path)
    save_file(
        {"embeddings.weight": np.zeros((3, 3), np.float32)}, str(folder / "weights.safetensors")
    )
    with pytest.raises(FewlabelsError, match=r"foreign safetensors file.*embeddings.weight"):
        get_encoder(f"adapted:{folder}")


def test_tensors_that_do_not_fit_their_kind_are_refused(tmp_path: Path) -> None:
    folder = _saved(tmp_path)
    save_file(
        {"w1": np.zeros((2, 2), np.float32)},
        str(folder / "weights.safetensors"),
        metadata={"format": "fewlabels.adapted-weights/1", "kind": "residual-mlp"},
    )
    with pytest.raises(FewlabelsError, match=r"Expected the tensors \['w1', 'b1', 'w2', 'b2'\]"):
        load_adapted(folder)


def test_foreign_metadata_and_missing_folder(tmp_path: Path) -> None:
    folder = _saved(tmp_path)
    (folder / "adapter.json").write_text(json.dumps({"format": "something/else"}))
    with pytest.raises(FewlabelsError, match=r"its format is 'something/else'"):
        load_adapted(folder)
    with pytest.raises(MissingFileError, match=r"adapter.json and weights.safetensors"):
        get_encoder(f"adapted:{tmp_path / 'nowhere'}")


def test_a_changed_base_is_refused(tmp_path: Path) -> None:
    folder = _saved(tmp_path)
    meta = json.loads((folder / "adapter.json").read_text())
    meta["base"]["identity"] = "pixels/grey/4/(2, 2)/old"
    (folder / "adapter.json").write_text(json.dumps(meta))
    with pytest.raises(FewlabelsError, match=r"now has 'pixels/grey/4/\(2, 2\)/unit-l2'"):
        load_adapted(folder)


def test_a_base_that_is_not_installed_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _saved(tmp_path)
    meta = json.loads((folder / "adapter.json").read_text())
    meta["base"].update(name="minilm", extra="text", state=None)
    (folder / "adapter.json").write_text(json.dumps(meta))
    monkeypatch.setitem(sys.modules, "fewlabels.encode.sentence_transformer", None)
    with pytest.raises(
        MissingExtraError, match=r"built on the encoder 'minilm'.*fewlabels\[text\]"
    ):
        load_adapted(folder)


def test_a_head_with_nothing_to_learn_is_refused() -> None:
    enc = get_encoder("pixels:2")
    X = np.abs(np.random.default_rng(0).normal(size=(20, 4))).astype(np.float32)
    with pytest.raises(FewlabelsError, match=r"self_supervised_weight is 0 and no row is labelled"):
        adapt(X, enc, self_supervised_weight=0.0)


def test_save_never_replaces_a_folder_of_other_files(tmp_path: Path) -> None:
    folder = _saved(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "keep.csv").write_text("a,b\n")
    enc = load_adapted(folder)
    with pytest.raises(FewlabelsError, match=r"holds other files \(\['keep.csv'\]\)"):
        enc.save(tmp_path / "data")
    assert (tmp_path / "data" / "keep.csv").exists()
    assert enc.save(folder) == folder.resolve()  # an adapted encoder's folder is replaced
