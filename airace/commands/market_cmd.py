"""CLI commands: prices, react (not implemented yet)."""

from __future__ import annotations

import typer

from airace.errors import NotImplementedYet


def register(app: typer.Typer) -> None:
    @app.command(
        "prices", context_settings={"allow_extra_args": True, "ignore_unknown_options": True}
    )
    def prices_cmd() -> None:
        """Keep daily prices in the database.

        Example: airace prices update --tickers NVDA SMH
        """
        raise NotImplementedYet("airace prices")

    @app.command(
        "react", context_settings={"allow_extra_args": True, "ignore_unknown_options": True}
    )
    def react_cmd() -> None:
        """Compute abnormal returns around each analysed article.

        Example: airace react --since 2025-01-01
        """
        raise NotImplementedYet("airace react")
