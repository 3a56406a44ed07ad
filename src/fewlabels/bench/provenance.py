"""Which protocol a results table came from, and refusing tables that do not belong together.

A bench run folder records its protocol in ``protocol.json``; a bare results file only says
what its rows hold (protocol name, dataset/encoder pairs, budgets, seeds, methods). Either is
compared field by field, so that an error names what differs. Active-learning rows (with a
``strategy``) come from ``fewlabels simulate`` and are never checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from fewlabels.bench.protocol import Protocol, protocol_differences
from fewlabels.errors import FewlabelsError

__all__ = ["check_one_protocol", "check_same_protocol", "fields_from_rows"]


def fields_from_rows(frame: pd.DataFrame) -> dict[str, Any]:
    """What a bench results table says about the protocol that produced it."""
    bench = frame[frame["strategy"] == ""]
    return {
        "name": sorted(set(bench["protocol"])),
        "datasets": sorted(
            f"{d}/{e}" for d, e in set(zip(bench["dataset"], bench["encoder"], strict=True))
        ),
        "budgets": sorted(set(bench[bench["method_kind"] != "ceiling"]["budget"]) - {""}),
        "seeds": sorted(int(s) for s in set(bench["seed"])),
        "methods": sorted(set(bench["method"])),
    }


def _fields_from_protocol(protocol: Protocol) -> dict[str, Any]:
    budgets = {b.label for b in protocol.budgets}
    for d in protocol.datasets:
        budgets |= {b.label for b in protocol.budgets_for(d)}
    return {
        "name": [protocol.name],
        "datasets": sorted(d.key for d in protocol.datasets),
        "budgets": sorted(budgets),
        "seeds": sorted(protocol.seeds),
    }


def check_same_protocol(
    frame: pd.DataFrame,
    protocol: Protocol,
    *,
    recorded: dict[str, Any] | None = None,
    source: str = "the results",
) -> None:
    """Refuse results that another protocol produced, naming the fields that differ.

    Parameters
    ----------
    frame : DataFrame
        Conformed results (active-learning rows are ignored).
    protocol : Protocol
        The protocol the report is meant for.
    recorded : dict, optional
        The ``protocol.json`` of the run folder, when there is one: compared field by field.
    source : str
        What to call the results in the message (a path).
    """
    if recorded is not None:
        diff = protocol_differences(recorded, protocol.to_dict())
    else:
        have = fields_from_rows(frame)
        want = _fields_from_protocol(protocol)
        diff = {k: (have[k], want[k]) for k in want if have[k] != want[k]}
    if diff:
        lines = "; ".join(
            f"{k}: results have {a!r}, protocol {protocol.name!r} has {b!r}"
            for k, (a, b) in diff.items()
        )
        raise FewlabelsError(
            f"{source} come from a different protocol than {protocol.name!r} ({lines}). "
            "Pass the results of that protocol, or the matching --protocol."
        )


def check_one_protocol(
    tables: Sequence[tuple[str, dict[str, Any] | None, pd.DataFrame]],
) -> None:
    """Refuse bench tables of different protocols, naming the first two and what differs.

    Parameters
    ----------
    tables : sequence of (source, recorded protocol or None, bench rows)
        One item per results file or run folder; items without bench rows are skipped.
        Two recorded protocols are compared field by field, else what the rows say.
    """
    with_bench = [t for t in tables if not t[2].empty]
    if len(with_bench) < 2:
        return
    first_path, first_rec, first_bench = with_bench[0]
    for other_path, other_rec, other_bench in with_bench[1:]:
        if first_rec is not None and other_rec is not None:
            diff = protocol_differences(first_rec, other_rec)
        else:
            a, b = fields_from_rows(first_bench), fields_from_rows(other_bench)
            diff = {k: (a[k], b[k]) for k in a if a[k] != b[k]}
        if diff:
            lines = "; ".join(f"{k}: {x!r} vs {y!r}" for k, (x, y) in diff.items())
            raise FewlabelsError(
                f"{first_path} and {other_path} come from different protocols ({lines}). "
                "Report them separately."
            )
