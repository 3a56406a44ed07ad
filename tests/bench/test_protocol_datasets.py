"""The packaged quick and standard protocols name only built-in datasets, the new ones included."""

from __future__ import annotations

import pytest

from fewlabels.bench.protocol import load_protocol
from fewlabels.data import list_builtin


@pytest.mark.parametrize("name", ["quick", "standard"])
def test_packaged_protocols_name_builtin_datasets(name: str) -> None:
    known = {info.name: info for info in list_builtin()}
    for entry in load_protocol(name).datasets:
        assert entry.folder is None and entry.name in known, entry.key


def test_standard_has_fashion5k_and_movielens_genre() -> None:
    standard = load_protocol("standard")
    pairs = {(d.name, d.encoder) for d in standard.datasets}
    assert {
        ("fashion5k", "pixels"),
        ("fashion5k", "efficientnet-lite0"),
        ("movielens-genre", "minilm"),
    } <= pairs
    assert "fashion-mnist" not in {d.name for d in standard.datasets}
    assert "fashion5k" in standard.description and "movielens-genre" in standard.description
