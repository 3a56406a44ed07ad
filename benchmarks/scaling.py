"""Fit time and peak memory against the pool size, and the approximate graph against exact.

The data: N rows of 384-d synthetic embeddings around 20 random cluster centres (the noisy
mixture of ``learners_speed.py``: centre + 1.5/sqrt(d) Gaussian noise, L2-normalised), 1 % of
the rows labelled, generated block by block into a ``.npy`` file and read back memory-mapped
(float32), as the embedding cache hands them to a learner. Each (learner, N) runs in its own
subprocess so that its peak resident memory (``ru_maxrss``) is its own.

- ``label-spreading`` and ``self-training``: ``fit`` on the whole pool (above
  ``EXACT_UP_TO`` rows the kNN graph is the inverted-file graph of
  ``fewlabels.learn.ivf_graph``: lists of ~1,000 rows, each searched against its ``nprobe``
  nearest lists in one dense block); accuracy of ``transduction_`` on the unlabelled rows,
  and ``graph_recall_`` (recall@10 against exact search on 500 rows).
- ``typiclust``: one cold-start batch of 20 (``TypiClust().select``).
- At 10^5 (when asked for): label spreading on the exact graph (flat search), for the
  accuracy of the approximate one against it (and how many rows get the same label), and
  the recall@10 of the inverted-file graph on 2,000 rows of both kinds of data: the
  isotropic mixture (in 384-d every row of a cluster is nearly equally near, so recall
  says little there) and clusters spread along a 16-d subspace (neighbour structure).

Usage::

    python benchmarks/scaling.py --sizes 10000 100000 1000000 [--budget-s 1500]
    python benchmarks/scaling.py --learners label-spreading --no-extras --out scaling_locality

Writes ``benchmarks/results/<out>.json`` and ``<out>.png`` (``--out`` defaults to
``scaling``). ``--no-extras`` skips the exact-graph and recall runs at 10^5. Runs that
would start after ``--budget-s`` seconds are recorded as skipped.
"""

from __future__ import annotations

import argparse
import importlib
import itertools
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

RESULTS = Path(__file__).parent / "results"
LEARNERS = ["label-spreading", "self-training", "typiclust"]
N_CLASSES = 20
BLOCK = 65_536


def write_data(path: Path, n: int, dim: int, *, kind: str = "mixture", seed: int = 0) -> None:
    """Write ``n`` clustered unit rows (float32) to ``path`` block by block; labels beside."""
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((N_CLASSES, dim)).astype(np.float32)
    centers /= np.linalg.norm(centers, axis=1, keepdims=True)
    basis = rng.standard_normal((N_CLASSES, 16, dim)).astype(np.float32) * (0.6 / 4)
    y_true = rng.integers(0, N_CLASSES, n)
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, dim))
    for b, start in enumerate(range(0, n, BLOCK)):
        r = np.random.default_rng([seed, b])
        lab = y_true[start : start + BLOCK]
        if kind == "mixture":
            noise = r.standard_normal((len(lab), dim), dtype=np.float32)
            X = centers[lab] + 1.5 / np.sqrt(dim) * noise
        else:  # "manifold": a 16-d spread per cluster plus a little noise
            z = r.standard_normal((len(lab), 16), dtype=np.float32)
            X = centers[lab] + np.einsum("ni,nid->nd", z, basis[lab])
            X += 0.01 * r.standard_normal((len(lab), dim), dtype=np.float32)
        out[start : start + len(lab)] = X / np.linalg.norm(X, axis=1, keepdims=True)
    out.flush()
    del out
    y = np.full(n, -1)
    per_class = max(1, round(0.01 * n / N_CLASSES))
    for c in range(N_CLASSES):
        y[rng.choice(np.flatnonzero(y_true == c), per_class, replace=False)] = c
    np.save(path.with_suffix(".y.npy"), np.stack([y_true, y]))


def _macro_f1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(y_true, y_pred, average="macro"))


