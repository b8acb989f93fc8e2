"""CLI commands: query, search, sql, browse (not implemented yet)."""

from __future__ import annotations

import typer

from airace.errors import NotImplementedYet


def register(app: typer.Typer) -> None:
    @app.command(
        "query", context_settings={"allow_extra_args": True, "ignore_unknown_options": True}
    )
    def query_cmd() -> None:
        """Query articles, entities and reactions.

        Example: airace query articles --entity Google --format json
        """
        raise NotImplementedYet("airace query")

    @app.command(
        "search", context_settings={"allow_extra_args": True, "ignore_unknown_options": True}
    )
    def search_cmd() -> None:
        """Semantic + keyword search over articles.

        Example: airace search "cheaper training" --limit 5
        """
        raise NotImplementedYet("airace search")

    @app.command("sql", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
    def sql_cmd() -> None:
        """Run read-only SQL against the store.

        Example: airace sql "SELECT count(*) FROM articles"
        """
        raise NotImplementedYet("airace sql")

    @app.command(
        "browse", context_settings={"allow_extra_args": True, "ignore_unknown_options": True}
    )
    def browse_cmd() -> None:
        """Open the SQLite store in Datasette.

        Example: airace browse
        """
        raise NotImplementedYet("airace browse")
