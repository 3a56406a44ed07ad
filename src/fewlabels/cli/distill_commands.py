"""Distillation commands: distill, predict."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from fewlabels.cli._app import _WS_OPTION, _open_workspace, app, console

if TYPE_CHECKING:
    pass


@app.command("distill")
def distill_cmd(
    workspace: str = _WS_OPTION,
    dataset: str | None = typer.Option(
        None,
        "--dataset",
        help="A built-in dataset instead of a workspace (teacher and student "
        "are then compared on its test split).",
    ),
    per_class: int = typer.Option(
        10,
        "--per-class",
        help="Built-in only: labels per class (multi-label: rows labelled per label).",
    ),
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
    multilabel: bool = typer.Option(
        False,
        "--multilabel",
        help="Require a multi-label distillation (label sets; chosen anyway for a multi-label "
        "dataset such as movielens-genres): a per-label sigmoid student.",
    ),
) -> None:
    """Distil the teacher (encoder + learner) into a small, fast student and export it to ONNX."""
    import warnings

    from rich.markup import escape

    from fewlabels.distill import DistillConfig, distill_builtin, distill_workspace
    from fewlabels.learn.imbalance import CollapseWarning

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
    if multilabel and dataset is not None:
        _check_multilabel_source(dataset)
    with warnings.catch_warnings():
        # a collapse is printed below from the report, once, beside the scores
        warnings.simplefilter("ignore", CollapseWarning)
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
            ws = _open_workspace(workspace)
            if multilabel and getattr(ws.config, "task", "single") != "multilabel":
                from fewlabels.errors import FewlabelsError

                raise FewlabelsError(
                    f"Expected a multi-label workspace for --multilabel, but {str(ws.root)!r} "
                    "has one class per item (task 'single'). Drop --multilabel."
                )
            _warn_stale(Path(out) if out is not None else ws.root / "models" / "student.onnx")
            report = distill_workspace(
                ws,
                out=out,
                student=student,
                config=config,
                student_params=params,
                resize=resize,
            )
    if report.multilabel:
        _print_multilabel(report)
        return
    console.print(
        f"[green]student[/] {report.student.kind} distilled from {report.teacher.name} on "
        f"{report.n_pool} rows ({report.n_labelled} human labels); agrees with the teacher on "
        f"{report.pool_agreement:.1%} of the pool; {report.seconds:.0f}s"
    )
    for msg in report.collapse_warnings:
        console.print(f"[yellow]warning:[/] {escape(msg)}", highlight=False)
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
            f"test ({c.n_test}): teacher accuracy {c.teacher_accuracy:.3f}, balanced accuracy "
            f"{c.teacher_balanced_accuracy:.3f}, macro-F1 {c.teacher_macro_f1:.3f} at "
            f"{c.teacher_items_per_s:,.0f} items/s; student accuracy {c.student_accuracy:.3f}, "
            f"balanced accuracy {c.student_balanced_accuracy:.3f}, macro-F1 "
            f"{c.student_macro_f1:.3f} at {c.student_items_per_s:,.0f} items/s "
            f"({c.speedup:.1f}x faster)"
        )
    console.print(f"wrote {report.path}; next: [bold]fewlabels predict {report.path} DATA[/]")


def _check_multilabel_source(dataset: str) -> None:
    """Refuse ``--multilabel`` with a built-in dataset of one label per item."""
    from fewlabels.data.builtin import list_multilabel_builtin
    from fewlabels.errors import FewlabelsError

    names = [info.name for info in list_multilabel_builtin()]
    if dataset not in names:
        raise FewlabelsError(
            f"Expected a multi-label dataset for --multilabel (one of {names}), but "
            f"{dataset!r} has one label per item. Drop --multilabel, or pick one of those."
        )


def _print_multilabel(report: Any) -> None:
    """The lines of a multi-label distillation: pool agreement, test micro/macro-F1, speed."""
    scores = report.pool_scores or {}
    console.print(
        f"[green]student[/] {report.student.kind} (per-label sigmoid, {report.student.n_classes_} "
        f"labels) distilled from {report.teacher.name} on {report.n_pool} rows "
        f"({report.n_labelled} human label sets); against the teacher over the pool: micro-F1 "
        f"{scores.get('micro_f1', float('nan')):.3f}, macro-F1 "
        f"{scores.get('macro_f1', float('nan')):.3f}; {report.seconds:.0f}s"
    )
    c = report.multilabel_comparison
    if c is not None:
        console.print(
            f"test ({c.n_test}, {c.n_labels} labels, {c.empty_share:.1%} empty sets): teacher "
            f"micro-F1 {c.teacher_micro_f1:.3f}, macro-F1 {c.teacher_macro_f1:.3f} at "
            f"{c.teacher_items_per_s:,.0f} items/s; student micro-F1 {c.student_micro_f1:.3f}, "
            f"macro-F1 {c.student_macro_f1:.3f} at {c.student_items_per_s:,.0f} items/s "
            f"({c.speedup:.1f}x faster); student against teacher micro-F1 "
            f"{c.agreement_micro_f1:.3f}, macro-F1 {c.agreement_macro_f1:.3f}; most frequent "
            f"label for every row: micro-F1 {c.top_label_micro_f1:.3f}, macro-F1 "
            f"{c.top_label_macro_f1:.3f}"
        )
    if "held_out_n" in scores:
        console.print(
            f"held-out label sets ({int(scores['held_out_n'])}, hidden from both): student "
            f"micro-F1 {scores['held_out_student_micro_f1']:.3f}, macro-F1 "
            f"{scores['held_out_student_macro_f1']:.3f}; teacher micro-F1 "
            f"{scores['held_out_teacher_micro_f1']:.3f}, macro-F1 "
            f"{scores['held_out_teacher_macro_f1']:.3f}"
        )
    elif c is None:
        console.print("no held-out score: it needs at least 5 labelled items (and --holdout > 0)")
    console.print(f"wrote {report.path}; next: [bold]fewlabels predict {report.path} DATA[/]")


def _warn_stale(target: Path) -> None:
    """Say so when the student about to be replaced was trained on an older pool."""
    if not target.is_file():
        return
    from rich.markup import escape

    from fewlabels.distill.predict import pool_staleness
    from fewlabels.errors import FewlabelsError

    try:
        stale = pool_staleness(target)
    except FewlabelsError:  # not a student: distill replaces the file anyway
        return
    if stale is not None:
        console.print(f"[yellow]warning:[/] {escape(stale)} Retraining it now.", highlight=False)


@app.command("predict")
def predict_cmd(
    model: str = typer.Argument(..., help="An ONNX file from `fewlabels distill`."),
    data: str = typer.Argument(
        ..., help="An image folder, a CSV/TSV/JSONL/Parquet table or a .txt file (a text a line)."
    ),
    out: str = typer.Option(
        "predictions.csv",
        "--out",
        "-o",
        help="CSV (or .jsonl, .parquet): id, label, probability; for a multi-label student id, "
        "labels (|-joined in CSV, a list in JSONL/Parquet) and one probability per label; "
        "written as the rows stream through.",
    ),
    resize: bool = typer.Option(False, help="Images: resize those of another size than trained."),
    proba: bool = typer.Option(False, "--proba", help="Add one probability column per class."),
    id_column: str | None = typer.Option(
        None, "--id-column", help="Tables: the id column (default: a column named id)."
    ),
    ray: str | None = typer.Option(
        None,
        "--ray",
        metavar="auto|ADDRESS",
        help="Predict the blocks on a Ray cluster (pip install 'fewlabels[ray]'): 'auto' or HOST:PORT.",
    ),
) -> None:
    """Predict with an exported student (onnxruntime only; torch is not needed).

    Ids are kept (paths relative to an image folder, the table's id column, line numbers of a
    .txt file). Unreadable images are skipped and listed. Inputs of any size stream through
    in blocks (bounded memory), with rows done and items/s shown.
    """
    from rich.markup import escape

    from fewlabels.distill.predict import load_student, pool_staleness, predict_to_file

    student = load_student(model)
    summary = predict_to_file(
        student,
        data,
        out,
        resize=resize,
        proba=proba,
        id_column=id_column,
        progress=True,
        ray_address=ray,
    )
    stale = pool_staleness(student)
    if stale is not None:
        console.print(f"[yellow]warning:[/] {escape(stale)}", highlight=False)
    sets = f", {summary.n_empty} with no label" if student.multilabel else ""
    console.print(
        escape(
            f"wrote {out}: {summary.n_predicted} prediction(s){sets}, {summary.counts} "
            f"({summary.items_per_s:,.0f} items/s)"
        ),
        highlight=False,
    )
    skipped = summary.skipped
    if skipped:
        shown = "; ".join(f"{i}: {r}" for i, r in skipped[:10])
        more = f" (and {len(skipped) - 10} more)" if len(skipped) > 10 else ""
        console.print(
            f"[yellow]skipped {len(skipped)} unreadable input(s), not in {escape(out)}:[/] "
            + escape(shown + more),
            highlight=False,
        )
