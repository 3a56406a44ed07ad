"""Adapted encoders against frozen ones: head adaptation on text, SCARF on tables.

* finefoods (MiniLM, embeddings from fewlabels.embed's default cache), 4 and 16 labels per
  class, seeds 0-2: each zero-shot-free learner (ncm, knn, linear, label-spreading) on the
  head-adapted encoder and on the frozen one (accuracy, macro-F1), with the adaptation's time
  and peak memory. The "best learner" is the one with the highest mean macro-F1 on the
  adapted encoder, compared with the same learner on the frozen one (every learner is
  recorded too: picking the best on the test split flatters both sides alike).
* tables (breast_cancer, wine, default), 4 labels per class, seeds 0-2: SCARF against
  ``tabular``, same learners.

No test row reaches an adaptation: it sees the training split only (its rows digest is
checked against the training rows below), and the test rows are only transformed.

``--body`` measures body adaptation instead (``benchmarks/results/adapt_body.json``):
a text dataset (``--dataset``, finefoods by default; movielens-genre is the second) at 4 and
16 labels per class, the MiniLM body fine-tuned with ``setfit-body`` on the labelled training
rows (optionally after ``simcse`` on the training pool; ``--lora`` trains a LoRA adapter
instead of the whole body), every learner on the adapted embeddings against the same learner
on frozen MiniLM, and the SetFit peer (bench/peers.py) on the same labelled rows: accuracy,
macro-F1, fit and predict time, peak RSS of each stage (sampled), with the majority-class
rate of the test split.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/adapt.py [--quick]
    flock /tmp/fewlabels-heavy.lock python benchmarks/adapt.py --body [--seeds 0] [--smoke]
    flock /tmp/fewlabels-heavy.lock python benchmarks/adapt.py --body --dataset movielens-genre \
        --out benchmarks/results/adapt_body_movielens.json

Writes ``benchmarks/results/adapt.json`` (or ``adapt_body.json`` with ``--body`` on
finefoods, ``adapt_body_<dataset>.json`` on another dataset, or ``--out``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import threading
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

from fewlabels.adapt import adapt
from fewlabels.data import load_builtin
from fewlabels.data.budget import budget_split
from fewlabels.encode import embed, get_encoder
from fewlabels.encode.fingerprint import combine, fingerprints
from fewlabels.learn.registry import LEARNERS

RESULTS = Path(__file__).parent / "results" / "adapt.json"
BODY_RESULTS = Path(__file__).parent / "results" / "adapt_body.json"
LEARNER_NAMES = ("ncm", "knn", "linear", "label-spreading")
SEEDS = (0, 1, 2)


def _scores(
    X_pool: np.ndarray, labels: np.ndarray, X_test: np.ndarray, y_test: np.ndarray
) -> dict[str, Any]:
    out = {}
    for name in LEARNER_NAMES:
        model = LEARNERS.create(name).fit(X_pool, labels)
        pred = np.asarray(model.predict(X_test))
        out[name] = {
            "accuracy": float(accuracy_score(y_test, pred)),
            "macro_f1": float(f1_score(y_test, pred, average="macro")),
        }
    return out


def adapt_on_train(
    train_emb: Any, encoder: Any, *, method: str, labels: Any, seed: int, **kw: Any
) -> tuple[Any, float, float]:
    """Adapt on the training pool only; return (adapted, seconds, tracemalloc peak MiB)."""
    tracemalloc.start()
    t0 = time.perf_counter()
    adapted = adapt(train_emb, encoder, method=method, labels=labels, seed=seed, **kw)
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return adapted, seconds, peak


def _cell(
    train: Any,
    test: Any,
    encoder: Any,
    *,
    method: str,
    per_class: int,
    seed: int,
    use_labels: bool,
    **settings: Any,
) -> dict[str, Any]:
    """One (dataset, budget, seed) cell: adapt on ``train`` only, score both on ``test``."""
    train_emb = embed(train, encoder, progress=False)
    test_X = np.asarray(embed(test, encoder, progress=False).X)
    split = budget_split(train, per_class=per_class, seed=seed)
    labels = split.apply(train).labels
    adapted, seconds, peak = adapt_on_train(
        train_emb,
        encoder,
        method=method,
        labels=labels if use_labels else None,
        seed=seed,
        **settings,
    )
    assert adapted.meta.rows["digest"] == combine(fingerprints(train_emb.dataset))
    X_pool = np.asarray(train_emb.X)
    return {
        "seed": seed,
        "per_class": per_class,
        "adapt_seconds": round(seconds, 2),
        "adapt_peak_python_mib": round(peak, 1),
        "n_pseudo": adapted.meta.labels.get("n_pseudo", 0),
        "frozen": _scores(X_pool, labels, test_X, test.labels),
        "adapted": _scores(
            adapted.transform(X_pool), labels, adapted.transform(test_X), test.labels
        ),
    }


def _summary(cells: list[dict[str, Any]]) -> dict[str, Any]:
    by = {}
    for side in ("frozen", "adapted"):
        by[side] = {
            name: {
                m: round(100 * float(np.mean([c[side][name][m] for c in cells])), 2)
                for m in ("accuracy", "macro_f1")
            }
            for name in LEARNER_NAMES
        }
    best = max(LEARNER_NAMES, key=lambda n: by["adapted"][n]["macro_f1"])
    return {
        "best_learner_on_adapted": best,
        "adapted": by["adapted"][best],
        "frozen_same_learner": by["frozen"][best],
        "delta_macro_f1_points": round(
            by["adapted"][best]["macro_f1"] - by["frozen"][best]["macro_f1"], 2
        ),
        "best_frozen_learner": max(LEARNER_NAMES, key=lambda n: by["frozen"][n]["macro_f1"]),
        "all_learners": by,
        "adapt_seconds_mean": round(float(np.mean([c["adapt_seconds"] for c in cells])), 2),
        "adapt_peak_python_mib_max": max(c["adapt_peak_python_mib"] for c in cells),
    }


# --- body adaptation (--body) ------------------------------------------------------------


@contextmanager
def peak_rss(record: dict[str, Any], key: str) -> Iterator[None]:
    """Sample this process's RSS every 50 ms while the block runs; store the peak in MiB.

    Torch allocates outside Python's tracer, so RSS is the honest measure; it includes what
    the process already held when the block started (recorded as ``<key>_start_mib``).
    """
    import psutil

    proc = psutil.Process()
    start = proc.memory_info().rss
    peak = [start]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.05):
            peak[0] = max(peak[0], proc.memory_info().rss)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        peak[0] = max(peak[0], proc.memory_info().rss)
        record[f"{key}_start_mib"] = round(start / 2**20, 1)
        record[f"{key}_peak_mib"] = round(peak[0] / 2**20, 1)


def _timed_scores(
    X_pool: np.ndarray, labels: np.ndarray, X_test: np.ndarray, y_test: np.ndarray
) -> dict[str, Any]:
    out = {}
    for name in LEARNER_NAMES:
        t0 = time.perf_counter()
        model = LEARNERS.create(name).fit(X_pool, labels)
        fit_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        pred = np.asarray(model.predict(X_test))
        out[name] = {
            "accuracy": float(accuracy_score(y_test, pred)),
            "macro_f1": float(f1_score(y_test, pred, average="macro")),
            "learner_fit_seconds": round(fit_s, 3),
            "learner_predict_seconds": round(time.perf_counter() - t0, 3),
        }
    return out


def _body_cell(
    train: Any,
    test: Any,
    minilm: Any,
    *,
    per_class: int,
    seed: int,
    pretrain: bool,
    settings: dict[str, Any],
    simcse_settings: dict[str, Any],
    with_setfit: bool,
) -> dict[str, Any]:
    """One (budget, seed) cell: frozen, body-adapted (training rows only) and SetFit."""
    from fewlabels.bench.peers import SetFitPeer

    labels = budget_split(train, per_class=per_class, seed=seed).apply(train).labels
    train_emb = embed(train, minilm, progress=False)
    X_pool = np.asarray(train_emb.X)
    X_test = np.asarray(embed(test, minilm, progress=False).X)
    y = np.asarray(test.labels)
    cell: dict[str, Any] = {"seed": seed, "per_class": per_class}
    cell["frozen"] = _timed_scores(X_pool, labels, X_test, y)

    base: Any = minilm
    t0 = time.perf_counter()
    memory: dict[str, Any] = {}
    cell["memory"] = memory
    if pretrain:
        with peak_rss(memory, "simcse"):
            base = adapt(train, minilm, method="simcse", seed=seed, device="cpu", **simcse_settings)
        assert base.meta.rows["digest"] == combine(fingerprints(train))
        cell["simcse"] = {
            "seconds": round(time.perf_counter() - t0, 1),
            "history": base.meta.training["history"],
            "held_out": base.meta.training["held_out"],
        }
    t1 = time.perf_counter()
    with peak_rss(memory, "setfit_body"):
        adapted = adapt(
            train, base, method="setfit-body", labels=labels, seed=seed, device="cpu", **settings
        )
    assert adapted.meta.rows["digest"] == combine(fingerprints(train))  # training rows only
    adapt_s = time.perf_counter() - t0
    cell["adapt_seconds"] = round(adapt_s, 1)
    cell["setfit_body_seconds"] = round(time.perf_counter() - t1, 1)
    cell["setfit_body_steps_per_second"] = adapted.meta.training["steps_per_second"]
    t0 = time.perf_counter()
    X_pool_a = adapted.encode(list(train.inputs))
    cell["embed_pool_seconds"] = round(time.perf_counter() - t0, 1)
    t0 = time.perf_counter()
    X_test_a = adapted.encode(list(test.inputs))
    cell["embed_test_seconds"] = round(time.perf_counter() - t0, 1)
    cell["adapted"] = _timed_scores(X_pool_a, labels, X_test_a, y)
    if with_setfit:
        peer = SetFitPeer(random_state=seed)
        t0 = time.perf_counter()
        with peak_rss(memory, "setfit_peer"):
            peer.fit(list(train.inputs), labels)
        fit_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        pred = peer.predict(list(test.inputs))
        cell["setfit"] = {
            "accuracy": float(accuracy_score(y, pred)),
            "macro_f1": float(f1_score(y, pred, average="macro")),
            "fit_seconds": round(fit_s, 1),
            "predict_seconds": round(time.perf_counter() - t0, 1),
        }
    return cell


def _body_summary(cells: list[dict[str, Any]], majority: float) -> dict[str, Any]:
    def mean(side: str, name: str, m: str) -> float:
        return round(100 * float(np.mean([c[side][name][m] for c in cells])), 2)

    by = {
        side: {n: {m: mean(side, n, m) for m in ("accuracy", "macro_f1")} for n in LEARNER_NAMES}
        for side in ("frozen", "adapted")
    }
    best = max(LEARNER_NAMES, key=lambda n: by["adapted"][n]["macro_f1"])
    out: dict[str, Any] = {
        "majority_rate": round(100 * majority, 2),
        "best_learner_on_adapted": best,
        "adapted": by["adapted"][best],
        "frozen_same_learner": by["frozen"][best],
        "delta_macro_f1_points": round(
            by["adapted"][best]["macro_f1"] - by["frozen"][best]["macro_f1"], 2
        ),
        "best_frozen_learner": max(LEARNER_NAMES, key=lambda n: by["frozen"][n]["macro_f1"]),
        "all_learners": by,
        # fit = adaptation + re-embedding the pool + the learner; predict = embed test + predict
        "adapted_fit_seconds": round(
            float(
                np.mean(
                    [
                        c["adapt_seconds"]
                        + c["embed_pool_seconds"]
                        + c["adapted"][best]["learner_fit_seconds"]
                        for c in cells
                    ]
                )
            ),
            1,
        ),
        "adapt_seconds": round(float(np.mean([c["adapt_seconds"] for c in cells])), 1),
        "adapted_predict_seconds": round(
            float(
                np.mean(
                    [
                        c["embed_test_seconds"] + c["adapted"][best]["learner_predict_seconds"]
                        for c in cells
                    ]
                )
            ),
            1,
        ),
    }
    if all("setfit" in c for c in cells):
        out["setfit"] = {
            m: round(float(np.mean([c["setfit"][m] for c in cells])) * scale, 2)
            for m, scale in (
                ("accuracy", 100),
                ("macro_f1", 100),
                ("fit_seconds", 1),
                ("predict_seconds", 1),
            )
        }
    return out


def body_main(args: argparse.Namespace) -> None:
    """``--body``: setfit-body (and simcse + setfit-body) against frozen MiniLM and SetFit."""
    import subprocess

    load_before = os.getloadavg()
    t_start = time.perf_counter()
    bundle = load_builtin(args.dataset)
    train, test = bundle.train, bundle.test
    settings: dict[str, Any] = {}
    if args.iterations is not None:
        settings["iterations"] = args.iterations
    if args.lora:
        settings.update(lora=True, lora_rank=args.lora_rank, lora_alpha=args.lora_alpha)
        if args.lr is None:
            args.lr = 1e-4  # LoRA's usual rate: the adapter starts at zero and is small
    if args.lr is not None:
        settings["lr"] = args.lr
    simcse_settings: dict[str, Any] = {}
    if args.smoke:  # a tiny end-to-end pass of the script, not a measurement
        pick = np.random.default_rng(0)  # a random subset: every class shows up
        train = train.subset(np.sort(pick.permutation(len(train))[:300]))
        test = test.subset(np.sort(pick.permutation(len(test))[:60]))
        settings = {**settings, "iterations": 1}
        simcse_settings = {"rows_per_epoch": 64, "batch_size": 16}
    minilm = get_encoder("minilm", device="cpu")
    y = np.asarray(test.labels)
    majority = float(np.bincount(y).max() / y.size)
    out: dict[str, Any] = {"text": {}}

    def write() -> Path:
        """Write what is measured so far (after each budget: a killed run keeps it)."""
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip()
        from fewlabels.adapt import SetFitBodyConfig, SimCSEConfig

        dirty = subprocess.run(
            ["git", "status", "--porcelain", "src", "benchmarks/adapt.py"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        out["settings"] = {
            "dataset": args.dataset,
            "method": "simcse+setfit-body" if args.pretrain else "setfit-body",
            "setfit_body": {**SetFitBodyConfig().settings(), **settings},
            "simcse": {**SimCSEConfig().settings(), **simcse_settings} if args.pretrain else None,
            "setfit_peer": "SetFitPeer defaults (batch 16, 1 epoch, SetFit's pair sampling)",
            "seeds": list(args.seeds),
            "smoke": bool(args.smoke),
            "n_train": len(train),
            "n_test": len(test),
        }
        out["machine"] = {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
            "load_average_before": [round(v, 2) for v in load_before],
            "load_average_after": [round(v, 2) for v in os.getloadavg()],
            "process_max_rss_mib": round(
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
            ),
            "total_seconds": round(time.perf_counter() - t_start, 1),
            "commit": commit,
            "uncommitted_changes": bool(dirty),
        }
        default_target = (
            BODY_RESULTS
            if args.dataset == "finefoods"
            else BODY_RESULTS.with_name(f"adapt_body_{args.dataset.replace('-', '_')}.json")
        )
        target = Path(args.out) if args.out else default_target
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(out, indent=1))
        return target

    for per_class in args.per_class:
        cells = [
            _body_cell(
                train,
                test,
                minilm,
                per_class=per_class,
                seed=s,
                pretrain=args.pretrain,
                settings=settings,
                simcse_settings=simcse_settings,
                with_setfit=not args.no_setfit,
            )
            for s in args.seeds
        ]
        key = f"{args.dataset}/{per_class}"
        out["text"][key] = {"summary": _body_summary(cells, majority), "cells": cells}
        print(f"{key}:", json.dumps(out["text"][key]["summary"]), flush=True)
        write()
    write()
    print(_body_table(out))
    print(json.dumps(out["machine"]))


def _body_table(out: dict[str, Any]) -> str:
    rows = [
        "| budget | majority | frozen acc / F1 | body-adapted acc / F1 | SetFit acc / F1 | "
        "adapted fit s | SetFit fit s | adapted predict s | SetFit predict s | "
        "peak RSS MiB (adapt / SetFit) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key, block in out["text"].items():
        s = block["summary"]
        sf = s.get("setfit", {})
        mem = [c.get("memory", {}) for c in block["cells"]]
        adapt_mib = max(m.get("setfit_body_peak_mib", 0) for m in mem)
        peer_mib = max(m.get("setfit_peer_peak_mib", 0) for m in mem) or "n/a"
        rows.append(
            f"| {key} ({s['best_learner_on_adapted']}) | {s['majority_rate']} | "
            f"{s['frozen_same_learner']['accuracy']} / {s['frozen_same_learner']['macro_f1']} | "
            f"{s['adapted']['accuracy']} / {s['adapted']['macro_f1']} | "
            f"{sf.get('accuracy', 'n/a')} / {sf.get('macro_f1', 'n/a')} | "
            f"{s['adapted_fit_seconds']} | {sf.get('fit_seconds', 'n/a')} | "
            f"{s['adapted_predict_seconds']} | {sf.get('predict_seconds', 'n/a')} | "
            f"{adapt_mib} / {peer_mib} |"
        )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one seed, for a smoke run")
    parser.add_argument("--body", action="store_true", help="body adaptation (adapt_body.json)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="--body: seeds")
    parser.add_argument("--per-class", type=int, nargs="+", default=[4, 16], help="--body")
    parser.add_argument("--pretrain", action="store_true", help="--body: simcse first")
    parser.add_argument("--no-setfit", action="store_true", help="--body: skip the SetFit peer")
    parser.add_argument("--smoke", action="store_true", help="--body: tiny end-to-end pass")
    parser.add_argument("--out", default=None, help="--body: results file")
    parser.add_argument("--dataset", default="finefoods", help="--body: a built-in text dataset")
    parser.add_argument("--iterations", type=int, default=None, help="--body: setfit-body pairs")
    parser.add_argument("--lr", type=float, default=None, help="--body: setfit-body lr")
    parser.add_argument("--lora", action="store_true", help="--body: LoRA instead of the body")
    parser.add_argument("--lora-rank", type=int, default=8, help="--body --lora")
    parser.add_argument("--lora-alpha", type=float, default=16.0, help="--body --lora")
    args = parser.parse_args()
    if args.body:
        body_main(args)
        return
    seeds = SEEDS[:1] if args.quick else SEEDS
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    out: dict[str, Any] = {"text": {}, "tables": {}}
    bundle = load_builtin("finefoods")
    minilm = get_encoder("minilm", device="cpu")
    for per_class in (4, 16):
        cells = [
            _cell(
                bundle.train,
                bundle.test,
                minilm,
                method="head",
                per_class=per_class,
                seed=s,
                use_labels=True,
            )
            for s in seeds
        ]
        out["text"][f"finefoods/{per_class}"] = {"summary": _summary(cells), "cells": cells}
        print(
            f"finefoods {per_class}/class:",
            json.dumps(out["text"][f"finefoods/{per_class}"]["summary"])[:400],
        )
    for name in ("breast_cancer", "wine", "default"):
        b = load_builtin(name)
        cells = []
        for s in seeds:
            tab = get_encoder("tabular")  # fitted on the training rows by embed
            cells.append(
                _cell(b.train, b.test, tab, method="scarf", per_class=4, seed=s, use_labels=False)
            )
        out["tables"][f"{name}/4"] = {"summary": _summary(cells), "cells": cells}
        print(f"{name} 4/class:", json.dumps(out["tables"][f"{name}/4"]["summary"])[:400])
    out["machine"] = {
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "load_average_before": [round(v, 2) for v in load_before],
        "load_average_after": [round(v, 2) for v in os.getloadavg()],
        "process_max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "total_seconds": round(time.perf_counter() - t0, 1),
        "seeds": list(seeds),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=1))
    print(json.dumps(out["machine"]))


if __name__ == "__main__":
    main()
