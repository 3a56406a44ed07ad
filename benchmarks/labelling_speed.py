"""Labels per minute on the real page: one item at a time against the bulk grid (issue 14).

A scripted labeller drives the labelling page (``python -m fewlabels.app``) in headless
Debian Chromium (Playwright) and answers with the true labels (the oracle). It never
sleeps: each step's *human* time is a fixed, stated delay (:class:`Delays`), and each
step's *machine* time is the real wall time measured from the key press, click or
navigation until the page says it is ready again (``body[data-ready='1']``), plus the
``Workspace.suggest`` call that starts each round (what ``fewlabels suggest`` runs)::

    labels per minute = labels / ((human time + measured machine time) / 60)

Modes (each on a fresh workspace, for a fixed budget of labelling time):

* ``one``: one item at a time, the class key for each item, rounds of ``--round`` items
  (typiclust at cold start, then badge), a new round when one is done;
* ``confident``: "accept all that are right": one round one at a time (to have a model),
  then a pass over the classes, each a grid of up to ``--grid`` unlabelled items the model
  puts in the class with probability >= 0.8 (the first grid of a pass with ``refresh=1``:
  refit on the labels so far); the labeller checks each cell, unticks the wrong ones and
  presses the class key; then the next round one at a time, then another pass, ...;
* ``neighbours``: "more like this": for each item of a round, open its grid of
  ``--grid`` nearest neighbours, untick the cells of another class, press the item's class
  key, go back to the item and label it with its key.

Human time per step (the defaults below, per dataset, are stated in the results):

* ``item_s``: look at one item and press its key (one at a time);
* ``check_s``: judge one unlabelled grid cell (cells already labelled are passed over free);
* ``untick_s``: click the box of a wrong cell;
* ``action_s``: one grid-level action: open a grid, press the class key for the ticked
  cells, go back to the labelling page;
* ``round_s``: start the next round (run ``fewlabels suggest`` in a terminal, reload).

The counts of each step are in the results, so labels per minute can be recomputed for
other delays with :func:`human_seconds`. Test accuracy and macro-F1 of the workspace's
model (its learner, ``auto``, fitted on the labels so far over the pool's embeddings,
scored on the built-in test split, which never enters the workspace) are measured at
checkpoints (every 20 labels to 100, then about every 25% more) outside the timed steps.
The pool's and the test split's embeddings are computed before timing starts (a one-off
cost of a workspace, not of labelling) and reused between runs from ``--cache``.

Usage: ``flock /tmp/fewlabels-heavy.lock .venv/bin/python benchmarks/labelling_speed.py``
(``--datasets digits --minutes 1`` for a quick look). Writes
``benchmarks/results/labelling_speed.json`` and ``labelling_speed.png``, prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
MODES = ("one", "confident", "neighbours")
READY = "body[data-ready='1']"


@dataclass(frozen=True)
class Delays:
    """The simulated labeller's human time per step, in seconds (see the module docstring)."""

    item_s: float = 1.5
    check_s: float = 0.5
    untick_s: float = 0.6
    action_s: float = 1.0
    round_s: float = 5.0

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not (isinstance(value, int | float) and value >= 0):
                raise ValueError(f"Expected a delay >= 0 s for {name}, but got {value!r}.")


#: Per dataset: a digit is judged at a glance; a food review has to be read.
DEFAULT_DELAYS = {
    "digits": Delays(item_s=1.5, check_s=0.5, untick_s=0.6, action_s=1.0, round_s=5.0),
    "finefoods": Delays(item_s=5.0, check_s=3.0, untick_s=0.6, action_s=1.0, round_s=5.0),
}
#: Simulated labelling minutes per run, per dataset.
DEFAULT_MINUTES = {"digits": 5.0, "finefoods": 6.0}


@dataclass
class Tally:
    """What a simulated labeller did: step counts and the measured machine time."""

    items: int = 0
    checks: int = 0
    unticks: int = 0
    actions: int = 0
    rounds: int = 0
    machine_s: float = 0.0
    machine: dict[str, list[float]] = field(default_factory=dict)

    def timed(self, kind: str, fn: Callable[[], Any]) -> Any:
        """Run ``fn``, adding its wall time to the machine time under ``kind``."""
        t = time.perf_counter()
        out = fn()
        dt = time.perf_counter() - t
        self.machine_s += dt
        self.machine.setdefault(kind, []).append(dt)
        return out


