"""The benchmark report: Markdown plus one self-contained HTML page.

From a results table (:mod:`fewlabels.bench.results`) the report gives, per (dataset, encoder):
a table of test accuracy (mean ± std over seeds) by method and budget with the best in bold,
the same for macro-F1 and for balanced accuracy, the share of the all-labels ceiling each
method reaches, a learning-curve plot (accuracy against labels per class, one line per method,
a band of ± one std over seeds, the ceiling and the majority-class rate as horizontal lines)
and accuracy against fit time. The majority-class rate and the macro-F1 of always answering
that class are in view; a method within 1 point of either is marked ``(≤ majority)`` and meets
no target, and one whose test predictions go 95% or more to one class is marked
``(collapsed)`` and warned of. A headline table sets the best fewlabels learner against the
best peer on accuracy and macro-F1 (:func:`headline`); rows with an active-learning
``strategy`` are drawn as accuracy against the number of labels, one line per strategy. Published numbers of the standard settings are shown beside
ours. The HTML page embeds its plots as base64 PNGs, so it opens in a browser with no server;
the Markdown file links the same PNGs written to ``figures/``.

The package holds one concept per module:

- :mod:`~.document`: the document model (headings, paragraphs, tables, figures) and its
  Markdown and HTML renderers;
- :mod:`~.aggregate`: results rows grouped into tables, and :func:`headline`;
- :mod:`~.figures`: the plots (matplotlib, imported on first use);
- :mod:`~.build`: :func:`build_report`, one named step per section, and :func:`write_report`.

Reading the results files and checking that they come from one protocol live in
:func:`fewlabels.bench.results.load_for_report` and :mod:`fewlabels.bench.provenance`.
"""

from fewlabels.bench.provenance import check_same_protocol
from fewlabels.bench.report.aggregate import NOT_RUN
from fewlabels.bench.report.build import ReportFiles, build_report, write_report
from fewlabels.bench.report.document import Document, Figure, Table
from fewlabels.bench.report.judgement import headline
from fewlabels.bench.results import load_for_report

__all__ = [
    "NOT_RUN",
    "Document",
    "Figure",
    "ReportFiles",
    "Table",
    "build_report",
    "check_same_protocol",
    "headline",
    "load_for_report",
    "write_report",
]
