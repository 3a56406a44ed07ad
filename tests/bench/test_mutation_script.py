"""The survivor classes of benchmarks/mutation.py: which mutants count as equivalent.

A mutant set aside as equivalent lowers what the docs call missed, so the rule that sets it
aside must not take a real change: each case below is one mutmut wrote on fewlabels' code.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "mutation.py"


@pytest.fixture(scope="module")
def mutation() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mutation_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["mutation_script"] = module
    spec.loader.exec_module(module)
    return module


ORIG = "    return np.zeros(X.shape[0], dtype=np.float64)"


@pytest.mark.parametrize(
    ("orig", "mutant"),
    [
        (ORIG, "    return np.zeros(X.shape[0], dtype=None)"),
        (ORIG, "    return np.zeros(X.shape[0], )"),
        ("    w = np.ones(n, dtype=np.float64)", "    w = np.ones(n, )"),
        ("    v = np.empty((n, d), dtype=np.float64)", "    v = np.empty((n, d), dtype=None)"),
        ("    s = o @ X[k].astype(np.float64)", "    s = o @ X[k].astype(None)"),
        (
            "    c = np.bincount(a, minlength=m).astype(np.float64)",
            "    c = np.bincount(a, minlength=m).astype(None)",
        ),
    ],
)
def test_a_dropped_float64_that_numpy_defaults_to_is_equivalent(
    mutation: ModuleType, orig: str, mutant: str
) -> None:
    assert mutation.float64_default_only([orig], [mutant])


@pytest.mark.parametrize(
    ("orig", "mutant"),
    [
        # asarray keeps an integer input integer: not equivalent in general
        ("    X = np.asarray(X, dtype=np.float64)", "    X = np.asarray(X, dtype=None)"),
        ("    X = np.asarray(X, dtype=np.float64)", "    X = np.asarray(X, )"),
        # float32 is not numpy's default
        ("    m = np.zeros(n, dtype=np.float32)", "    m = np.zeros(n, dtype=None)"),
        ("    y = x.astype(np.float32)", "    y = x.astype(None)"),
        # np.full takes its default from the fill value
        ("    f = np.full(n, 0, dtype=np.float64)", "    f = np.full(n, 0, dtype=None)"),
        ("    k = np.zeros(n, dtype=np.int64)", "    k = np.zeros(n, )"),
        # a change beside the dtype
        (ORIG, "    return np.zeros(X.shape[1], dtype=None)"),
        # no change at all, or only a string
        (ORIG, ORIG),
        ('    raise E("a")', '    raise E("XXaXX")'),
    ],
)
def test_any_other_change_is_not_set_aside(mutation: ModuleType, orig: str, mutant: str) -> None:
    assert not mutation.float64_default_only([orig], [mutant])


def test_a_multi_line_body_is_compared_whole(mutation: ModuleType) -> None:
    orig = ["    w = np.ones(n, dtype=np.float64)", "    return w / n"]
    assert mutation.float64_default_only(orig, ["    w = np.ones(n, )", "    return w / n"])
    assert not mutation.float64_default_only(orig, ["    w = np.ones(n, )", "    return w * n"])


@pytest.mark.parametrize(
    ("orig", "mutant"),
    [
        (
            '"SELECT 1 FROM closed_rounds WHERE round_id=?"',
            '"select 1 from closed_rounds where round_id=?"',
        ),
        ('"ORDER BY rank"', '"ORDER BY RANK"'),
        (
            "\"SELECT item_id FROM current_labels WHERE source != 'pseudo'\"",
            "\"select item_id from current_labels where source != 'pseudo'\"",
        ),
        ('f"SELECT {col} FROM t"', 'f"select {col} from t"'),
        ('"AND undoes IS NULL"', '"and undoes is null"'),
    ],
)
def test_the_case_of_sql_keywords_and_names_is_equivalent(
    mutation: ModuleType, orig: str, mutant: str
) -> None:
    assert mutation.sql_case_only(orig, mutant)


@pytest.mark.parametrize(
    ("orig", "mutant"),
    [
        # a quoted literal inside the SQL is compared case-sensitively
        (
            "\"SELECT item_id FROM current_labels WHERE source != 'pseudo'\"",
            "\"SELECT ITEM_ID FROM CURRENT_LABELS WHERE SOURCE != 'PSEUDO'\"",
        ),
        (
            "\"SELECT json_extract(m, '$.Key') FROM t\"",
            "\"select json_extract(m, '$.key') from t\"",
        ),
        # the Python inside an f-string's braces
        ('f"SELECT {col} FROM t"', 'f"SELECT {COL} FROM T"'),
        # messages are not SQL, even when they begin with a keyword in sentence case
        ('"Select a label first."', '"SELECT A LABEL FIRST."'),
        ('"expected 3 rows"', '"EXPECTED 3 ROWS"'),
        # not only a case change, or no change
        ('"SELECT 1 FROM t"', '"SELECT 2 FROM t"'),
        ('"SELECT 1 FROM t"', '"SELECT 1 FROM t"'),
    ],
)
def test_other_string_changes_are_not_sql_case(
    mutation: ModuleType, orig: str, mutant: str
) -> None:
    assert not mutation.sql_case_only(orig, mutant)
