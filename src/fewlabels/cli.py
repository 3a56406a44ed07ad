"""The ``fewlabels`` command line: thin, it parses and calls the library."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from fewlabels.errors import FewlabelsError, MissingFileError

if TYPE_CHECKING:
    from fewlabels.workspace import Workspace


class _Commands(TyperGroup):
    """The command group with fewlabels' one error handler.

    A :class:`~fewlabels.errors.FewlabelsError` (bad input: its message says what was expected
    and how to fix it) and an ``OSError`` from the machine (permission denied, disk full, a
    port in use) print one line and exit with code 2. Anything else is a bug and keeps its
    traceback.
    """

    def invoke(self, ctx: Any) -> Any:  # a click Context (typer vendors click)
        try:
            return super().invoke(ctx)
        except (FewlabelsError, OSError) as exc:
            raise _fail(exc) from exc


app = typer.Typer(
    cls=_Commands,
    name="fewlabels",
    help="Turn a large unlabelled pool and a few labels into an accurate, compact classifier.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()


def _split_list(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def _esc(value: object) -> str:
    """``value`` as text that Rich prints literally (a class named "[/red]" is no markup)."""
    from rich.markup import escape

    return escape(str(value))


def _fail(exc: BaseException) -> typer.Exit:
    """Print a user error (which says what was expected and how to fix it) and exit 2."""
    from rich.markup import escape

    console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
    return typer.Exit(code=2)


@app.command()
def datasets() -> None:
    """List the built-in datasets (all work offline)."""
    from rich.table import Table

    from fewlabels.data import list_builtin

    table = Table("name", "modality", "train", "test", "classes", "extra", "description")
    for info in list_builtin():
        table.add_row(
            info.name,
            info.modality,
            str(info.n_train),
            str(info.n_test),
            str(info.n_classes),
            info.needs,
            info.description,
        )
    console.print(table)


@app.command()
def encoders() -> None:
    """List the encoder names (offline ones first)."""
    from rich.table import Table

    from fewlabels.encode import list_encoders

    table = Table("name", "modality", "offline", "extra", "description")
    for info in sorted(list_encoders(), key=lambda i: not i.offline):
        table.add_row(
            info.name, info.modality, "yes" if info.offline else "hub", info.extra, info.description
        )
    console.print(table)


@app.command()
def embed(
    source: str = typer.Argument(..., help="Built-in dataset name, image folder or table file."),
    encoder: str = typer.Option(..., "--encoder", "-e", help="Encoder name (see `encoders`)."),
    cache_dir: str | None = typer.Option(None, help="Cache root (default ~/.cache/fewlabels)."),
    text: str | None = typer.Option(None, help="Text column of a table."),
    features: str | None = typer.Option(None, help="Comma-separated feature columns."),
    label: str | None = typer.Option(None, help="Label column of a table (blank = unlabelled)."),
    id_column: str | None = typer.Option(None, "--id", help="Id column of a table."),
    device: str = typer.Option("auto", help="Torch device; auto picks CUDA when present."),
    batch_size: int | None = typer.Option(None, help="Items per forward pass."),
    out: str | None = typer.Option(None, help="Also write the embeddings to this .npy file."),
) -> None:
    """Embed a data source into the resumable on-disk cache."""
    import numpy as np

    from fewlabels.data import load_source
    from fewlabels.encode import embed as embed_dataset
    from fewlabels.encode import get_encoder

    dataset = load_source(
        source, text=text, features=_split_list(features), label=label, id=id_column
    )
    enc = get_encoder(encoder, device=device, batch_size=batch_size)
    result = embed_dataset(dataset, enc, cache_dir=cache_dir)
    # n_encoded counts the inputs this call tried, the unreadable ones included.
    n_skipped = len(result.skipped)
    n_now = max(result.n_encoded - n_skipped, 0)
    console.print(
        f"[green]embedded[/] {len(result.dataset)} item(s) of {_esc(repr(dataset.name))} with "
        f"{_esc(encoder)} -> {result.X.shape[1]}-d ({n_now} encoded now, "
        f"{len(result.dataset) - n_now} from the cache"
        + (f", {n_skipped} unreadable skipped)" if n_skipped else ")")
    )
    if result.skipped:
        console.print(f"[yellow]skipped {n_skipped} unreadable input(s):[/]")
        for item_id, reason in result.skipped[:20]:
            console.print(f"  {_esc(item_id)}: {_esc(reason)}")
    if out:
        np.save(out, np.asarray(result.X))
        console.print(f"wrote {_esc(out)}")


@app.command()
def demo(
    dataset: str = typer.Option("mnist5k", help="Built-in dataset (see `datasets`)."),
    encoder: str | None = typer.Option(None, help="Encoder (a sensible one per dataset)."),
    per_class: int = typer.Option(10, help="Labels per class in the budget."),
    seed: int = typer.Option(0, help="Seed of the budget split and the learners."),
    rounds: int = typer.Option(5, help="Simulated active-learning rounds (0 skips them)."),
    strategy: str = typer.Option("typiclust", help="Active-learning strategy vs random."),
    distill: bool = typer.Option(True, help="Distil, export and compare a student."),
    cache_dir: str | None = typer.Option(None, help="Embedding cache root."),
    out_dir: str | None = typer.Option(None, help="Where the student's ONNX file goes."),
) -> None:
    """The whole pipeline on a built-in dataset: embed, learn, ask, distil."""
    from fewlabels.demo import run_demo

    run_demo(
        dataset=dataset,
        encoder=encoder,
        per_class=per_class,
        seed=seed,
        rounds=rounds,
        strategy=strategy,
        distill=distill,
        cache_dir=cache_dir,
        out_dir=out_dir,
        console=console,
    )


@app.command()
def simulate(
    dataset: str = typer.Option(..., "--dataset", "-d", help="Built-in dataset (see `datasets`)."),
    strategy: str = typer.Option(
        "all",
        "--strategy",
        "-s",
        help="Comma-separated strategies, or 'all' (see fewlabels.active.list_strategies); "
        "random is always added as the reference.",
    ),
    encoder: str | None = typer.Option(None, help="Encoder (default: minilm-int8/pixels/tabular)."),
    learner: str = typer.Option("auto", help="Learner refitted each round (fewlabels.learn)."),
    start: int = typer.Option(0, help="Random seed-set size; 0 = cold start."),
    batch: int = typer.Option(10, help="Labels per round."),
    rounds: int = typer.Option(10, help="Selection rounds."),
    seeds: int = typer.Option(3, help="Seeds 0..N-1."),
    out: str | None = typer.Option(
        None, help="Results table (.csv/.parquet) to append to; default simulate-<dataset>.csv."
    ),
    cache_dir: str | None = typer.Option(None, help="Embedding cache root."),
) -> None:
    """Play the active-learning loop with the true labels as the oracle."""
    from pathlib import Path

    from rich.table import Table

    from fewlabels.active import list_strategies
    from fewlabels.active.curves import compare_to_random
    from fewlabels.active.experiment import run_simulation
    from fewlabels.bench.results import concat_results, read_results, write_results

    names = list_strategies() if strategy.strip() == "all" else _split_list(strategy) or []

    def progress(rows: list[dict[str, object]]) -> None:
        last = rows[-1]
        console.print(
            f"  {_esc(last['strategy']):>16} seed {last['seed']}: {last['n_labels']} labels -> "
            f"accuracy {last['accuracy']:.3f}"
        )

    frame = run_simulation(
        dataset,
        encoder,
        strategies=names,
        learner=learner,
        start=start,
        batch=batch,
        rounds=rounds,
        seeds=seeds,
        cache_dir=cache_dir,
        on_curve=progress,
    )
    summary = compare_to_random(frame)
    target = Path(out or f"simulate-{dataset}.csv")
    if target.exists():
        frame = concat_results([frame, read_results(target)])
    write_results(frame, target)
    table = Table(
        "strategy",
        "final labels",
        "final acc",
        "labels to reach random",
        "ratio",
        title=f"{_esc(dataset)}: labels needed to reach random's final accuracy "
        f"({summary['target'].iloc[0]:.3f})",
    )
    for _, row in summary.iterrows():
        needed = (
            "never"
            if row["labels_needed"] != row["labels_needed"]
            else f"{row['labels_needed']:.0f}"
        )
        ratio = "-" if row["ratio"] != row["ratio"] else f"{row['ratio']:.0%}"
        table.add_row(
            _esc(row["strategy"]),
            str(row["final_labels"]),
            f"{row['final_accuracy']:.3f}",
            needed,
            ratio,
        )
    console.print(table)
    console.print(f"wrote {_esc(target)}")


# --- bench: bench, report ---
@app.command()
def bench(
    protocol: str = typer.Option(
        "quick", "--protocol", "-p", help="Packaged protocol name or a protocol .toml file."
    ),
    out: str | None = typer.Option(
        None, help="Run folder (default runs/<protocol>); rerunning into it resumes."
    ),
    data_root: str | None = typer.Option(
        None, help="Folder holding the image folders of the standard settings (cifar10/...)."
    ),
    encoder: str | None = typer.Option(None, help="Embed every dataset with this encoder instead."),
    cache_dir: str | None = typer.Option(None, help="Embedding cache root."),
    report: bool = typer.Option(True, "--report/--no-report", help="Write the report at the end."),
    retry_failed: bool = typer.Option(
        False, "--retry-failed", help="Run the cells recorded as failed again."
    ),
    list_protocols: bool = typer.Option(False, "--list", help="List the packaged protocols."),
) -> None:
    """Run a benchmark protocol (every dataset x encoder x budget x seed x method), resumably."""
    from pathlib import Path

    from fewlabels.bench import protocol as bench_protocol
    from fewlabels.bench.report import write_report
    from fewlabels.bench.runner import run_protocol, with_encoder

    if list_protocols:
        for name in bench_protocol.list_protocols():
            proto = bench_protocol.load_protocol(name)
            console.print(f"[bold]{name}[/]: {proto.description.splitlines()[0][:100]}")
        return
    proto = bench_protocol.load_protocol(protocol)
    if encoder:
        proto = with_encoder(proto, encoder)
    run_dir = Path(out or Path("runs") / proto.name)
    result = run_protocol(
        proto,
        out=run_dir,
        data_root=data_root,
        cache_dir=cache_dir,
        retry_failed=retry_failed,
        log=console.print,
    )
    if report:
        files = write_report([run_dir], out=run_dir / "report")
    c = result.counts
    console.print(
        f"[green]{proto.name}[/]: {result.ran} cell(s) run, {result.skipped} already done, "
        f"{c['ok']} ok, {c['failed']} failed, {c['n/a']} n/a, in {result.seconds:.0f} s; "
        f"results in {run_dir}/results.csv"
    )
    if report:
        console.print(f"report: {files.markdown} and {files.html}")


@app.command()
def report(
    results: list[str] | None = typer.Argument(
        None,
        help="Results files (.csv/.parquet) or bench run folders; default: the latest "
        "run folder under runs/.",
    ),
    out: str = typer.Option("report", help="Folder for report.md, report.html and figures/."),
    protocol: str | None = typer.Option(
        None, "--protocol", "-p", help="Refuse results of any other protocol (name or .toml)."
    ),
    title: str | None = typer.Option(None, help="Report title."),
) -> None:
    """Write the Markdown and self-contained HTML report of benchmark (and simulate) results."""
    from pathlib import Path

    from fewlabels.bench.protocol import load_protocol
    from fewlabels.bench.report import write_report

    if not results:
        runs = sorted(Path("runs").glob("*/protocol.json"), key=lambda p: p.stat().st_mtime)
        if not runs:
            raise MissingFileError(
                "Expected results to report, but none were given and there is no run "
                "folder under runs/. Run fewlabels bench first or pass RESULTS."
            )
        results = [str(runs[-1].parent)]
        console.print(f"reporting {results[0]}")
    proto = load_protocol(protocol) if protocol else None
    files = write_report(results, out=out, protocol=proto, title=title)
    console.print(f"wrote {files.markdown}, {files.html} and {len(files.figures)} figure(s)")


# --- workspace: init, suggest, label, status, export, import ---
_WS_OPTION = typer.Option(".", "--workspace", "-w", help="The workspace folder.")


def _open_workspace(path: str, on_source_change: str = "error") -> Workspace:
    from fewlabels.workspace import Workspace

    return Workspace.open(path, on_source_change=on_source_change)  # type: ignore[arg-type]


@app.command()
def init(
    directory: str = typer.Argument(..., help="The workspace folder to create."),
    data: str = typer.Option(
        ..., "--data", help="Built-in dataset name, image folder or table file."
    ),
    classes: str | None = typer.Option(
        None, "--classes", help="Comma-separated class names (default: those of the source)."
    ),
    encoder: str | None = typer.Option(None, "--encoder", help="Encoder name (see `encoders`)."),
    text: str | None = typer.Option(None, help="Text column of a table."),
    features: str | None = typer.Option(None, help="Comma-separated feature columns of a table."),
    label: str | None = typer.Option(
        None, help="Label column of a table (its labels are imported)."
    ),
    id_column: str | None = typer.Option(None, "--id", help="Id column of a table."),
    learner: str = typer.Option("auto", help="Learner fitted by `suggest` (fewlabels.learn)."),
) -> None:
    """Create a workspace: fewlabels.toml, labels.db (SQLite, WAL), cache/, models/, reports/.

    A built-in dataset loses its labels; labels already in a folder or table are imported.
    """
    from fewlabels.workspace import Workspace

    ws = Workspace.init(
        directory,
        data=data,
        classes=_split_list(classes),
        encoder=encoder,
        text=text,
        features=_split_list(features),
        label=label,
        id=id_column,
        learner=learner,
    )
    counts = ws.store.label_counts()
    console.print(
        f"[green]created[/] {directory}: {ws.store.n_items()} item(s), "
        f"classes {list(ws.config.classes)}, "
        f"encoder {ws.config.encoder}, {sum(counts.values())} imported label(s)"
    )
    for typo in ws.status(with_accuracy=False).likely_typos:
        console.print(f"[yellow]warning:[/] {_esc(typo.message())}", highlight=False)
    console.print(
        f"next: [bold]fewlabels suggest -w {directory} -n 20[/], "
        f"then [bold]fewlabels label -w {directory}[/]"
    )


@app.command()
def suggest(
    n: int = typer.Option(20, "-n", help="How many items to label in this round."),
    strategy: str | None = typer.Option(
        None,
        "--strategy",
        "-s",
        help="Strategy name (default: typiclust at cold start, then badge).",
    ),
    workspace: str = _WS_OPTION,
) -> None:
    """Embed the pool, fit the model on the labels so far and pick the next round to label."""
    ws = _open_workspace(workspace)
    rnd = ws.suggest(n, strategy=strategy, progress=True)
    from fewlabels.workspace.suggest import leftover_message

    left = leftover_message(rnd.metrics)
    if left is not None:
        console.print(left, markup=False, highlight=False)
    acc = rnd.metrics.get("cv_accuracy")
    console.print(
        f"[green]round {rnd.id}[/] ({_esc(rnd.strategy)}): {len(rnd.item_ids)} item(s) to "
        f"label; {rnd.metrics.get('n_labelled', 0)} labelled so far"
        + (f", cross-validated accuracy {acc:.3f}" if acc is not None else "")
    )
    console.print(f"label them with [bold]fewlabels label -w {_esc(workspace)}[/]")


@app.command("label")
def label_page(
    workspace: str = _WS_OPTION,
    host: str = typer.Option(
        "127.0.0.1", help="Bind address; anything but 127.0.0.1 requires the printed token URL."
    ),
    port: int = typer.Option(0, help="Port (0 = a free one, printed)."),
    no_browser: bool = typer.Option(False, "--no-browser", help="Do not open a browser."),
) -> None:
    """Start the labelling page for the current round (Ctrl+C stops it).

    Keys: 1-9 (and 0 for a 10th class) label, S skip, U undo. Each label is committed to
    labels.db before the next item shows. A second `fewlabels label` on the same workspace
    works: both share labels.db (SQLite WAL) and each page is shown different items.
    """
    from fewlabels.app import serve

    ws = _open_workspace(workspace)
    serve(
        ws,
        host=host,
        port=port,
        open_browser=not no_browser,
        echo=lambda line: console.print(line, soft_wrap=True, highlight=False, markup=False),
    )


@app.command()
def status(
    workspace: str = _WS_OPTION,
    accept_source_changes: bool = typer.Option(
        False,
        "--accept-source-changes",
        help="Re-register items whose content changed in the source.",
    ),
) -> None:
    """Labelled items per class, the model's cross-validated accuracy, and each round's metrics."""
    from rich.table import Table

    ws = _open_workspace(workspace, on_source_change="accept" if accept_source_changes else "error")
    st = ws.status()
    console.print(f"{st.n_labelled} of {st.n_items} item(s) labelled")
    for typo in st.likely_typos:  # a one-item class close to another's name: a mistyped label?
        console.print(f"[yellow]warning:[/] {_esc(typo.message())}", highlight=False)
    table = Table("class", "labelled")
    for name, count in st.labelled_per_class.items():
        table.add_row(_esc(name), str(count))
    console.print(table)
    acc = (
        "n/a (label at least 2 items of 2 classes)"
        if st.cv_accuracy is None
        else f"{st.cv_accuracy:.3f}"
    )
    console.print(f"cross-validated accuracy (ridge classifier on the embeddings, k-fold): {acc}")
    if st.rounds:
        with_test = any("test_accuracy" in r.metrics for r in st.rounds)
        columns = ["round", "strategy", "labelled then", "accuracy then", "items"]
        columns += ["model's guess right"] + (["test accuracy then"] if with_test else [])
        rounds = Table(*columns)
        for r in st.rounds:
            a = r.metrics.get("cv_accuracy")
            t = r.metrics.get("test_accuracy")
            ok, n = st.guesses_right.get(r.id, (0, 0))
            cells = [
                str(r.id),
                _esc(r.strategy),
                str(r.metrics.get("n_labelled", "")),
                "-" if a is None else f"{a:.3f}",
                str(len(r.item_ids)),
                f"{ok} of {n}" if n else "-",
            ]
            rounds.add_row(*cells, *(["-" if t is None else f"{t:.3f}"] if with_test else []))
        console.print(rounds)
        console.print(
            "[dim]Accuracy is estimated on the labelled items; uncertainty sampling picks hard "
            "ones, so it can understate the model.[/]"
        )
    if st.progress is not None:
        console.print(f"current round: {st.progress[0]} / {st.progress[1]} labelled")


@app.command()
def export(
    out: str | None = typer.Argument(
        None,
        help="File to write (.csv or .jsonl); default labels.csv in the workspace. "
        "`fewlabels import` reads it back.",
    ),
    workspace: str = _WS_OPTION,
    history: bool = typer.Option(
        False, "--history", help="Write every history row, not just current labels."
    ),
) -> None:
    """Export the current labels (or the full history) to CSV or JSONL."""
    ws = _open_workspace(workspace, on_source_change="ignore")
    path = ws.export(out, history=history)
    console.print(f"wrote {path}")


@app.command("import")
def import_cmd(
    path: str = typer.Argument(
        ..., help="CSV or JSONL with an id and a label per row (a `fewlabels export` file)."
    ),
    workspace: str = _WS_OPTION,
    overwrite: bool = typer.Option(
        False, "--overwrite", help="Replace conflicting current labels."
    ),
    id_column: str = typer.Option("id", "--id-column", help="The column holding item ids."),
    label_column: str = typer.Option("label", "--label-column", help="The column holding labels."),
) -> None:
    """Import labels from CSV or JSONL (id,label; source=imported).

    Labels for unknown items or classes are reported and nothing is written (exit code 2).
    When every new label conflicts with a current one, nothing is written either (exit code
    1): --overwrite replaces them.
    """
    ws = _open_workspace(workspace, on_source_change="ignore")
    report = ws.import_labels(
        path,
        on_conflict="overwrite" if overwrite else "keep",
        id_column=id_column,
        label_column=label_column,
    )
    colour = "[green]" if report.ok and not report.kept_conflicts else "[yellow]"
    console.print((colour if report.ok else "[bold red]") + _esc(report.summary()) + "[/]")
    if not report.ok:
        raise typer.Exit(code=2)
    if report.only_conflicts:
        console.print(
            "[bold red]nothing was imported:[/] every new label conflicts with a current one; "
            "pass --overwrite to replace them"
        )
        raise typer.Exit(code=1)


@app.command("distill")
def distill_cmd(
    workspace: str = _WS_OPTION,
    dataset: str | None = typer.Option(
        None,
        "--dataset",
        help="A built-in dataset instead of a workspace (teacher and student "
        "are then compared on its test split).",
    ),
    per_class: int = typer.Option(10, "--per-class", help="Built-in only: labels per class."),
    encoder: str | None = typer.Option(None, help="Built-in only: the teacher's encoder."),
    learner: str = typer.Option("auto", help="Built-in only: the teacher's learner."),
    student: str = typer.Option("auto", help="auto, text-ngram, cnn or mlp."),
    out: str | None = typer.Option(
        None, "--out", "-o", help="ONNX file (default <workspace>/models/student.onnx)."
    ),
    temperature: float = typer.Option(2.0, help="Distillation temperature."),
    epochs: int = typer.Option(30, help="Most training epochs (early stopping on teacher labels)."),
    weighting: str = typer.Option(
        "none", help="Weight teacher rows by confidence: none, max, margin, entropy."
    ),
    drop: float = typer.Option(0.0, help="Share of least confident teacher rows to drop."),
    flip: bool = typer.Option(False, help="Images: random horizontal flips (photos, not digits)."),
    seed: int = typer.Option(0, help="Seed of the budget split and of training."),
    device: str = typer.Option("auto", help="Torch device; auto picks CUDA when present."),
    resize: bool = typer.Option(
        False, help="Images: resize those of another size to the most common size."
    ),
    holdout: float = typer.Option(
        0.2, help="Share of each class's labels hidden from teacher and student to score both."
    ),
) -> None:
    """Distil the teacher (encoder + learner) into a small, fast student and export it to ONNX."""
    from fewlabels.distill import DistillConfig, distill_builtin, distill_workspace

    config = DistillConfig(
        temperature=temperature,
        epochs=epochs,
        weighting=weighting,  # type: ignore[arg-type]  # checked by DistillConfig
        drop_fraction=drop,
        random_state=seed,
        device=device,
        progress=True,
        holdout_fraction=holdout,
    )
    params = {"flip": True} if flip else None
    if dataset is not None:
        report = distill_builtin(
            dataset,
            per_class=per_class,
            encoder=encoder,
            learner=learner,
            seed=seed,
            out=out or "student.onnx",
            student=student,
            config=config,
            student_params=params,
            resize=resize,
        )
    else:
        report = distill_workspace(
            _open_workspace(workspace),
            out=out,
            student=student,
            config=config,
            student_params=params,
            resize=resize,
        )
    console.print(
        f"[green]student[/] {report.student.kind} distilled from {report.teacher.name} on "
        f"{report.n_pool} rows ({report.n_labelled} human labels); agrees with the teacher on "
        f"{report.pool_agreement:.1%} of the pool; {report.seconds:.0f}s"
    )
    if report.held_out is not None:
        h = report.held_out
        console.print(
            f"held-out human labels ({h.n}, hidden from both): student accuracy "
            f"{h.student_accuracy:.1%}, teacher accuracy {h.teacher_accuracy:.1%}, "
            f"agreement {h.agreement:.1%}"
        )
    elif dataset is None:
        console.print(
            "no held-out score: it needs at least 2 human labels in every class (and --holdout > 0)"
        )
    if report.comparison is not None:
        c = report.comparison
        console.print(
            f"test ({c.n_test}): teacher accuracy {c.teacher_accuracy:.3f} at "
            f"{c.teacher_items_per_s:,.0f} items/s; student accuracy {c.student_accuracy:.3f} at "
            f"{c.student_items_per_s:,.0f} items/s ({c.speedup:.1f}x faster)"
        )
    console.print(f"wrote {report.path}; next: [bold]fewlabels predict {report.path} DATA[/]")


@app.command("predict")
def predict_cmd(
    model: str = typer.Argument(..., help="An ONNX file from `fewlabels distill`."),
    data: str = typer.Argument(
        ..., help="An image folder, a CSV/TSV/JSONL/Parquet table or a .txt file (a text a line)."
    ),
    out: str = typer.Option("predictions.csv", "--out", "-o", help="CSV: id, label, probability."),
    resize: bool = typer.Option(False, help="Images: resize those of another size than trained."),
    proba: bool = typer.Option(False, "--proba", help="Add one probability column per class."),
    id_column: str | None = typer.Option(
        None, "--id-column", help="Tables: the id column (default: a column named id)."
    ),
) -> None:
    """Predict with an exported student (onnxruntime only; torch is not needed).

    Ids are kept (paths relative to an image folder, the table's id column, line numbers of a
    .txt file). Unreadable images are skipped and listed.
    """
    from rich.markup import escape

    from fewlabels.distill.predict import predict_file

    frame = predict_file(model, data, out=out, resize=resize, proba=proba, id_column=id_column)
    counts = frame["label"].value_counts().to_dict()
    console.print(escape(f"wrote {out}: {len(frame)} prediction(s), {counts}"), highlight=False)
    skipped = frame.attrs.get("skipped", [])
    if skipped:
        shown = "; ".join(f"{i}: {r}" for i, r in skipped[:10])
        more = f" (and {len(skipped) - 10} more)" if len(skipped) > 10 else ""
        console.print(
            f"[yellow]skipped {len(skipped)} unreadable input(s), not in {escape(out)}:[/] "
            + escape(shown + more),
            highlight=False,
        )


def main() -> None:  # pragma: no cover - console-script entry
    app()
