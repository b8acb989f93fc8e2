"""`airace config`: the effective settings."""

from __future__ import annotations

import typer

from airace.commands.common import app_context
from airace.output import Format, emit

config_app = typer.Typer(help="Settings.\n\nExample: airace config show", no_args_is_help=True)


@config_app.command("show")
def show(
    ctx: typer.Context,
    fmt: Format = typer.Option(Format.table, "--format", "-f", help="table, json, jsonl or csv."),
) -> None:
    """Print every setting, its effective value and where it came from.

    Example: AIRACE_DOWNLOAD_DELAY=2 airace config show --format json
    """
    from airace.config import describe

    actx = app_context(ctx)
    rows = [
        {
            "name": name,
            "value": getattr(actx.settings, name),
            "origin": actx.origins.get(name, "default"),
            "help": help_,
        }
        for name, _default, help_ in describe()
    ]
    if fmt is Format.table and actx.config_file:
        typer.echo(f"config file: {actx.config_file}")
    emit(rows, fmt, columns=["name", "value", "origin"] if fmt is Format.table else None)


def register(app: typer.Typer) -> None:
    app.add_typer(config_app, name="config")
