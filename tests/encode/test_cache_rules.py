"""Rules of the embedding cache that mutation testing found unpinned: which rows are
encoded, the checks of the arguments, the defaults and the progress bar."""

from __future__ import annotations

import shutil
import types
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fakes import FakeTextEncoder
from fewlabels.data import Dataset
from fewlabels.encode import embed
from fewlabels.encode.cache import _progress
from fewlabels.errors import FewlabelsError, InputTypeError


def texts(inputs: list[str]) -> Dataset:
    n = len(inputs)
    return Dataset(
        ids=[f"d{i}" for i in range(n)],
        inputs=inputs,
        labels=np.full(n, -1),
        classes=("x", "y"),
        modality="text",
        name="texts",
    )


def test_repeated_inputs_are_encoded_once_and_share_their_row(tmp_path: Path) -> None:
    enc = FakeTextEncoder()
    out = embed(texts(["a", "b", "a", "c", "b"]), enc, cache_dir=tmp_path, progress=False)
    assert out.n_encoded == 3 and enc.encoded == 3
    X = np.asarray(out.X)
    np.testing.assert_array_equal(X[0], X[2])
    np.testing.assert_array_equal(X[1], X[4])
    assert not np.array_equal(X[0], X[1])


def test_the_first_cached_row_counts_as_cached(tmp_path: Path) -> None:
    enc = FakeTextEncoder()
    embed(texts(["only"]), enc, cache_dir=tmp_path, progress=False)  # row 0 of the cache
    out = embed(texts(["only", "new one", "another"]), enc, cache_dir=tmp_path, progress=False)
    assert out.n_encoded == 2 and enc.encoded == 3


@pytest.mark.parametrize("chunk_size", [True, 0, 2.5, "4"])
def test_chunk_size_must_be_a_whole_number_of_rows(tmp_path: Path, chunk_size: Any) -> None:
    with pytest.raises(FewlabelsError, match=r"chunk_size to be a whole number >= 1 \(or None"):
        embed(texts(["a"]), FakeTextEncoder(), cache_dir=tmp_path, chunk_size=chunk_size)


def test_commit_every_s_is_explained(tmp_path: Path) -> None:
    with pytest.raises(
        FewlabelsError, match=r"commit_every_s to be a number of seconds > 0, but got 0"
    ):
        embed(texts(["a"]), FakeTextEncoder(), cache_dir=tmp_path, commit_every_s=0)


def test_a_list_is_not_a_dataset() -> None:
    with pytest.raises(InputTypeError, match=r"a fewlabels Dataset, but got list. Load one with"):
        embed(["a", "b"], FakeTextEncoder())  # type: ignore[arg-type]


def test_an_encoder_lacking_methods_is_named_with_what_it_lacks(tmp_path: Path) -> None:
    class NoEncode:
        name, modality, dim, identity = "x", "text", 4, "x/4"

    with pytest.raises(InputTypeError, match=r"but NoEncode lacks \['encode'\]"):
        embed(texts(["a"]), NoEncode(), cache_dir=tmp_path)  # type: ignore[arg-type]
    with pytest.raises(InputTypeError, match=r"lacks \['encode', 'identity', 'modality'\]"):
        embed(texts(["a"]), object(), cache_dir=tmp_path)  # type: ignore[arg-type]


def test_an_encoder_built_from_instance_attributes_is_accepted(tmp_path: Path) -> None:
    base = FakeTextEncoder(dim=8)
    enc = types.SimpleNamespace(
        name="ns", modality="text", dim=8, identity="ns/8", encode=base.encode
    )
    out = embed(texts(["a", "b"]), enc, cache_dir=tmp_path, progress=False)  # type: ignore[arg-type]
    assert out.X.shape == (2, 8)


def test_by_default_the_bar_is_shown_and_files_are_verified(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    enc = FakeTextEncoder()
    ds = texts(["a b", "c d", "e f"])
    embed(ds, enc, cache_dir=tmp_path, chunk_size=1)
    out = capsys.readouterr().out
    assert "embed texts (fake-text)" in out and "3/3" in out
    chunk = sorted(tmp_path.rglob("chunk-000001.npy"))[0]
    data = bytearray(chunk.read_bytes())
    data[-1] ^= 0xFF  # a flipped byte inside the vectors: only the checksum sees it
    chunk.write_bytes(bytes(data))
    shutil.rmtree(chunk.parent / "views")  # make the next call read the chunks
    with pytest.warns(UserWarning, match=r"chunk-000001\.npy.*checksum"):
        again = embed(ds, enc, cache_dir=tmp_path, progress=False)
    assert again.n_encoded == 1


@pytest.mark.parametrize(
    ("enabled", "total", "disabled"), [(True, 5, False), (False, 5, True), (True, 0, True)]
)
def test_the_bar_shows_only_when_asked_and_there_is_work(
    enabled: bool, total: int, disabled: bool
) -> None:
    bar = _progress(enabled, total, "embed x")
    assert bar.disable is disabled
    assert bar.live.transient is False  # the finished bar stays on screen


def test_the_bar_shows_names_as_data_and_the_rate_in_items_per_second() -> None:
    bar = _progress(True, 5, "embed [bold]x[/bold]")
    name, rate = bar.columns[0], bar.columns[3]
    assert name.markup is False and name.style == "bold"
    task = types.SimpleNamespace(finished_speed=None, speed=1234.4, description="d")
    text = rate.render(task)
    assert text.plain == "1,234 items/s" and str(text.style) == "cyan"
    done = types.SimpleNamespace(finished_speed=50.0, speed=None, description="d")
    assert rate.render(done).plain == "50 items/s"
    idle = types.SimpleNamespace(finished_speed=None, speed=None, description="d")
    assert rate.render(idle).plain == ""
