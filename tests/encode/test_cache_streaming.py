"""Chunks sized by time, Ctrl-C that keeps the work, a full disk (issue 15, item 3)."""

from __future__ import annotations

import errno
import json
import math
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fakes import FakeTextEncoder
from fewlabels._atomic import atomic_path
from fewlabels.data import Dataset
from fewlabels.encode import cache as cache_module
from fewlabels.encode import cache_files, embed
from fewlabels.encode.cache import (
    MAX_CHUNK,
    CacheDiskFullError,
    EmbedInterrupted,
    _encode_step,
    chunk_rows,
)


def texts(n: int) -> Dataset:
    return Dataset(
        ids=[f"d{i}" for i in range(n)],
        inputs=[f"w{i % 7} text {i}" for i in range(n)],
        labels=np.full(n, -1),
        classes=("x", "y"),
        modality="text",
        name="texts",
    )


def manifest_rows(cache: Path) -> list[int]:
    (manifest,) = cache.glob("*/manifest.json")
    return [c["rows"] for c in json.loads(manifest.read_text())["chunks"]]


def view_bytes(cache: Path) -> bytes:
    (view,) = cache.glob("*/views/*.npy")
    return view.read_bytes()


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Timed(FakeTextEncoder):
    """Takes ``seconds_per_row`` of fake time per row; ``batch_size`` sets the step."""

    def __init__(self, clock: FakeClock, seconds_per_row: float, batch_size: int = 8) -> None:
        super().__init__()
        self.clock = clock
        self.seconds_per_row = seconds_per_row
        self.batch_size = batch_size
        self.call_sizes: list[int] = []

    def encode(self, inputs: list[str]) -> np.ndarray:
        self.call_sizes.append(len(inputs))
        self.clock.now += self.seconds_per_row * len(inputs)
        return super().encode(inputs)


class BatchSensitive(FakeTextEncoder):
    """Each row depends slightly on the rows encoded with it (as an int8 graph quantised per
    run does): the cache is byte-identical only if the same rows go into each call."""

    batch_size = 8

    def encode(self, inputs: list[str]) -> np.ndarray:
        out = super().encode(inputs)
        out = out + 1e-3 * out.mean(axis=0, keepdims=True)
        return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)


# --- the chunk size ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        (0.0, 4096),  # nothing measured: the largest chunk
        (math.nan, 4096),
        (math.inf, 4096),
        (1.0, 256),  # slower than one step per commit: one step
        (100.0, 256),  # 500 rows in 5 s: one whole step of 256
        (110.0, 512),  # 550 rows: two steps
        (10_000.0, 4096),  # capped
    ],
)
def test_chunk_rows_are_whole_steps_within_the_bounds(rate: float, expected: int) -> None:
    assert chunk_rows(rate, commit_every_s=5.0, step=256) == expected


def test_chunk_rows_bounds_with_odd_steps() -> None:
    # the cap is rounded down to whole steps, never below one step
    assert chunk_rows(1e9, commit_every_s=5.0, step=100) == 4000
    assert chunk_rows(1e9, commit_every_s=5.0, step=5000) == 5000
    assert chunk_rows(1e9, commit_every_s=5.0, step=32, max_rows=100) == 96
    for rate in (0.5, 3.0, 77.0, 123.4, 999.0, 1e6):
        rows = chunk_rows(rate, commit_every_s=2.0, step=32)
        assert rows % 32 == 0 and 32 <= rows <= MAX_CHUNK
        assert rows <= max(32, rate * 2.0)  # never longer than the target (beyond one step)


def test_the_step_is_four_batches_within_32_and_256() -> None:
    assert _encode_step(FakeTextEncoder()) == 256  # no batch_size
    for batch, step in ((1, 32), (8, 32), (32, 128), (64, 256), (512, 256)):
        enc = FakeTextEncoder()
        enc.batch_size = batch  # type: ignore[attr-defined]
        assert _encode_step(enc) == step


