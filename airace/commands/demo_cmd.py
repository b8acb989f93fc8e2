"""CLI commands: demo (not implemented yet)."""

from __future__ import annotations

import typer

from airace.errors import NotImplementedYet


def register(app: typer.Typer) -> None:
    @app.command(
        "demo", context_settings={"allow_extra_args": True, "ignore_unknown_options": True}
    )
    def demo_cmd() -> None:
        """The whole product offline: sample site, crawl, analysis, prices, briefing.

        Example: airace demo --out ./airace-demo
        """
        raise NotImplementedYet("airace demo")
