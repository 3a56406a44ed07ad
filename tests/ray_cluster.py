"""A real local Ray cluster for the tests: a head and one worker node on 127.0.0.1.

Started with ``ray start --block`` (one CPU each, no dashboard, its own ``--temp-dir``) in new
sessions, and stopped by signalling exactly those processes and every process of their
sessions (never ``ray stop``, which stops every Ray process on the machine, other users'
clusters included). The workers can import the tests' modules (``tests/`` is on their
``PYTHONPATH``), so test encoders travel to them by reference.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

TESTS = Path(__file__).resolve().parent
RAY = Path(sys.executable).with_name("ray")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _session_pids(sids: set[int]) -> list[int]:
    """Processes whose session id is one of ``sids`` (the processes a node started)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) in sids:  # after the command: state, ppid, pgrp, session
            pids.append(int(stat.parent.name))
    return pids


class LocalRayCluster:
    """``ray start --head`` plus ``ray start --address`` as subprocesses; see the module doc."""

    def __init__(self, temp_dir: Path, *, cpus_per_node: int = 1) -> None:
        self.temp_dir = temp_dir
        self.cpus = cpus_per_node
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.nodes: list[subprocess.Popen[bytes]] = []
        self.env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")])),
            "RAY_USAGE_STATS_ENABLED": "0",
            "OMP_NUM_THREADS": "1",
        }
        self.started_s = 0.0

    def _node(self, *args: str) -> None:
        log = open(self.temp_dir / f"node{len(self.nodes)}.log", "wb")
        self.nodes.append(
            subprocess.Popen(
                [
                    str(RAY),
                    "start",
                    "--block",
                    "--node-ip-address=127.0.0.1",
                    f"--num-cpus={self.cpus}",
                    "--num-gpus=0",
                    f"--temp-dir={self.temp_dir}",
                    *args,
                ],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )

    def start(self, *, timeout_s: float = 120.0) -> LocalRayCluster:
        began = time.perf_counter()
        self._node("--head", f"--port={self.port}", "--include-dashboard=false")
        self._wait(lambda: _answers(self.port), timeout_s, "the head")
        self._node(f"--address={self.address}")
        self._wait(lambda: self._cpus() >= 2 * self.cpus, timeout_s, "the worker node")
        self.started_s = time.perf_counter() - began
        return self

    def _cpus(self) -> float:
        """CPUs the cluster reports (asked from a short-lived process, not this one)."""
        code = (
            f"import ray,logging;ray.init(address={self.address!r},logging_level=logging.ERROR);"
            "print(ray.cluster_resources().get('CPU',0))"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], env=self.env, capture_output=True, text=True, timeout=60
        )
        try:
            return float(out.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            return 0.0

    def _wait(self, ok: object, timeout_s: float, what: str) -> None:
        deadline = time.monotonic() + timeout_s
        while not ok():  # type: ignore[operator]
            if any(n.poll() is not None for n in self.nodes) or time.monotonic() > deadline:
                self.stop()
                logs = "\n".join(p.read_text()[-2000:] for p in self.temp_dir.glob("node*.log"))
                raise RuntimeError(f"the local Ray cluster's {what} did not start:\n{logs}")
            time.sleep(0.5)

    def stop(self) -> None:
        sids = {n.pid for n in self.nodes}
        for node in reversed(self.nodes):  # the worker node first, then the head
            if node.poll() is None:
                node.send_signal(signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    node.wait(timeout=40)
        for pid in _session_pids(sids):  # whatever outlived its node
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for node in self.nodes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                node.wait(timeout=10)
        self.nodes.clear()


def _answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


@contextlib.contextmanager
def local_ray_cluster(temp_dir: Path) -> Iterator[LocalRayCluster]:
    cluster = LocalRayCluster(temp_dir).start()
    try:
        yield cluster
    finally:
        cluster.stop()