def test_chunks_commit_about_every_commit_every_s_of_encoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    monkeypatch.setattr(cache_module, "_clock", clock)
    enc = Timed(clock, seconds_per_row=0.002)  # 500 rows/s, step 32
    embed(texts(3000), enc, cache_dir=tmp_path, commit_every_s=5.0, progress=False)
    # the first chunk measures one step; then 5 s x 500 rows/s = 2500 -> 78 steps
    assert manifest_rows(tmp_path) == [32, 2496, 472]
    assert set(enc.call_sizes[:-1]) == {32}  # every encode call is one step
    assert all(rows * 0.002 <= 5.0 for rows in manifest_rows(tmp_path))


def test_a_slower_encoder_commits_smaller_chunks_and_a_small_pool_moves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the pool of issue 15: 3,000 items at ~25 items/s never committed in 2 minutes
    clock = FakeClock()
    monkeypatch.setattr(cache_module, "_clock", clock)
    enc = Timed(clock, seconds_per_row=1 / 25, batch_size=8)
    embed(texts(600), enc, cache_dir=tmp_path, commit_every_s=5.0, progress=False)
    rows = manifest_rows(tmp_path)
    assert rows[:3] == [32, 96, 96]  # 125 rows in 5 s -> 3 steps of 32
    assert sum(rows) == 600 and max(rows) * (1 / 25) <= 5.0


def test_commit_every_s_and_chunk_size_are_checked(tmp_path: Path) -> None:
    for bad in (0, -1.0, math.inf, math.nan, True, "5"):
        with pytest.raises(ValueError, match="Expected commit_every_s to be a number of sec"):
            embed(texts(3), FakeTextEncoder(), cache_dir=tmp_path, commit_every_s=bad)  # type: ignore[arg-type]
    for bad_size in (0, 2.5, True):
        with pytest.raises(ValueError, match="Expected chunk_size to be a whole number >= 1"):
            embed(texts(3), FakeTextEncoder(), cache_dir=tmp_path, chunk_size=bad_size)  # type: ignore[arg-type]


# --- the same bytes whatever the chunking --------------------------------------------------


def test_the_view_is_byte_identical_for_any_chunking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ds = texts(700)
    embed(ds, BatchSensitive(), cache_dir=tmp_path / "fixed", chunk_size=4096, progress=False)
    clock = FakeClock()
    monkeypatch.setattr(cache_module, "_clock", clock)

    class TimedSensitive(BatchSensitive):
        def encode(self, inputs: list[str]) -> np.ndarray:
            clock.now += 0.01 * len(inputs) * (1 + len(inputs) % 3)  # an uneven rate
            return super().encode(inputs)

    embed(ds, TimedSensitive(), cache_dir=tmp_path / "timed", commit_every_s=1.0, progress=False)
    assert manifest_rows(tmp_path / "fixed") == [700]
    assert len(manifest_rows(tmp_path / "timed")) > 1
    assert view_bytes(tmp_path / "timed") == view_bytes(tmp_path / "fixed")


# --- Ctrl-C ------------------------------------------------------------------------------


class InterruptedAfter(BatchSensitive):
    """Raises KeyboardInterrupt (as Ctrl-C does) on its call number ``stop``."""

    def __init__(self, stop: int) -> None:
        super().__init__()
        self.stop = stop
        self.n_calls = 0

    def encode(self, inputs: list[str]) -> np.ndarray:
        self.n_calls += 1
        if self.n_calls == self.stop:
            raise KeyboardInterrupt
        return super().encode(inputs)


def test_ctrl_c_commits_the_steps_encoded_in_the_current_chunk(tmp_path: Path) -> None:
    ds = texts(300)
    enc = InterruptedAfter(stop=5)  # step 32: calls 1-4 done, in one 4096-row chunk
    with pytest.raises(EmbedInterrupted, match="interrupted: 128 of 300 rows cached") as info:
        embed(ds, enc, cache_dir=tmp_path / "c", chunk_size=4096, progress=False)
    assert isinstance(info.value, KeyboardInterrupt)
    assert (info.value.n_cached, info.value.n_total) == (128, 300)
    assert manifest_rows(tmp_path / "c") == [128]
    counting = BatchSensitive()
    again = embed(ds, counting, cache_dir=tmp_path / "c", chunk_size=4096, progress=False)
    assert counting.encoded == 300 - 128 and again.n_encoded == 172
    embed(ds, BatchSensitive(), cache_dir=tmp_path / "whole", chunk_size=4096, progress=False)
    assert view_bytes(tmp_path / "c") == view_bytes(tmp_path / "whole")


