"""Run Alembic migrations programmatically: upgrade to head, and detect a database that is behind."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from sqlalchemy import Engine

from db.locks import migration_lock


def script_location() -> Path:
    """The migrations folder: `alembic/` in a checkout, the `airace_migrations` package when installed."""
    repo = Path(__file__).resolve().parent.parent / "alembic"
    if (repo / "env.py").exists():
        return repo
    spec = importlib.util.find_spec("airace_migrations")
    if spec and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    raise RuntimeError("cannot find the airace migrations (alembic/ or airace_migrations)")


def _config(engine: Engine):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(script_location()))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    cfg = _config(None)  # type: ignore[arg-type]
    return ScriptDirectory.from_config(cfg).get_current_head()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database behind `engine` to `revision`.

    Processes that upgrade one database at once take turns (db.locks.migration_lock): the
    second one finds the schema already there instead of failing on `table ... already exists`.
    """
    from alembic import command

    with migration_lock(engine):
        command.upgrade(_config(engine), revision)


def ensure_current(engine: Engine) -> bool:
    """Upgrade the database if it is behind head. Returns True when an upgrade ran.

    The revision is checked again under the schema lock, so of several processes opening a new
    database at once exactly one creates it.
    """
    head = head_revision()
    if current_revision(engine) == head:
        return False
    from alembic import command

    with migration_lock(engine):
        if current_revision(engine) == head:
            return False
        command.upgrade(_config(engine), "head")
    return True
