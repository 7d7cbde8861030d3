"""Markdown tables for the recipes' results: one row per dict, one column per key.

>>> rows = [{"model": "PCA-32", "PSNR (dB)": 18.561}, {"model": "conv", "PSNR (dB)": 24.9}]
>>> print(markdown_table(rows, formats={"PSNR (dB)": ".2f"}))
| model | PSNR (dB) |
|---|---:|
| PCA-32 | 18.56 |
| conv | 24.90 |
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence

__all__ = ["format_value", "markdown_table"]


def markdown_table(
    rows: Sequence[Mapping[str, object]], formats: Mapping[str, str] | None = None
) -> str:
    """A Markdown table of ``rows`` (dicts with the same keys, in order); numbers right-aligned.

    ``formats`` maps a column to a format spec (``".2f"``, ``".1%"``, ``","``); other numbers
    use ``".4g"``. Columns whose values are all numbers are right-aligned.
    """
    if isinstance(rows, Mapping) or not isinstance(rows, Sequence) or not rows:
        raise ValueError(f"rows must be a non-empty list of dicts, not {type(rows).__name__}.")
    formats = dict(formats or {})
    columns = list(_keys(rows[0], 0))
    if not columns:
        raise ValueError("rows[0] has no columns.")
    for index, row in enumerate(rows[1:], start=1):
        if list(_keys(row, index)) != columns:
            raise ValueError(f"rows[{index}] has the columns {list(row)}; expected {columns}.")
    unknown = sorted(set(formats) - set(columns))
    if unknown:
        raise ValueError(f"formats names columns that no row has: {unknown}.")
    numeric = [all(_is_number(row[column]) for row in rows) for column in columns]
    lines = [
        "| " + " | ".join(_escape(column) for column in columns) + " |",
        "|" + "|".join("---:" if flag else "---" for flag in numeric) + "|",
    ]
    for row in rows:
        cells = [format_value(row[column], formats.get(column)) for column in columns]
        lines.append("| " + " | ".join(_escape(cell) for cell in cells) + " |")
    return "\n".join(lines)


def format_value(value: object, spec: str | None = None) -> str:
    """``value`` as table text: numbers with ``spec`` (default ``".4g"``), NaN as "-", else str."""
    if _is_number(value):
        number = float(value) if not isinstance(value, numbers.Integral) else int(value)
        if isinstance(number, float) and math.isnan(number):
            return "-"
        try:
            return format(number, spec if spec is not None else ".4g")
        except ValueError as error:
            raise ValueError(f"format spec {spec!r} does not apply to {value!r}: {error}") from None
    return "-" if value is None else str(value)


def _keys(row: object, index: int):
    if not isinstance(row, Mapping):
        raise ValueError(f"rows[{index}] must be a dict of column to value, not {row!r}.")
    for key in row:
        if not isinstance(key, str) or not key:
            raise ValueError(f"rows[{index}] has a column name that is not text: {key!r}.")
    return row.keys()


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _escape(text: str) -> str:
    # A pipe inside a cell would end the cell early; Markdown accepts it escaped.
    return text.replace("|", "\\|").replace("\n", " ")
