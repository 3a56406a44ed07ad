"""Benchmarks: protocols as data, peers, the resumable runner, the results table and the report."""

from fewlabels.bench.methods import (
    MethodContext,
    MethodSpec,
    get_method,
    list_methods,
    register_method,
    unregister_method,
)
from fewlabels.bench.protocol import (
    Budget,
    DatasetEntry,
    Limit,
    Protocol,
    list_protocols,
    load_protocol,
)
from fewlabels.bench.report import write_report
from fewlabels.bench.results import read_results, write_results
from fewlabels.bench.runner import RunResult, run_protocol

__all__ = [
    "Budget",
    "DatasetEntry",
    "Limit",
    "MethodContext",
    "MethodSpec",
    "Protocol",
    "RunResult",
    "get_method",
    "list_methods",
    "list_protocols",
    "load_protocol",
    "read_results",
    "register_method",
    "run_protocol",
    "unregister_method",
    "write_report",
    "write_results",
]