def human_seconds(tally: Tally, delays: Delays) -> float:
    """The simulated human time of the steps in ``tally``, in seconds.

    Parameters
    ----------
    tally : Tally
        Counts of items labelled one at a time, grid cells checked, cells unticked, grid
        actions and rounds started.
    delays : Delays

    Returns
    -------
    float
    """
    return (
        tally.items * delays.item_s
        + tally.checks * delays.check_s
        + tally.unticks * delays.untick_s
        + tally.actions * delays.action_s
        + tally.rounds * delays.round_s
    )


def labels_per_minute(labels: int, human_s: float, machine_s: float) -> float:
    """Labels per minute of labelling time: ``labels / ((human_s + machine_s) / 60)``.

    Raises
    ------
    ValueError
        When a time is negative, ``labels`` is negative, or no time passed at all.
    """
    if labels < 0 or human_s < 0 or machine_s < 0:
        raise ValueError(
            f"Expected labels and times >= 0, but got labels={labels}, human_s={human_s}, "
            f"machine_s={machine_s}."
        )
    total = human_s + machine_s
    if total == 0:
        raise ValueError("Expected some labelling time, but human and machine time are both 0.")
    return 60.0 * labels / total


def checkpoints(
    limit: int, *, every: int = 20, dense_until: int = 100, growth: float = 1.25
) -> list[int]:
    """Label counts at which the model is scored: every ``every`` to ``dense_until``, then
    each about ``growth`` times the last (rounded to ``every``), up to ``limit``.

    Returns
    -------
    list of int
        Increasing, all ``<= limit``.
    """
    out: list[int] = []
    n = every
    while n <= limit:
        out.append(n)
        if n < dense_until:
            n += every
        else:
            n = max(n + every, int(n * growth / every + 0.5) * every)
    return out


def due(n_labels: int, schedule: Sequence[int], next_index: int) -> int:
    """The index of the next checkpoint not yet reached once ``n_labels`` are labelled.

    ``next_index`` is returned unchanged when no checkpoint was crossed; one grid action
    crossing several checkpoints moves past all of them (one measurement is taken).
    """
    k = next_index
    while k < len(schedule) and n_labels >= schedule[k]:
        k += 1
    return k


# -- the workspace, the oracle and the model ------------------------------------------------
def oracle(ws: Any) -> dict[str, str]:
    """The true class of each pool item of a workspace on a built-in dataset."""
    from fewlabels.data import load_builtin
    from fewlabels.workspace.source import _opaque_id  # how a workspace names built-in items

    name = ws.config.data.source
    train = load_builtin(name).train
    truth = {
        _opaque_id(name, str(i)): train.classes[int(c)]
        for i, c in zip(train.ids, train.labels, strict=True)
    }
    ids = [str(i) for i in ws.source_dataset().ids]
    missing = [i for i in ids if i not in truth]
    if missing:
        raise RuntimeError(f"{len(missing)} pool items have no true label, e.g. {missing[:3]}")
    return {i: truth[i] for i in ids}


class Scorer:
    """The workspace's learner fitted on the labels so far, scored on the test split."""

    def __init__(self, ws: Any) -> None:
        from fewlabels.data import load_builtin
        from fewlabels.encode import embed
        from fewlabels.encode.base import has_text_side

        self.ws = ws
        emb = ws.embeddings()
        self.X = np.asarray(emb.X)
        self.ids = [str(i) for i in emb.dataset.ids]
        test = load_builtin(ws.config.data.source).test
        temb = embed(test, ws.encoder(), cache_dir=ws.root / "cache", progress=False)
        self.X_test = np.asarray(temb.X)
        self.y_test = np.asarray(temb.dataset.labels)
        self.majority = float(np.bincount(self.y_test).max() / len(self.y_test))
        self.zero_shot = ws.zero_shot() if has_text_side(ws.encoder()) else None

    def __call__(self, labels: dict[str, str]) -> tuple[float | None, float | None, str]:
        """Test accuracy, macro-F1 and the model's name (None, None before 2 classes)."""
        import warnings

        from sklearn.metrics import accuracy_score, f1_score

        from fewlabels.typing import UNLABELED
        from fewlabels.workspace.suggest import _get_learner  # the workspace's own factory

        code = {c: k for k, c in enumerate(self.ws.config.classes)}
        y = np.array([code.get(labels.get(i, ""), UNLABELED) for i in self.ids])
        if np.unique(y[y != UNLABELED]).size < 2:
            return None, None, "none"
        model = _get_learner(self.ws.config.learner, 0, self.zero_shot)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(self.X, y)
            pred = np.asarray(model.predict(self.X_test))
        name = str(getattr(model, "chosen_", type(model).__name__))
        return (
            float(accuracy_score(self.y_test, pred)),
            float(f1_score(self.y_test, pred, average="macro")),
            name,
        )


