"""Mutation score per module: how many small planted bugs the test suite catches.

A measurement, not a CI gate. For each target module this copies ``src/``, ``tests/`` and
``pyproject.toml`` into a scratch folder, adds a ``[tool.mutmut]`` section naming that module
and the tests that mirror it, runs ``mutmut run`` (mutmut 3: it plants one mutant at a time,
operators, constants, comparisons such as ``>=`` to ``>``, and runs the tests that reach the
mutated function) and reads ``mutmut results --all true``.

Usage::

    python benchmarks/mutation.py [--targets losses cache ...] [--out FILE] [--max-minutes M]
                                  [--keep DIR]

Prints a table and writes ``benchmarks/results/mutation.json`` with, per target, the
mutants killed, survived, timed out and not covered, the score (killed / all that ran) and
the wall time, plus the surviving mutant names. ``make mutation`` installs mutmut and runs
this. Run it alone: it keeps both cores busy. Nothing bounds a run but ``--max-minutes``,
which stops a target after that long (mutmut and its workers) and scores the mutants that
ran; the row then says ``"stopped": true``. ``--keep DIR`` keeps each target's scratch copy
in ``DIR/<target>``, where ``mutmut show <mutant>`` prints a survivor's diff. A target measured
again keeps its earlier rows under ``"history"`` (each row has ``finished_utc`` and the
``commit`` of the checkout; its tests may be newer than that commit).
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import tokenize
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "mutation.json"

#: target name -> (glob of the module(s) to mutate, tests that mirror them).
TARGETS: dict[str, tuple[list[str], list[str]]] = {
    "losses": (["src/fewlabels/distill/losses.py"], ["tests/distill/test_losses.py"]),
    "cache": (
        ["src/fewlabels/encode/cache.py"],
        [
            "tests/encode/test_cache.py",
            "tests/encode/test_cache_rules.py",
            "tests/encode/test_cache_forget.py",
            "tests/encode/test_cache_errors.py",
            "tests/encode/test_cache_streaming.py",
            "tests/encode/test_blocks.py",
        ],
    ),
    "store": (["src/fewlabels/store/*"], ["tests/store"]),
    "learn": (["src/fewlabels/learn/*"], ["tests/learn"]),
    # The pure learn modules, one at a time: cheap, and a per-module score ("learn" as a
    # whole, with the estimators and the contract test, runs for hours on 2 cores).
    "pseudo_labels": (
        ["src/fewlabels/learn/pseudo_labels.py"],
        ["tests/learn/test_pseudo_labels.py"],
    ),
    "targets": (["src/fewlabels/learn/targets.py"], ["tests/learn/test_targets.py"]),
    "imbalance": (["src/fewlabels/learn/imbalance.py"], ["tests/learn/test_imbalance.py"]),
    "zero_shot": (["src/fewlabels/learn/zero_shot.py"], ["tests/learn/test_zero_shot.py"]),
    "zero_shot_calibration": (
        ["src/fewlabels/learn/zero_shot_calibration.py"],
        ["tests/learn/test_zero_shot_calibration.py", "tests/learn/test_zero_shot.py"],
    ),
    "active": (["src/fewlabels/active/*"], ["tests/active"]),
}
# One active/ module at a time, with the test file that mirrors it ("active" as a whole runs
# for more than 20 minutes on 2 cores and is stopped before it ends).
TARGETS.update(
    {
        f"active_{m}": (
            [f"src/fewlabels/active/{m}.py"],
            [f"tests/active/test_{m}.py", "tests/active/test_strategies.py"],
        )
        for m in ("typiclust", "badge", "coreset", "uncertainty")
    }
)
TARGETS.update(
    {
        f"active_{m}": ([f"src/fewlabels/active/{m}.py"], [f"tests/active/test_{m}.py"])
        for m in ("loop", "curves", "oracle")
    }
)
# Strategies that wrap another one (class-balanced, dedup) or that only exist through the
# registry (random) are also reached by the strategy-wide tests.
TARGETS.update(
    {
        f"active_{m}": (
            [f"src/fewlabels/active/{m}.py"],
            [f"tests/active/test_{m}.py", "tests/active/test_strategies.py"],
        )
        for m in ("class_balanced", "dedup", "multilabel_uncertainty")
    }
)
TARGETS["active_random"] = (
    ["src/fewlabels/active/random.py"],
    ["tests/active/test_strategies.py", "tests/active/test_base.py"],
)
TARGETS["active_base"] = (
    ["src/fewlabels/active/base.py"],
    ["tests/active/test_base.py", "tests/active/test_strategies.py"],
)
# The learn/ estimators and their helpers, one module at a time, each with the test files that
# reach it (fast tests only; never the contract test, whose scikit-learn checks make every
# mutant run minutes). A module without a test file of its own is run with the files of the
# modules that use it. tabpfn*/ has no target: its real tests load a checkpoint (slow). The
# estimators also run the estimator-wide rules: each default is the documented one, and each
# numeric setting is refused outside its range with the full message.
_ESTIMATOR_RULES = ["test_documented_defaults.py", "test_setting_ranges.py"]
_LEARN_MIRRORS: dict[str, list[str]] = {
    "selection_rule": ["test_selection_rule.py", "test_selection_rule_rules.py"],
    "model_selection": ["test_model_selection.py"],
    "crossfit": ["test_crossfit.py", "test_reject.py", "../audit/test_crossfit.py"],
    "class_means": ["test_class_means.py"],
    "nearest_class_mean": ["test_nearest_class_mean.py", *_ESTIMATOR_RULES],
    "knn": ["test_knn.py", *_ESTIMATOR_RULES],
    "linear_probe": ["test_linear_probe.py", *_ESTIMATOR_RULES],
    "reject": ["test_reject.py", "test_documented_defaults.py"],
    "multilabel": ["test_multilabel.py", "test_documented_defaults.py"],
    "multilabel_metrics": ["test_multilabel_metrics.py", "test_multilabel.py"],
    "multilabel_targets": ["test_multilabel_targets.py", "test_multilabel.py"],
    "multilabel_thresholds": ["test_multilabel_thresholds.py", "test_multilabel.py"],
    "features": ["test_features.py"],
    "ivf_store": ["test_ivf_store.py"],
    "knn_graph": ["test_knn_graph.py", "test_knn_graph_index.py"],
    "ivf_graph": ["test_ivf_graph.py", "test_ivf_graph_rules.py"],
    # label spreading on the cache: it saves and reads the partition and the index
    "label_spreading": [
        "test_label_spreading.py",
        "test_solve_order.py",
        "test_ivf_store.py",
        "test_knn_graph_index.py",
        *_ESTIMATOR_RULES,
    ],
    "self_training": ["test_self_training.py", *_ESTIMATOR_RULES],
    "trees": ["test_trees.py", *_ESTIMATOR_RULES],
    "consistency": ["test_consistency.py", *_ESTIMATOR_RULES],
    "auto": ["test_auto.py", *_ESTIMATOR_RULES],
    "base": ["test_base_rules.py", "test_common.py"],
    "registry": ["test_registry.py"],
    "threads": ["test_linear_probe.py", "test_consistency.py"],
}
TARGETS.update(
    {
        f"learn_{m}": (
            [f"src/fewlabels/learn/{m}.py"],
            [os.path.normpath(f"tests/learn/{t}") for t in tests],
        )
        for m, tests in _LEARN_MIRRORS.items()
    }
)
# One store/ module at a time. The store's tests go through ``LabelStore`` (each file pins a
# behaviour, not a module), so each module is measured with all of ``tests/store``: SQLite in
# a temporary folder, 85 tests in seconds, and mutmut only runs those that reach the mutant.
TARGETS.update(
    {
        f"store_{m.strip('_')}": ([f"src/fewlabels/store/{m}.py"], ["tests/store"])
        for m in (
            "schema",
            "records",
            "_base",
            "forgetting",
            "exclusions",
            "reviews",
            "batches",
            "rounds",
            "label_sets",
            "annotators",
            "label_store",
        )
    }
)


def mutmut_section(only: list[str], tests: list[str]) -> str:
    """The ``[tool.mutmut]`` table for one target (fast tests only: ``-m 'not slow'``)."""
    quoted = ", ".join(json.dumps(p) for p in only)
    selection = ", ".join(json.dumps(t) for t in [*tests, "-m", "not slow"])
    return (
        "\n[tool.mutmut]\n"
        'source_paths = ["src/fewlabels"]\n'
        f"only_mutate = [{quoted}]\n"
        f"pytest_add_cli_args_test_selection = [{selection}]\n"
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-q", "-x"]\n'
        # Workers forked from a process that ran torch or faiss hang on their thread pools:
        # fork them from a clean server (which only collects the tests) instead.
        'process_isolation = "forkserver"\n'
        'forkserver_warmup = "collect"\n'
    )


def _tokens(lines: list[str]) -> list[tuple[int, str]]:
    """(type, text) of the tokens of a function body (its statements, from the first)."""
    body = "\n".join(lines) + "\n"
    out = []
    for tok in tokenize.generate_tokens(io.StringIO(textwrap.dedent(body)).readline):
        if tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT):
            out.append((tok.type, tok.string))
    return out


#: numpy constructors whose ``dtype`` defaults to float64 (``np.full`` does not: its default is
#: the fill value's type, so it is not here).
_FLOAT64_DEFAULT = {"zeros", "ones", "empty"}


def _is_float64(node: ast.expr | None) -> bool:
    """``np.float64`` or ``numpy.float64`` (or None, which numpy reads as float64 here)."""
    if node is None or (isinstance(node, ast.Constant) and node.value is None):
        return True
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "float64"
        and isinstance(node.value, ast.Name)
        and node.value.id in ("np", "numpy")
    )


class _DefaultDtype(ast.NodeTransformer):
    """Rewrites every float64 that numpy would pick anyway to its default spelling:
    ``np.zeros/ones/empty(..., dtype=np.float64 or None)`` loses the keyword and
    ``x.astype(np.float64)`` becomes ``x.astype(None)`` (``np.dtype(None)`` is float64)."""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr in _FLOAT64_DEFAULT
            and isinstance(func.value, ast.Name)
            and func.value.id in ("np", "numpy")
        ):
            node.keywords = [
                k for k in node.keywords if not (k.arg == "dtype" and _is_float64(k.value))
            ]
        elif isinstance(func, ast.Attribute) and func.attr == "astype" and not node.keywords:
            if len(node.args) == 1 and _is_float64(node.args[0]):
                node.args = [ast.Constant(value=None)]
        return node


def float64_default_only(orig: list[str], mutant: list[str]) -> bool:
    """Whether a mutant only respells a float64 that numpy picks by default (equivalent).

    ``np.zeros(n, dtype=np.float64)`` against ``np.zeros(n, dtype=None)`` or ``np.zeros(n, )``,
    and ``x.astype(np.float64)`` against ``x.astype(None)``: numpy documents float64 as the
    default of ``zeros``, ``ones`` and ``empty``, and ``np.dtype(None)`` is float64. Other
    dtype mutants (``np.asarray(x, dtype=None)`` keeps an integer input integer; float32) are
    not equivalent in general and stay ``"code"``.

    Parameters
    ----------
    orig, mutant : list of str
        The source lines of the two function bodies (indented as in the file).
    """
    try:
        trees = [ast.parse(textwrap.dedent("\n".join(lines) + "\n")) for lines in (orig, mutant)]
    except SyntaxError:
        return False
    if ast.dump(trees[0]) == ast.dump(trees[1]):
        return False  # not a change this rule explains (e.g. a string-only change)
    a, b = (ast.dump(_DefaultDtype().visit(t)) for t in trees)
    return a == b


#: Words an SQL statement or a clause built by concatenation starts with.
_SQL_STARTS = {
    "SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER", "PRAGMA", "WITH",
    "REPLACE", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "WHERE", "AND", "OR",
    "ORDER", "GROUP", "FROM", "JOIN", "LEFT", "ON", "SET", "VALUES", "LIMIT", "HAVING",
    "UNION", "EXCEPT", "INTERSECT", "AS", "NOT", "IN",
}  # fmt: skip


def _literal_body(token: str) -> str:
    """A string token's text between its quotes (prefixes such as f or r dropped)."""
    body = token.lstrip("rRbBuUfF")
    quote = body[:3] if body[:3] in ('"""', "'''") else body[:1]
    return body[len(quote) : len(body) - len(quote)]


