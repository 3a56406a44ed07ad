"""Speed of ``fewlabels.encode.embed`` with the packaged MiniLM encoders on fine-food reviews.

Three measurements on the same texts (the first ``--n`` training reviews of ``finefoods``):

1. ``embed(dataset, get_encoder("minilm"))`` into a fresh cache folder (so every text is
   encoded, fingerprinted and written) against calling ``SentenceTransformer.encode`` directly
   (``normalize_embeddings=True``, same batch size), in the same process, alternating which
   goes first, best of ``--repeats``. Target: embed throughput >= 0.95 x the direct call.
2. A second ``embed`` of the same dataset, served from the cache. Target: >= 50 x faster than
   encoding.
3. ``minilm-int8`` (onnxruntime, int8) against ``minilm`` (torch, fp32) ``encode``, for
   information.
4. embed's own work (fingerprints, chunk and view files, fsync) with an encoder that replays
   precomputed vectors instantly: what embed adds to any encoder, free of the noise of timing
   a model on a shared machine. ``--overhead-only`` runs just this (no model), writing
   benchmarks/results/embed_speed_overhead.json.

Both models are loaded and warmed (one batch) before any timing.

Usage: python benchmarks/embed_speed.py [--n 2000] [--batch-size 64] [--repeats 3]
       [--overhead-only]
Writes benchmarks/results/embed_speed.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

RESULTS = Path(__file__).parent / "results" / "embed_speed.json"
OVERHEAD_RESULTS = Path(__file__).parent / "results" / "embed_speed_overhead.json"


class Replay:
    """An instant encoder: returns a fixed unit vector per text (384-d, like MiniLM)."""

    name = "replay"
    modality = "text"
    dim = 384
    identity = "replay/384"

    def __init__(self, texts: list[str]) -> None:
        rng = np.random.default_rng(0)
        table = rng.standard_normal((len(texts), self.dim)).astype(np.float32)
        self.table = table / np.linalg.norm(table, axis=1, keepdims=True)
        self.row = {t: k for k, t in enumerate(texts)}

    def encode(self, inputs: list[str]) -> np.ndarray:
        return self.table[[self.row[t] for t in inputs]]


def measure_overhead(data: Any, texts: list[str], repeats: int, root: Path) -> float:
    """Best-of seconds for embed with the instant encoder into fresh cache folders."""
    from fewlabels.encode import embed

    replay = Replay(texts)
    counter = iter(range(10**6))
    seconds, _ = best_of(
        lambda: embed(data, replay, cache_dir=root / f"replay-{next(counter)}", progress=False),
        repeats,
    )
    return seconds


def best_of(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--overhead-only", action="store_true")
    args = parser.parse_args()

    from sentence_transformers import SentenceTransformer

    from fewlabels.data import load_builtin
    from fewlabels.encode import embed, get_encoder

    data = load_builtin("finefoods").train
    data = data.subset(np.arange(min(args.n, len(data.ids))))
    texts = list(data.inputs)
    n = len(texts)
    root = Path(tempfile.mkdtemp(prefix="fl-embed-speed-"))
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    if args.overhead_only:
        t_over = measure_overhead(data, texts, max(args.repeats, 5), root)
        shutil.rmtree(root, ignore_errors=True)
        OVERHEAD_RESULTS.parent.mkdir(parents=True, exist_ok=True)
        OVERHEAD_RESULTS.write_text(
            json.dumps({"n_texts": n, "embed_overhead_s": t_over, "uptime": uptime}, indent=2)
        )
        print(
            f"embed bookkeeping for {n} texts (instant encoder): {t_over * 1000:.1f} ms; {uptime}"
        )
        return

    minilm = get_encoder("minilm", device="cpu", batch_size=args.batch_size)
    int8 = get_encoder("minilm-int8", batch_size=args.batch_size)
    direct = SentenceTransformer(minilm.model_id_or_path, device="cpu")  # type: ignore[attr-defined]
    warm = texts[: args.batch_size]
    minilm.encode(warm)
    int8.encode(warm)
    direct.encode(warm, batch_size=args.batch_size, normalize_embeddings=True)
    tokenizer = int8._load()[1]  # type: ignore[attr-defined]
    n_tokens = int(sum(len(e.ids) for e in tokenizer.encode_batch(texts)))

    def run_direct() -> np.ndarray:
        return direct.encode(
            texts,
            batch_size=args.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )

    counter = iter(range(10**6))

    def run_embed() -> Any:
        return embed(data, minilm, cache_dir=root / f"fresh-{next(counter)}", progress=False)

    # 1. embed (cold cache) vs direct, alternating order, best of repeats.
    t_direct, t_embed = [], []
    emb = ref = None
    for r in range(args.repeats):
        order = [("direct", run_direct), ("embed", run_embed)]
        for label, fn in order if r % 2 == 0 else order[::-1]:
            t0 = time.perf_counter()
            out = fn()
            (t_direct if label == "direct" else t_embed).append(time.perf_counter() - t0)
            if label == "direct":
                ref = out
            else:
                emb = out
    assert emb is not None and ref is not None
    max_diff = float(np.abs(np.asarray(emb.X) - ref).max())

    # 2. embed served from the cache (same folder as the last cold run).
    warm_dir = root / "warm"
    embed(data, minilm, cache_dir=warm_dir, progress=False)
    t_cached, cached = best_of(
        lambda: embed(data, minilm, cache_dir=warm_dir, progress=False), args.repeats
    )
    assert cached.n_encoded == 0

    # 3. int8 vs fp32 encode.
    t_fp32, fp32 = best_of(lambda: minilm.encode(texts), args.repeats)
    t_int8, q = best_of(lambda: int8.encode(texts), args.repeats)
    cos = (np.asarray(q) * np.asarray(fp32)).sum(1)

    # 4. embed's own work, with an instant encoder.
    t_over = measure_overhead(data, texts, max(args.repeats, 5), root)
    shutil.rmtree(root, ignore_errors=True)

    best_direct, best_embed = min(t_direct), min(t_embed)
    result = {
        "n_texts": n,
        "n_tokens": n_tokens,
        "batch_size": args.batch_size,
        "repeats": args.repeats,
        "direct_s": t_direct,
        "embed_cold_s": t_embed,
        "direct_texts_per_s": n / best_direct,
        "embed_cold_texts_per_s": n / best_embed,
        "embed_vs_direct_ratio": best_direct / best_embed,
        "embed_vs_direct_target": 0.95,
        "embed_vs_direct_max_abs_diff": max_diff,
        "embed_vs_direct_median_ratio": float(np.median(t_direct) / np.median(t_embed)),
        "embed_overhead_s": t_over,
        "embed_overhead_implied_ratio": best_direct / (best_direct + t_over),
        "embed_cached_s": t_cached,
        "cached_speedup": best_embed / t_cached,
        "cached_speedup_target": 50,
        "minilm_fp32_encode_s": t_fp32,
        "minilm_int8_encode_s": t_int8,
        "minilm_fp32_texts_per_s": n / t_fp32,
        "minilm_int8_texts_per_s": n / t_int8,
        "int8_vs_fp32_cosine_mean": float(cos.mean()),
        "int8_vs_fp32_cosine_min": float(cos.min()),
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "uptime_start": uptime,
            "uptime_end": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
        },
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))

    rows = [
        ("SentenceTransformer.encode (direct)", best_direct, n / best_direct, ""),
        (
            "embed, minilm, cold cache",
            best_embed,
            n / best_embed,
            f"ratio {best_direct / best_embed:.3f} (target >= 0.95)",
        ),
        (
            "embed, minilm, from cache",
            t_cached,
            n / t_cached,
            f"{best_embed / t_cached:,.0f}x faster (target >= 50x)",
        ),
        (
            "embed bookkeeping (instant encoder)",
            t_over,
            n / t_over,
            f"implied ratio {best_direct / (best_direct + t_over):.4f}",
        ),
        ("minilm encode (torch fp32)", t_fp32, n / t_fp32, ""),
        (
            "minilm-int8 encode (onnxruntime)",
            t_int8,
            n / t_int8,
            f"{t_fp32 / t_int8:.2f}x fp32; cosine mean {cos.mean():.4f} min {cos.min():.4f}",
        ),
    ]
    print(
        f"\n{n} finefoods reviews ({n_tokens} tokens), batch size {args.batch_size}, "
        f"best of {args.repeats}; {uptime} -> {result['machine']['uptime_end']}"
    )
    print(f"{'what':38s} {'seconds':>9s} {'texts/s':>9s}  note")
    for what, secs, rate, note in rows:
        print(f"{what:38s} {secs:9.3f} {rate:9.1f}  {note}")
    print(f"\nwrote {RESULTS}")


if __name__ == "__main__":
    main()