def make_workspace(root: Path, dataset: str, cache: Path) -> Any:
    """A fresh workspace on ``dataset`` whose embedding cache starts from ``cache``."""
    from fewlabels.workspace import Workspace

    ws = Workspace.init(root, data=dataset)
    if cache.exists():
        shutil.copytree(cache, ws.root / "cache", dirs_exist_ok=True)
    return ws


# -- the simulated labeller ---------------------------------------------------------------
class Labeller:
    """Drives one page for one run; keeps the clock, the counts and the curve."""

    def __init__(
        self,
        page: Any,
        url: str,
        ws: Any,
        truth: dict[str, str],
        scorer: Scorer,
        *,
        delays: Delays,
        budget_s: float,
        round_n: int,
        grid_n: int,
    ) -> None:
        self.page, self.url, self.ws, self.truth, self.scorer = page, url, ws, truth, scorer
        self.delays, self.budget_s = delays, budget_s
        self.round_n, self.grid_n = round_n, grid_n
        self.tally = Tally()
        self.schedule = checkpoints(len(truth))
        self.next_cp = 0
        self.curve: list[dict[str, Any]] = []
        self.keys: dict[str, str] = {}

    # the clock
    def clock(self) -> float:
        return human_seconds(self.tally, self.delays) + self.tally.machine_s

    def done(self) -> bool:
        return self.clock() >= self.budget_s

    def n_labels(self) -> int:
        return len(self.ws.store.current_labels())

    def checkpoint(self, *, force: bool = False) -> None:
        """Score the model when a checkpoint was crossed (outside the measured time)."""
        n = self.n_labels()
        k = due(n, self.schedule, self.next_cp)
        if k == self.next_cp and not force:
            return
        self.next_cp = k
        if self.curve and self.curve[-1]["labels"] == n:
            return
        acc, f1, model = self.scorer(self.ws.store.current_labels())
        self.curve.append(
            {
                "labels": n,
                "time_s": round(self.clock(), 2),
                "accuracy": acc,
                "macro_f1": f1,
                "model": model,
            }
        )

    # the page
    def _ready(self) -> None:
        self.page.wait_for_selector(READY)

    def goto(self, path: str, kind: str) -> None:
        def go() -> None:
            self.page.goto(self.url + path)
            self._ready()

        self.tally.timed(kind, go)

    def _press_and_reload(self, key: str, kind: str) -> None:
        def go() -> None:
            with self.page.expect_navigation():
                self.page.keyboard.press(key)
            self._ready()

        self.tally.timed(kind, go)

    def read_keys(self) -> None:
        """The class keys, read from the page's buttons."""
        buttons = self.page.query_selector_all("button.label[data-key]")
        self.keys = {b.get_attribute("data-label"): b.get_attribute("data-key") for b in buttons}
        if len(self.keys) != len(self.ws.config.classes):
            raise RuntimeError(f"expected a key per class, the page shows {self.keys}")

    def shown(self) -> str | None:
        el = self.page.query_selector("#item")
        return None if el is None else el.get_attribute("data-item-id")

    def label_shown(self) -> bool:
        """Label the item on the labelling page by its key; False when the round is done."""
        item = self.shown()
        if item is None:
            return False
        self.tally.items += 1
        self._press_and_reload(self.keys[self.truth[item]], "label key -> next item")
        if self.page.query_selector("#feedback") is None or "labelled" not in self.page.inner_text(
            "#feedback"
        ):
            raise RuntimeError(f"no feedback after labelling {item}")
        self.checkpoint()
        return True

    def new_round(self) -> None:
        self.tally.rounds += 1
        self.tally.timed("suggest (next round)", lambda: self.ws.suggest(n=self.round_n))
        self.goto("", "reload after suggest")

    def label_round(self) -> None:
        """Label the current round one item at a time (a new round first if it is done)."""
        if self.shown() is None:
            self.new_round()
        while not self.done() and self.label_shown():
            pass

    def grid(self, path: str, label: str, *, kind: str) -> int:
        """Open a grid, untick the cells that are not ``label``, label the rest; how many."""
        self.tally.actions += 1
        self.goto(path, f"open grid ({kind})")
        ticked = 0
        for cell in self.page.query_selector_all("#grid .cell"):
            item = cell.get_attribute("data-item-id")
            box = cell.query_selector(".pick-box")
            if not box.is_checked():  # labelled already: passed over
                continue
            self.tally.checks += 1
            if self.truth[item] != label:
                self.tally.unticks += 1
                self.tally.timed("untick a cell", box.click)
            else:
                ticked += 1
        if ticked:
            self.tally.actions += 1
            self._press_and_reload(self.keys[label], f"grid key -> labelled ({kind})")
            fb = self.page.inner_text("#feedback")
            if fb != f"labelled {ticked} as '{label}' — undo with U":
                raise RuntimeError(f"unexpected feedback after a grid action: {fb!r}")
        self.checkpoint()
        return ticked

    # the modes
    def run_one(self) -> None:
        while not self.done():
            self.label_round()

    def run_confident(self) -> None:
        self.label_round()
        while not self.done():
            for k, c in enumerate(self.ws.config.classes):
                if self.done():
                    break
                refresh = "&refresh=1" if k == 0 else ""
                path = f"grid?mode=confident&class={c}&n={self.grid_n}{refresh}"
                self.grid(path, c, kind="confident")
            if not self.done():
                self.new_round()
                self.label_round()

    def run_neighbours(self) -> None:
        while not self.done():
            item = self.shown()
            if item is None:
                self.new_round()
                continue
            self.grid(
                f"grid?mode=neighbours&item={item}&n={self.grid_n}",
                self.truth[item],
                kind="neighbours",
            )
            if self.done():
                break
            self.tally.actions += 1  # back to the labelling page
            self.goto("", "back to the labelling page")
            if self.shown() != item:
                raise RuntimeError(f"expected {item} on the page again, got {self.shown()}")
            self.label_shown()


