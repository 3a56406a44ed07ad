"""Peak memory of reading a 1,000,000 x 384 float32 embedding cache and taking its row mean.

Builds the cache once through ``fewlabels.encode.embed`` (a synthetic encoder, so only the cache
is measured), then, in a fresh process per reader, reads it back and takes every row's mean:

* ``blocks``: ``fewlabels.encode.iter_row_blocks`` over the memmap (the supported way);
* ``naive``: ``X.mean(axis=1)`` on the memmap (numpy touches every page).

Memory is sampled every 5 ms from /proc/self/status: RSS (all resident pages, including clean
file pages the OS can drop at any time) and RssAnon (private memory, what can run a machine out
of memory), both above the baseline taken right after the cache is opened.

Usage: python benchmarks/cache_memory.py [--rows 1000000] [--dim 384] [--dir /tmp/fl-cache-bench]
Writes benchmarks/results/cache_memory.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).parent / "results" / "cache_memory.json"


class Synthetic:
    """A fast stand-in encoder: a fixed random projection of the item's number."""

    name = "synthetic"
    modality = "text"

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.identity = f"synthetic/{dim}"

    def encode(self, inputs: list[str]) -> np.ndarray:
        idx = np.array([int(t.rsplit(" ", 1)[1]) for t in inputs])
        rng = np.random.default_rng(idx[0])
        out = rng.standard_normal((len(idx), self.dim), dtype=np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def dataset(rows: int):  # type: ignore[no-untyped-def]
    from fewlabels.data import Dataset

    return Dataset(
        ids=np.array([f"r{i}" for i in range(rows)], dtype=object),
        inputs=[f"row {i}" for i in range(rows)],
        labels=np.full(rows, -1),
        classes=("a", "b"),
        modality="text",
        name="synthetic",
    )


def status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def reader(mode: str, rows: int, dim: int, cache: str) -> dict[str, float]:
    from fewlabels.encode import embed, iter_row_blocks

    ds = dataset(rows)
    X = embed(ds, Synthetic(dim), cache_dir=cache, progress=False).X
    base_rss, base_anon = status_kib("VmRSS"), status_kib("RssAnon")
    peak = {"rss": base_rss, "anon": base_anon}
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak["rss"] = max(peak["rss"], status_kib("VmRSS"))
            peak["anon"] = max(peak["anon"], status_kib("RssAnon"))
            time.sleep(0.005)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    t0 = time.perf_counter()
    if mode == "blocks":
        means = np.concatenate([b.mean(axis=1) for b in iter_row_blocks(X, rows=32768)])
    else:
        means = np.asarray(X.mean(axis=1))
    seconds = time.perf_counter() - t0
    stop.set()
    thread.join()
    return {
        "mode": mode,
        "seconds": seconds,
        "rss_above_baseline_mib": (peak["rss"] - base_rss) / 1024,
        "anon_above_baseline_mib": (peak["anon"] - base_anon) / 1024,
        "mean_of_means": float(means.mean()),
        "x_bytes_mib": X.nbytes / 2**20,
        "is_memmap": isinstance(X, np.memmap),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--dir", default="/tmp/fl-cache-bench")
    ap.add_argument("--reader", choices=["blocks", "naive"])
    args = ap.parse_args()
    if args.reader:
        print(json.dumps(reader(args.reader, args.rows, args.dim, args.dir)))
        return

    from fewlabels.encode import embed

    t0 = time.perf_counter()
    out = embed(dataset(args.rows), Synthetic(args.dim), cache_dir=args.dir, chunk_size=65536)
    build = time.perf_counter() - t0
    print(f"cache of {out.X.shape} built in {build:.1f} s ({out.n_encoded} encoded)")
    results = []
    for mode in ("blocks", "naive"):
        cmd = [
            sys.executable,
            __file__,
            "--reader",
            mode,
            "--rows",
            str(args.rows),
            "--dim",
            str(args.dim),
            "--dir",
            args.dir,
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    print(f"{'reader':8} {'seconds':>8} {'RSS +MiB':>9} {'anon +MiB':>10} {'matrix MiB':>11}")
    for r in results:
        print(
            f"{r['mode']:8} {r['seconds']:8.2f} {r['rss_above_baseline_mib']:9.0f} "
            f"{r['anon_above_baseline_mib']:10.0f} {r['x_bytes_mib']:11.0f}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}, 2 cores, 24 GiB",
                "rows": args.rows,
                "dim": args.dim,
                "build_seconds": build,
                "readers": results,
                "target": "peak memory < 1 GiB above baseline",
            },
            indent=1,
        )
    )
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
