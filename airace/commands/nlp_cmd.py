"""CLI commands: analyze, annotate, eval (not implemented yet)."""

from __future__ import annotations

import typer

from airace.errors import NotImplementedYet


def register(app: typer.Typer) -> None:
    @app.command(
        "analyze", context_settings={"allow_extra_args": True, "ignore_unknown_options": True}
    )
    def analyze_cmd() -> None:
        """Analyse stored articles: entities, stance, themes, embeddings.

        Example: airace analyze --since 2025-01-01
        """
        raise NotImplementedYet("airace analyze")

    @app.command(
        "annotate", context_settings={"allow_extra_args": True, "ignore_unknown_options": True}
    )
    def annotate_cmd() -> None:
        """Analyse a JSONL file of texts without a database.

        Example: airace annotate in.jsonl -o out.jsonl
        """
        raise NotImplementedYet("airace annotate")
