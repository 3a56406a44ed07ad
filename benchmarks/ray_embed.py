"""Throughput of ``embed`` on a local Ray cluster (2 worker nodes) against one process.

The same texts (the first ``--n`` training reviews of ``finefoods``) and encoder
(``minilm-int8``, onnxruntime int8) three ways, each into a fresh cache folder:

1. one process, one onnxruntime thread (what one Ray actor gets);
2. one process, onnxruntime's default threads (all cores);
3. ``embed(..., ray_address=...)`` on a local cluster of a head and a worker node started with
   ``ray start`` on 127.0.0.1, one CPU each: two actors, one thread each. Timed from the
   call, so it includes connecting (``ray.init``), starting the actors and loading the model
   in each.

It also records the cluster's start-up (both ``ray start`` until the cluster reports its two
CPUs) and checks that the three views hold the same bytes. The cluster is the test suite's
(``tests/ray_cluster.py``: stopped by signalling its own processes, never ``ray stop``).

Usage: OMP_NUM_THREADS=1 python benchmarks/ray_embed.py [--n 400]
Writes benchmarks/results/ray_embed.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from fewlabels.data import load_builtin  # noqa: E402
from fewlabels.encode import embed, get_encoder  # noqa: E402
from fewlabels.encode.onnx_minilm import OnnxMiniLMEncoder  # noqa: E402
from ray_cluster import LocalRayCluster  # noqa: E402


def _timed(dataset, encoder, cache: Path, **kwargs):  # type: ignore[no-untyped-def]
    began = time.perf_counter()
    out = embed(dataset, encoder, cache_dir=cache, progress=False, **kwargs)
    seconds = time.perf_counter() - began
    assert out.n_encoded > 0  # a fresh cache (duplicate texts are encoded once)
    return np.asarray(out.X).tobytes(), seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=400)
    args = parser.parse_args()
    data = load_builtin("finefoods").train
    dataset = data.subset(np.arange(min(args.n, len(data))))
    n = len(dataset)
    get_encoder("minilm-int8").encode(["warm the page cache"])  # model file read once
    work = Path(tempfile.mkdtemp(prefix="fl-rb-"))
    one, t_one = _timed(dataset, OnnxMiniLMEncoder(threads=1), work / "one")
    many, t_many = _timed(dataset, OnnxMiniLMEncoder(), work / "many")
    cluster = LocalRayCluster(work / "ray")
    (work / "ray").mkdir()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a timeout still stops the cluster
    cluster.start()
    try:
        ray_bytes, t_ray = _timed(
            dataset, OnnxMiniLMEncoder(threads=1), work / "cluster", ray_address=cluster.address
        )
        # a second cluster run of other rows: connected and warm caches, actors start again
        later = data.subset(np.arange(n, min(2 * n, len(data))))
        _, t_ray2 = _timed(
            later, OnnxMiniLMEncoder(threads=1), work / "cluster", ray_address=cluster.address
        )
    finally:
        cluster.stop()
    result = {
        "dataset": f"finefoods train, first {n} reviews",
        "encoder": "minilm-int8",
        "n": n,
        "single_process_1_thread": {"seconds": t_one, "items_per_s": n / t_one},
        "single_process_default_threads": {"seconds": t_many, "items_per_s": n / t_many},
        "ray_2_workers_1_cpu_each": {
            "seconds": t_ray,
            "items_per_s": n / t_ray,
            "second_run_items_per_s": len(later) / t_ray2,
            "speedup_vs_1_thread": t_one / t_ray,
            "speedup_vs_default_threads": t_many / t_ray,
        },
        "cluster_start_s": cluster.started_s,
        "same_bytes": one == many == ray_bytes,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "note": "2 shared cores: the cluster's two actors and the driver share them with "
        "other work; the Ray time includes connecting, starting actors and loading the model.",
    }
    out = ROOT / "benchmarks" / "results" / "ray_embed.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