def run_mode(
    browser: Any,
    dataset: str,
    mode: str,
    *,
    tmp: Path,
    cache: Path,
    delays: Delays,
    minutes: float,
    round_n: int,
    grid_n: int,
) -> dict[str, Any]:
    """One simulated labelling run; its counts, times and curve."""
    sys.path.insert(0, str(ROOT / "tests"))
    from app.test_app_browser import Server

    ws = make_workspace(tmp / f"{dataset}-{mode}", dataset, cache)
    truth = oracle(ws)
    scorer = Scorer(ws)  # embeds the pool and the test split (cached), before timing
    if not cache.exists():
        shutil.copytree(ws.root / "cache", cache)
    srv = Server(ws.root)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        lab = Labeller(
            page,
            srv.url,
            ws,
            truth,
            scorer,
            delays=delays,
            budget_s=60.0 * minutes,
            round_n=round_n,
            grid_n=grid_n,
        )
        lab.tally.timed("suggest (next round)", lambda: ws.suggest(n=round_n))
        lab.goto("", "first page")
        lab.read_keys()
        getattr(lab, f"run_{mode}")()
        lab.checkpoint(force=True)
    finally:
        page.close()
        srv.kill()
    current = ws.store.current_labels()
    wrong = sum(truth[i] != v for i, v in current.items())
    human = human_seconds(lab.tally, delays)
    t = lab.tally
    return {
        "dataset": dataset,
        "mode": mode,
        "labels": len(current),
        "wrong_labels": wrong,
        "human_s": round(human, 2),
        "machine_s": round(t.machine_s, 2),
        "total_s": round(human + t.machine_s, 2),
        "labels_per_minute": round(labels_per_minute(len(current), human, t.machine_s), 2),
        "counts": {
            "items_one_at_a_time": t.items,
            "grid_cells_checked": t.checks,
            "grid_cells_unticked": t.unticks,
            "grid_actions": t.actions,
            "rounds_started": t.rounds,
        },
        "machine_by_step": {
            kind: {
                "n": len(v),
                "total_s": round(sum(v), 3),
                "median_ms": round(1000 * statistics.median(v), 1),
            }
            for kind, v in t.machine.items()
        },
        "majority_rate": round(scorer.majority, 4),
        "curve": lab.curve,
        "final_accuracy": lab.curve[-1]["accuracy"] if lab.curve else None,
        "final_macro_f1": lab.curve[-1]["macro_f1"] if lab.curve else None,
    }


