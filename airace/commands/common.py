"""Helpers shared by command modules."""

from __future__ import annotations

import datetime as dt

import typer

from airace.context import AppContext
from airace.errors import UserError


def app_context(ctx: typer.Context) -> AppContext:
    obj = ctx.find_root().obj
    assert isinstance(obj, AppContext)
    return obj


def parse_date(value: str | None, option: str) -> dt.date | None:
    """Parse YYYY-MM-DD (or YYYY-MM, first of month) from an option, or raise a UserError."""
    if value is None:
        return None
    for fmt in ("%Y-%m-%d", "%Y-%m"):
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise UserError(f"{option}: expected a date like 2025-01-27, got {value!r}")
