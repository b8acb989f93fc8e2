"""What every command needs: the Settings and a database opened (and upgraded) on first use."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from airace.config import Settings

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
    _engine: Engine | None = None
    _factory: sessionmaker[Session] | None = None

    @property
    def engine(self) -> Engine:
        """The store's engine; a database behind the migrations is upgraded on first open."""
        if self._engine is None:
            from db.engine import make_engine
            from db.migrations import ensure_current

            self._engine = make_engine(self.settings.database_url)
            ensure_current(self._engine)
        return self._engine

    @property
    def sessions(self) -> sessionmaker[Session]:
        if self._factory is None:
            from db.engine import make_sessionmaker

            self._factory = make_sessionmaker(self.engine)
        return self._factory

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
