"""Class descriptions: the [descriptions] table of fewlabels.toml and the files that set it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fewlabels.errors import FewlabelsError, InputTypeError, MissingFileError
from fewlabels.workspace import DataSourceConfig, WorkspaceConfig
from fewlabels.workspace.config import (
    check_descriptions,
    load_descriptions,
    merge_descriptions,
    parse_description_pairs,
)

CLASSES = ("great", "other")


def _config(descriptions: Any) -> WorkspaceConfig:
    return WorkspaceConfig(
        data=DataSourceConfig(kind="builtin", source="finefoods"),
        classes=CLASSES,
        encoder="minilm-int8",
        descriptions=descriptions,
    )


def _raw(descriptions: Any) -> dict[str, Any]:
    return {
        "classes": list(CLASSES),
        "encoder": "minilm-int8",
        "data": {"kind": "builtin", "source": "finefoods"},
        "descriptions": descriptions,
    }


def test_descriptions_round_trip_through_the_toml_file(tmp_path: Path) -> None:
    cfg = _config({"other": [" Stale. ", 'Broke "fast" \\ 😀\x7f'], "great": "Loved it."})
    # kept in class order, stripped, one tuple per class
    assert cfg.descriptions == {
        "great": ("Loved it.",),
        "other": ("Stale.", 'Broke "fast" \\ 😀\x7f'),
    }
    path = tmp_path / "fewlabels.toml"
    cfg.save(path)
    text = path.read_text(encoding="utf-8")
    assert '[descriptions]\n"great" = "Loved it."\n"other" = [' in text
    assert WorkspaceConfig.load(path) == cfg


def test_no_descriptions_writes_no_table(tmp_path: Path) -> None:
    cfg = _config({})
    assert "[descriptions]" not in cfg.to_toml()
    cfg.save(tmp_path / "f.toml")
    assert WorkspaceConfig.load(tmp_path / "f.toml").descriptions == {}


@pytest.mark.parametrize(
    ("descriptions", "error", "match"),
    [
        ({"grate": "x"}, FewlabelsError, r"only for the classes \['great', 'other'\].*\['grate'\]"),
        ({"great": ""}, FewlabelsError, r"non-empty description for class 'great'"),
        ({"great": ["ok", "  "]}, FewlabelsError, r"non-empty description for class 'great'"),
        ({"other": []}, FewlabelsError, r"non-empty description for class 'other'"),
        ({"great": 3}, InputTypeError, r"class 'great'.*string or a list of strings.*int"),
        ({"great": ["ok", 2]}, InputTypeError, r"class 'great'.*string or a list of strings"),
        (["great"], InputTypeError, r"to map class names to a description.*list"),
    ],
)
def test_bad_descriptions_are_refused_at_load(
    descriptions: Any, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        WorkspaceConfig.from_dict(_raw(descriptions))
    with pytest.raises(error, match=match):
        _config(descriptions)


def test_the_file_names_its_table_in_messages() -> None:
    with pytest.raises(FewlabelsError, match=r"\['nope'\] in \[descriptions\] of fewlabels.toml"):
        WorkspaceConfig.from_dict(_raw({"nope": "x"}))
    with pytest.raises(FewlabelsError, match="in d.json"):
        check_descriptions({"great": ""}, CLASSES, where="d.json")


def test_load_descriptions_reads_toml_and_json(tmp_path: Path) -> None:
    toml_file = tmp_path / "d.toml"
    toml_file.write_text('great = "Loved it."\nother = ["Stale.", "Broken."]\n')
    json_file = tmp_path / "d.JSON"
    json_file.write_text(json.dumps({"great": "Loved it.", "other": ["Stale.", "Broken."]}))
    expected = {"great": "Loved it.", "other": ["Stale.", "Broken."]}
    assert load_descriptions(toml_file) == expected
    assert load_descriptions(json_file) == expected


def test_load_descriptions_explains_each_bad_file(tmp_path: Path) -> None:
    (tmp_path / "d.txt").write_text("great = x")
    with pytest.raises(FewlabelsError, match=r"ending in .toml or .json.*d.txt"):
        load_descriptions(tmp_path / "d.txt")
    with pytest.raises(MissingFileError, match=r"descriptions file at .*none.toml"):
        load_descriptions(tmp_path / "none.toml")
    (tmp_path / "bad.toml").write_text("great = ")
    with pytest.raises(FewlabelsError, match=r"valid TOML in the descriptions file .*bad.toml"):
        load_descriptions(tmp_path / "bad.toml")
    (tmp_path / "bad.json").write_text("{great: 1}")
    with pytest.raises(FewlabelsError, match=r"valid JSON in the descriptions file .*bad.json"):
        load_descriptions(tmp_path / "bad.json")
    (tmp_path / "list.json").write_text('["great"]')
    with pytest.raises(InputTypeError, match=r"list.json to hold one object.*list"):
        load_descriptions(tmp_path / "list.json")


def test_inline_pairs_and_merging() -> None:
    pairs = parse_description_pairs(["great=Loved it=truly", " other =Stale.", "great=Yum."])
    assert pairs == {"great": ["Loved it=truly", "Yum."], "other": ["Stale."]}
    merged = merge_descriptions({"great": "From the file.", "other": ["A", "B"]}, pairs)
    assert merged == {
        "great": ["From the file.", "Loved it=truly", "Yum."],
        "other": ["A", "B", "Stale."],
    }
    with pytest.raises(FewlabelsError, match=r"'class=sentence', but got 'great'"):
        parse_description_pairs(["great"])
    with pytest.raises(FewlabelsError, match=r"'class=sentence', but got '=x'"):
        parse_description_pairs(["=x"])


def test_a_workspace_on_a_built_in_takes_its_descriptions(tmp_path: Path) -> None:
    # found by the labelling-speed benchmark: a finefoods workspace started zero-shot from the
    # class names alone (0.554) where the built-in descriptions give 0.693
    from typer.testing import CliRunner

    from fewlabels.cli import app
    from fewlabels.data.builtin import builtin_descriptions
    from fewlabels.workspace import Workspace

    own = builtin_descriptions("finefoods")
    assert own  # the built-in has some
    ws = Workspace.init(tmp_path / "ws", data="finefoods")
    assert dict(ws.config.descriptions) == own
    assert (
        Workspace.init(tmp_path / "none", data="finefoods", descriptions={}).config.descriptions
        == {}
    )
    mine = Workspace.init(tmp_path / "mine", data="finefoods", descriptions={"great": "Yum."})
    assert dict(mine.config.descriptions) == {"great": ("Yum.",)}
    r = CliRunner().invoke(app, ["init", str(tmp_path / "cli"), "--data", "finefoods"])
    assert r.exit_code == 0, r.output
    assert "2 class(es) described" in " ".join(r.output.split())
