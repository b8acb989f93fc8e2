"""Run Alembic migrations programmatically: upgrade to head, and detect a database that is behind."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from sqlalchemy import Engine


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
    """Upgrade the database behind `engine` to `revision`."""
    from alembic import command

    command.upgrade(_config(engine), revision)


def ensure_current(engine: Engine) -> bool:
    """Upgrade the database if it is behind head. Returns True when an upgrade ran."""
    if current_revision(engine) == head_revision():
        return False
    upgrade(engine)
    return True
