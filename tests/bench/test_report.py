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
from fewlabels.bench.report import aggregate as agg
from fewlabels.bench.report import build_report, headline, write_report
from fewlabels.bench.report.figures import reference_levels

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
    # theirs at 1/class is exactly at the majority rate (60 %): marked
    assert "| theirs | 60.0 ± 0.8 (≤ majority) | **84.5 ± 0.5 (2/3)** |" in md
    assert "| ceiling (all labels) | 95.0 ± 0.0 | 95.0 ± 0.0 |" in md
    assert "`theirs` failed in 1 cell(s): ValueError: bad" in md
    # the majority's macro-F1 on 2 classes at p = 0.6: 2 * 0.6 / 1.6 / 2 = 37.5 %
    assert "majority-class rate on test 60.0%; always answering that class scores macro-F1 " in md
    assert "37.5% and balanced accuracy 50.0%" in md
    # results without balanced accuracy (written before it was recorded) read as n/a
    assert "### Balanced accuracy" in md
    assert "| ours | n/a | n/a |" in md and "| theirs | n/a | n/a |" in md
    # share of the ceiling: 0.70 / 0.95
    assert "| ours | 74% | 84% |" in md
    assert "| ceiling | 0.100 | — | — |" in md
    assert {f.name for f in figures} == {"toy-enc-curve.png", "toy-enc-time.png"}
    assert all(f.png.startswith(b"\x89PNG") for f in figures)


def test_headline_met_and_missed() -> None:
    head = headline(res.conform(fake_results()))
    assert head["target"].tolist() == ["met", "missed"]
    assert head["missed_on"].tolist() == ["", "accuracy, macro-F1"]
    assert head["best_peer"].tolist() == ["theirs", "theirs"]
    assert head["peer_marks"].tolist() == ["≤ majority", ""]
    np.testing.assert_allclose(head["difference"], [10.0, -4.5])
    np.testing.assert_allclose(head["difference_macro_f1"], [10.0, -5.0])
    np.testing.assert_allclose(head["majority_macro_f1"], 0.375)


def _cell(method: str, kind: str, seed: int, **scores: float) -> dict[str, object]:
    """One ok 4/class row of a 2-class toy (majority rate 0.6) with the given scores."""
    return res.make_row(
        protocol="fake",
        dataset="toy",
        encoder="enc",
        method=method,
        method_kind=kind,
        budget="4/class",
        per_class=4.0,
        n_labels=8,
        labels_per_class=4.0,
        seed=seed,
        status="ok",
        majority_rate=0.6,
        n_train=100,
        n_test=50,
        n_classes=2,
        cell_id=f"{method}|{seed}",
        **scores,
    )


def constant_majority_results() -> pd.DataFrame:
    """`const` always answers the majority class; the peer is below it in accuracy."""
    rows = []
    for seed in range(2):
        rows.append(
            _cell(
                "const",
                "fewlabels",
                seed,
                accuracy=0.6,
                macro_f1=0.375,
                balanced_accuracy=0.5,
                top_pred_share=1.0,
            )
        )
        rows.append(
            _cell(
                "theirs",
                "peer",
                seed,
                accuracy=0.58,
                macro_f1=0.55,
                balanced_accuracy=0.56,
                top_pred_share=0.6,
            )
        )
    return pd.DataFrame(rows)


def test_a_constant_majority_learner_is_marked_and_misses_its_target() -> None:
    head = headline(res.conform(constant_majority_results()))
    # its accuracy beats the peer's, but it learned nothing: never "met"
    assert head["best_learner"].tolist() == ["const"]
    assert head["target"].tolist() == ["missed"]
    assert head["missed_on"].tolist() == ["≤ majority, macro-F1"]
    assert head["learner_marks"].tolist() == ["≤ majority, collapsed"]
    md, _, _ = build_report(constant_majority_results())
    assert "| const | **60.0 ± 0.0 (≤ majority, collapsed)** |" in md
    assert "missed (≤ majority, macro-F1)" in md
    assert "const 60.0 / 37.5 / 50.0 (≤ majority, collapsed)" in md
    assert "| toy | enc | 4/class |" in md and "| 60.0 / 37.5 |" in md
    assert "Warning: `const` collapses onto one class (at least 95% of its test predictions)" in md
    assert "4/class (100.0% of its predictions in one class)" in md
    assert "`const` is at the majority level" in md
    assert "Target met in 0 of 1 dataset/budget pairs." in md


