"""LoRA (peft) for the text body methods, on the tiny random BERT sentence-transformer."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fewlabels.adapt import BodyAdaptedEncoder, SetFitBodyConfig, SimCSEConfig, adapt
from fewlabels.adapt.body import body_tensors, load_body
from fewlabels.adapt.lora import attach_lora, lora_targets, merge_lora
from fewlabels.adapt.training import train
from fewlabels.data import Dataset
from fewlabels.encode import get_encoder
from fewlabels.errors import FewlabelsError, MissingExtraError

from .conftest import HIDDEN
from .test_body import FAST, _dataset, _texts

RANK = 2
ATTENTION = (
    "attention.self.query.weight",
    "attention.self.key.weight",
    "attention.self.value.weight",
)


@pytest.fixture(scope="module")
def base(tiny_body_dir: Path) -> Any:
    return get_encoder(f"st:{tiny_body_dir}", device="cpu")


@pytest.fixture(scope="module")
def pool() -> Dataset:
    texts, y = _texts(40, seed=0)
    labels = np.full(40, -1)
    labels[:16] = y[:16]
    return _dataset(texts, labels)


@pytest.fixture(scope="module")
def lora_adapted(base: Any, pool: Dataset) -> BodyAdaptedEncoder:
    enc = adapt(
        pool,
        base,
        method="setfit-body",
        labels=pool.labels,
        device="cpu",
        lora=True,
        lora_rank=RANK,
        **FAST,
    )
    assert isinstance(enc, BodyAdaptedEncoder)
    return enc


def test_training_moves_only_the_adapters_and_the_base_stays_frozen(base: Any) -> None:
    import torch

    torch.manual_seed(0)
    model = load_body(base, device="cpu")
    handle = attach_lora(model, rank=RANK, alpha=4.0)
    trainable = {k for k, p in model.named_parameters() if p.requires_grad}
    assert trainable and all(".lora_A." in k or ".lora_B." in k for k in trainable)
    # 2 layers x (query, key, value) x (A, B)
    assert len(trainable) == 2 * 3 * 2
    before = {k: v.detach().clone() for k, v in model.state_dict().items()}
    texts, _ = _texts(8, seed=3)

    def losses(gen: Any) -> Any:
        for _ in range(3):
            feats = model.preprocess(texts)
            yield model(feats)["sentence_embedding"].pow(2).sum(dim=1).mean().neg()

    train(model, losses, epochs=1, lr=1e-2, weight_decay=0.0, seed=0, key="lora-toy")
    after = model.state_dict()
    moved = {k for k in before if not torch.equal(before[k], after[k])}
    assert moved == {k for k in trainable if ".lora_B." in k or ".lora_A." in k}
    assert any(".lora_B." in k for k in moved)  # B leaves zero: the output really changed
    merge_lora(handle)
    assert set(model.state_dict()) == set(load_body(base, device="cpu").state_dict())


def test_merged_lora_changes_only_attention_projections_by_a_low_rank_update(
    lora_adapted: BodyAdaptedEncoder, base: Any
) -> None:
    frozen = body_tensors(load_body(base, device="cpu"))
    tuned = lora_adapted.tensors
    assert set(tuned) == set(frozen)  # an ordinary body adaptation: loads without peft
    changed = sorted(k for k in frozen if not np.array_equal(frozen[k], tuned[k]))
    assert len(changed) == 2 * 3 and all(k.endswith(ATTENTION) for k in changed)
    for k in changed:
        assert np.linalg.matrix_rank(tuned[k] - frozen[k], tol=1e-7) <= RANK
    assert lora_adapted.meta.kind == "body"
    settings = lora_adapted.meta.settings
    assert (settings["lora"], settings["lora_rank"], settings["lora_alpha"]) == (True, RANK, 16.0)


def test_saved_lora_encoder_reloads_offline_to_identical_embeddings(
    lora_adapted: BodyAdaptedEncoder, pool: Dataset, tmp_path: Path
) -> None:
    folder = lora_adapted.save(tmp_path / "lora-body")
    assert sorted(p.name for p in folder.iterdir()) == ["adapter.json", "weights.safetensors"]
    recorded = json.loads((folder / "adapter.json").read_text())["settings"]
    assert recorded["lora"] is True and recorded["lora_rank"] == RANK
    again = get_encoder(f"adapted:{folder}", device="cpu")
    assert isinstance(again, BodyAdaptedEncoder)
    assert again.identity == lora_adapted.identity
    texts = list(pool.inputs[:8])
    np.testing.assert_array_equal(again.encode(texts), lora_adapted.encode(texts))


def test_identity_differs_with_and_without_lora_and_with_the_rank(
    lora_adapted: BodyAdaptedEncoder, base: Any, pool: Dataset
) -> None:
    full = adapt(pool, base, method="setfit-body", labels=pool.labels, device="cpu", **FAST)
    assert full.meta.fingerprint != lora_adapted.meta.fingerprint
    assert full.identity != lora_adapted.identity
    assert "lora" not in full.meta.settings  # whole-body identities are what they were
    assert set(SetFitBodyConfig().settings()) == set(SetFitBodyConfig(lora=True).settings()) - {
        "lora",
        "lora_rank",
        "lora_alpha",
    }
    other_rank = SetFitBodyConfig(lora=True, lora_rank=RANK + 1).settings()
    assert other_rank != SetFitBodyConfig(lora=True, lora_rank=RANK).settings()


def test_simcse_takes_lora_too(base: Any, pool: Dataset) -> None:
    enc = adapt(
        pool,
        base,
        method="simcse",
        epochs=1,
        batch_size=8,
        lr=1e-2,
        holdout=0.0,
        lora=True,
        lora_rank=RANK,
        device="cpu",
    )
    frozen = body_tensors(load_body(base, device="cpu"))
    changed = [k for k in frozen if not np.array_equal(frozen[k], enc.tensors[k])]
    assert changed and all(k.endswith(ATTENTION) for k in changed)
    assert enc.meta.settings["lora"] is True


def test_missing_peft_names_the_extra(
    base: Any, pool: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "peft", None)  # import peft now fails
    with pytest.raises(MissingExtraError, match=r"LoRA.*peft.*pip install 'fewlabels\[lora\]'"):
        adapt(pool, base, method="setfit-body", labels=pool.labels, lora=True, **FAST)
    # without LoRA, peft is not needed
    SetFitBodyConfig()


@pytest.mark.parametrize("rank", [0, -1, 2.5, True, "8"])
def test_bad_rank_is_refused(rank: Any) -> None:
    with pytest.raises(FewlabelsError, match=r"SetFitBodyConfig expected lora_rank to be a whole"):
        SetFitBodyConfig(lora=True, lora_rank=rank)
    with pytest.raises(FewlabelsError, match=r"SimCSEConfig expected lora_rank"):
        SimCSEConfig(lora=True, lora_rank=rank)


def test_rank_above_the_projection_width_and_ignored_settings_are_refused(
    base: Any, pool: Dataset
) -> None:
    with pytest.raises(FewlabelsError, match=rf"at most the width.*\({HIDDEN}\).*got {HIDDEN + 1}"):
        adapt(
            pool,
            base,
            method="setfit-body",
            labels=pool.labels,
            lora=True,
            lora_rank=HIDDEN + 1,
            device="cpu",
            **FAST,
        )
    SetFitBodyConfig(lora=True, lora_rank=HIDDEN)  # the width itself is allowed by the config
    with pytest.raises(FewlabelsError, match=r"lora_rank=4.*lora is False.*lora=True"):
        SetFitBodyConfig(lora_rank=4)
    with pytest.raises(FewlabelsError, match=r"lora_alpha"):
        SetFitBodyConfig(lora=True, lora_alpha=0.0)
    with pytest.raises(FewlabelsError, match=r"lora to be True or False.*'yes'"):
        SimCSEConfig(lora="yes")


def test_attention_targets_are_found_by_name(base: Any) -> None:
    import torch

    model = load_body(base, device="cpu")
    assert lora_targets(model[0].model) == ("query", "key", "value")
    with pytest.raises(FewlabelsError, match=r"attention projections named.*linear layers are"):
        lora_targets(torch.nn.Sequential(torch.nn.Linear(2, 2)))
