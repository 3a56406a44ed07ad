"""Body adaptation (setfit-body, simcse) on a tiny random BERT sentence-transformer."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from safetensors.numpy import save_file

from fakes import FakeTextEncoder
from fewlabels.adapt import (
    BodyAdaptedEncoder,
    SetFitBodyConfig,
    SimCSEConfig,
    adapt,
    contrastive_pairs,
    load_adapted,
)
from fewlabels.adapt.setfit_body import holdout_rows
from fewlabels.adapt.training import train
from fewlabels.data import Dataset
from fewlabels.encode import embed, get_encoder
from fewlabels.errors import FewlabelsError, InputTypeError, MissingExtraError

FILL = (
    "house tree water light music paper stone cloud river horse table chair window garden "
    "city money"
).split()
# Few, short steps: the whole module runs in seconds on 2 cores.
FAST = {"iterations": 2, "epochs": 1, "lr": 3e-3, "batch_size": 16}


def _texts(n: int, seed: int) -> tuple[list[str], np.ndarray]:
    """Two classes told apart by one word among six random fillers."""
    rng = np.random.default_rng(seed)
    texts, y = [], []
    for i in range(n):
        words = [*rng.choice(FILL, 6), "happy" if i % 2 == 0 else "angry"]
        rng.shuffle(words)
        texts.append(" ".join(words))
        y.append(i % 2)
    return texts, np.array(y)


def _dataset(texts: list[str], labels: np.ndarray) -> Dataset:
    return Dataset(
        ids=np.array([f"r{i}" for i in range(len(texts))], dtype=object),
        inputs=texts,
        labels=labels,
        classes=("happy", "angry"),
        modality="text",
        name="toy-text",
    )


def _gap(E: np.ndarray, y: np.ndarray) -> float:
    """Mean cosine to same-class rows minus mean cosine to other-class rows."""
    S = E @ E.T
    same = y[:, None] == y[None, :]
    off = ~np.eye(len(y), dtype=bool)
    return float(S[same & off].mean() - S[~same].mean())


@pytest.fixture(scope="module")
def base(tiny_body_dir: Path) -> Any:
    return get_encoder(f"st:{tiny_body_dir}", device="cpu")


@pytest.fixture(scope="module")
def pool() -> tuple[Dataset, np.ndarray]:
    texts, y = _texts(40, seed=0)
    labels = np.full(40, -1)
    labels[:16] = y[:16]
    return _dataset(texts, labels), y


@pytest.fixture(scope="module")
def adapted(base: Any, pool: tuple[Dataset, np.ndarray]) -> BodyAdaptedEncoder:
    ds, _ = pool
    enc = adapt(ds, base, method="setfit-body", labels=ds.labels, device="cpu", **FAST)
    assert isinstance(enc, BodyAdaptedEncoder)
    return enc


def test_setfit_body_moves_same_class_texts_closer(adapted: BodyAdaptedEncoder, base: Any) -> None:
    texts, y = _texts(40, seed=1)  # texts the adaptation never saw
    frozen, after = _gap(base.encode(texts), y), _gap(adapted.encode(texts), y)
    assert frozen < 0.02  # the random body barely tells the classes apart
    assert after > frozen + 0.05
    assert adapted.meta.method == "setfit-body" and adapted.meta.kind == "body"
    assert adapted.meta.labels["n_labeled"] == 16
    assert adapted.dim == base.dim
    assert adapted.identity != base.identity and base.identity in adapted.identity


def test_reload_gives_identical_embeddings_and_goes_through_the_cache(
    adapted: BodyAdaptedEncoder, pool: tuple[Dataset, np.ndarray], tmp_path: Path
) -> None:
    ds, _ = pool
    folder = adapted.save(tmp_path / "body")
    with open(folder / "weights.safetensors", "rb") as fh:
        header = json.loads(fh.read(int.from_bytes(fh.read(8), "little")))
    assert header["__metadata__"] == {"format": "fewlabels.adapted-weights/1", "kind": "body"}
    assert json.loads((folder / "adapter.json").read_text())["settings"]["iterations"] == 2
    again = get_encoder(f"adapted:{folder}", device="cpu")
    assert isinstance(again, BodyAdaptedEncoder)
    assert again.identity == adapted.identity
    np.testing.assert_array_equal(again.encode(ds.inputs[:8]), adapted.encode(ds.inputs[:8]))
    first = embed(ds, again, progress=False)
    cached = embed(ds, load_adapted(folder, device="cpu"), progress=False)
    assert cached.n_encoded == 0  # the reloaded encoder hits the cache under the same identity
    np.testing.assert_array_equal(first.X, cached.X)
    np.testing.assert_allclose(np.linalg.norm(first.X, axis=1), 1.0, atol=1e-5)
    with pytest.raises(FewlabelsError, match=r"no transform of base embeddings.*encode\(texts\)"):
        again.transform(np.zeros((2, again.dim), np.float32))


def test_same_seed_same_body_other_seed_other_body(
    adapted: BodyAdaptedEncoder, base: Any, pool: tuple[Dataset, np.ndarray]
) -> None:
    ds, _ = pool
    same = adapt(ds, base, method="setfit-body", labels=ds.labels, device="cpu", **FAST)
    assert same.identity == adapted.identity
    for k, v in adapted.tensors.items():
        np.testing.assert_array_equal(same.tensors[k], v)
    other = adapt(ds, base, method="setfit-body", labels=ds.labels, seed=1, device="cpu", **FAST)
    assert other.identity != adapted.identity
    assert not np.array_equal(other.encode(ds.inputs[:4]), adapted.encode(ds.inputs[:4]))


def test_simcse_trains_on_the_pool_with_a_held_out_share(
    base: Any, pool: tuple[Dataset, np.ndarray]
) -> None:
    ds, _ = pool
    enc = adapt(
        ds, base, method="simcse", epochs=2, batch_size=8, lr=1e-3, holdout=0.2, device="cpu"
    )
    t = enc.meta.training
    assert len(t["history"]) == len(t["held_out"]) == t["epochs"]
    assert 1 <= t["best_epoch"] <= 2
    assert enc.meta.labels["n_labeled"] == 0  # labels are never used by SimCSE
    assert not np.array_equal(enc.encode(ds.inputs[:4]), base.encode(ds.inputs[:4]))


def test_contrastive_pairs_follow_the_labels() -> None:
    codes = np.array([0, 0, 0, 1, 1, 2, -1])
    a, b, same = contrastive_pairs(codes, iterations=3, rng=np.random.default_rng(0))
    assert not (a == 6).any() and not (b == 6).any()
    assert np.array_equal(same == 1.0, codes[a] == codes[b])
    assert not (a == b).any()
    # per iteration a row gets one negative and, unless alone in its class, one positive
    for i, expected in ((0, 6), (3, 6), (5, 3)):
        assert (a == i).sum() == expected
    assert not ((a == 5) & (same == 1.0)).any()


def test_holdout_keeps_two_labels_per_class() -> None:
    codes = np.array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, -1])
    held = holdout_rows(codes, share=0.5, rng=np.random.default_rng(0))
    assert (codes[held] == 0).sum() == 5 and (codes[held] == 1).sum() == 1
    assert holdout_rows(codes, share=0.0, rng=np.random.default_rng(0)).size == 0


def _toy_train(tmp: Path | None, epochs: int, values: list[float]) -> tuple[Any, Any]:
    import torch

    torch.manual_seed(0)
    module = torch.nn.Linear(3, 1)
    x = torch.ones(4, 3)
    seen = iter(values)

    def losses(gen: Any) -> Any:
        yield (module(x) - torch.randn(4, 1, generator=gen)).pow(2).mean()

    result = train(
        module,
        losses,
        epochs=epochs,
        lr=0.1,
        weight_decay=0.0,
        seed=0,
        key="toy",
        checkpoint_dir=tmp,
        held_out=lambda: next(seen),
        patience=1,
    )
    return module, result


def test_early_stopping_keeps_the_best_epoch_and_resumes(tmp_path: Path) -> None:
    values = [3.0, 2.0, 2.5, 9.0]
    module, result = _toy_train(None, 4, values)
    assert result.stopped == "early" and result.epochs == 3 and result.best_epoch == 2
    best, _ = _toy_train(None, 2, values)  # the same run stopped after epoch 2
    assert all((p == q).all() for p, q in zip(module.parameters(), best.parameters(), strict=True))
    # a tie is no improvement; an interrupted run resumes to the same result
    _, tie = _toy_train(None, 4, [1.0, 1.0, 0.5, 0.5])
    assert tie.stopped == "early" and tie.best_epoch == 1
    _toy_train(tmp_path, 1, values[:1])
    resumed_module, resumed = _toy_train(tmp_path, 4, values[1:])
    assert resumed.resumed_from == 1 and resumed.best_epoch == 2 and resumed.stopped == "early"
    assert resumed.held_out == values[:3]
    assert all(
        torch_equal(p, q)
        for p, q in zip(resumed_module.parameters(), module.parameters(), strict=True)
    )


def torch_equal(p: Any, q: Any) -> bool:
    return bool((p == q).all())


def test_body_methods_refuse_what_does_not_fit(base: Any, pool: tuple[Dataset, np.ndarray]) -> None:
    ds, _ = pool
    image = get_encoder("pixels:2")
    with pytest.raises(
        FewlabelsError,
        match=r"'setfit-body' fits text encoders.*image encoders: head, simclr-image\.$",
    ):
        adapt(np.eye(20, 4, dtype=np.float32), image, method="setfit-body")
    with pytest.raises(FewlabelsError, match=r"'fake-text' has none.*'minilm' or 'st:<folder>'"):
        adapt(ds, FakeTextEncoder(), method="simcse")
    with pytest.raises(InputTypeError, match=r"texts themselves.*Dataset.*got ndarray"):
        adapt(np.zeros((40, base.dim), np.float32), base, method="simcse")
    with pytest.raises(FewlabelsError, match=r"at least 64 rows, but it has 40"):
        adapt(ds, base, method="simcse")
    with pytest.raises(FewlabelsError, match=r"no row is labelled.*'simcse'"):
        adapt(ds, base, method="setfit-body")
    one_each = np.full(40, -1)
    one_each[:2] = [0, 1]
    with pytest.raises(FewlabelsError, match=r"2 labelled texts in a class.*\[1, 1\]"):
        adapt(ds, base, method="setfit-body", labels=one_each)
    with pytest.raises(FewlabelsError, match=r"SetFitBodyConfig.*holdout"):
        SetFitBodyConfig(holdout=0.9)
    with pytest.raises(FewlabelsError, match=r"SimCSEConfig.*batch_size"):
        SimCSEConfig(batch_size=1)


def test_foreign_body_weights_are_refused(adapted: BodyAdaptedEncoder, tmp_path: Path) -> None:
    folder = adapted.save(tmp_path / "body")
    weights = folder / "weights.safetensors"
    save_file(
        {"w": np.zeros((2, 2), np.float32)},
        str(weights),
        metadata={"format": "fewlabels.adapted-weights/1", "kind": "body"},
    )
    with pytest.raises(FewlabelsError, match=r"fit the base model.*another model"):
        load_adapted(folder, device="cpu")
    weights.write_bytes(b"\x80\x04not-a-body")
    with pytest.raises(FewlabelsError, match=r"pickle, which fewlabels never loads"):
        load_adapted(folder, device="cpu")


def test_a_resumed_body_adaptation_equals_an_uninterrupted_one(
    base: Any, pool: tuple[Dataset, np.ndarray], tmp_path: Path
) -> None:
    ds, _ = pool
    quick = {**FAST, "iterations": 1}
    whole = adapt(
        ds, base, method="setfit-body", labels=ds.labels, device="cpu", **{**quick, "epochs": 2}
    )
    adapt(
        ds,
        base,
        method="setfit-body",
        labels=ds.labels,
        device="cpu",
        checkpoint_dir=tmp_path,
        **quick,
    )
    resumed = adapt(
        ds,
        base,
        method="setfit-body",
        labels=ds.labels,
        device="cpu",
        checkpoint_dir=tmp_path,
        **{**quick, "epochs": 2},
    )
    assert resumed.meta.training["resumed_from"] == 1
    assert resumed.meta.training["history"][0] == pytest.approx(whole.meta.training["history"][0])
    for k, v in whole.tensors.items():
        np.testing.assert_allclose(resumed.tensors[k], v, atol=1e-6)


def test_confident_pseudo_labels_join_the_pairs_up_to_a_cap_per_class(
    base: Any, pool: tuple[Dataset, np.ndarray]
) -> None:
    ds, _ = pool
    quick = {**FAST, "iterations": 1}
    enc = adapt(
        ds,
        base,
        method="setfit-body",
        labels=ds.labels,
        device="cpu",
        pseudo_threshold=0.0,
        pseudo_per_class=3,
        **quick,
    )
    assert enc.meta.labels["n_pseudo"] == 6  # every unlabelled row is confident at 0.0: 3 per class
    assert enc.meta.labels["n_labeled"] == 16


def test_a_body_adaptation_whose_base_is_not_installed_names_the_extra(
    adapted: BodyAdaptedEncoder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = adapted.save(tmp_path / "body")
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # import now fails
    monkeypatch.setitem(sys.modules, "fewlabels.encode.sentence_transformer", None)
    with pytest.raises(
        MissingExtraError, match=r"built on the encoder 'st:.*not installed.*fewlabels\[text\]"
    ):
        load_adapted(folder, device="cpu")
