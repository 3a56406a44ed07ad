from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fewlabels.bench import results as res
from fewlabels.bench.protocol import parse_protocol
from fewlabels.bench.report import build_report, headline, write_report

PROTO = """
name = "fake"
seeds = [0, 1, 2]
budgets = [1, 4]
methods = ["ours", "theirs", "ceiling"]
[[datasets]]
name = "toy"
encoder = "enc"
"""


def fake_results() -> pd.DataFrame:
    """ours beats theirs at 1/class, loses at 4/class; one failed seed; a ceiling at 0.95."""
    rows = []
    acc = {
        ("ours", "1/class"): 0.70,
        ("ours", "4/class"): 0.80,
        ("theirs", "1/class"): 0.60,
        ("theirs", "4/class"): 0.85,
    }
    for (method, budget), base in acc.items():
        k = int(budget.split("/")[0])
        for seed in range(3):
            failed = method == "theirs" and budget == "4/class" and seed == 2
            rows.append(
                res.make_row(
                    protocol="fake",
                    dataset="toy",
                    encoder="enc",
                    modality="tabular",
                    method=method,
                    method_kind="fewlabels" if method == "ours" else "peer",
                    budget=budget,
                    per_class=float(k),
                    n_labels=2 * k,
                    labels_per_class=float(k),
                    seed=seed,
                    status="failed" if failed else "ok",
                    error="ValueError: bad" if failed else "",
                    accuracy=float("nan") if failed else base + 0.01 * (seed - 1),
                    macro_f1=float("nan") if failed else base - 0.1,
                    majority_rate=0.6,
                    fit_seconds=0.01 * k,
                    predict_seconds=0.001,
                    peak_mem_mb=1.0,
                    n_train=100,
                    n_test=50,
                    n_classes=2,
                    cell_id=f"{method}|{budget}|{seed}",
                )
            )
    for seed in range(3):
        rows.append(
            res.make_row(
                protocol="fake",
                dataset="toy",
                encoder="enc",
                modality="tabular",
                method="ceiling",
                method_kind="ceiling",
                budget="all",
                fraction=1.0,
                n_labels=100,
                labels_per_class=50.0,
                seed=seed,
                status="ok",
                accuracy=0.95,
                macro_f1=0.94,
                majority_rate=0.6,
                fit_seconds=0.1,
                n_train=100,
                n_test=50,
                n_classes=2,
                cell_id=f"ceiling|{seed}",
            )
        )
    return pd.DataFrame(rows)


def test_tables_bold_the_best_and_show_failures() -> None:
    md, _page, figures = build_report(fake_results())
    assert "| ours | **70.0 ± 0.8** | 80.0 ± 0.8 |" in md
    assert "| theirs | 60.0 ± 0.8 | **84.5 ± 0.5 (2/3)** |" in md
    assert "| ceiling (all labels) | 95.0 ± 0.0 | 95.0 ± 0.0 |" in md
    assert "`theirs` failed in 1 cell(s): ValueError: bad" in md
    assert "majority-class rate on test 60.0%" in md
    # share of the ceiling: 0.70 / 0.95
    assert "| ours | 74% | 84% |" in md
    assert "| ceiling | 0.100 | — | — |" in md
    assert {f.name for f in figures} == {"toy-enc-curve.png", "toy-enc-time.png"}
    assert all(f.png.startswith(b"\x89PNG") for f in figures)


def test_headline_met_and_missed() -> None:
    head = headline(res.conform(fake_results()))
    assert head["target"].tolist() == ["met", "missed"]
    assert head["best_peer"].tolist() == ["theirs", "theirs"]
    np.testing.assert_allclose(head["difference"], [10.0, -4.5])


def test_html_is_self_contained(tmp_path: Path) -> None:
    res.write_results(fake_results(), tmp_path / "r.csv")
    files = write_report([tmp_path / "r.csv"], out=tmp_path / "rep")
    page = files.html.read_text()
    images = re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", page)
    assert len(images) == 2
    assert base64.b64decode(images[0]).startswith(b"\x89PNG")
    assert "http://" not in page and "https://" not in page and "<script" not in page
    assert "<b>70.0 ± 0.8</b>" in page
    md = files.markdown.read_text()
    assert "![toy enc accuracy against labels per class](figures/toy-enc-curve.png)" in md
    assert (tmp_path / "rep" / "figures" / "toy-enc-curve.png").is_file()


def test_results_of_another_protocol_name_the_fields(tmp_path: Path) -> None:
    res.write_results(fake_results(), tmp_path / "r.csv")
    ok = parse_protocol(PROTO)
    write_report([tmp_path / "r.csv"], out=tmp_path / "rep", protocol=ok)
    other = parse_protocol(PROTO.replace("[0, 1, 2]", "[0, 1]").replace("[1, 4]", "[1, 4, 16]"))
    with pytest.raises(
        ValueError,
        match=r"different protocol than 'fake' \(budgets: results have "
        r"\['1/class', '4/class'(, 'all')?\], protocol 'fake' has .*seeds",
    ):
        write_report([tmp_path / "r.csv"], out=tmp_path / "rep", protocol=other)
    # two run folders with different recorded protocols
    for name, proto in (("a", ok), ("b", other)):
        folder = tmp_path / name
        res.write_results(fake_results(), folder / "results.csv")
        (folder / "protocol.json").write_text(json.dumps({"protocol": proto.to_dict()}))
    with pytest.raises(
        ValueError,
        match=r"come from different protocols \(budgets: \[1, 4\] vs \[1, 4, 16\]; seeds",
    ):
        write_report([tmp_path / "a", tmp_path / "b"], out=tmp_path / "rep")


def test_active_learning_rows_draw_one_line_per_strategy() -> None:
    rows = []
    for strategy, slope in (("random", 0.01), ("margin", 0.02)):
        for seed in range(2):
            for rnd in range(4):
                rows.append(
                    res.make_row(
                        protocol="simulate",
                        dataset="toy",
                        encoder="enc",
                        method="auto",
                        strategy=strategy,
                        round=rnd,
                        n_labels=10 * (rnd + 1),
                        seed=seed,
                        status="ok",
                        accuracy=0.5 + slope * rnd,
                        cell_id=f"sim|{strategy}|{seed}|{rnd}",
                    )
                )
    frame = pd.concat([fake_results(), pd.DataFrame(rows)], ignore_index=True)
    md, _, figures = build_report(frame)
    assert "## Active learning: accuracy against the number of labels" in md
    assert "| margin | 40 | **56.0 ± 0.0** |" in md
    assert "al-toy-enc-auto.png" in {f.name for f in figures}


def test_empty_results_are_refused() -> None:
    with pytest.raises(ValueError, match="at least one row"):
        build_report(pd.DataFrame(columns=list(res.SCHEMA)))
