"""What a run records about the machine and itself: versions, CPU time and peak memory."""

from __future__ import annotations

import json
import os
import platform
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from fewlabels._atomic import atomic_write_text

RUN_FILE = "run.json"


def machine_info() -> dict[str, Any]:
    """The machine a run is measured on: CPU count, memory, platform, library versions."""
    import psutil
    import sklearn

    try:
        load = os.getloadavg()
    except OSError:  # pragma: no cover - not on Windows
        load = (float("nan"),) * 3
    info: dict[str, Any] = {
        "host": platform.node(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "load_average_at_start": [round(x, 2) for x in load],
    }
    try:
        import torch

        info["torch"] = torch.__version__
        info["gpu"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    except ImportError:  # pragma: no cover - torch is an extra
        info["gpu"] = None
    return info


def cpu_seconds() -> float:
    """User + system CPU time of this process and its finished children."""
    import psutil

    t = psutil.Process().cpu_times()
    return float(t.user + t.system + t.children_user + t.children_system)


def record_session(
    run_dir: Path,
    started: str,
    seconds: float,
    ran: int,
    skipped: int,
    machine: dict[str, Any],
    cpu_seconds: float,
) -> None:
    path = run_dir / RUN_FILE
    data: dict[str, Any] = (
        json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {"sessions": []}
    )
    try:
        end_load = [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover
        end_load = []
    data["sessions"].append(
        {
            "started_at": started,
            "seconds": round(seconds, 2),
            "cpu_seconds": round(cpu_seconds, 2),
            "cells_run": ran,
            "cells_skipped": skipped,
            "machine": machine,
            "load_average_at_end": end_load,
        }
    )
    data["total_seconds"] = round(sum(s["seconds"] for s in data["sessions"]), 2)
    data["total_cpu_seconds"] = round(sum(s.get("cpu_seconds", 0) for s in data["sessions"]), 2)
    atomic_write_text(path, json.dumps(data, indent=1))


@contextmanager
def peak_rss() -> Iterator[list[float]]:
    """Yield a one-item list that ends up holding the peak RSS rise (MiB) inside the block."""
    import psutil

    proc = psutil.Process()
    base = proc.memory_info().rss
    peak = [base]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.005):
            peak[0] = max(peak[0], proc.memory_info().rss)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    out = [0.0]
    try:
        yield out
    finally:
        stop.set()
        thread.join()
        peak[0] = max(peak[0], proc.memory_info().rss)
        out[0] = (peak[0] - base) / 2**20