def _peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def run_child(name: str, path: Path) -> dict[str, object]:
    """One measurement in this process (called through ``--child``)."""
    from fewlabels.active import TypiClust
    from fewlabels.learn import LabelSpreading, SelfTraining

    X = np.load(path, mmap_mode="r")
    y_true, y = np.load(path.with_suffix(".y.npy"))
    rec: dict[str, object] = {"learner": name, "n": int(X.shape[0])}
    base_gib = _peak_gib()
    t0 = time.perf_counter()
    if name == "typiclust":
        picked = TypiClust().select(X, n=20, labeled_mask=np.zeros(len(X), bool), random_state=0)
        rec["classes_in_batch"] = int(np.unique(y_true[picked]).size)
    elif name.startswith("recall-"):
        from fewlabels.learn.ivf_graph import NPROBE, cluster_rows, graph_recall

        Z = np.ascontiguousarray(X)
        clusters = cluster_rows(Z)
        rec["graph_recall"] = graph_recall(Z, clusters, sample=2000)
        rec["graph_recall_nprobe"] = graph_recall(Z, clusters, nprobe=NPROBE, sample=2000)
        rec["n_lists"] = clusters.n_lists
        rec["largest_list"] = int(np.bincount(clusters.assign).max())
    else:
        if name == "label-spreading-exact":  # flat search on any size
            for module in ("fewlabels.learn.knn_graph", "fewlabels.learn.label_spreading"):
                importlib.import_module(module).EXACT_UP_TO = 10**9
        model = LabelSpreading() if name.startswith("label-spreading") else SelfTraining()
        model.fit(X, y)
        unl = y == -1
        acc = float((model.transduction_[unl] == y_true[unl]).mean())
        rec["accuracy"] = acc
        rec["majority_rate"] = float(np.bincount(y_true[unl]).max() / unl.sum())
        rec["macro_f1"] = _macro_f1(y_true[unl], np.asarray(model.transduction_)[unl])
        rec["graph_recall"] = getattr(model, "graph_recall_", None)
        clusters = getattr(model, "clusters_", None)
        if clusters is not None:
            rec.update(_work_per_row(clusters))
        np.save(path.with_suffix(f".{name}.pred.npy"), np.asarray(model.transduction_))
    rec["seconds"] = round(time.perf_counter() - t0, 2)
    rec["peak_rss_gib"] = round(_peak_gib(), 3)
    rec["baseline_rss_gib"] = round(base_gib, 3)
    return rec


def _work_per_row(clusters: Any) -> dict[str, object]:
    """The partition's list sizes and the candidate rows per row, under the search's rule
    (a budget of ``CANDIDATES`` rows) and under the old one (``NPROBE`` lists), for comparison."""
    from fewlabels.learn.ivf_graph import NPROBE

    sizes = np.bincount(np.asarray(clusters.assign), minlength=clusters.n_lists)
    out: dict[str, object] = {
        "n_lists": int(clusters.n_lists),
        "mean_list": round(float(sizes.mean()), 1),
        "largest_list": int(sizes.max()),
    }
    for label, probes in (
        ("budget", clusters.probe_lists()),
        (f"nprobe{NPROBE}", clusters.probe_lists(nprobe=NPROBE)),
    ):
        per_list = np.where(probes >= 0, sizes[np.maximum(probes, 0)], 0).sum(axis=1)
        out[f"candidates_per_row_{label}"] = {
            "mean": round(float((per_list * sizes).sum() / sizes.sum()), 1),
            "max": int(per_list.max()),
        }
    return out


def _child(name: str, path: Path, timeout: float) -> dict[str, object]:
    cmd = [sys.executable, __file__, "--child", name, str(path)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"learner": name, "error": f"timed out after {timeout:.0f} s"}
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if done.returncode != 0 or not lines:
        return {"learner": name, "error": done.stderr[-800:]}
    return json.loads(lines[-1])


def _agreement(rows: list[dict[str, object]], path: Path, n: int) -> None:
    """Share of rows labelled alike on the approximate and the exact graph, when both ran."""
    a = path.with_suffix(".label-spreading.pred.npy")
    b = path.with_suffix(".label-spreading-exact.pred.npy")
    if a.exists() and b.exists():
        same = float((np.load(a) == np.load(b)).mean())
        rows.append({"learner": "ivf-vs-exact-agreement", "n": n, "same_label": same})
        print(json.dumps(rows[-1]), flush=True)


