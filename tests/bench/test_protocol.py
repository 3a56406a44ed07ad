from __future__ import annotations

import dataclasses

import pytest

from fewlabels.bench.protocol import (
    Budget,
    list_protocols,
    load_protocol,
    parse_protocol,
    protocol_differences,
    protocol_from_dict,
)

BASE = """
name = "p"
seeds = [0, 1]
budgets = [4, 1]
methods = ["linear"]
[[datasets]]
name = "digits"
encoder = "pixels"
"""


def test_packaged_protocols_load_with_the_issue_settings() -> None:
    assert {"quick", "standard", "cifar10", "cifar100", "stl10", "imagenet"} <= set(
        list_protocols()
    )
    quick = load_protocol("quick")
    assert [b.per_class for b in quick.budgets] == [1, 4, 16]
    assert quick.seeds == (0, 1, 2)
    assert quick.limits["setfit"].seeds == (0,)
    standard = load_protocol("standard")
    assert [b.per_class for b in standard.budgets] == [1, 2, 4, 8, 16]
    assert len(standard.seeds) == 5
    assert {d.name for d in standard.datasets} >= {"digits", "mnist5k", "finefoods"}
    assert ("mnist5k", "efficientnet-lite0") in {(d.name, d.encoder) for d in standard.datasets}
    # CIFAR-10's 40/250/4000 labels over 10 classes, ImageNet's 1% / 10%
    assert [b.per_class for b in load_protocol("cifar10").budgets] == [4, 25, 400]
    assert [b.fraction for b in load_protocol("imagenet").budgets] == [0.01, 0.1]


def test_budgets_parse_and_sort() -> None:
    proto = parse_protocol(BASE)
    assert [b.label for b in proto.budgets] == ["1/class", "4/class"]
    assert Budget.parse("10%") == Budget(fraction=0.1)
    assert Budget.parse(0.5).label == "50%"
    assert Budget(fraction=1.0).label == "all"
    with pytest.raises(ValueError, match="labels per class as integers"):
        Budget.parse(1.5)
    with pytest.raises(ValueError, match="whole number >= 1"):
        Budget(per_class=0)
    with pytest.raises(ValueError, match="as an integer"):
        Budget.parse("lots")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (BASE + "sedes = [1]\n", r"Unknown key\(s\) \['sedes'\].*Allowed keys"),
        (
            BASE.replace('encoder = "pixels"', 'encoder = "pixels"\nencodr = "x"'),
            r"Unknown key\(s\) \['encodr'\] in .*datasets entry 1",
        ),
        (BASE + "[limits.linear]\nseed = [0]\n", r"Unknown key\(s\) \['seed'\] in .*limits.linear"),
        ("", "is empty"),
        (
            BASE.replace("seeds = [0, 1]", "seeds = []"),
            r"is empty: it needs at least one entry in \['seeds'\]",
        ),
        (BASE.replace('name = "p"\n', ""), r"lacks the key\(s\) \['name'\]"),
        (
            BASE + '[[datasets]]\nname = "digits"\nencoder = "pixels"\n',
            "each \\(dataset, encoder\\) pair once",
        ),
        (BASE.replace("[4, 1]", "[4, 4]"), "distinct budgets"),
        ("name = ", "Expected valid TOML"),
    ],
)
def test_bad_protocols_are_clear_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_protocol(text)


def test_round_trip_and_fingerprint() -> None:
    proto = load_protocol("quick")
    again = protocol_from_dict(proto.to_dict())
    assert again == proto
    assert again.fingerprint == proto.fingerprint
    described = dataclasses.replace(proto, description="other words")
    assert described.fingerprint == proto.fingerprint
    fewer_seeds = dataclasses.replace(proto, seeds=(0,))
    assert fewer_seeds.fingerprint != proto.fingerprint
    diff = protocol_differences(proto.to_dict(), fewer_seeds.to_dict())
    assert diff == {"seeds": ([0, 1, 2], [0])}


def test_unknown_packaged_protocol_lists_known(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="Packaged protocols: .*quick"):
        load_protocol("quik")
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_protocol(tmp_path / "missing.toml")
    path = tmp_path / "mine.toml"
    path.write_text(BASE)
    assert load_protocol(path).name == "p"
