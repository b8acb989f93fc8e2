"""Helpers shared by command modules."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import typer

from airace.context import AppContext
from airace.errors import UserError

if TYPE_CHECKING:
    from airace.config import Settings


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


def stage_lock(settings: Settings, stage: str, owner: str) -> Any:
    """Acquire the lock on `stage` of this database (the one `airace run` takes), or exit 1
    with one line saying who holds it. Use it as a context manager."""
    from airace.locks import LockHeld, database_lock

    lock = database_lock(
        settings.database_url,
        [stage],
        owner,
        fallback_dir=settings.resolved_data_dir() / "locks",
    )
    try:
        return lock.acquire()
    except LockHeld as e:
        typer.echo(f"airace: not started: {e}", err=True)
        raise typer.Exit(1) from None