def plot(runs: list[dict[str, Any]], path: Path) -> None:
    """Test accuracy (solid) and macro-F1 (dashed) against labelling time, per dataset."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    datasets = list(dict.fromkeys(r["dataset"] for r in runs))
    fig, axes = plt.subplots(1, len(datasets), figsize=(6.5 * len(datasets), 4.5), squeeze=False)
    colours = {"one": "tab:blue", "confident": "tab:orange", "neighbours": "tab:green"}
    for ax, name in zip(axes[0], datasets, strict=True):
        for r in (r for r in runs if r["dataset"] == name):
            pts = [p for p in r["curve"] if p["accuracy"] is not None]
            x = [p["time_s"] / 60 for p in pts]
            label = f"{r['mode']} ({r['labels_per_minute']:.0f} labels/min)"
            ax.plot(
                x, [p["accuracy"] for p in pts], "-o", ms=3, color=colours[r["mode"]], label=label
            )
            ax.plot(x, [p["macro_f1"] for p in pts], "--", color=colours[r["mode"]], alpha=0.7)
            maj = r["majority_rate"]
        ax.axhline(maj, color="grey", lw=0.8, ls=":", label=f"majority rate {maj:.2f}")
        ax.set_title(f"{name}: test accuracy (solid), macro-F1 (dashed)")
        ax.set_xlabel("labelling time (min, simulated human + measured page/server)")
        ax.set_ylabel("score on the test split")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _table(runs: list[dict[str, Any]]) -> str:
    head = (
        f"{'dataset':<10} {'mode':<11} {'labels':>6} {'human s':>8} {'machine s':>9} "
        f"{'labels/min':>10} {'acc':>6} {'macro-F1':>8} {'majority':>8} {'wrong':>5}"
    )
    lines = [head, "-" * len(head)]
    for r in runs:
        acc, f1 = r["final_accuracy"], r["final_macro_f1"]
        lines.append(
            f"{r['dataset']:<10} {r['mode']:<11} {r['labels']:>6} {r['human_s']:>8.1f} "
            f"{r['machine_s']:>9.1f} {r['labels_per_minute']:>10.1f} "
            f"{'-' if acc is None else f'{acc:.3f}':>6} {'-' if f1 is None else f'{f1:.3f}':>8} "
            f"{r['majority_rate']:>8.3f} {r['wrong_labels']:>5}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", default="digits,finefoods")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument(
        "--minutes",
        type=float,
        default=None,
        help="simulated labelling minutes per run (default: per dataset)",
    )
    parser.add_argument("--round", type=int, default=20, help="items per round")
    parser.add_argument("--grid", type=int, default=24, help="cells per grid")
    parser.add_argument(
        "--cache",
        default="/tmp/fewlabels-labelling-speed-cache",
        help="embedding caches reused between runs, one folder per dataset",
    )
    parser.add_argument("--out", default=str(RESULTS / "labelling_speed.json"))
    parser.add_argument(
        "--plot-only", action="store_true", help="redraw the PNG from the JSON at --out"
    )
    args = parser.parse_args(argv)
    if args.plot_only:
        saved = json.loads(Path(args.out).read_text())
        plot(saved["runs"], Path(args.out).with_suffix(".png"))
        print(_table(saved["runs"]))
        return
    datasets = [d for d in args.datasets.split(",") if d]
    modes = [m for m in args.modes.split(",") if m]
    for m in modes:
        if m not in MODES:
            parser.error(f"expected modes among {MODES}, got {m!r}")
    for d in datasets:
        if d not in DEFAULT_DELAYS:
            parser.error(f"expected datasets among {sorted(DEFAULT_DELAYS)}, got {d!r}")

    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT / "tests"))
    from app.test_app_browser import CHROMIUM, CHROMIUM_ARGS
    from fewlabels.bench.session import machine_info

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    load_before = os.getloadavg()
    started = time.perf_counter()
    runs: list[dict[str, Any]] = []
    settings: dict[str, Any] = {"round": args.round, "grid": args.grid, "modes": modes}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for d in datasets:
            minutes = args.minutes if args.minutes is not None else DEFAULT_MINUTES[d]
            settings[d] = {"delays": asdict(DEFAULT_DELAYS[d]), "minutes": minutes}
            for m in modes:
                t = time.perf_counter()
                r = run_mode(
                    browser,
                    d,
                    m,
                    tmp=Path(tmp),
                    cache=Path(args.cache) / d,
                    delays=DEFAULT_DELAYS[d],
                    minutes=minutes,
                    round_n=args.round,
                    grid_n=args.grid,
                )
                r["wall_s"] = round(time.perf_counter() - t, 1)
                runs.append(r)
                print(
                    f"{d} {m}: {r['labels']} labels, {r['labels_per_minute']:.1f}/min, "
                    f"wall {r['wall_s']} s",
                    flush=True,
                )
        browser.close()
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    out = {
        "benchmark": "labelling_speed",
        "machine": machine_info(),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "commit": commit,
        "wall_s": round(time.perf_counter() - started, 1),
        "settings": settings,
        "checkpoints": "every 20 labels to 100, then about every 25% more, and at the end",
        "runs": runs,
    }
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2) + "\n")
    plot(runs, path.with_suffix(".png"))
    print(_table(runs))
    print("wrote", path, "and", path.with_suffix(".png"))


if __name__ == "__main__":
    main()