def sql_case_only(orig: str, mutant: str) -> bool:
    """Whether a string token's mutant only changes the case of SQL keywords and names.

    SQLite reads keywords and table and column names case-insensitively, and fewlabels
    reads rows by position, so such a mutant is equivalent. What stays case-sensitive must
    be unchanged: quoted literals inside the SQL (``'pseudo'``, JSON paths) and the Python
    inside an f-string's braces. The original must read as SQL: its first word an upper-case
    statement or clause keyword (a message in sentence case is not SQL).

    Parameters
    ----------
    orig, mutant : str
        The two string tokens, quotes and prefixes included.
    """
    a, b = _literal_body(orig), _literal_body(mutant)
    if a == b or a.lower() != b.lower():
        return False
    first = re.match(r"\s*([A-Za-z_]+)", a)
    if first is None or first.group(1) not in _SQL_STARTS:
        return False
    kept = r"'[^']*'|\"[^\"]*\"|\{[^}]*\}"
    return re.findall(kept, a) == re.findall(kept, b)


def classify(work: Path, survivors: list[str]) -> dict[str, str]:
    """Sort surviving mutants by what they changed, from mutmut's mutated sources.

    ``"string case"``: only the letter case of string literals (SQL keywords and names are
    case-insensitive in SQLite, so those are equivalent; in messages it is cosmetic);
    ``"string text"``: only other string-literal text (messages, mostly); ``"code"``: any
    other change (an operator, a constant, an argument): these are the ones a test should pin;
    ``"SQL case"``: only the case of SQL keywords and names, quoted literals and f-string
    braces unchanged (:func:`sql_case_only`), equivalent in SQLite;
    ``"float64 default"``: a ``dtype=np.float64`` dropped or set to None where numpy's default
    is float64 anyway (:func:`float64_default_only`), equivalent by numpy's documentation.
    """
    functions: dict[Path, dict[str, list[str]]] = {}
    kinds: dict[str, str] = {}
    for name in survivors:
        module, func = name.rsplit(".", 1)
        path = work / "mutants" / "src" / (module.replace(".", "/") + ".py")
        if path not in functions:
            text = path.read_text()
            lines = text.splitlines()
            functions[path] = {
                n.name: lines[n.body[0].lineno - 1 : n.end_lineno]
                for n in ast.walk(ast.parse(text))
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
            }
        orig = functions[path].get(re.sub(r"__mutmut_\d+$", "__mutmut_orig", func))
        mutant = functions[path].get(func)
        if orig is None or mutant is None:
            kinds[name] = "code"
            continue
        try:
            a, b = _tokens(orig), _tokens(mutant)
        except (SyntaxError, tokenize.TokenError):
            kinds[name] = "code"
            continue
        if float64_default_only(orig, mutant):
            kinds[name] = "float64 default"
            continue
        if len(a) != len(b):
            kinds[name] = "code"
            continue
        changed = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
        if changed and all(x[0] == y[0] == tokenize.STRING for x, y in changed):
            same_case = all(x[1].lower() == y[1].lower() for x, y in changed)
            if same_case and all(sql_case_only(x[1], y[1]) for x, y in changed):
                kinds[name] = "SQL case"
            else:
                kinds[name] = "string case" if same_case else "string text"
        else:
            kinds[name] = "code"
    return kinds


