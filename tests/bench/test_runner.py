from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from fewlabels.bench.protocol import Budget, load_protocol, parse_protocol
from fewlabels.bench.runner import plan, run_protocol, with_encoder
from fewlabels.data import BudgetSplit, budget_split, load_builtin


def test_run_records_every_cell_isolates_failures_and_saves_splits(
    tmp_path: Path, tiny_toml: Path, fake_methods: None
) -> None:
    proto = load_protocol(tiny_toml)
    out = tmp_path / "run"
    result = run_protocol(proto, out=out, cache_dir=tmp_path / "cache", progress=False)
    frame = result.results
    # 2 budgets x 2 seeds x 4 budgeted methods + the ceiling once per seed
    assert len(frame) == 2 * 2 * 4 + 2
    assert frame["cell_id"].is_unique
    by_method = frame.groupby("method")["status"].agg(set).to_dict()
    assert by_method["fake-explodes"] == {"failed"}
    assert (
        frame[frame["method"] == "fake-explodes"]["error"]
        .str.contains("RuntimeError: boom from a fake method")
        .all()
    )
    assert "boom from a fake method" in (out / "errors.log").read_text()
    assert by_method["setfit"] == {"n/a"}
    assert frame[frame["method"] == "setfit"]["error"].str.contains("needs texts").all()
    assert by_method["fake-majority"] == by_method["logreg-labelled"] == {"ok"}
    ceiling = frame[frame["method"] == "ceiling"]
    assert set(ceiling["budget"]) == {"all"} and len(ceiling) == 2
    assert (ceiling["n_labels"] == ceiling["n_train"]).all()
    # the fake majority method on a balanced budget predicts class 0: its accuracy is the
    # test share of class 0, a known answer
    test = load_builtin("wine").test
    share0 = float((test.labels == 0).mean())
    maj = frame[frame["method"] == "fake-majority"]
    np.testing.assert_allclose(maj["accuracy"], share0)
    # ... its balanced accuracy is the recall of one class in three, and every prediction
    # goes to that class (the share the report reads to warn of a collapse)
    np.testing.assert_allclose(maj["balanced_accuracy"], 1 / 3)
    np.testing.assert_allclose(maj["top_pred_share"], 1.0)
    logreg = frame[(frame["method"] == "logreg-labelled") & (frame["status"] == "ok")]
    assert logreg["balanced_accuracy"].between(0.34, 1.0).all()
    assert (logreg["top_pred_share"] < 1.0).all()
    assert (maj["n_labels"] == maj["per_class"] * 3).all()
    # the labelled ids of every (budget, seed) are the foundation's budget split, saved
    train = load_builtin("wine").train
    split = BudgetSplit.load(out / "splits" / "wine" / "3-per-class-seed1.json")
    assert split.labeled_ids == budget_split(train, per_class=3, seed=1).labeled_ids
    assert (out / "results.csv").is_file() and (out / "results.parquet").is_file()
    run = json.loads((out / "run.json").read_text())
    assert run["sessions"][0]["cells_run"] == len(frame)
    assert run["sessions"][0]["machine"]["cpu_count"] >= 1
    # a rerun resumes: nothing left to run
    again = run_protocol(proto, out=out, cache_dir=tmp_path / "cache", progress=False)
    assert again.ran == 0 and again.skipped == len(frame)
    # --retry-failed runs only the failed cells again, in place
    retried = run_protocol(
        proto, out=out, cache_dir=tmp_path / "cache", progress=False, retry_failed=True
    )
    assert retried.ran == 4 and len(retried.results) == len(frame)


@pytest.mark.parametrize(
    ("edit", "exc", "message"),
    [
        (("wine", "winey"), ValueError, r"Unknown dataset 'winey'. Built-in datasets: .*wine"),
        (
            ('"tabular"', '"tabulr"'),
            ValueError,
            r"Unknown encoder 'tabulr'.*Known encoders: .*tabular",
        ),
        (
            ('"tabular"', '"minilm"'),
            ValueError,
            "embeds text data, but dataset 'wine' holds tabular",
        ),
        (
            ("[1, 3]", "[1, 60]"),
            ValueError,
            r"Budget\(s\) \[60\] labels per class exceed the smallest class",
        ),
        (('"ceiling"]', '"ceiling", "nope"]'), ValueError, r"Unknown method\(s\) \['nope'\]"),
    ],
)
def test_bad_input_fails_before_any_work(
    tmp_path: Path,
    tiny_toml: Path,
    fake_methods: None,
    edit: tuple[str, str],
    exc: type[Exception],
    message: str,
) -> None:
    text = tiny_toml.read_text().replace(*edit)
    with pytest.raises(exc, match=message):
        run_protocol(parse_protocol(text), out=tmp_path / "run", progress=False)
    assert not (tmp_path / "run").exists()