def plot(rows: list[dict[str, object]], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(10, 4))
    for name in LEARNERS:
        pts = sorted(
            (int(r["n"]), float(r["seconds"]), float(r["peak_rss_gib"]))  # type: ignore[arg-type]
            for r in rows
            if r.get("learner") == name and "seconds" in r
        )
        if pts:
            n, s, m = zip(*pts, strict=True)
            ax_t.loglog(n, s, "o-", label=name)
            ax_m.semilogx(n, m, "o-", label=name)
    if any(r.get("learner") == "label-spreading" for r in rows):
        n0 = min(int(r["n"]) for r in rows if "n" in r)  # type: ignore[arg-type]
        t0 = min(
            float(r["seconds"])  # type: ignore[arg-type]
            for r in rows
            if r.get("learner") == "label-spreading" and r.get("n") == n0 and "seconds" in r
        )
        xs = np.array([n0, 10**6])
        ax_t.loglog(xs, t0 * xs / n0, "k:", label="linear (from label spreading)")
    ax_t.axhline(600, color="r", ls="--", lw=0.8, label="target 10 min")
    ax_m.axhline(8, color="r", ls="--", lw=0.8, label="target 8 GiB")
    ax_t.set(xlabel="rows N (384-d)", ylabel="fit seconds", title="Fit time, 2 cores")
    ax_m.set(xlabel="rows N (384-d)", ylabel="peak RSS (GiB)", title="Peak memory")
    for ax in (ax_t, ax_m):
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=120)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--learners", nargs="+", default=LEARNERS, choices=LEARNERS)
    ap.add_argument("--budget-s", type=float, default=1500.0)
    ap.add_argument("--out", default="scaling", help="results file name, without .json")
    ap.add_argument("--no-extras", action="store_true", help="no exact/recall runs at 10^5")
    ap.add_argument("--child", nargs=2, metavar=("NAME", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(run_child(args.child[0], Path(args.child[1]))), flush=True)
        return
    start = time.perf_counter()
    load_before = os.getloadavg()
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="fl-scaling-", dir=os.environ.get("TMPDIR")) as tmp:
        for n in sorted(args.sizes):
            path = Path(tmp) / f"mixture-{n}.npy"
            t = time.perf_counter()
            write_data(path, n, args.dim)
            print(f"N={n}: data written in {time.perf_counter() - t:.1f} s", flush=True)
            names = list(args.learners)
            if n == 100_000 and not args.no_extras:
                names += ["label-spreading-exact", "recall-mixture", "recall-manifold"]
            for name in names:
                left = args.budget_s - (time.perf_counter() - start)
                if left < 30:
                    rows.append({"learner": name, "n": n, "skipped": "time budget spent"})
                    continue
                target = path
                if name == "recall-manifold":
                    target = Path(tmp) / f"manifold-{n}.npy"
                    write_data(target, n, args.dim, kind="manifold")
                rec = _child(name, target, timeout=left)
                rec.setdefault("n", n)
                rows.append(rec)
                print(json.dumps(rec), flush=True)
                if target != path:
                    target.unlink()
            _agreement(rows, path, n)
            for pred in Path(tmp).glob("*.pred.npy"):
                pred.unlink()
            path.unlink()
    growth: dict[str, list[float]] = {}
    for name in args.learners:
        pts = sorted(
            (int(r["n"]), float(r["seconds"]))  # type: ignore[arg-type]
            for r in rows
            if r.get("learner") == name and "seconds" in r
        )
        growth[name] = [
            round(b[1] / a[1], 2) for a, b in itertools.pairwise(pts) if b[0] == 10 * a[0]
        ]
    kg = importlib.import_module("fewlabels.learn.knn_graph")
    ivf = importlib.import_module("fewlabels.learn.ivf_graph")
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    result = {
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
            "load_average_at_start": load_before,
            "load_average_at_end": os.getloadavg(),
        },
        "commit": commit,
        "settings": {
            "sizes": sorted(args.sizes),
            "exact_up_to": kg.EXACT_UP_TO,
            "ann_above": kg.ANN_ABOVE,
            "list_size": ivf.LIST_SIZE,
            "nprobe": ivf.NPROBE,
            "candidates": ivf.CANDIDATES,
            "max_probe": ivf.MAX_PROBE,
            "probing": "budget of candidate rows per list (fixed work per row)",
            "label_spreading": "LabelSpreading() defaults (n_neighbors=5)",
            "self_training": "SelfTraining() defaults (label spreading base)",
            "typiclust": "TypiClust().select(n=20), cold start",
        },
        "data": f"{N_CLASSES} clusters, {args.dim}-d, noise 1.5/sqrt(d), 1 % labelled, float32",
        "rows": rows,
        "time_growth_per_10x": growth,
        "total_seconds": round(time.perf_counter() - start, 1),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.out}.json").write_text(json.dumps(result, indent=1) + "\n")
    plot(rows, RESULTS / f"{args.out}.png")
    print(json.dumps(growth))


if __name__ == "__main__":
    main()
