"""Run one user-supplied read-only SQL statement, on SQLite or PostgreSQL, and never write.

Three layers, each enough on its own for the attacks it covers:
1. The statement is parsed with sqlglot (a real SQL parser, in the engine's dialect): exactly one
   statement, of a read kind (SELECT, WITH whose every part is a read, VALUES, set operations of
   those, EXPLAIN without ANALYZE); no SELECT ... INTO, no FOR UPDATE/SHARE, no function known to
   have side effects. It is refused before any connection is opened, so nothing touches the disk.
2. It runs so that a second statement cannot ride along: PostgreSQL gets it as a server-side
   prepared statement (one statement only), SQLite through sqlite3's execute (one statement only).
3. The database refuses writes: PostgreSQL runs it inside `BEGIN READ ONLY` with
   `SET LOCAL statement_timeout`, then rolls back; SQLite opens the file `mode=ro` with
   `query_only` and an authorizer that allows only reads, and a progress handler stops it at the
   timeout. A role granted SELECT only (docs/deployment.md) is the fourth layer, outside this code.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import make_url

from db.engine import make_engine


class ReadOnlySQLError(ValueError):
    """The statement was refused (not one read-only statement) or failed; one line for a user."""


@dataclass(frozen=True)
class SQLResult:
    columns: list[str]
    rows: list[dict[str, Any]]
    truncated: bool  # more rows than the cap were available


# Functions with effects beyond reading: files, other servers, other sessions, sequences,
# settings, locks, large objects, replication. Defence in depth: the read-only transaction and the
# single statement are the real guard.
DENIED_FUNCTIONS = frozenset(
    {
        # PostgreSQL: files and programs
        "pg_read_file",
        "pg_read_binary_file",
        "pg_ls_dir",
        "pg_stat_file",
        "pg_ls_logdir",
        "pg_ls_waldir",
        "pg_ls_tmpdir",
        "pg_ls_archive_statusdir",
        "lo_import",
        "lo_export",
        "lo_from_bytea",
        "lo_put",
        "lo_create",
        "lo_creat",
        "lo_unlink",
        "lo_open",
        "lo_write",
        "lowrite",
        "loread",
        "lo_truncate",
        "lo_close",
        # other servers
        "dblink",
        "dblink_exec",
        "dblink_connect",
        "dblink_connect_u",
        "dblink_send_query",
        "dblink_open",
        # other sessions and the server
        "pg_terminate_backend",
        "pg_cancel_backend",
        "pg_reload_conf",
        "pg_rotate_logfile",
        "pg_promote",
        "pg_switch_wal",
        "pg_create_restore_point",
        "pg_backup_start",
        "pg_backup_stop",
        "pg_start_backup",
        "pg_stop_backup",
        "pg_log_backend_memory_contexts",
        "pg_create_physical_replication_slot",
        "pg_create_logical_replication_slot",
        "pg_drop_replication_slot",
        "pg_replication_slot_advance",
        "pg_logical_slot_get_changes",
        "pg_logical_emit_message",
        "pg_import_system_collations",
        "pg_stat_reset",
        "pg_stat_reset_shared",
        "pg_stat_reset_single_table_counters",
        "pg_notify",
        # settings and sequences
        "set_config",
        "nextval",
        "setval",
        # advisory locks outlive the statement
        "pg_advisory_lock",
        "pg_advisory_lock_shared",
        "pg_advisory_xact_lock",
        "pg_advisory_xact_lock_shared",
        "pg_try_advisory_lock",
        "pg_try_advisory_lock_shared",
        "pg_try_advisory_xact_lock",
        "pg_try_advisory_xact_lock_shared",
        # SQLite
        "load_extension",
        "readfile",
        "writefile",
        "edit",
        "fts3_tokenizer",
    }
)

# sqlglot expression classes that are never a read, wherever they appear in the tree.
_WRITE_NODES = (
    "Insert",
    "Update",
    "Delete",
    "Merge",
    "Create",
    "Drop",
    "Alter",
    "AlterTable",
    "TruncateTable",
    "Copy",
    "Command",
    "Set",
    "Pragma",
    "Attach",
    "Detach",
    "Transaction",
    "Commit",
    "Rollback",
    "Use",
    "Grant",
    "Into",
    "Lock",
    "LoadData",
    "Analyze",
)

_ROOT_KINDS = ("Select", "Union", "Intersect", "Except", "Values", "Subquery")

_DIALECTS = {"sqlite": "sqlite", "postgresql": "postgres"}


def check_statement(statement: str, dialect: str) -> None:
    """Raise ReadOnlySQLError unless `statement` is exactly one read-only statement.

    `dialect` is "sqlite" or "postgres" (sqlglot's names).
    """
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    body = _strip_explain(statement, dialect)
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)  # "falling back to parsing as a Command" is ours to report
    try:
        parsed = [  # a bare Semicolon is an empty statement (perhaps with a comment)
            e
            for e in sqlglot.parse(body, read=dialect)
            if e is not None and type(e).__name__ != "Semicolon"
        ]
    except SqlglotError as e:
        raise ReadOnlySQLError(
            f"refused: the SQL parser cannot read the statement: {_first_line(e)}"
        ) from None
    finally:
        logger.setLevel(level)
    if not parsed:
        raise ReadOnlySQLError("the statement is empty")
    if len(parsed) > 1:
        raise ReadOnlySQLError(
            f"refused: {len(parsed)} statements given; airace sql runs exactly one"
        )
    tree = parsed[0]
    kind = type(tree).__name__
    if kind not in _ROOT_KINDS:
        first = sqlglot.tokenize(body, read=dialect)[0].text.upper()
        raise ReadOnlySQLError(
            f"refused: {first} is not a read; airace sql runs only SELECT, WITH, "
            "VALUES or EXPLAIN (without ANALYZE)"
        )
    for node in tree.walk():
        name = type(node).__name__
        if name == "Into":
            raise ReadOnlySQLError(
                "refused: SELECT ... INTO creates a table; airace sql only reads"
            )
        if name == "Lock":
            raise ReadOnlySQLError(
                "refused: FOR UPDATE/SHARE takes row locks for a write; airace sql only reads"
            )
        if name in _WRITE_NODES:
            raise ReadOnlySQLError(
                f"refused: the statement contains {_describe(node)}, which is not a read; "
                "airace sql only reads"
            )
        if isinstance(node, exp.Func):
            fname = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()
            if fname in DENIED_FUNCTIONS:
                raise ReadOnlySQLError(
                    f"refused: function {fname}() has effects beyond reading; airace sql only reads"
                )


def _describe(node: Any) -> str:
    name = type(node).__name__
    if name == "Command":
        return str(node.this).upper() or "a command"
    words = {
        "Attach": "ATTACH DATABASE",
        "Detach": "DETACH DATABASE",
        "Pragma": "PRAGMA",
        "Set": "SET",
        "Copy": "COPY",
        "Commit": "COMMIT",
        "Rollback": "ROLLBACK",
        "Transaction": "BEGIN",
        "TruncateTable": "TRUNCATE",
    }
    return words.get(name, name.upper())


def _strip_explain(statement: str, dialect: str) -> str:
    """The statement under an EXPLAIN prefix; refuses EXPLAIN ANALYZE (it runs the statement)."""
    import sqlglot
    from sqlglot.errors import SqlglotError

    try:
        tokens = sqlglot.tokenize(statement, read=dialect)
    except SqlglotError as e:
        raise ReadOnlySQLError(
            f"refused: the SQL parser cannot read the statement: {_first_line(e)}"
        ) from None
    if not tokens or tokens[0].text.upper() != "EXPLAIN":
        return statement
    rest = statement[tokens[0].end + 1 :]
    try:
        tokens = sqlglot.tokenize(rest, read=dialect)
    except SqlglotError as e:
        raise ReadOnlySQLError(
            f"refused: the SQL parser cannot read the statement: {_first_line(e)}"
        ) from None
    options: list[str] = []
    i = 0
    if tokens and tokens[0].text == "(":  # PostgreSQL: EXPLAIN (option [value], ...)
        depth = 0
        for i, tok in enumerate(tokens):
            depth += {"(": 1, ")": -1}.get(tok.text, 0)
            options.append(tok.text.upper())
            if depth == 0:
                i += 1
                break
        else:
            raise ReadOnlySQLError("refused: the EXPLAIN options are not closed")
    else:  # EXPLAIN [ANALYZE] [VERBOSE] / SQLite's EXPLAIN QUERY PLAN
        while i < len(tokens) and tokens[i].text.upper() in {
            "ANALYZE",
            "ANALYSE",
            "VERBOSE",
            "QUERY",
            "PLAN",
        }:
            options.append(tokens[i].text.upper())
            i += 1
    if "ANALYZE" in options or "ANALYSE" in options:
        raise ReadOnlySQLError(
            "refused: EXPLAIN ANALYZE runs the statement; use EXPLAIN without ANALYZE"
        )
    if i >= len(tokens):
        raise ReadOnlySQLError("the statement is empty after EXPLAIN")
    body = rest[tokens[i].start :]
    if _strip_explain(body, dialect) != body:
        raise ReadOnlySQLError("refused: EXPLAIN EXPLAIN is not a statement")
    return body


def _first_line(err: object) -> str:
    return (str(err).strip().splitlines() or ["unknown error"])[0]


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n}_{seen[n]}")
    return out


def run_readonly_sql(url: str, statement: str, *, limit: int, timeout: float) -> SQLResult:
    """Run one read-only `statement` on the store at `url`: at most `limit` rows, `timeout` seconds.

    Raises ReadOnlySQLError when the statement is refused (see the module docstring), when the
    database refuses or fails it, when it runs longer than `timeout`, or when there is no store.
    """
    if limit < 1:
        raise ReadOnlySQLError(f"the row cap must be at least 1, got {limit}")
    if timeout <= 0:
        raise ReadOnlySQLError(f"the statement timeout must be positive, got {timeout}")
    backend = make_url(url).get_backend_name()
    if backend not in _DIALECTS:
        raise ReadOnlySQLError(f"airace sql supports SQLite and PostgreSQL, not {backend}")
    check_statement(statement, _DIALECTS[backend])
    if backend == "sqlite":
        return _run_sqlite(url, statement, limit, timeout)
    return _run_postgres(url, statement, limit, timeout)


def _fetch(cursor: Any, limit: int) -> SQLResult:
    if cursor.description is None:
        return SQLResult([], [], False)
    keys = _unique([d[0] for d in cursor.description])
    got = cursor.fetchmany(limit + 1)
    return SQLResult(
        keys, [dict(zip(keys, row, strict=True)) for row in got[:limit]], len(got) > limit
    )


# SQLite authorizer: reads only. Everything else (ATTACH, PRAGMA, any write, a temp table) is
# denied at prepare time, before the statement can touch a file.
_SQLITE_ACTIONS = {
    getattr(sqlite3, f"SQLITE_{name}"): name.replace("_", " ")
    for name in [
        "CREATE_INDEX",
        "CREATE_TABLE",
        "CREATE_TEMP_INDEX",
        "CREATE_TEMP_TABLE",
        "CREATE_TEMP_TRIGGER",
        "CREATE_TEMP_VIEW",
        "CREATE_TRIGGER",
        "CREATE_VIEW",
        "DELETE",
        "DROP_INDEX",
        "DROP_TABLE",
        "DROP_TEMP_INDEX",
        "DROP_TEMP_TABLE",
        "DROP_TEMP_TRIGGER",
        "DROP_TEMP_VIEW",
        "DROP_TRIGGER",
        "DROP_VIEW",
        "INSERT",
        "PRAGMA",
        "READ",
        "SELECT",
        "TRANSACTION",
        "UPDATE",
        "ATTACH",
        "DETACH",
        "ALTER_TABLE",
        "REINDEX",
        "ANALYZE",
        "CREATE_VTABLE",
        "DROP_VTABLE",
        "FUNCTION",
        "SAVEPOINT",
        "RECURSIVE",
    ]
}
_SQLITE_ALLOWED = {
    sqlite3.SQLITE_SELECT,
    sqlite3.SQLITE_READ,
    sqlite3.SQLITE_FUNCTION,
    sqlite3.SQLITE_RECURSIVE,
}


def _sqlite_authorizer(
    denied: list[str],
) -> Callable[[int, str | None, str | None, str | None, str | None], int]:
    def authorize(
        action: int, arg1: str | None, arg2: str | None, _db: str | None, _trigger: str | None
    ) -> int:
        if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in DENIED_FUNCTIONS:
            denied.append(f"function {arg2}()")
            return sqlite3.SQLITE_DENY
        if action not in _SQLITE_ALLOWED:
            what = _SQLITE_ACTIONS.get(action, f"action {action}")
            denied.append(f"{what} {arg1}" if arg1 else what)
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK

    return authorize


def _run_sqlite(url: str, statement: str, limit: int, timeout: float) -> SQLResult:
    try:
        engine = make_engine(url, readonly=True)
    except FileNotFoundError as e:
        raise ReadOnlySQLError(str(e)) from None
    try:
        raw = engine.raw_connection()
        try:
            conn: sqlite3.Connection = raw.driver_connection  # type: ignore[assignment]
            denied: list[str] = []
            deadline = time.monotonic() + timeout
            # Load the schema first: SQLite parses sqlite_master on a connection's first
            # statement, which the authorizer would see as an UPDATE of it.
            conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
            conn.set_authorizer(_sqlite_authorizer(denied))
            conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
            cur = conn.cursor()
            try:
                cur.execute(statement)
                return _fetch(cur, limit)
            except sqlite3.Error as e:
                if time.monotonic() > deadline:
                    raise ReadOnlySQLError(
                        f"the statement ran longer than {timeout:g} s and was stopped"
                    ) from None
                if denied:
                    raise ReadOnlySQLError(
                        f"refused by the database: {denied[0]} is not a read; airace sql only reads"
                    ) from None
                raise ReadOnlySQLError(
                    f"the database refused the statement: {_first_line(e)}"
                ) from None
            finally:
                cur.close()
                conn.set_authorizer(None)
                conn.set_progress_handler(None, 0)
        finally:
            raw.close()
    finally:
        engine.dispose()


def _run_postgres(url: str, statement: str, limit: int, timeout: float) -> SQLResult:
    import psycopg
    from sqlalchemy import exc

    engine = make_engine(url, readonly=True)
    try:
        try:
            raw = engine.raw_connection()
        except exc.DBAPIError as e:
            raise ReadOnlySQLError(
                f"cannot connect to the database: {_first_line(e.orig)}"
            ) from None
        try:
            conn: psycopg.Connection[Any] = raw.driver_connection  # type: ignore[assignment]
            conn.rollback()
            conn.autocommit = True  # the transaction below is ours, explicit
            with conn.cursor() as cur:
                cur.execute("BEGIN READ ONLY")
                try:
                    ms = max(1, int(timeout * 1000))
                    cur.execute(f"SET LOCAL statement_timeout = {ms}")
                    try:
                        # prepare=True: a server-side prepared statement, which PostgreSQL
                        # accepts for one statement only.
                        cur.execute(statement, prepare=True)  # type: ignore[call-overload]
                        return _fetch(cur, limit)
                    except psycopg.errors.QueryCanceled:
                        raise ReadOnlySQLError(
                            f"the statement ran longer than {timeout:g} s and was stopped"
                        ) from None
                    except psycopg.Error as e:
                        raise ReadOnlySQLError(
                            f"the database refused the statement: {_first_line(e)}"
                        ) from None
                finally:
                    if not conn.closed:
                        cur.execute("ROLLBACK")
        finally:
            raw.invalidate()  # never hand this connection back to a pool
            raw.close()
    finally:
        engine.dispose()
