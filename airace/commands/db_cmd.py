"""`airace db`: schema migrations."""

from __future__ import annotations

import typer

from airace.commands.common import app_context
from airace.context import check_database_url

db_app = typer.Typer(help="Database schema.\n\nExample: airace db upgrade", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade(ctx: typer.Context) -> None:
    """Create or upgrade the database schema to the latest migration.

    Example: airace --db sqlite:///airace.db db upgrade
    """
    from db.engine import make_engine
    from db.migrations import current_revision, head_revision, upgrade

    settings = app_context(ctx).settings
    check_database_url(settings.database_url, must_exist=False)
    engine = make_engine(settings.database_url)
    try:
        before = current_revision(engine)
        upgrade(engine)
        after = current_revision(engine)
    finally:
        engine.dispose()
    assert after == head_revision()
    state = "already at" if before == after else f"upgraded from {before or 'empty'} to"
    typer.echo(f"{_redact(settings.database_url)}: {state} {after}")


@db_app.command("current")
def current(ctx: typer.Context) -> None:
    """Print the database's migration revision and the latest one.

    Example: airace db current
    """
    from db.engine import make_engine
    from db.migrations import current_revision, head_revision

    url = app_context(ctx).settings.database_url
    check_database_url(url, must_exist=True)
    engine = make_engine(url)
    try:
        typer.echo(f"current {current_revision(engine) or 'none'}, head {head_revision()}")
    finally:
        engine.dispose()


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
