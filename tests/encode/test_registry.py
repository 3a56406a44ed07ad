"""The encoder registry: one Entry per name, metadata that matches the encoders."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from fewlabels._registry import Entry
from fewlabels.encode import ENCODERS, EncoderInfo, get_encoder, has_text_side, list_encoders
from fewlabels.encode.pixels import PixelsEncoder
from fewlabels.errors import FewlabelsError, InputTypeError


def _target_class(entry: Entry) -> Any:
    """The class behind an entry (a classmethod factory gives its class)."""
    obj = entry.load()
    return getattr(obj, "__self__", obj)


def test_listing_keeps_one_row_per_family() -> None:
    names = [info.name for info in list_encoders()]
    assert names == [
        "minilm",
        "minilm-int8",
        "use-int8",
        "efficientnet-lite0",
        "tabular",
        "pixels",
        "st:<model-id>",
        "clip:<model-id>",
        "hf-image:<model-id>",
        "adapted:<folder>",
    ]
    assert all(isinstance(i, EncoderInfo) for i in list_encoders())
    by_name = {i.name: i for i in list_encoders()}
    assert by_name["pixels"].extra == "-" and by_name["clip:<model-id>"].extra == "vision"
    assert not by_name["st:<model-id>"].offline and by_name["minilm"].offline


def test_models_by_id_are_prefixes() -> None:
    rows = {e.name: e for e in ENCODERS}
    for name in ("st:", "clip:", "hf-image:", "pixels:"):
        assert rows[name].is_prefix and ENCODERS.entry(name + "x") is rows[name]
    assert ENCODERS.resolve("clip:org/model") == (rows["clip:"], "org/model")
    assert ENCODERS.resolve("pixels") == (ENCODERS.entry("pixels"), None)


#: An adapted encoder takes its modality and text side from its base (tests/adapt/ checks
#: those); its registry row is checked on its own below.
_FIXED_ENCODERS = [e for e in ENCODERS if e.name != "adapted:"]


def test_the_adapted_row_declares_any_modality_and_loads_from_a_folder() -> None:
    from fewlabels.adapt.encoder import load_adapted

    entry = ENCODERS.entry("adapted:/some/folder")
    assert (
        entry.name == "adapted:" and entry.is_prefix and entry.modalities == ()
    )  # any: its base's
    assert not entry.needs_labels and entry.meta["arg"] == "path"
    assert entry.target == "fewlabels.adapt.encoder:load_adapted"
    assert len(inspect.signature(load_adapted).parameters) >= 1


@pytest.mark.parametrize("entry", _FIXED_ENCODERS, ids=lambda e: e.name)
def test_metadata_matches_the_encoder(entry: Entry) -> None:
    cls = _target_class(entry)
    assert len(entry.modalities) == 1 and cls.modality == entry.modalities[0]
    assert not entry.needs_labels
    assert callable(getattr(cls, "encode_text", None)) == entry.meta["text_side"]
    factory = entry.load()
    params = inspect.signature(factory).parameters
    assert ("device" in params) == entry.meta["device"]
    if entry.meta["batch_size"] is None:
        assert "batch_size" not in params
    else:
        assert params["batch_size"].default == entry.meta["batch_size"]
    if entry.meta["arg"] == "size":
        assert "size" in params


def test_text_side_metadata_agrees_with_built_encoders() -> None:
    for name in ("minilm", "minilm-int8", "pixels", "tabular"):
        enc = get_encoder(name, device="cpu")
        assert has_text_side(enc) == ENCODERS.entry(name).meta["text_side"]


def test_offline_encoders_know_their_width() -> None:
    assert get_encoder("minilm", device="cpu").dim == ENCODERS.entry("minilm").meta["dim"] == 384
    assert get_encoder("minilm-int8").dim == 384
    assert get_encoder("efficientnet-lite0", device="cpu").dim == 1280


def test_pixels_plain_and_sized() -> None:
    plain = get_encoder("pixels", batch_size=8)
    sized = get_encoder("pixels:7")
    assert isinstance(plain, PixelsEncoder) and plain.size is None and plain.name == "pixels"
    assert isinstance(sized, PixelsEncoder) and sized.size == 7 and sized.dim == 49
    assert sized.name == "pixels:7"


def test_select_by_modality_and_text_side() -> None:
    zero_shot_images = [e.name for e in ENCODERS.select(modality="image", text_side=True)]
    assert zero_shot_images == ["clip:"]
    assert {e.name for e in ENCODERS.select(modality="tabular")} == {"tabular", "adapted:"}


@pytest.mark.parametrize("name", ["pixels:", "pixels:x", "pixels:0", "pixels:-2"])
def test_pixels_size_must_be_a_whole_number(name: str) -> None:
    with pytest.raises(FewlabelsError, match=r"whole number >= 1 after 'pixels:'.*'pixels:16'"):
        get_encoder(name)


@pytest.mark.parametrize("name", ["st", "clip", "hf-image", "st:", "clip:"])
def test_prefix_without_a_model_id(name: str) -> None:
    prefix = name.rstrip(":")
    with pytest.raises(FewlabelsError, match=rf"model id after '{prefix}:', e.g. '{prefix}:<org>"):
        get_encoder(name)


def test_unknown_names_list_the_known_and_how_to_list() -> None:
    with pytest.raises(
        FewlabelsError, match=r"Unknown encoder 'minilm:x'.*st:<model-id>.*encoders"
    ):
        get_encoder("minilm:x")
    with pytest.raises(InputTypeError, match=r"encoder name as a str .* got int"):
        get_encoder(3)  # type: ignore[arg-type]
