"""CLI commands: crawl, ingest, extract (not implemented yet)."""

from __future__ import annotations

import typer

from airace.errors import NotImplementedYet


def register(app: typer.Typer) -> None:
    @app.command(
        "crawl", context_settings={"allow_extra_args": True, "ignore_unknown_options": True}
    )
    def crawl_cmd() -> None:
        """Crawl the configured news sources and store new AI-race articles.

        Example: airace crawl --source techcrunch-ai --max-articles 50
        """
        raise NotImplementedYet("airace crawl")

    @app.command(
        "ingest", context_settings={"allow_extra_args": True, "ignore_unknown_options": True}
    )
    def ingest_cmd() -> None:
        """Import articles you already have (.html, .txt, .jsonl, .warc).

        Example: airace ingest saved/*.html notes.txt
        """
        raise NotImplementedYet("airace ingest")

    @app.command(
        "extract", context_settings={"allow_extra_args": True, "ignore_unknown_options": True}
    )
    def extract_cmd() -> None:
        """Print the main text of one HTML page (stdin by default).

        Example: curl -s URL | airace extract
        """
        raise NotImplementedYet("airace extract")
