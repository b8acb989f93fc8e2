"""Cross-process locks keyed by the database, so every process that writes one store excludes
the others whatever its data folder or host.

- PostgreSQL: session-level advisory locks (`pg_try_advisory_lock`) held on a connection of their
  own for as long as the lock is held. Advisory locks belong to one database of the cluster, and
  the server drops them when the holding connection ends, so a killed process leaves none.
- SQLite: `fcntl.flock` on files in a `<database file>.locks/` folder beside the database (every
  process that opens the file can reach it). The kernel drops a flock when its holder dies.
- Anything else (an in-memory SQLite database): files under `fallback_dir`.

`DatabaseLock(url, names, owner)` takes one lock per name, in sorted order, all or none, so two
jobs sharing a name never overlap and never deadlock. `migration_lock(engine)` serialises schema
creation and upgrades the same way.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import socket
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

# The advisory lock keys of airace are 64-bit numbers derived from this prefix and a name.
_KEY_PREFIX = "airace:"


class LockHeld(RuntimeError):
    """Another process holds one of the locks a job needs."""

    def __init__(self, name: str, holder: str, waited: float | None = None) -> None:
        super().__init__(f"{name} is already running ({holder})")
        self.name = name
        self.holder = holder
        self.waited = waited


def advisory_key(name: str) -> int:
    """The signed 64-bit advisory lock key of lock `name`."""
    digest = hashlib.blake2b(f"{_KEY_PREFIX}{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def sqlite_lock_dir(url: str) -> Path | None:
    """The lock folder of a SQLite file database (`<file>.locks`), None for anything else."""
    u = make_url(url)
    if u.get_backend_name() != "sqlite":
        return None
    db = u.database or ""
    if not db or db == ":memory:" or db.startswith("file:"):
        return None
    path = Path(db).expanduser().resolve()
    return path.with_name(path.name + ".locks")


def _deadline(wait: bool | float) -> float | None:
    if wait is True:
        return None
    return time.monotonic() + (0.0 if wait is False else float(wait))


def _stamp(owner: str) -> str:
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return f"{owner}, pid {os.getpid()} on {socket.gethostname()}, since {started}"


class JobLock:
    """Exclusive file locks on `names` under `directory`, taken in sorted order, all or none.

    `acquire(wait)`: False fails at once with LockHeld, True waits forever, a number waits that
    many seconds. The holder's owner, pid and host are written in the file, only to say who
    holds it.
    """

    def __init__(self, directory: Path, names: Sequence[str], owner: str) -> None:
        self.directory = Path(directory)
        self.names = sorted(set(names))
        self.owner = owner
        self._held: list[IO[str]] = []

    def acquire(self, wait: bool | float = False, poll: float = 0.2) -> JobLock:
        self.directory.mkdir(parents=True, exist_ok=True)
        deadline = _deadline(wait)
        started = time.monotonic()
        try:
            for name in self.names:
                self._held.append(self._take(name, deadline, poll, started))
        except BaseException:
            self.release()
            raise
        return self

    def _take(self, name: str, deadline: float | None, poll: float, started: float) -> IO[str]:
        path = self.directory / f"{name}.lock"
        f = path.open("a+", encoding="utf-8")
        while True:
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if deadline is not None and time.monotonic() >= deadline:
                    f.seek(0)
                    holder = f.read().strip() or "another process"
                    f.close()
                    raise LockHeld(name, holder, time.monotonic() - started) from None
                time.sleep(poll)
        f.seek(0)
        f.truncate()
        f.write(_stamp(self.owner))
        f.flush()
        return f

    def release(self) -> None:
        while self._held:
            f = self._held.pop()
            try:
                f.seek(0)
                f.truncate()
                fcntl.flock(f.fileno(), fcntl.LOCK_UN)
            finally:
                f.close()

    def __enter__(self) -> JobLock:
        if not self._held:
            self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class AdvisoryLock:
    """Session-level PostgreSQL advisory locks on `names`, held on a dedicated connection.

    The connection's `application_name` carries the owner, so a refused job can say who holds
    the lock (from `pg_locks` and `pg_stat_activity`).
    """

    def __init__(self, url: str, names: Sequence[str], owner: str) -> None:
        self.url = url
        self.names = sorted(set(names))
        self.owner = owner
        self._engine: Engine | None = None
        self._conn: Any = None
        self._held: list[str] = []

    def acquire(self, wait: bool | float = False, poll: float = 0.2) -> AdvisoryLock:
        u = make_url(self.url)
        if u.drivername == "postgresql":
            u = u.set(drivername="postgresql+psycopg")
        app_name = f"{self.owner} pid {os.getpid()}"[:63]
        self._engine = create_engine(
            u, poolclass=_null_pool(), connect_args={"application_name": app_name}
        )
        self._conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        deadline = _deadline(wait)
        started = time.monotonic()
        try:
            for name in self.names:
                key = advisory_key(name)
                while not self._conn.scalar(
                    text("SELECT pg_try_advisory_lock(CAST(:k AS bigint))"), {"k": key}
                ):
                    if deadline is not None and time.monotonic() >= deadline:
                        raise LockHeld(name, self._holder(key), time.monotonic() - started)
                    time.sleep(poll)
                self._held.append(name)
        except BaseException:
            self.release()
            raise
        return self

    def _holder(self, key: int) -> str:
        row = self._conn.execute(
            text(
                "SELECT a.application_name, a.client_addr, l.pid FROM pg_locks l "
                "JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND l.granted AND l.database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database()) "
                "AND l.classid = ((CAST(:k AS bigint) >> 32) & 4294967295)::oid "
                "AND l.objid = (CAST(:k AS bigint) & 4294967295)::oid LIMIT 1"
            ),
            {"k": key},
        ).first()
        if row is None:
            return "another process"
        name, addr, pid = row
        where = f" from {addr}" if addr else ""
        return f"{name or 'a client'}{where}, server backend {pid}"

    def release(self) -> None:
        try:
            if self._conn is not None:
                for name in reversed(self._held):
                    with contextlib.suppress(Exception):
                        self._conn.execute(
                            text("SELECT pg_advisory_unlock(CAST(:k AS bigint))"),
                            {"k": advisory_key(name)},
                        )
                with contextlib.suppress(Exception):
                    self._conn.close()
        finally:
            self._held = []
            self._conn = None
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None

    def __enter__(self) -> AdvisoryLock:
        if not self._held:
            self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _null_pool() -> Any:
    from sqlalchemy.pool import NullPool

    return NullPool


def DatabaseLock(
    url: str, names: Sequence[str], owner: str, *, fallback_dir: Path | None = None
) -> JobLock | AdvisoryLock:
    """The lock on `names` for the database at `url` (see the module docstring)."""
    if make_url(url).get_backend_name() == "postgresql":
        return AdvisoryLock(url, names, owner)
    directory = sqlite_lock_dir(url) or fallback_dir
    if directory is None:
        directory = Path(tempfile.gettempdir()) / f"airace-locks-{os.getuid()}"
    return JobLock(directory, names, owner)


@contextlib.contextmanager
def migration_lock(engine: Engine, *, timeout: float = 600.0) -> Iterator[None]:
    """Hold the schema lock of the database behind `engine` (creation and upgrades take turns).

    PostgreSQL: a blocking session advisory lock on a connection of its own. SQLite: a flock
    beside the file. An in-memory database is private to its process: no lock.
    """
    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name != "postgresql" and sqlite_lock_dir(url) is None:
        yield
        return
    lock = DatabaseLock(url, ["schema"], "airace schema upgrade")
    try:
        lock.acquire(wait=timeout, poll=0.05)
    except LockHeld as e:
        raise TimeoutError(f"the database schema is being upgraded by {e.holder}") from None
    try:
        yield
    finally:
        lock.release()