def test_ctrl_c_on_the_first_step_keeps_nothing_and_says_so(tmp_path: Path) -> None:
    with pytest.raises(EmbedInterrupted, match="interrupted: 0 of 40 rows cached"):
        embed(texts(40), InterruptedAfter(stop=1), cache_dir=tmp_path, progress=False)
    manifests = list(tmp_path.glob("*/manifest.json"))
    assert not manifests or manifest_rows(tmp_path) == []
    assert not list(tmp_path.glob("*/*.tmp")) and not list(tmp_path.glob("*/.*.tmp"))


def test_a_second_ctrl_c_during_the_commit_waits_for_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_append = cache_files.Store.append

    def append_then_ctrl_c(self: cache_files.Store, keys: np.ndarray, emb: np.ndarray) -> None:
        os.kill(os.getpid(), signal.SIGINT)  # arrives while the chunk is being written
        time.sleep(0.05)
        real_append(self, keys, emb)

    monkeypatch.setattr(cache_files.Store, "append", append_then_ctrl_c)
    with pytest.raises(EmbedInterrupted, match="interrupted: 64 of 100 rows cached"):
        embed(texts(100), BatchSensitive(), cache_dir=tmp_path, chunk_size=64, progress=False)
    assert manifest_rows(tmp_path) == [64]  # the chunk being written when Ctrl-C came


SIGINT_SCRIPT = textwrap.dedent(
    """
    import signal, sys, time
    import numpy as np
    signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal
    sys.path.insert(0, sys.argv[3])
    import fewlabels.encode
    from fakes import FakeTextEncoder

    class Slow(FakeTextEncoder):
        batch_size = 8  # steps of 32 rows

        def encode(self, inputs):
            time.sleep(0.01 * len(inputs))
            return super().encode(inputs)

    fewlabels.encode.get_encoder = lambda name, **kwargs: Slow()
    from fewlabels.cli import app
    app(["embed", sys.argv[1], "--text", "text", "-e", "slow", "--cache-dir", sys.argv[2]])
    """
)


