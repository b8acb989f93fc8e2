"""What every command needs: the Settings and a database opened (and upgraded) on first use."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from airace.config import Settings
from airace.errors import UserError

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker


@dataclass
class AppContext:
    """Built once per CLI invocation by the root callback and passed down via `typer.Context.obj`."""

    settings: Settings
    origins: dict[str, str] = field(default_factory=dict)
    config_file: str | None = None
    verbose: int = 0
    # Commands that make a database (demo, db upgrade, crawl, ingest, prices update, run,
    # schedule) set this;
    # every other command refuses a SQLite file that does not exist instead of creating it empty.
    may_create: bool = False
    _engine: Engine | None = None
    _factory: sessionmaker[Session] | None = None

    @property
    def engine(self) -> Engine:
        """The store's engine; a database behind the migrations is upgraded on first open."""
        if self._engine is None:
            from db.engine import make_engine
            from db.migrations import ensure_current

            url = self.settings.database_url
            check_database_url(url, must_exist=not self.may_create)
            self._engine = make_engine(url)
            ensure_current(self._engine)
        return self._engine

    @property
    def sessions(self) -> sessionmaker[Session]:
        if self._factory is None:
            from db.engine import make_sessionmaker

            self._factory = make_sessionmaker(self.engine)
        return self._factory

    def creating(self) -> AppContext:
        """This command may create the database (and its folder); returns self."""
        self.may_create = True
        return self

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


START_HINT = "run `airace demo` or `airace crawl`, or point --db at another database"


def check_database_url(url: str, *, must_exist: bool) -> None:
    """Raise UserError for a URL SQLAlchemy cannot use, and (`must_exist`) for a missing file.

    A SQLite path whose file is missing is the user's mistake on a command that only reads or
    adds to a database: it would otherwise be created empty, folders included, and answer
    "unknown entity" instead of naming the real problem.
    """
    from pathlib import Path

    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        u = make_url(url)
        u.get_dialect()
    except (ArgumentError, NoSuchModuleError, ValueError) as e:
        raise UserError(f"bad database URL {url!r}: {e}") from None
    if not must_exist or u.get_backend_name() != "sqlite":
        return
    name = u.database or ""
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    path = Path(name).expanduser()
    if path.is_file():
        return
    hint = START_HINT
    demo = Path.cwd() / "airace-demo" / "airace.db"
    if demo.is_file() and demo.resolve() != path.resolve():
        hint = f"the demo's is {demo}: export AIRACE_DATABASE_URL=sqlite:///{demo.resolve()}"
    if not path.parent.is_dir():
        raise UserError(f"no database at {path} (folder {path.parent} does not exist): {hint}")
    raise UserError(f"no database at {path}: {hint}")
