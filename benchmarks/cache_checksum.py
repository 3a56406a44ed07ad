"""Cost of checksum verification of the embedding cache on a 1,000,000 x 384 float32 cache.

Builds the cache once through ``fewlabels.encode.embed`` (the synthetic encoder of
``benchmarks/cache_memory.py``, so only the cache is measured), then times, each in a fresh
process and with the files in the OS page cache (a warm read, what a second command sees):

* ``crc32_view``: ``file_crc32`` of the view file alone (1.5 GB), the work ``verify`` adds;
* ``embed_verify`` / ``embed_trust``: a second ``embed`` call (it returns the stored view)
  with ``verify=True`` (the default) and ``verify=False``;
* ``read_blocks``: reading the returned memmap once, block by block
  (``fewlabels.encode.iter_row_blocks``), what any use of the embeddings costs;
* ``rebuild_view_verify`` / ``rebuild_view_trust``: an ``embed`` call that must rebuild the
  view from the chunks (a new row order), which verifies every chunk file first;
* ``crc32_mb_per_s`` and ``blake2b_mb_per_s``: throughput of the two stdlib candidates on
  256 MB in memory.

Usage: python benchmarks/cache_checksum.py [--rows 1000000] [--dim 384] [--dir /tmp/fl-ck]
Writes benchmarks/results/cache_checksum.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from cache_memory import Synthetic, dataset

RESULTS = Path(__file__).parent / "results" / "cache_checksum.json"


def timed(mode: str, rows: int, dim: int, cache: str) -> dict[str, float]:
    """One measurement in this (fresh) process."""
    from fewlabels.encode import embed, iter_row_blocks
    from fewlabels.encode.cache_files import file_crc32

    ds = dataset(rows)
    if mode == "crc32_view":
        from fewlabels.encode.fingerprint import combine, fingerprints

        (view,) = Path(cache).glob(f"*/views/{combine(fingerprints(ds))}.npy")
        start = time.perf_counter()
        file_crc32(view)
        return {"seconds": time.perf_counter() - start, "bytes": view.stat().st_size}
    if mode.startswith("rebuild_view"):
        from fewlabels.encode.fingerprint import combine, fingerprints

        ds = ds.subset(np.arange(rows)[::-1].copy())  # another order: a view to build
        key = combine(fingerprints(ds))
        for v in Path(cache).glob(f"*/views/{key}.*"):
            v.unlink()
    verify = not mode.endswith("trust")
    start = time.perf_counter()
    X = embed(ds, Synthetic(dim), cache_dir=cache, progress=False, verify=verify).X
    seconds = time.perf_counter() - start
    if mode == "read_blocks":
        start = time.perf_counter()
        total = sum(float(b.sum()) for b in iter_row_blocks(X))
        return {"seconds": time.perf_counter() - start, "check": total}
    return {"seconds": seconds}


def throughput() -> dict[str, float]:
    import hashlib
    import zlib

    data = np.random.default_rng(0).standard_normal(64 * 2**20, dtype=np.float32).tobytes()
    out = {}
    for name, fn in (
        ("crc32_mb_per_s", lambda: zlib.crc32(data)),
        ("blake2b_mb_per_s", lambda: hashlib.blake2b(data, digest_size=16).digest()),
    ):
        start = time.perf_counter()
        fn()
        out[name] = len(data) / 1e6 / (time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--dir", default="/tmp/fl-checksum-bench")
    parser.add_argument("--measure", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(timed(args.measure, args.rows, args.dim, args.dir)))
        return
    from fewlabels.encode import embed

    start = time.perf_counter()
    embed(dataset(args.rows), Synthetic(args.dim), cache_dir=args.dir, chunk_size=65536)
    build = time.perf_counter() - start
    modes = [
        "crc32_view",
        "embed_verify",
        "embed_trust",
        "read_blocks",
        "rebuild_view_verify",
        "rebuild_view_trust",
    ]
    runs: dict[str, list[float]] = {m: [] for m in modes}
    for _ in range(args.repeat):
        for mode in modes:
            cmd = [sys.executable, __file__, "--measure", mode, "--rows", str(args.rows)]
            cmd += ["--dim", str(args.dim), "--dir", args.dir]
            res = subprocess.run(cmd, capture_output=True, text=True, check=True)
            runs[mode].append(json.loads(res.stdout.strip().splitlines()[-1])["seconds"])
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {mem:.0f} GiB",
        "load_average_before": os.getloadavg(),
        "rows": args.rows,
        "dim": args.dim,
        "build_seconds": build,
        "median_seconds": {m: float(np.median(v)) for m, v in runs.items()},
        "runs_seconds": runs,
        **throughput(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
