"""embed(..., ray_address=) on a real local Ray cluster (tests/ray_cluster.py); nothing mocked."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from fewlabels.encode import embed
from fewlabels.encode.ray_embed import _calls, check_ray_address
from fewlabels.errors import FewlabelsError
from ray_cluster import TESTS, free_port
from ray_fakes import RecordingEncoder, pids, texts_dataset


def _chunk_files(cache: Path) -> dict[str, bytes]:
    (entry,) = [p for p in cache.iterdir() if p.is_dir()]
    return {p.name: p.read_bytes() for p in sorted(entry.glob("chunk-*"))}


def _manifest_chunks(cache: Path) -> list[dict[str, object]]:
    (entry,) = [p for p in cache.iterdir() if p.is_dir()]
    path = entry / "manifest.json"
    return json.loads(path.read_text())["chunks"] if path.exists() else []


def _reference(tmp_path: Path, n: int, **kwargs: object) -> tuple[np.ndarray, Path]:
    cache = tmp_path / "single"
    enc = RecordingEncoder()
    enc.batch_size = 8  # type: ignore[attr-defined]  # steps of 32 rows
    out = embed(texts_dataset(n), enc, cache_dir=cache, progress=False, **kwargs)  # type: ignore[arg-type]
    return np.asarray(out.X), cache


# --- the cutting of calls, and bad addresses: no cluster needed ---------------------------


def test_calls_cut_as_the_single_process_path() -> None:
    missing = np.arange(10) + 100
    by_time = _calls(missing, step=4, chunk_size=None)
    assert [c.tolist() for c in by_time] == [
        [100, 101, 102, 103],
        [104, 105, 106, 107],
        [108, 109],
    ]
    # with chunk_size the steps restart at each chunk, as _encode_missing cuts them
    by_chunk = _calls(missing, step=4, chunk_size=6)
    assert [c.tolist() for c in by_chunk] == [
        [100, 101, 102, 103],
        [104, 105],
        [106, 107, 108, 109],
    ]


@pytest.mark.parametrize(
    ("address", "match"),
    [
        ("nonsense", "HOST:PORT"),
        ("host:99999", "HOST:PORT"),
        ("ray://h:10001", "Ray Client"),
        ("", "'auto' or HOST:PORT"),
    ],
)
def test_malformed_addresses_are_refused(address: str, match: str) -> None:
    with pytest.raises(FewlabelsError, match=match):
        check_ray_address(address)


def test_an_address_nobody_listens_on_fails_in_seconds_naming_it(tmp_path: Path) -> None:
    address = f"127.0.0.1:{free_port()}"
    began = time.perf_counter()
    with pytest.raises(FewlabelsError, match=f"Ray cluster at '{address}', but nothing answers"):
        embed(texts_dataset(5), RecordingEncoder(), cache_dir=tmp_path, ray_address=address)
    assert time.perf_counter() - began < 10
    assert not any(tmp_path.iterdir())  # nothing was written


def test_an_address_that_never_answers_times_out_in_seconds() -> None:
    # a listening socket whose backlog is full never completes a connection
    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen(0)
        port = srv.getsockname()[1]
        fillers = []
        for _ in range(8):  # fill the accept queue (connections nobody accepts)
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            fillers.append(s)
        began = time.perf_counter()
        try:
            check_ray_address(f"127.0.0.1:{port}", timeout_s=1.0)
        except FewlabelsError as exc:
            assert f"127.0.0.1:{port}" in str(exc)
        else:  # the kernel accepted it after all: then the check itself must be quick
            pass
        assert time.perf_counter() - began < 10
        for s in fillers:
            s.close()


def test_auto_reads_ray_address(monkeypatch: pytest.MonkeyPatch) -> None:
    address = f"127.0.0.1:{free_port()}"
    monkeypatch.setenv("RAY_ADDRESS", address)
    with pytest.raises(FewlabelsError, match=f"at '{address}'"):
        check_ray_address("auto")


# --- on the cluster -------------------------------------------------------------------------


@pytest.mark.slow
def test_same_bytes_as_one_process_and_one_load_per_actor(ray_cluster, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    n = 700
    reference, single = _reference(tmp_path, n)
    log = tmp_path / "log"
    log.mkdir()
    enc = RecordingEncoder(log_dir=str(log))
    enc.batch_size = 8  # type: ignore[attr-defined]
    cache = tmp_path / "ray"
    out = embed(
        texts_dataset(n), enc, cache_dir=cache, progress=False, ray_address=ray_cluster.address
    )
    assert out.n_encoded == n
    assert np.asarray(out.X).tobytes() == reference.tobytes()
    views = lambda c: {p.name: p.read_bytes() for p in c.glob("*/views/*.npy")}  # noqa: E731
    assert views(cache) == views(single)
    calls, loads = pids(log, "call"), pids(log, "load")
    assert len(calls) == -(-n // 32)  # every step ran once, on the workers
    assert os.getpid() not in calls
    assert len(loads) == len(set(loads)) <= 2  # once per actor, not once per task
    assert set(calls) == set(loads)
    # a second call reads the cache: nothing is encoded, no actor starts
    again = embed(
        texts_dataset(n), enc, cache_dir=cache, progress=False, ray_address=ray_cluster.address
    )
    assert again.n_encoded == 0 and len(pids(log, "call")) == len(calls)


@pytest.mark.slow
def test_chunk_size_gives_the_same_chunk_files(ray_cluster, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    n = 300
    _, single = _reference(tmp_path, n, chunk_size=40)
    enc = RecordingEncoder()
    enc.batch_size = 8  # type: ignore[attr-defined]
    cache = tmp_path / "ray"
    embed(
        texts_dataset(n),
        enc,
        cache_dir=cache,
        chunk_size=40,
        progress=False,
        ray_address=ray_cluster.address,
    )
    assert len(_chunk_files(cache)) == 2 * 8  # 8 chunks: .npy and .keys.npy each
    assert _chunk_files(cache) == _chunk_files(single)
    assert _manifest_chunks(cache) == _manifest_chunks(single)


@pytest.mark.slow
def test_a_worker_killed_mid_run_still_finishes(ray_cluster, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    n = 400
    reference, _ = _reference(tmp_path, n)
    log = tmp_path / "log"
    log.mkdir()
    enc = RecordingEncoder(delay_s=0.3, log_dir=str(log))
    enc.batch_size = 8  # type: ignore[attr-defined]
    killed: list[int] = []

    def kill_first_worker() -> None:
        deadline = time.monotonic() + 120
        while not killed and time.monotonic() < deadline:
            running = [p for p in pids(log, "call") if p != os.getpid()]
            if running:
                os.kill(running[0], signal.SIGKILL)
                killed.append(running[0])
            time.sleep(0.05)

    killer = threading.Thread(target=kill_first_worker, daemon=True)
    killer.start()
    out = embed(
        texts_dataset(n),
        enc,
        cache_dir=tmp_path / "ray",
        progress=False,
        ray_address=ray_cluster.address,
    )
    killer.join(timeout=5)
    assert killed, "no worker was seen running"
    with pytest.raises(ProcessLookupError):
        os.kill(killed[0], 0)
    assert np.asarray(out.X).tobytes() == reference.tobytes()
    loads = set(pids(log, "load"))
    assert len(loads) >= 2 and killed[0] in loads  # the work went on in other processes


_DRIVER = """
import sys
from fewlabels.encode import embed
from ray_fakes import RecordingEncoder, texts_dataset
enc = RecordingEncoder(delay_s=0.4)
enc.batch_size = 8
embed(texts_dataset(int(sys.argv[1])), enc, cache_dir=sys.argv[2], chunk_size=40,
      progress=False, ray_address=sys.argv[3])
