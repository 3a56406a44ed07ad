"""The accounting of benchmarks/labelling_speed.py: human time, labels per minute, checkpoints.

Pure functions on tiny numbers with known answers; the browser run itself is the benchmark.
"""

from __future__ import annotations

import importlib.util
import itertools
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "labelling_speed.py"


@pytest.fixture(scope="module")
def ls() -> ModuleType:
    spec = importlib.util.spec_from_file_location("labelling_speed", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["labelling_speed"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_human_seconds_adds_each_step_times_its_delay(ls: ModuleType) -> None:
    delays = ls.Delays(item_s=1.5, check_s=0.5, untick_s=0.6, action_s=1.0, round_s=5.0)
    tally = ls.Tally(items=3, checks=10, unticks=2, actions=4, rounds=1, machine_s=99.0)
    # 3*1.5 + 10*0.5 + 2*0.6 + 4*1.0 + 1*5.0; the machine time is not human time
    assert ls.human_seconds(tally, delays) == pytest.approx(19.7)
    assert ls.human_seconds(ls.Tally(), delays) == 0.0


def test_each_delay_counts_only_its_own_step(ls: ModuleType) -> None:
    names = ("items", "checks", "unticks", "actions", "rounds")
    fields = ("item_s", "check_s", "untick_s", "action_s", "round_s")
    for k, (count, delay) in enumerate(zip(names, fields, strict=True)):
        delays = ls.Delays(**{f: (7.0 if f == delay else 0.0) for f in fields})
        tally = ls.Tally(**{c: (k + 2 if c == count else 0) for c in names})
        assert ls.human_seconds(tally, delays) == pytest.approx(7.0 * (k + 2)), count


def test_labels_per_minute_divides_by_human_plus_machine_time(ls: ModuleType) -> None:
    assert ls.labels_per_minute(30, 50.0, 10.0) == pytest.approx(30.0)
    # one grid of 24 right cells: 24 checks at 0.5 s, open + confirm at 1 s, 1 s of machine
    assert ls.labels_per_minute(24, 24 * 0.5 + 2 * 1.0, 1.0) == pytest.approx(96.0)
    assert ls.labels_per_minute(0, 5.0, 0.0) == 0.0
    assert ls.labels_per_minute(6, 0.0, 6.0) == pytest.approx(60.0)  # machine time alone


def test_labels_per_minute_refuses_no_time_and_negatives(ls: ModuleType) -> None:
    with pytest.raises(ValueError, match="both 0"):
        ls.labels_per_minute(3, 0.0, 0.0)
    with pytest.raises(ValueError, match=r"Expected labels and times >= 0.*machine_s=-1"):
        ls.labels_per_minute(3, 1.0, -1.0)
    with pytest.raises(ValueError, match="labels=-2"):
        ls.labels_per_minute(-2, 1.0, 1.0)


def test_delays_refuse_a_negative_or_non_number(ls: ModuleType) -> None:
    with pytest.raises(ValueError, match=r"Expected a delay >= 0 s for check_s, but got -0\.1"):
        ls.Delays(check_s=-0.1)
    with pytest.raises(ValueError, match="for item_s, but got '1'"):
        ls.Delays(item_s="1")
    assert ls.Delays(round_s=0).round_s == 0  # zero is allowed


def test_checkpoints_dense_then_growing(ls: ModuleType) -> None:
    assert ls.checkpoints(100) == [20, 40, 60, 80, 100]  # the limit itself is included
    assert ls.checkpoints(99) == [20, 40, 60, 80]
    assert ls.checkpoints(19) == []
    # after 100: 125 -> 120, 150 -> 160, 200, 250 -> 260, 325 -> 320
    assert ls.checkpoints(330) == [20, 40, 60, 80, 100, 120, 160, 200, 260, 320]
    steps = ls.checkpoints(5000)
    assert all(b - a >= 20 for a, b in itertools.pairwise(steps))


def test_due_moves_past_every_crossed_checkpoint_once(ls: ModuleType) -> None:
    schedule = [20, 40, 60]
    assert ls.due(19, schedule, 0) == 0
    assert ls.due(20, schedule, 0) == 1  # reaching a checkpoint exactly counts
    assert ls.due(45, schedule, 0) == 2  # one grid action past two checkpoints: one move
    assert ls.due(45, schedule, 2) == 2  # asked again with no new labels: nothing due
    assert ls.due(1000, schedule, 1) == 3
    assert ls.due(1000, [], 0) == 0


def test_tally_timed_adds_wall_time_under_its_step(
    ls: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = iter([10.0, 12.5, 20.0, 20.25])
    monkeypatch.setattr(ls, "time", SimpleNamespace(perf_counter=lambda: next(clock)))
    tally = ls.Tally()
    assert tally.timed("open grid", lambda: "page") == "page"
    tally.timed("open grid", lambda: None)
    assert tally.machine_s == pytest.approx(2.75)
    assert tally.machine == {"open grid": [2.5, 0.25]}
