"""CLI commands: run, schedule (not implemented yet)."""

from __future__ import annotations

import typer

from airace.errors import NotImplementedYet


def register(app: typer.Typer) -> None:
    @app.command("run", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
    def run_cmd() -> None:
        """One full cycle: crawl, analyze, prices update, react.

        Example: airace run
        """
        raise NotImplementedYet("airace run")

    @app.command(
        "schedule", context_settings={"allow_extra_args": True, "ignore_unknown_options": True}
    )
    def schedule_cmd() -> None:
        """Run the jobs on their cron schedules.

        Example: airace schedule --list
        """
        raise NotImplementedYet("airace schedule")
