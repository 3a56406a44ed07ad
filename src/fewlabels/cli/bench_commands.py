"""Benchmark commands: bench, report."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from fewlabels.cli._app import app, console
from fewlabels.errors import MissingFileError

if TYPE_CHECKING:
    pass


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
    from fewlabels.bench.report import headline, write_report
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
    head = headline(result.results)
    if not head.empty:
        met = int((head["target"] == "met").sum())
        console.print(
            f"target (best fewlabels learner >= best peer on accuracy and macro-F1, above the "
            f"majority class) met in {met} of {len(head)} dataset/budget pair(s)"
        )
        for r in head[head["target"] != "met"].to_dict("records"):
            console.print(
                f"  missed on {r['dataset']} ({r['encoder']}) {r['budget']}: {r['missed_on']}",
                highlight=False,
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
