"""CLI commands: report (not implemented yet)."""

from __future__ import annotations

import typer

from airace.errors import NotImplementedYet


def register(app: typer.Typer) -> None:
    @app.command(
        "report", context_settings={"allow_extra_args": True, "ignore_unknown_options": True}
    )
    def report_cmd() -> None:
        """Render briefings (weekly PDF).

        Example: airace report weekly --week 2025-W05 -o w05.pdf
        """
        raise NotImplementedYet("airace report")
