"""Context columns: the other columns of a table source, shown beside each item on the page.

``fewlabels.toml`` names them (``[page] context = ["title", "author"]``); a short title is
easier to place with its author beside it.
"""

from __future__ import annotations

from collections.abc import Sequence

from fewlabels.data.labels import as_written
from fewlabels.data.table import check_columns, read_table
from fewlabels.errors import FewlabelsError
from fewlabels.workspace.config import DataSourceConfig


def context_columns(
    data: DataSourceConfig, columns: Sequence[str]
) -> dict[str, list[tuple[str, str]]]:
    """Item id -> ``[(column, value), ...]`` of the ``columns`` of a table source.

    Parameters
    ----------
    data : DataSourceConfig
        The workspace's source; it must be a table when ``columns`` is not empty.
    columns : sequence of str
        Columns of the table (``[page] context``).

    Returns
    -------
    dict of str to list of (str, str)
        Empty when ``columns`` is. Ids as the workspace reads them (the id column as
        written, else the row number).

    Raises
    ------
    FewlabelsError
        Columns asked of a source that is not a table.
    MissingKeyError
        A column the table does not have (its columns are listed).
    """
    if not columns:
        return {}
    if data.kind != "table":
        raise FewlabelsError(
            f"Expected a table source for [page] context {list(columns)} in fewlabels.toml, "
            f"but the source is a {data.kind} ({data.source!r}), which has no other columns. "
            "Remove the context key."
        )
    frame = read_table(data.source, as_written=[c for c in (data.id,) if c is not None])
    check_columns(list(frame.columns), list(columns), role="[page] context")
    if data.id is not None:
        ids = [str(as_written(v)) for v in frame[data.id].tolist()]
    else:
        ids = [str(k) for k in range(len(frame))]
    values = frame[list(columns)].astype(str).to_numpy()
    return {i: list(zip(columns, row, strict=True)) for i, row in zip(ids, values, strict=True)}
