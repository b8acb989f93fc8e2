"""Output of query-like commands in four formats: table (fits a terminal), json, jsonl, csv."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import IO, Any


class Format(StrEnum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"


def _jsonable(v: Any) -> Any:
    if isinstance(v, dt.datetime | dt.date):
        return v.isoformat()
    if isinstance(v, float):
        return round(v, 6)
    return v


def _flat(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, list):
        return "; ".join(_flat(x) for x in v)
    if isinstance(v, dict):
        return " ".join(f"{k}={_flat(x)}" for k, x in v.items() if x is not None)
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, dt.datetime | dt.date):
        return v.isoformat()
    return str(v)


def emit(
    rows: Sequence[dict[str, Any]],
    fmt: Format | str,
    columns: Sequence[str] | None = None,
    out: IO[str] | None = None,
    title: str | None = None,
) -> None:
    """Write `rows` (dicts with stable keys) in `fmt`. Nested lists/dicts stay nested in JSON."""
    out = out or sys.stdout
    fmt = Format(fmt)
    cols = list(columns or (rows[0].keys() if rows else []))
    if fmt is Format.json:
        json.dump(
            [{k: _deep(r.get(k)) for k in cols} for r in rows], out, ensure_ascii=False, indent=2
        )
        out.write("\n")
    elif fmt is Format.jsonl:
        for r in rows:
            out.write(json.dumps({k: _deep(r.get(k)) for k in cols}, ensure_ascii=False) + "\n")
    elif fmt is Format.csv:
        w = csv.writer(out, lineterminator="\n")
        w.writerow(cols)
        for r in rows:
            w.writerow([_flat(r.get(k)) for k in cols])
    else:
        _table(rows, cols, out, title)


def _deep(v: Any) -> Any:
    if isinstance(v, list):
        return [_deep(x) for x in v]
    if isinstance(v, dict):
        return {k: _deep(x) for k, x in v.items()}
    return _jsonable(v)


def _table(
    rows: Iterable[dict[str, Any]], cols: Sequence[str], out: IO[str], title: str | None
) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    # Every cell, header and the title is a Text, never markup: a stored title such as
    # "[/]" or "[bold]" prints as written (a str would be parsed as rich markup).
    console = Console(file=out, soft_wrap=False)
    table = Table(
        title=None if title is None else Text(title), show_lines=False, header_style="bold"
    )
    for c in cols:
        table.add_column(Text(str(c)), overflow="fold", max_width=60)
    for r in rows:
        table.add_row(*[Text(_flat(r.get(c))) for c in cols])
    console.print(table)
