"""Multi-label distillation: the sigmoid student, thresholds, the ONNX export and predict."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from fakes import FakeTextEncoder
from fewlabels.data import Dataset, MultiLabelDataset
from fewlabels.distill import DistillConfig, Teacher, TextStudent, distill, load_student
from fewlabels.distill.export_schema import NotAStudentError, check_metadata
from fewlabels.distill.multilabel import (
    check_thresholds,
    label_indicator,
    override_with_label_sets,
    per_label_budget,
)
from fewlabels.distill.predict import predict_file, predict_to_file
from fewlabels.distill.sigmoid_head import SigmoidObjective, set_micro_f1
from fewlabels.distill.student import check_student_fit
from fewlabels.errors import FewlabelsError
from fewlabels.learn import OneVsRest
from fewlabels.learn.multilabel_metrics import multilabel_scores

SMALL = {"word_buckets": 512, "char_buckets": 512, "dim": 8}
FAST = DistillConfig(epochs=12, batch_size=16, lr=2e-2, patience=4, progress=False)
COLOURS = ("red", "blue", "green")


def toy_sets(n: int = 120, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """Texts whose colour words are their label set (possibly empty), amid shared filler."""
    rng = np.random.default_rng(seed)
    Y = (rng.random((n, 3)) < 0.4).astype(np.int64)
    filler = ["the", "a", "thing", "item", "some", "kind"]
    texts = [
        " ".join([*rng.choice(filler, 3), *[c for k, c in enumerate(COLOURS) if Y[i, k]]])
        for i in range(n)
    ]
    return texts, Y


def teacher_proba(Y: np.ndarray) -> np.ndarray:
    """A sure but soft teacher: 0.9 where a row has a label, 0.1 where not."""
    return np.where(Y == 1, 0.9, 0.1)


@pytest.fixture(scope="module")
def fitted() -> tuple[TextStudent, list[str], np.ndarray]:
    texts, Y = toy_sets()
    student = TextStudent(config=FAST, **SMALL).fit(
        texts, teacher_proba(Y), classes=COLOURS, multilabel=True, thresholds=[0.5, 0.4, 0.6]
    )
    return student, texts, Y


@pytest.fixture(scope="module")
def exported(
    fitted: tuple[TextStudent, list[str], np.ndarray], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    return fitted[0].export(tmp_path_factory.mktemp("ml") / "student.onnx")


# --- the rules -----------------------------------------------------------------------------
def test_threshold_exactly_at_a_probability_takes_the_label() -> None:
    p = np.array([[0.3, 0.7, 0.5], [0.29, 0.71, 0.5]], dtype=np.float32)
    cuts = p[0].astype(np.float64)  # exactly the first row's probabilities
    np.testing.assert_array_equal(label_indicator(p, cuts), [[1, 1, 1], [0, 1, 1]])
    above = np.nextafter(cuts, 2.0)  # one step higher: not reached any more
    np.testing.assert_array_equal(label_indicator(p[:1], above), [[0, 0, 0]])


def test_the_rule_is_the_one_vs_rest_learners() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 4))
    Y = (X[:, :3] > 0).astype(np.int64)
    ovr = OneVsRest(threshold=0.5).fit(X, Y)
    P = ovr.predict_proba(X)
    ovr.thresholds_ = P[0].copy()  # the thresholds sit exactly at row 0's probabilities
    np.testing.assert_array_equal(ovr.predict(X)[0], [1, 1, 1])
    np.testing.assert_array_equal(label_indicator(P, ovr.thresholds_), ovr.predict(X))


def test_override_with_label_sets_keeps_empty_sets_and_unlabelled_rows() -> None:
    p = np.array([[0.2, 0.8], [0.6, 0.4], [0.7, 0.9]])
    Y = np.array([[1, 0], [-1, -1], [0, 0]])
    out = override_with_label_sets(p, Y)
    np.testing.assert_allclose(out, [[1, 0], [0.6, 0.4], [0, 0]])
    assert p[0, 0] == 0.2  # a copy


def test_check_student_fit_marks_human_rows_and_uses_their_sets() -> None:
    texts, Y = toy_sets(6)
    labels = np.full_like(Y, -1)
    labels[[1, 4]] = [[0, 0, 0], [1, 1, 1]]  # an empty set and a full one
    t, rows, w, names = check_student_fit(
        texts,
        teacher_proba(Y),
        labels,
        None,
        COLOURS,
        modality="text",
        student="TextStudent",
        multilabel=True,
    )
    np.testing.assert_array_equal(rows, [-1, 0, -1, -1, 0, -1])
    np.testing.assert_array_equal(t[1], [0, 0, 0])
    np.testing.assert_array_equal(t[4], [1, 1, 1])
    np.testing.assert_allclose(t[0], teacher_proba(Y)[0])
    assert names == COLOURS and w.tolist() == [1.0] * 6


def test_per_label_budget_holds_each_label_and_no_row_twice() -> None:
    Y = np.zeros((50, 3), dtype=np.int64)
    Y[:30, 0] = 1
    Y[20:40, 1] = 1
    Y[45:47, 2] = 1  # a rare label: only 2 rows hold it
    rows = per_label_budget(Y, 3, seed=0)
    assert rows.tolist() == sorted(set(rows.tolist()))
    assert (Y[rows].sum(axis=0) >= [3, 3, 2]).all()
    assert rows.size <= 3 + 3 + 2
    np.testing.assert_array_equal(rows, per_label_budget(Y, 3, seed=0))  # seeded
    with pytest.raises(FewlabelsError, match="per_label to be a whole number >= 1"):
        per_label_budget(Y, 0, seed=0)


def test_sigmoid_objective_loss_and_agreement() -> None:
    import torch

    obj = SigmoidObjective(np.array([0.5, 0.5]), hard_weight=0.0)
    q = torch.tensor([[0.9, 0.1], [0.2, 0.8]])
    at = torch.logit(q)
    labels = torch.tensor([-1, -1])
    w = torch.ones(2)
    assert float(obj.loss(at, q, labels, w)) < float(obj.loss(at + 0.5, q, labels, w))
    rec = obj.validate(at, q, w)
    assert rec["val_agreement"] == 1.0
    rec = obj.validate(-at, q, w)  # every decision flipped
    assert rec["val_agreement"] == 0.0
    hard = SigmoidObjective(np.array([0.5, 0.5]), hard_weight=1.0)
    with_human = torch.tensor([0, -1])
    assert float(hard.loss(at + 1, q, with_human, w)) > float(obj.loss(at + 1, q, with_human, w))
    empty = torch.zeros((2, 2), dtype=torch.bool)
    assert set_micro_f1(empty, empty) == 1.0  # both empty: they agree


# --- the student ---------------------------------------------------------------------------
def test_sigmoid_student_learns_a_separable_task_to_near_teacher_agreement(
    fitted: tuple[TextStudent, list[str], np.ndarray],
) -> None:
    student, texts, Y = fitted
    assert student.multilabel_ and student.thresholds_.tolist() == [0.5, 0.4, 0.6]
    proba = student.predict_proba(texts)
    assert proba.shape == (120, 3) and not np.allclose(proba.sum(axis=1), 1.0)
    teacher_sets = label_indicator(teacher_proba(Y), student.thresholds_)
    s = multilabel_scores(teacher_sets, student.predict(texts))
    assert s.micro_f1 >= 0.97 and s.macro_f1 >= 0.97
    sets = student.predict_sets(texts)
    assert sets[0] == [c for k, c in enumerate(COLOURS) if student.predict(texts)[0, k]]
    assert student.history_[-1]["val_agreement"] >= 0.95
    # new texts, never seen: the colour words still decide
    new = student.predict_sets(["some item green", "a kind thing", "red blue the"])
    assert new == [["green"], [], ["red", "blue"]]


def test_onnx_round_trip_equals_the_torch_student(
    fitted: tuple[TextStudent, list[str], np.ndarray], exported: Path
) -> None:
    student, texts, _ = fitted
    loaded = load_student(exported)
    assert loaded.multilabel and loaded.metadata["task"] == "multilabel"
    assert loaded.thresholds.tolist() == student.thresholds_.tolist()  # exactly
    np.testing.assert_allclose(
        loaded.predict_proba(texts), student.predict_proba(texts), atol=1e-5, rtol=0
    )
    np.testing.assert_array_equal(loaded.predict(texts), student.predict(texts))
    assert loaded.predict_sets(texts) == student.predict_sets(texts)


def test_a_threshold_at_the_exported_probability_takes_the_label(
    fitted: tuple[TextStudent, list[str], np.ndarray], exported: Path, tmp_path: Path
) -> None:
    student, texts, _ = fitted
    onnx_row = load_student(exported).predict_proba(texts[:1])[0].astype(np.float64)
    at = TextStudent(config=FAST, **SMALL)
    at.__dict__.update(student.__dict__)  # the same fitted student...
    at.thresholds_ = onnx_row  # ...with thresholds exactly at row 0's probabilities
    again = load_student(at.export(tmp_path / "at.onnx"))
    assert again.predict_sets(texts[:1]) == [list(COLOURS)]
    at.thresholds_ = np.nextafter(onnx_row, 2.0)
    assert load_student(at.export(tmp_path / "above.onnx")).predict_sets(texts[:1]) == [[]]


def test_predict_sets_is_refused_for_a_single_label_student() -> None:
    texts, Y = toy_sets(40)
    single = TextStudent(config=FAST.replace(epochs=1), **SMALL).fit(
        texts, np.c_[Y[:, 0], 1 - Y[:, 0]] * 0.8 + 0.1
    )
    with pytest.raises(FewlabelsError, match="was fitted on single labels"):
        single.predict_sets(texts)


# --- predict writes label sets -------------------------------------------------------------
def test_predict_writes_sets_and_probability_columns(exported: Path, tmp_path: Path) -> None:
    texts = ["the thing red", "a kind item", "some blue green", "the item"]
    table = tmp_path / "in.csv"
    pd.DataFrame({"id": ["a", "b", "c", "d"], "text": texts}).to_csv(table, index=False)
    student = load_student(exported)
    want = student.predict_sets(texts)
    proba = student.predict_proba(texts)
    assert [] in want and ["red"] in want  # an empty set is predicted for a row

    frame = predict_file(student, str(table))
    assert frame.columns.tolist() == ["id", "labels", "red", "blue", "green"]
    assert frame["labels"].tolist() == want
    np.testing.assert_allclose(frame[list(COLOURS)].to_numpy(), proba, atol=1e-7)

    summary = predict_to_file(student, table, tmp_path / "out.csv")
    csv = pd.read_csv(tmp_path / "out.csv", keep_default_na=False, dtype={"labels": str})
    assert csv["id"].tolist() == ["a", "b", "c", "d"]  # the empty set's row is not dropped
    assert csv["labels"].tolist() == ["|".join(s) for s in want]
    assert "" in csv["labels"].tolist()
    np.testing.assert_allclose(csv[list(COLOURS)].to_numpy(), proba, atol=1e-7)
    assert summary.n_predicted == 4 and summary.n_empty == sum(1 for s in want if not s)
    assert summary.counts == {
        c: sum(c in s for s in want) for c in COLOURS if any(c in s for s in want)
    }

    predict_to_file(student, table, tmp_path / "out.jsonl")
    rows = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["labels"] for r in rows] == want and [r["id"] for r in rows] == list("abcd")
    np.testing.assert_allclose([[r[c] for c in COLOURS] for r in rows], proba, atol=1e-7)

    predict_to_file(student, table, tmp_path / "out.parquet")
    pq = pd.read_parquet(tmp_path / "out.parquet")
    assert [list(v) for v in pq["labels"]] == want
    np.testing.assert_allclose(pq[list(COLOURS)].to_numpy(), proba, atol=1e-7)


def test_predict_of_nothing_writes_the_multilabel_header(exported: Path, tmp_path: Path) -> None:
    student = load_student(exported)
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    predict_to_file(student, empty, tmp_path / "none.csv")
    assert (tmp_path / "none.csv").read_text().strip() == "id,labels,red,blue,green"


def test_cli_predict_writes_label_sets(exported: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from fewlabels.cli import app

    data = tmp_path / "texts.txt"
    data.write_text("the red thing\na kind item\nsome green blue\n")
    out = tmp_path / "preds.csv"
    res = CliRunner().invoke(app, ["predict", str(exported), str(data), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "3 prediction(s), 1 with no label" in " ".join(res.output.split())
    csv = pd.read_csv(out, keep_default_na=False, dtype={"labels": str, "id": str})
    assert csv["labels"].tolist() == ["red", "", "blue|green"]


# --- distill with a multi-label teacher ----------------------------------------------------
def ml_pool(n: int = 60, n_labelled: int = 24) -> MultiLabelDataset:
    """Texts whose first word names their set (the fake encoder clusters on it)."""
    heads = {"red": [1, 0, 0], "blue": [0, 1, 0], "redgreen": [1, 0, 1], "plain": [0, 0, 0]}
    names = list(heads)
    texts = [f"{names[i % 4]} film number {i}" for i in range(n)]
    Y = np.array([heads[names[i % 4]] for i in range(n)], dtype=np.int8)
    Y[n_labelled:] = -1
    return MultiLabelDataset(
        ids=np.array([f"m{i}" for i in range(n)], dtype=object),
        inputs=texts,
        label_sets=Y,
        classes=COLOURS,
        modality="text",
        name="toy-sets",
    )


def test_distill_a_one_vs_rest_teacher_carries_its_thresholds(tmp_path: Path) -> None:
    pool = ml_pool()
    teacher = Teacher(
        FakeTextEncoder(), OneVsRest(n_folds=3), cache_dir=tmp_path, progress=False
    ).fit(pool)
    student = distill(teacher, pool, student_params=SMALL, config=FAST)
    assert student.multilabel_ and "OneVsRest" in student.teacher_
    np.testing.assert_array_equal(student.thresholds_, teacher.learner.thresholds_)
    soft = teacher.soft_labels(pool)
    assert soft.proba[:24].tolist() == pool.label_sets[:24].astype(np.float32).tolist()
    teacher_sets = label_indicator(soft.teacher_proba, teacher.thresholds)
    s = multilabel_scores(teacher_sets, student.predict(pool.inputs))
    assert s.micro_f1 >= 0.95
    meta = load_student(student.export(tmp_path / "s.onnx")).metadata
    assert meta["thresholds"] == teacher.learner.thresholds_.tolist()
    chosen = distill(teacher, pool, student_params=SMALL, config=FAST, thresholds=0.3)
    assert chosen.thresholds_.tolist() == [0.3, 0.3, 0.3]


def test_distill_from_per_label_probabilities() -> None:
    pool = ml_pool()
    truth = np.array([[1, 0, 0], [0, 1, 0], [1, 0, 1], [0, 0, 0]] * 15)
    student = distill(teacher_proba(truth), pool, student_params=SMALL, config=FAST)
    assert student.teacher_ == "given probabilities"
    assert student.thresholds_.tolist() == [0.5, 0.5, 0.5]
    assert multilabel_scores(truth, student.predict(pool.inputs)).micro_f1 >= 0.95
    only = distill(
        teacher_proba(truth), pool, student_params=SMALL, config=FAST.replace(labelled_only=True)
    )
    assert only.n_train_ == 24 and "labelled rows only" in only.teacher_


# --- bad input -----------------------------------------------------------------------------
def test_a_single_label_teacher_with_multilabel_is_refused(tmp_path: Path) -> None:
    single = Dataset(
        ids=np.array([f"r{i}" for i in range(20)], dtype=object),
        inputs=[f"{'red' if i % 2 else 'blue'} thing {i}" for i in range(20)],
        labels=np.arange(20) % 2,
        classes=("blue", "red"),
        modality="text",
    )
    lr = Teacher(FakeTextEncoder(), LogisticRegression(), cache_dir=tmp_path, progress=False)
    lr.fit(single)
    with pytest.raises(FewlabelsError, match="predicts one class per item and the dataset"):
        distill(lr, single, multilabel=True, config=FAST)
    with pytest.raises(FewlabelsError, match="Expected a multi-label teacher.*LogisticRegression"):
        distill(lr, ml_pool(), config=FAST)
    with pytest.raises(FewlabelsError, match="Expected a multi-label teacher"):
        lr.fit(ml_pool())
    ovr = Teacher(FakeTextEncoder(), OneVsRest(), cache_dir=tmp_path, progress=False)
    ovr.fit(ml_pool())
    with pytest.raises(FewlabelsError, match="Expected a single-label teacher.*OneVsRest"):
        distill(ovr, single, config=FAST)
    with pytest.raises(FewlabelsError, match="multilabel=False, but got a MultiLabelDataset"):
        distill(ovr, ml_pool(), multilabel=False, config=FAST)
    with pytest.raises(FewlabelsError, match="thresholds only for multi-label distillation"):
        distill(np.full((20, 2), 0.5), single, thresholds=[0.5, 0.5], config=FAST)


def test_thresholds_of_the_wrong_length_or_range_are_refused() -> None:
    texts, Y = toy_sets(30)
    fit = TextStudent(config=FAST.replace(epochs=1), **SMALL).fit
    with pytest.raises(FewlabelsError, match=r"Expected 3 thresholds \(one per label\), but got 2"):
        fit(texts, teacher_proba(Y), multilabel=True, thresholds=[0.5, 0.5])
    with pytest.raises(FewlabelsError, match=r"Expected thresholds in \[0, 1\]"):
        fit(texts, teacher_proba(Y), multilabel=True, thresholds=[0.5, 1.5, 0.5])
    with pytest.raises(FewlabelsError, match="thresholds only with multilabel=True"):
        fit(texts, np.c_[Y[:, 0], 1 - Y[:, 0]].astype(float), thresholds=[0.5, 0.5])
    with pytest.raises(FewlabelsError, match=r"Expected 3 thresholds"):
        distill(teacher_proba(Y[:, :3]), _as_pool(texts, Y), thresholds=[0.5] * 4, config=FAST)
    with pytest.raises(FewlabelsError, match="numbers in"):
        check_thresholds("high", 3)
    assert check_thresholds(0.25, 2).tolist() == [0.25, 0.25]


def _as_pool(texts: list[str], Y: np.ndarray) -> MultiLabelDataset:
    return MultiLabelDataset(
        ids=np.array([f"t{i}" for i in range(len(texts))], dtype=object),
        inputs=texts,
        label_sets=np.full(Y.shape, -1, dtype=np.int8),
        classes=COLOURS,
        modality="text",
    )


def test_bad_targets_names_and_settings_are_refused() -> None:
    texts, Y = toy_sets(30)
    fit = TextStudent(config=FAST.replace(epochs=1), **SMALL).fit
    logits = teacher_proba(Y) * 6 - 3
    with pytest.raises(FewlabelsError, match=r"per-label probabilities in \[0, 1\].*not logits"):
        fit(texts, logits, multilabel=True)
    with pytest.raises(FewlabelsError, match="without '\\|'"):
        fit(texts, teacher_proba(Y), multilabel=True, classes=("red", "blue|navy", "green"))
    with pytest.raises(FewlabelsError, match=r"shape \(30, 3\)"):
        distill(teacher_proba(Y)[:, :2], _as_pool(texts, Y), config=FAST)
    with pytest.raises(FewlabelsError, match="weighting='none' and drop_fraction=0"):
        distill(teacher_proba(Y), _as_pool(texts, Y), config=FAST.replace(weighting="max"))
    bad_sets = np.full(Y.shape, -1)
    bad_sets[0] = [1, -1, 0]
    with pytest.raises(FewlabelsError, match=r"all 0/1 .* or all -1"):
        fit(texts, teacher_proba(Y), labels=bad_sets, multilabel=True)


def test_damaged_multilabel_metadata_is_refused(exported: Path) -> None:
    meta = dict(load_student(exported).metadata)
    check_metadata(meta, "x.onnx")  # as exported: fine
    with pytest.raises(NotAStudentError, match="'task' must be one of"):
        check_metadata({**meta, "task": "multi"}, "x.onnx")
    with pytest.raises(NotAStudentError, match="'thresholds' must be a list of 3"):
        check_metadata({**meta, "thresholds": [0.5, 0.5]}, "x.onnx")
    with pytest.raises(NotAStudentError, match=r"'thresholds' must lie in \[0, 1\]"):
        check_metadata({**meta, "thresholds": [0.5, 2.0, 0.5]}, "x.onnx")
    single = {k: v for k, v in meta.items() if k != "task"}
    with pytest.raises(NotAStudentError, match="'thresholds' belong to a multi-label student"):
        check_metadata(single, "x.onnx")


# --- the command line ----------------------------------------------------------------------
def test_cli_refuses_multilabel_for_single_label_data(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from fewlabels.cli import app

    args = ["distill", "--multilabel", "--epochs", "1", "--out", str(tmp_path / "x.onnx")]
    res = CliRunner().invoke(app, [*args, "--dataset", "digits"])
    assert res.exit_code == 2
    assert "'digits' has one label per item" in " ".join(res.output.split())
    res = CliRunner().invoke(
        app, ["distill", "--dataset", "movielens-genres", "--learner", "zero-shot", *args[1:]]
    )
    assert res.exit_code == 2
    assert "Expected a learner for a multi-label teacher" in " ".join(res.output.split())


def test_cli_distills_the_multilabel_builtin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``fewlabels distill --dataset movielens-genres`` end to end, on a stand-in for the
    data and the encoder (the real run, about 6 minutes on 2 cores, is in
    benchmarks/distill_multilabel.py)."""
    from typer.testing import CliRunner

    import fewlabels.data.builtin as builtin
    import fewlabels.encode as encode
    from fewlabels.cli import app
    from fewlabels.data.builtin import MultiLabelSplits

    full = ml_pool(80, 80)
    splits = MultiLabelSplits(full.subset(np.arange(60)), full.subset(np.arange(60, 80)))
    monkeypatch.setattr(builtin, "load_multilabel_builtin", lambda name: splits)
    monkeypatch.setattr(encode, "get_encoder", lambda name, **kw: FakeTextEncoder())
    monkeypatch.setenv("FEWLABELS_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "genres.onnx"
    res = CliRunner().invoke(
        app,
        [
            "distill",
            "--dataset",
            "movielens-genres",
            "--multilabel",
            "--per-class",
            "4",
            "--encoder",
            "fake",
            "--epochs",
            "12",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "per-label sigmoid, 3 labels" in text and "human label sets" in text
    scores = re.findall(r"[:;] (teacher|student) micro-F1 (\d\.\d{3}), macro-F1 (\d\.\d{3})", text)
    assert [s[0] for s in scores] == ["teacher", "student"]
    assert all(0.0 <= float(v) <= 1.0 for s in scores for v in s[1:])
    assert "student against teacher micro-F1" in text and "items/s" in text
    student = load_student(out)
    assert student.multilabel and student.metadata["dataset"] == "movielens-genres"
    assert student.predict_sets(["red film number 1"]) == [["red"]]


def test_single_label_predictions_write_jsonl_too(tmp_path: Path) -> None:
    texts, Y = toy_sets(40)
    single = TextStudent(config=FAST.replace(epochs=2), **SMALL).fit(
        texts, np.c_[Y[:, 0], 1 - Y[:, 0]] * 0.8 + 0.1, classes=("red", "other")
    )
    model = load_student(single.export(tmp_path / "single.onnx"))
    assert not model.multilabel and model.thresholds is None
    predict_to_file(model, texts[:3], tmp_path / "p.jsonl", proba=True)
    rows = [json.loads(x) for x in (tmp_path / "p.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == ["0", "1", "2"]
    assert set(rows[0]) == {"id", "label", "probability", "red", "other"}
    p = model.predict_proba(texts[:3])
    assert [r["label"] for r in rows] == [model.classes[k] for k in p.argmax(1)]
    with pytest.raises(FewlabelsError, match="predicts one class per item"):
        model.predict_sets(texts[:3])


def _ml_workspace(tmp_path: Path, n: int = 90, labelled: int = 40) -> tuple[Any, pd.DataFrame]:
    """A tabular multi-label workspace: class k is in a row's set when feature k > 0.5."""
    from fewlabels.workspace import Workspace

    rng = np.random.default_rng(0)
    F = rng.random((n, 3))
    truth = ["|".join(c for c, v in zip(COLOURS, row, strict=True) if v > 0.5) for row in F]
    frame = pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(n)],
            "f1": F[:, 0],
            "f2": F[:, 1],
            "f3": F[:, 2],
            "tags": [(t or "[]") if i < labelled else None for i, t in enumerate(truth)],
        }
    )
    frame.to_csv(tmp_path / "rows.csv", index=False)
    ws = Workspace.init(
        tmp_path / "ws",
        data=str(tmp_path / "rows.csv"),
        features=["f1", "f2", "f3"],
        label="tags",
        id="id",
        classes=list(COLOURS),
        task="multilabel",
        sep="|",
    )
    return ws, frame.assign(truth=truth)


def test_distill_a_multilabel_workspace_and_predict_its_sets(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from fewlabels.cli import app
    from fewlabels.distill import distill_workspace

    ws, frame = _ml_workspace(tmp_path)
    report = distill_workspace(ws, config=DistillConfig(epochs=30, lr=1e-2, progress=False))
    assert report.multilabel and report.n_pool == 90
    assert report.n_labelled == 32  # 40 labelled, 8 (20%) held out from both
    scores = report.pool_scores
    assert scores["held_out_n"] == 8
    assert 0.0 <= scores["held_out_student_micro_f1"] <= 1.0
    student = load_student(report.path)
    assert student.multilabel and student.metadata["pool_fingerprint"]
    np.testing.assert_array_equal(student.thresholds, report.student.thresholds_)

    res = CliRunner().invoke(app, ["distill", "-w", str(ws.root), "--multilabel", "--epochs", "3"])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "per-label sigmoid, 3 labels" in text and "held-out label sets (8, hidden" in text
    out = tmp_path / "preds.csv"
    model = ws.root / "models" / "student.onnx"
    res = CliRunner().invoke(
        app, ["predict", str(model), str(tmp_path / "rows.csv"), "-o", str(out)]
    )
    assert res.exit_code == 0, res.output
    preds = pd.read_csv(out, keep_default_na=False, dtype={"labels": str})
    assert preds["id"].tolist() == frame["id"].tolist()
    assert set(preds.columns) == {"id", "labels", *COLOURS}
    assert all(set(v.split("|")) <= set(COLOURS) for v in preds["labels"] if v)


def test_multilabel_flag_on_a_single_label_workspace_is_refused(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from fewlabels.cli import app
    from fewlabels.workspace import Workspace

    frame = pd.DataFrame({"id": ["a", "b", "c", "d"], "f": [0.1, 0.9, 0.2, 0.8]})
    frame["label"] = ["lo", "hi", None, None]
    frame.to_csv(tmp_path / "rows.csv", index=False)
    ws = Workspace.init(
        tmp_path / "ws", data=str(tmp_path / "rows.csv"), features=["f"], label="label", id="id"
    )
    res = CliRunner().invoke(app, ["distill", "-w", str(ws.root), "--multilabel"])
    assert res.exit_code == 2
    assert "has one class per item" in " ".join(res.output.split())