def _run_bounded(cmd: list[str], cwd: Path, env: dict[str, str], limit_s: float | None) -> Any:
    """Run ``cmd`` in its own process group; past ``limit_s`` stop the whole group (mutmut's
    workers too) and return None. mutmut keeps each finished mutant's result on disk, so
    ``mutmut results`` still lists those; the others read "not checked"."""
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=limit_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
        return None
    return subprocess.CompletedProcess(cmd, proc.returncode, out, "")


def run_target(
    name: str, mutmut: str, *, limit_s: float | None = None, keep: Path | None = None
) -> dict[str, object]:
    """Run mutmut on one target in a scratch copy; return its counts and survivors.

    With ``limit_s``, the run is stopped after that many seconds and the row says
    ``"stopped": true``: the score then covers the mutants that ran. With ``keep``, the
    scratch copy is ``keep/<name>`` (emptied first) and stays after the run, so that
    ``mutmut show <mutant>`` can be run inside it to read a survivor's diff."""
    only, tests = TARGETS[name]
    with tempfile.TemporaryDirectory(prefix=f"mutation-{name}-") as tmp:
        work = Path(tmp) if keep is None else keep / name
        if keep is not None:
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir(parents=True)
        for part in ("src", "tests"):
            shutil.copytree(ROOT / part, work / part, ignore=shutil.ignore_patterns("__pycache__"))
        text = (ROOT / "pyproject.toml").read_text()
        (work / "pyproject.toml").write_text(text + mutmut_section(only, tests))
        # One thread per library: no OpenMP or BLAS pool survives a fork half-initialised.
        threads = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
        env = {**os.environ, **threads, "PYTHONDONTWRITEBYTECODE": "1"}
        start = time.perf_counter()
        run = _run_bounded([mutmut, "run"], work, env, limit_s)
        seconds = time.perf_counter() - start
        listing = subprocess.run(
            [mutmut, "results", "--all", "true"],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        statuses: dict[str, str] = {}
        for line in listing.splitlines():
            m = re.match(r"\s*(\S+): (.+)$", line)
            if m:
                statuses[m.group(1)] = m.group(2).strip()
        kinds = classify(work, [k for k, s in statuses.items() if s == "survived"])
    counts: dict[str, int] = {}
    for status in statuses.values():
        counts[status] = counts.get(status, 0) + 1
    ran = sum(n for s, n in counts.items() if s not in ("no tests", "not checked", "skipped"))
    killed = counts.get("killed", 0) + counts.get("timeout", 0)
    return {
        "target": name,
        "modules": only,
        "tests": tests,
        "mutants": len(statuses),
        "counts": counts,
        "killed_or_timeout": killed,
        "ran": ran,
        "score": killed / ran if ran else float("nan"),
        "seconds": round(seconds, 1),
        "survivors_by_kind": {
            kind: sum(1 for k in kinds.values() if k == kind)
            for kind in ("code", "string text", "string case", "SQL case", "float64 default")
        },
        "survivors": {k: kinds[k] for k in sorted(kinds)},
        "stopped": run is None,
        "limit_s": limit_s,
        "returncode": None if run is None else run.returncode,
        "log_tail": (run.stdout or "")[-400:] if run is not None and run.returncode else "",
    }


def _commit() -> str:
    """``git rev-parse HEAD`` of the checkout measured (its tests may be uncommitted)."""
    out = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    return out.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--targets", nargs="+", default=list(TARGETS), choices=list(TARGETS))
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--max-minutes",
        type=float,
        default=None,
        help="stop each target after this long and score the mutants that ran (default: none)",
    )
    parser.add_argument(
        "--keep",
        type=Path,
        default=None,
        help="keep each target's scratch copy in KEEP/<target> (for `mutmut show`)",
    )
    args = parser.parse_args()
    mutmut = shutil.which("mutmut", path=str(Path(sys.executable).parent)) or "mutmut"
    previous = json.loads(args.out.read_text()) if args.out.exists() else {"targets": {}}
    load_before = os.getloadavg()
    for name in args.targets:
        limit = None if args.max_minutes is None else 60.0 * args.max_minutes
        row = run_target(name, mutmut, limit_s=limit, keep=args.keep)
        row["finished_utc"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        row["commit"] = _commit()
        if name in previous["targets"]:
            # Keep the earlier measurements of this target, oldest first.
            earlier = previous["targets"][name]
            history = earlier.pop("history", [])
            row["history"] = [*history, earlier]
        previous["targets"][name] = row
        print(
            f"{name:8s} killed {row['killed_or_timeout']:5d} / ran {row['ran']:5d} "
            f"= {row['score']:.1%}  ({row['mutants']} mutants, {row['seconds']:.0f} s, "
            f"{len(row['survivors'])} survived) {row['counts']}"
            + ("  STOPPED at the time limit" if row["stopped"] else ""),
            flush=True,
        )
        # Written after every target, so a long run stopped half way keeps what it measured.
        row["load_average_before"] = [round(x, 2) for x in load_before]
        row["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        load_before = os.getloadavg()
        previous["machine"] = f"{platform.platform()}, {os.cpu_count()} cores"
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(previous, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