def test_limits_on_a_method_the_protocol_does_not_run(tiny_toml: Path, fake_methods: None) -> None:
    text = tiny_toml.read_text() + "\n[limits.knn]\nseeds = [0]\n"
    with pytest.raises(ValueError, match=r"limits for method\(s\) \['knn'\]"):
        plan(parse_protocol(text))


def test_resuming_into_a_folder_of_another_protocol_names_the_fields(
    tmp_path: Path, tiny_toml: Path, fake_methods: None
) -> None:
    proto = load_protocol(tiny_toml)
    proto = dataclasses.replace(proto, methods=("fake-majority",), seeds=(0,))
    run_protocol(proto, out=tmp_path / "run", cache_dir=tmp_path / "cache", progress=False)
    other = dataclasses.replace(proto, seeds=(0, 5))
    with pytest.raises(
        ValueError, match=r"different protocol \(seeds: folder has \[0\], now \[0, 5\]\)"
    ):
        run_protocol(other, out=tmp_path / "run", progress=False)
    swapped = with_encoder(proto, "pixels")
    assert {d.encoder for d in swapped.datasets} == {"pixels"}


def test_a_plain_ceiling_limit_and_fraction_budget_plan(
    tiny_toml: Path, fake_methods: None
) -> None:
    text = tiny_toml.read_text().replace("[1, 3]", "[0.1, 2]")
    planned = plan(parse_protocol(text))
    budgets = {c.budget for c in planned[0].cells if c.method == "fake-majority"}
    assert budgets == {Budget(per_class=2), Budget(fraction=0.1)}


_SCRIPT = """
import sys, time
import numpy as np
from sklearn.dummy import DummyClassifier
from fewlabels.bench.methods import MethodSpec, register_method
from fewlabels.bench.protocol import load_protocol
from fewlabels.bench.runner import run_protocol

log_path, out, cache, toml = sys.argv[1:5]

class Slow(DummyClassifier):
    def fit(self, X, y, sample_weight=None):
        with open(log_path, "a") as fh:
            fh.write(f"{self.tag}\\n")
        time.sleep(0.15)
        return super().fit(X[y != -1], y[y != -1])

def make(ctx, name):
    est = Slow(strategy="most_frequent")
    est.tag = f"{ctx.seed}|{name}"
    return est

for name in ("slow-a", "slow-b"):
    register_method(MethodSpec(name, "custom", lambda ctx, name=name: make(ctx, name)))
run_protocol(load_protocol(toml), out=out, cache_dir=cache, progress=False)
"""


def test_resume_after_sigkill_runs_each_recorded_cell_once(tmp_path: Path) -> None:
    script = tmp_path / "run.py"
    script.write_text(_SCRIPT)
    toml = tmp_path / "p.toml"
    toml.write_text(
        'name = "kill"\nseeds = [0, 1]\nbudgets = [1, 2]\nmethods = ["slow-a", "slow-b"]\n'
        '[[datasets]]\nname = "wine"\nencoder = "tabular"\n'
    )
    log, out = tmp_path / "fits.log", tmp_path / "run"
    args = [sys.executable, str(script), str(log), str(out), str(tmp_path / "cache"), str(toml)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(args, env=env)
    deadline = time.time() + 60
    cells = out / "cells"
    while time.time() < deadline:
        if cells.is_dir() and len(list(cells.glob("*.json"))) >= 3:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done_before = {json.loads(p.read_text())["cell_id"] for p in cells.glob("*.json")}
    assert 3 <= len(done_before) < 8, "the kill should land mid-run"
    first_fits = log.read_text().splitlines()
    subprocess.run(args, env=env, check=True, timeout=120)
    second_fits = log.read_text().splitlines()[len(first_fits) :]
    final = {json.loads(p.read_text())["cell_id"] for p in cells.glob("*.json")}
    assert len(final) == 8  # 2 budgets x 2 seeds x 2 methods, all present
    # no recorded cell ran again: the rerun fitted only the cells missing after the kill
    assert len(second_fits) == 8 - len(done_before)
    assert (out / "results.csv").read_text().count("\n") == 9
