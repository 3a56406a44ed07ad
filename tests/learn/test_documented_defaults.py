"""Every estimator's defaults are the ones its docstring promises.

Each ``name : type, default V`` line of a Parameters section whose ``V`` is a Python
literal must equal ``get_params()[name]`` of an estimator built with no arguments; a
parameter documented without such a line is named in ``DOCUMENTED_OTHERWISE``.
"""

from __future__ import annotations

import ast
import inspect
import re
from typing import Any

import pytest

from fewlabels import learn
from fewlabels.learn.reject import RejectOption

ESTIMATORS: list[type] = [
    learn.Auto,
    learn.ConsistencyTraining,
    learn.KNN,
    learn.LabelSpreading,
    learn.LinearProbe,
    learn.NearestClassMean,
    learn.OneVsRest,
    learn.SelfTraining,
    learn.TabPFN,
    learn.TreeSelfTraining,
    learn.ZeroShot,
    RejectOption,
]

# Parameters whose docstring line gives no literal default (a required value, or one
# described in words), per estimator.
DOCUMENTED_OTHERWISE: dict[str, set[str]] = {
    "Auto": {"candidates", "descriptions", "encoder", "class_names"},
    "OneVsRest": {"base_params"},
    "SelfTraining": {"base"},
    "TabPFN": {"checkpoint_sha256"},
    "ZeroShot": {"descriptions", "templates", "encoder", "class_names"},
}

DEFAULT_LINE = re.compile(r"^(\w+) : [^\n]*?,? default:? ?(.+)$", re.M)


def documented_defaults(cls: type) -> dict[str, Any]:
    """The literal defaults of ``cls``'s Parameters section."""
    doc = inspect.getdoc(cls) or ""
    section = doc.split("Parameters\n----------", 1)[-1].split("Attributes\n----------", 1)[0]
    out: dict[str, Any] = {}
    for name, text in DEFAULT_LINE.findall(section):
        try:
            out[name] = ast.literal_eval(text.strip().strip("`"))
        except (ValueError, SyntaxError):
            continue
    return out


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_defaults_are_the_documented_ones(cls: type) -> None:
    estimator = cls() if cls is not RejectOption else cls(learn.NearestClassMean())
    params = estimator.get_params(deep=False)
    documented = documented_defaults(cls)
    otherwise = DOCUMENTED_OTHERWISE.get(cls.__name__, set())
    assert len(documented) >= 2, f"{cls.__name__}: no default lines were read"
    assert set(params) - set(documented) - {"estimator"} == otherwise
    for name, value in documented.items():
        assert name in params, f"{cls.__name__} documents {name!r}, which it does not take"
        assert params[name] == value, f"{cls.__name__}.{name}: {params[name]!r} != {value!r}"


def test_the_parser_reads_a_default_line() -> None:
    class Toy:
        """Toy.

        Parameters
        ----------
        a : int, default 3
        b : {"x", "y"}, default "y"
        c : callable
            No default line.

        Attributes
        ----------
        z : int, default 9
        """

    assert documented_defaults(Toy) == {"a": 3, "b": "y"}
