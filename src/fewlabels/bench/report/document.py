"""A tiny document model (headings, paragraphs, tables, figures), rendered to Markdown and HTML.

The report writes only two inline Markdown spans, backquoted code and ``**bold**``; the HTML
renderer escapes everything else. The HTML page embeds each figure as a base64 PNG, so it
opens in a browser with no server; the Markdown links ``figures/<name>``.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Document", "Figure", "Table", "to_html", "to_markdown"]


@dataclass
class Table:
    """A table of text cells; ``bold`` holds the (row, column) positions to set in bold."""

    header: list[str]
    rows: list[list[str]]
    bold: set[tuple[int, int]] = field(default_factory=set)


@dataclass
class Figure:
    """A PNG image, written as ``figures/<name>`` beside the Markdown."""

    name: str
    png: bytes
    alt: str


@dataclass
class Document:
    """Blocks in reading order: ``("h", (level, text))``, ``("p", text)``, tables, figures."""

    blocks: list[tuple[str, Any]] = field(default_factory=list)

    def h(self, level: int, text: str) -> None:
        self.blocks.append(("h", (level, text)))

    def p(self, text: str) -> None:
        self.blocks.append(("p", text))

    def table(self, table: Table) -> None:
        self.blocks.append(("table", table))

    def figure(self, fig: Figure) -> None:
        self.blocks.append(("fig", fig))

    @property
    def figures(self) -> list[Figure]:
        """The figures, in order."""
        return [value for kind, value in self.blocks if kind == "fig"]


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|")


def to_markdown(doc: Document) -> str:
    """The document as Markdown (figures as links to ``figures/<name>``)."""
    out: list[str] = []
    for kind, value in doc.blocks:
        if kind == "h":
            out.append(f"{'#' * value[0]} {value[1]}\n")
        elif kind == "p":
            out.append(f"{value}\n")
        elif kind == "table":
            t: Table = value
            out.append("| " + " | ".join(_md_cell(h) for h in t.header) + " |")
            out.append("|" + "|".join("---" for _ in t.header) + "|")
            for r, row in enumerate(t.rows):
                cells = [
                    f"**{_md_cell(c)}**" if (r, k) in t.bold and c else _md_cell(c)
                    for k, c in enumerate(row)
                ]
                out.append("| " + " | ".join(cells) + " |")
            out.append("")
        elif kind == "fig":
            out.append(f"![{value.alt}](figures/{value.name})\n")
    return "\n".join(out)


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;
margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}
th:first-child,td:first-child{text-align:left}
th{background:#f3f3f3}
img{max-width:100%;height:auto;border:1px solid #eee}
code{background:#f5f5f5;padding:0 .2em}
"""


def _inline_html(text: str) -> str:
    """Escape, then render `code` and **bold** spans (the only Markdown the report writes)."""
    parts = html.escape(text).split("`")
    for i in range(1, len(parts), 2):
        parts[i] = f"<code>{parts[i]}</code>"
    joined = "".join(parts)
    pieces = joined.split("**")
    for i in range(1, len(pieces), 2):
        pieces[i] = f"<b>{pieces[i]}</b>"
    return "".join(pieces)


def _table_html(t: Table) -> list[str]:
    out = [
        "<table><thead><tr>"
        + "".join(f"<th>{html.escape(h)}</th>" for h in t.header)
        + "</tr></thead><tbody>"
    ]
    for r, row in enumerate(t.rows):
        cells = []
        for k, c in enumerate(row):
            text = html.escape(c)
            cells.append(
                f"<td><b>{text}</b></td>" if (r, k) in t.bold and c else f"<td>{text}</td>"
            )
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return out


def to_html(doc: Document, title: str) -> str:
    """The document as one self-contained HTML page (figures embedded, no scripts)."""
    out = [
        "<!DOCTYPE html>",
        "<html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
    ]
    for kind, value in doc.blocks:
        if kind == "h":
            out.append(f"<h{value[0]}>{_inline_html(value[1])}</h{value[0]}>")
        elif kind == "p":
            out.append(f"<p>{_inline_html(value)}</p>")
        elif kind == "table":
            out.extend(_table_html(value))
        elif kind == "fig":
            data = base64.b64encode(value.png).decode("ascii")
            out.append(
                f"<p><img alt='{html.escape(value.alt)}' src='data:image/png;base64,{data}'></p>"
            )
    out.append("</body></html>")
    return "\n".join(out)