def test_sigint_during_embed_keeps_the_rows_and_a_rerun_gives_the_same_bytes(
    tmp_path: Path,
) -> None:
    n = 1000
    table = tmp_path / "pool.csv"
    table.write_text("text\n" + "".join(f"w{i % 7} text {i}\n" for i in range(n)))
    script = tmp_path / "slow_embed.py"
    script.write_text(SIGINT_SCRIPT)
    cache = tmp_path / "cache"
    tests_dir = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "OMP_NUM_THREADS": "1", "COLUMNS": "200"}
    proc = subprocess.Popen(
        [sys.executable, str(script), str(table), str(cache), tests_dir],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.time() + 90
    while time.time() < deadline and proc.poll() is None:
        manifests = list(cache.glob("*/manifest.json"))
        if manifests and json.loads(manifests[0].read_text())["chunks"]:
            break
        time.sleep(0.05)
    time.sleep(0.2)  # inside a later chunk
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert "Traceback" not in err and "Traceback" not in out
    flat = " ".join(out.split())
    found = [w for w in flat.split("interrupted: ")[1:]]
    assert found, out
    n_cached = int(found[0].split(" of ")[0])
    assert f"interrupted: {n_cached} of {n} rows cached; run the same command again to resume" in (
        flat
    )
    assert 32 <= n_cached < n and sum(manifest_rows(cache)) == n_cached
    assert not list(cache.glob("*/*.tmp")) and not list(cache.glob("*/.*.tmp"))

    from fewlabels.data import from_table

    ds = from_table(table, text="text")
    counting = FakeTextEncoder()
    again = embed(ds, counting, cache_dir=cache, progress=False)
    assert counting.encoded == n - n_cached and again.X.shape == (n, counting.dim)
    embed(ds, FakeTextEncoder(), cache_dir=tmp_path / "whole", progress=False)
    assert view_bytes(cache) == view_bytes(tmp_path / "whole")


# --- a full disk ---------------------------------------------------------------------------


def _full_disk_on(call: int, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make the chunk writer's ``call``-th file write half its bytes, then fail with ENOSPC."""
    real = cache_files.atomic_write_bytes
    names: list[str] = []

    def write(path: Any, data: bytes, **kwargs: Any) -> Path:
        names.append(Path(path).name)
        if len(names) != call:
            return real(path, data, **kwargs)
        with atomic_path(path) as tmp, open(tmp, "xb") as fh:
            fh.write(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        raise AssertionError("unreachable")

    monkeypatch.setattr(cache_files, "atomic_write_bytes", write)
    return names


def test_a_full_disk_leaves_no_torn_chunk_and_says_how_much_space_is_needed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ds = texts(50)
    # writes: chunk 0 data, keys, manifest; chunk 1 data, keys (fails: data file already there)
    names = _full_disk_on(5, monkeypatch)
    with pytest.raises(CacheDiskFullError) as info:
        embed(ds, FakeTextEncoder(), cache_dir=tmp_path, chunk_size=20, progress=False)
    assert names[-1] == "chunk-000001.keys.npy"
    err = info.value
    assert err.errno == errno.ENOSPC and isinstance(err, OSError) and isinstance(err, ValueError)
    # 30 rows left x (16 dims x 4 bytes + a 32-byte key), and the 50-row view x 16 x 4
    assert err.needed == 30 * (16 * 4 + 32) + 50 * 16 * 4
    assert (err.n_cached, err.n_total) == (20, 50)
    assert str(err).startswith("Expected about 6 KiB free for the embedding cache in ")
    assert "30 rows x 16 dims x 4 bytes still to write" in str(err)
    assert "the disk is full" in str(err) and "20 of 50 rows are cached and kept" in str(err)
    assert "run the same command again to resume" in str(err)
    (entry,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert sorted(p.name for p in entry.glob("chunk-*")) == [
        "chunk-000000.keys.npy",
        "chunk-000000.npy",
    ]
    assert not list(entry.glob("*.tmp")) and not list(entry.glob(".*.tmp"))
    assert manifest_rows(tmp_path) == [20]
    monkeypatch.undo()
    counting = FakeTextEncoder()
    again = embed(ds, counting, cache_dir=tmp_path, chunk_size=20, progress=False)
    assert counting.encoded == 30
    fresh = embed(ds, FakeTextEncoder(), cache_dir=tmp_path / "fresh", progress=False)
    np.testing.assert_array_equal(np.asarray(again.X), np.asarray(fresh.X))


def test_a_full_disk_while_writing_the_manifest_forgets_that_chunk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _full_disk_on(6, monkeypatch)  # chunk 1's manifest update
    with pytest.raises(CacheDiskFullError, match="20 of 50 rows are cached and kept"):
        embed(texts(50), FakeTextEncoder(), cache_dir=tmp_path, chunk_size=20, progress=False)
    (entry,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert manifest_rows(tmp_path) == [20]
    assert {p.name.split(".")[0] for p in entry.glob("chunk-*")} == {"chunk-000000"}


def test_other_os_errors_are_not_called_a_full_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def denied(path: Any, data: bytes, **kwargs: Any) -> Path:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(cache_files, "atomic_write_bytes", denied)
    with pytest.raises(PermissionError):
        embed(texts(5), FakeTextEncoder(), cache_dir=tmp_path, progress=False)


def test_the_cli_prints_the_full_disk_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    import fewlabels.encode
    from fewlabels.cli import app

    table = tmp_path / "t.csv"
    table.write_text("text\n" + "".join(f"row {i}\n" for i in range(30)))
    monkeypatch.setattr(fewlabels.encode, "get_encoder", lambda name, **kw: FakeTextEncoder())
    _full_disk_on(1, monkeypatch)
    args = ["embed", str(table), "--text", "text", "-e", "fake", "--cache-dir", str(tmp_path / "c")]
    out = CliRunner().invoke(app, args, terminal_width=400)
    assert out.exit_code == 2, out.output
    assert "error: Expected about" in out.output and "the disk is full" in out.output
    assert "Traceback" not in out.output
