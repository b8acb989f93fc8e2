"""Engines and sessions. SQLite gets WAL, foreign keys and a busy timeout; PostgreSQL works as is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_readonly(dbapi_connection: Any, _record: Any) -> None:
    cur = dbapi_connection.cursor()
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA query_only=ON")
    cur.close()


def make_engine(url: str, *, readonly: bool = False, echo: bool = False) -> Engine:
    """Create an engine for `url`; a SQLite file's folder is created if missing.

    With `readonly`, the database itself refuses writes: SQLite opens the file in `mode=ro` with
    `query_only`, PostgreSQL sessions start with `default_transaction_read_only`.
    """
    u = make_url(url)
    kwargs: dict[str, Any] = {"echo": echo}
    if u.get_backend_name() == "sqlite":
        db = u.database
        if db and db != ":memory:" and not db.startswith("file:"):
            Path(db).expanduser().parent.mkdir(parents=True, exist_ok=True)
        if readonly:
            if not db or db == ":memory:" or not Path(db).exists():
                raise FileNotFoundError(f"no database at {db}")
            uri = f"file:{Path(db).resolve()}?mode=ro"
            u = u.set(database=uri, query={"uri": "true"})
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        engine = create_engine(u, **kwargs)
        event.listen(engine, "connect", _sqlite_readonly if readonly else _sqlite_pragmas)
        return engine
    if u.get_backend_name() == "postgresql":
        if u.drivername == "postgresql":
            u = u.set(drivername="postgresql+psycopg")
        if readonly:
            kwargs["connect_args"] = {"options": "-c default_transaction_read_only=on"}
        kwargs["pool_pre_ping"] = True
    return create_engine(u, **kwargs)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """A session factory; callers own the lifecycle (`with factory.begin() as session:`)."""
    return sessionmaker(engine, expire_on_commit=False)
