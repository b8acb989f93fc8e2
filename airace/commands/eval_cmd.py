"""CLI command: eval (not implemented yet)."""

from __future__ import annotations

import typer

from airace.errors import NotImplementedYet


def register(app: typer.Typer) -> None:
    eval_app = typer.Typer(
        help="Score the analysis against gold files.\n\nExample: airace eval nlp tests/data/nlp_dev.jsonl",
        no_args_is_help=True,
    )
    app.add_typer(eval_app, name="eval")

    @eval_app.command("nlp")
    def eval_nlp() -> None:
        """Score entities and stance against a gold JSONL file.

        Example: airace eval nlp tests/data/nlp_dev.jsonl
        """
        raise NotImplementedYet("airace eval nlp")