@pytest.mark.parametrize(
    ("accuracy", "macro_f1", "marked"),
    [
        (0.61, 0.9, True),  # exactly majority rate (0.6) + 1 point: marked (inclusive)
        (0.6101, 0.9, False),  # just above
        (0.9, 0.385, True),  # exactly the majority's macro-F1 (0.375) + 1 point
        (0.9, 0.3851, False),
        (0.59, float("nan"), True),  # below the majority rate, macro-F1 not recorded
        (0.9, float("nan"), False),
    ],
)
def test_the_majority_mark_boundary_is_inclusive(
    accuracy: float, macro_f1: float, marked: bool
) -> None:
    assert agg.at_majority(accuracy, macro_f1, 0.6, agg.majority_macro_f1(0.6, 2)) is marked
    rows = [_cell("ours", "fewlabels", s, accuracy=accuracy, macro_f1=macro_f1) for s in (0, 1)]
    rows += [_cell("theirs", "peer", s, accuracy=0.5, macro_f1=0.2) for s in (0, 1)]
    head = headline(res.conform(pd.DataFrame(rows)))
    assert (head["learner_marks"].iloc[0] == "≤ majority") is marked
    if marked:
        assert head["target"].iloc[0] == "missed"
        assert head["missed_on"].iloc[0].startswith("≤ majority")


def test_met_needs_both_accuracy_and_macro_f1() -> None:
    rows = [_cell("ours", "fewlabels", s, accuracy=0.8, macro_f1=0.6) for s in (0, 1)]
    rows += [_cell("theirs", "peer", s, accuracy=0.75, macro_f1=0.7) for s in (0, 1)]
    head = headline(res.conform(pd.DataFrame(rows)))
    assert head["target"].tolist() == ["missed"]
    assert head["missed_on"].tolist() == ["macro-F1"]
    np.testing.assert_allclose(head["difference_macro_f1"], [-10.0])


def test_the_best_is_chosen_among_methods_above_the_majority() -> None:
    rows = [_cell("const", "fewlabels", s, accuracy=0.62, macro_f1=0.38) for s in (0, 1)]
    rows += [_cell("real", "fewlabels", s, accuracy=0.7, macro_f1=0.6) for s in (0, 1)]
    rows += [_cell("theirs", "peer", s, accuracy=0.65, macro_f1=0.55) for s in (0, 1)]
    frame = res.conform(pd.DataFrame(rows))
    frame.loc[frame["method"] == "const", "accuracy"] = 0.75  # high accuracy, majority F1
    head = headline(frame)
    assert head["best_learner"].tolist() == ["real"] and head["target"].tolist() == ["met"]


def test_when_every_method_is_at_the_majority_level_macro_f1_picks_the_best() -> None:
    # An imbalanced task: answering the majority class for everything has the top accuracy.
    rows = [_cell("const", "peer", s, accuracy=0.967, macro_f1=0.49) for s in (0, 1)]
    rows += [_cell("real-peer", "peer", s, accuracy=0.90, macro_f1=0.52) for s in (0, 1)]
    rows += [_cell("ours", "fewlabels", s, accuracy=0.80, macro_f1=0.56) for s in (0, 1)]
    frame = res.conform(pd.DataFrame(rows))
    frame["majority_rate"] = 0.967
    head = headline(frame)
    assert head["best_peer"].tolist() == ["real-peer"]
    assert head["best_learner"].tolist() == ["ours"]
    # Still no target met: both sit at the majority level on accuracy.
    assert head["target"].tolist() == ["missed"]


def test_old_results_without_the_new_columns_still_report(tmp_path: Path) -> None:
    frame = res.conform(fake_results()).drop(columns=["balanced_accuracy", "top_pred_share"])
    frame.to_csv(tmp_path / "old.csv", index=False)
    files = write_report([tmp_path / "old.csv"], out=tmp_path / "rep")
    md = files.markdown.read_text()
    assert "ours 70.0 / 60.0 / n/a" in md and "collapses" not in md


def test_curves_draw_the_majority_rate() -> None:
    levels = reference_levels(res.conform(fake_results()))
    assert levels == pytest.approx({"ceiling (all labels)": 0.95, "majority class": 0.6})


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
    # no macro-F1 nor balanced accuracy recorded in these rows: n/a beside the accuracy
    assert "| margin | 40 | **56.0 ± 0.0** | n/a | n/a |" in md
    assert "al-toy-enc-auto.png" in {f.name for f in figures}


def test_empty_results_are_refused() -> None:
    with pytest.raises(ValueError, match="at least one row"):
        build_report(pd.DataFrame(columns=list(res.SCHEMA)))