"""


@pytest.mark.slow
def test_a_killed_driver_resumes_to_the_same_bytes(ray_cluster, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    n = 480  # 12 chunks of 40 rows, 2 calls each
    reference, single = _reference(tmp_path, n, chunk_size=40)
    cache = tmp_path / "ray"
    env = {**os.environ, "PYTHONPATH": str(TESTS)}
    driver = subprocess.Popen(
        [sys.executable, "-c", _DRIVER, str(n), str(cache), ray_cluster.address], env=env
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and driver.poll() is None:
            if cache.exists() and any(cache.iterdir()) and len(_manifest_chunks(cache)) >= 2:
                break
            time.sleep(0.05)
        assert driver.poll() is None, "the driver finished (or failed) before it was killed"
        driver.send_signal(signal.SIGKILL)
        driver.wait(timeout=30)
    finally:
        if driver.poll() is None:
            driver.kill()
    done_before = len(_manifest_chunks(cache))
    assert 2 <= done_before < 12
    enc = RecordingEncoder()
    enc.batch_size = 8  # type: ignore[attr-defined]
    out = embed(
        texts_dataset(n),
        enc,
        cache_dir=cache,
        chunk_size=40,
        progress=False,
        ray_address=ray_cluster.address,
    )
    assert out.n_encoded == n - 40 * done_before
    assert np.asarray(out.X).tobytes() == reference.tobytes()
    assert _chunk_files(cache) == _chunk_files(single)
