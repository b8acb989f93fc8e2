"""`airace sql` never writes (SQLite and PostgreSQL), and data never reaches rich as markup."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, update

import db.readonly_sql as readonly_sql
from airace.output import emit
from db.engine import make_engine, make_sessionmaker
from db.migrations import upgrade
from db.models import Article
from db.readonly_sql import ReadOnlySQLError, check_statement, run_readonly_sql
from tests.query_data import build_store, populate


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "160")


@pytest.fixture
def store(db_url: str) -> str:
    return build_store(db_url)


def _state(url: str) -> tuple[list[str], int]:
    """Table names and article count: what an attack must leave as it was."""
    engine = make_engine(url)
    try:
        tables = sorted(inspect(engine).get_table_names())
        with make_sessionmaker(engine)() as s:
            n = s.scalar(select(func.count()).select_from(Article))
        return tables, int(n or 0)
    finally:
        engine.dispose()


ATTACKS = [
    # (statement, what the one-line error says); {tmp} is the test's own folder
    ("SET TRANSACTION READ WRITE; CREATE TABLE x(i int); COMMIT", "3 statements given"),
    ("COMMIT; BEGIN READ WRITE; DROP TABLE articles CASCADE; COMMIT", "4 statements given"),
    ("SELECT 1; DROP TABLE articles", "2 statements given"),
    ("COPY (SELECT 1) TO PROGRAM 'touch {tmp}/f'", "COPY is not a read"),
    ("COPY articles TO '{tmp}/f.csv'", "COPY is not a read"),
    ("DROP TABLE articles", "DROP is not a read"),
    ("DELETE FROM articles", "DELETE is not a read"),
    ("CREATE TABLE x (i int)", "CREATE is not a read"),
    ("SET default_transaction_read_only = off", "SET is not a read"),
    ("WITH gone AS (DELETE FROM articles RETURNING id) SELECT * FROM gone", "contains DELETE"),
    ("SELECT * INTO x FROM articles", "SELECT ... INTO creates a table"),
    ("SELECT id FROM articles FOR UPDATE", "FOR UPDATE/SHARE"),
    ("EXPLAIN ANALYZE DELETE FROM articles", "EXPLAIN ANALYZE runs the statement"),
    ("EXPLAIN (ANALYZE, COSTS OFF) SELECT 1", "EXPLAIN ANALYZE runs the statement"),
    ("SELECT pg_read_file('/etc/hostname')", "function pg_read_file()"),
    ("SELECT set_config('default_transaction_read_only', 'off', false)", "function set_config()"),
    ("SELECT nextval('articles_id_seq')", "function nextval()"),
    ("SELECT lo_export(1, '{tmp}/lo')", "function lo_export()"),
    ("ATTACH DATABASE '{tmp}/attached.db' AS other", "refused:"),
    ("VACUUM INTO '{tmp}/copy.db'", "VACUUM is not a read"),
    ("PRAGMA journal_mode=DELETE", "PRAGMA is not a read"),
    ("", "the statement is empty"),
]


@pytest.mark.parametrize("statement, message", ATTACKS)
def test_attacks_are_refused_and_change_nothing(
    cli, store: str, tmp_path: Path, statement: str, message: str
) -> None:
    before = _state(store)
    r = cli("--db", store, "sql", statement.format(tmp=tmp_path))
    assert r.exit_code == 2, (r.stdout, r.stderr)
    assert message in r.stderr and r.stderr.count("\n") == 1, r.stderr
    assert "Traceback" not in r.stderr and "disk I/O" not in r.stderr
    assert _state(store) == before
    written = {p.name for p in tmp_path.iterdir()}
    assert not written & {"f", "f.csv", "lo", "attached.db", "copy.db"}, written


def _bypass_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    """Disable the first layer to show that the next ones hold on their own."""
    monkeypatch.setattr(readonly_sql, "check_statement", lambda statement, dialect: None)


@pytest.mark.parametrize(
    "statement",
    [
        "CREATE TABLE x (i int)",
        "DELETE FROM articles",
        "SET TRANSACTION READ WRITE; CREATE TABLE x(i int); COMMIT",
        "COMMIT; BEGIN READ WRITE; DROP TABLE articles; COMMIT",
    ],
)
def test_without_the_parser_the_database_still_refuses(
    monkeypatch: pytest.MonkeyPatch, store: str, statement: str
) -> None:
    before = _state(store)
    _bypass_parser(monkeypatch)
    with pytest.raises(ReadOnlySQLError, match="refused"):
        run_readonly_sql(store, statement, limit=10, timeout=5)
    assert _state(store) == before


@pytest.mark.parametrize(
    "statement",
    [
        "ATTACH DATABASE '{tmp}/attached.db' AS other",
        "VACUUM INTO '{tmp}/copy.db'",
        "PRAGMA journal_mode=DELETE",
    ],
)
def test_sqlite_without_the_parser_refuses_before_touching_the_disk(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, tmp_path: Path, statement: str
) -> None:
    engine = make_engine(sqlite_url)
    upgrade(engine)
    engine.dispose()
    _bypass_parser(monkeypatch)
    with pytest.raises(ReadOnlySQLError) as err:
        run_readonly_sql(sqlite_url, statement.format(tmp=tmp_path), limit=10, timeout=5)
    assert "disk I/O" not in str(err.value)
    assert not (tmp_path / "attached.db").exists() and not (tmp_path / "copy.db").exists()
    assert make_engine(sqlite_url).connect().exec_driver_sql("PRAGMA journal_mode").scalar() == (
        "wal"
    )


@pytest.mark.parametrize(
    "statement, expected",
    [
        (
            "SELECT language, count(*) AS n FROM articles GROUP BY language ORDER BY language",
            [{"language": "en", "n": 5}, {"language": "fr", "n": 1}],
        ),
        (
            "WITH fr AS (SELECT id FROM articles WHERE language = 'fr') SELECT count(*) AS n FROM fr",
            [{"n": 1}],
        ),
        ("VALUES (1, 'a'), (2, 'b')", None),
        ("SELECT 1 AS a UNION ALL SELECT 2 ORDER BY a", [{"a": 1}, {"a": 2}]),
        ("SELECT '50%' AS pct, ':name' AS colon;", [{"pct": "50%", "colon": ":name"}]),
        ("SELECT count(*) AS n -- a comment\nFROM sources; -- done", [{"n": 2}]),
    ],
)
def test_reads_still_work(cli, store: str, statement: str, expected: list | None) -> None:
    r = cli("--db", store, "sql", statement, "-f", "json")
    assert r.exit_code == 0, r.stderr
    rows = json.loads(r.stdout)
    if expected is None:  # VALUES: column names differ by engine (column1 / column1)
        assert [list(x.values()) for x in rows] == [[1, "a"], [2, "b"]]
    else:
        assert rows == expected


def test_explain_without_analyze_shows_a_plan(cli, store: str) -> None:
    r = cli("--db", store, "sql", "EXPLAIN SELECT * FROM articles WHERE id = 1", "-f", "json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)  # a plan, one row or more


def test_row_cap_fetches_at_most_limit_rows(cli, store: str) -> None:
    sql = (
        "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 500) "
        "SELECT n FROM c"
    )
    r = cli("--db", store, "sql", sql, "--limit", "7", "-f", "json")
    assert r.exit_code == 0, r.stderr
    assert [x["n"] for x in json.loads(r.stdout)] == list(range(1, 8))
    assert "first 7 rows shown" in r.stderr
    result = run_readonly_sql(store, sql, limit=500, timeout=5)
    assert len(result.rows) == 500 and not result.truncated


def test_statement_timeout_stops_a_runaway_query(cli, store: str) -> None:
    endless = (
        "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c) SELECT count(*) FROM c"
    )
    r = cli("--db", store, "sql", endless, "--timeout", "0.5")
    assert r.exit_code == 2
    assert "ran longer than 0.5 s and was stopped" in r.stderr and r.stderr.count("\n") == 1
    # the store is usable right after
    r = cli("--db", store, "sql", "SELECT count(*) AS n FROM sources", "-f", "json")
    assert json.loads(r.stdout) == [{"n": 2}]


def test_sql_database_url_is_used_instead_of_database_url(
    cli, store: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AIRACE_SQL_DATABASE_URL", store)
    empty = f"sqlite:///{tmp_path / 'missing.db'}"
    r = cli("--db", empty, "sql", "SELECT count(*) AS n FROM sources", "-f", "json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout) == [{"n": 2}]


def test_parser_is_dialect_aware() -> None:
    check_statement("SELECT $$a;b$$ AS x", "postgres")  # one statement: ; inside a string
    check_statement("SELECT 'x; DROP TABLE articles' AS x", "sqlite")
    with pytest.raises(ReadOnlySQLError, match="2 statements"):
        check_statement("SELECT 1; /* */ SELECT 2", "sqlite")
    check_statement("SELECT 1; /* only a comment after */", "sqlite")
    for dialect in ("postgres", "sqlite"):  # a backslash does not escape a quote in SQL
        with pytest.raises(ReadOnlySQLError, match="2 statements"):
            check_statement("SELECT 'a\\'; DROP TABLE articles; --'", dialect)


# --------------------------------------------------------------------------------------------
# rich markup


HOSTILE = "Chips [/] and [bold]loud[/bold] [link=http://x]here[/link]"


@pytest.fixture
def hostile_store(store: str) -> str:
    engine = make_engine(store)
    with make_sessionmaker(engine).begin() as s:
        s.execute(
            update(Article)
            .where(Article.title.like("DeepSeek R1%"))
            .values(title="DeepSeek R1 " + HOSTILE)
        )
    engine.dispose()
    return store


@pytest.mark.parametrize(
    "args",
    [
        ["query", "articles", "--entity", "Nvidia"],
        ["search", "NVDA", "--keywords-only"],
        ["sql", "SELECT title AS \"[/]\" FROM articles WHERE title LIKE 'DeepSeek R1%'"],
    ],
)
def test_titles_with_markup_print_literally(cli, hostile_store: str, args: list[str]) -> None:
    r = cli("--db", hostile_store, *args)
    assert r.exit_code == 0, r.stderr
    flat = " ".join(r.stdout.replace("│", " ").split())
    assert "Chips [/] and [bold]loud[/bold]" in flat, r.stdout


def test_emit_table_escapes_cells_headers_and_title() -> None:
    out = io.StringIO()
    emit([{"[/]": "[bold]x[/bold]"}], "table", title="[red]t[/]", out=out)
    text = out.getvalue()
    assert "[bold]x[/bold]" in text and "[/]" in text and "[red]t[/]" in text


def test_crawl_table_prints_names_and_reasons_literally() -> None:
    from rich.console import Console

    from airace.commands.crawl_cmd import _table

    counts = {"fetched": 1, "errors": 1, "errors_by_reason": {"[/]bad [bold]": 1}}
    out = io.StringIO()
    Console(file=out, width=160).print(_table({"src[/]": counts}, "crawl [red]x[/]"))
    text = out.getvalue()
    assert "src[/]" in text and "[/]bad [bold] 1" in text and "crawl [red]x[/]" in text


def test_demo_summary_prints_notes_and_paths_literally(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from airace.commands.demo_cmd import StageDisplay, print_summary
    from airace.demo import DemoResult

    print_summary(
        DemoResult(out_dir=tmp_path, db_url="sqlite:///[/]x.db", notes=["a [bold]note[/] [/]"])
    )
    out = capsys.readouterr().out
    assert "sqlite:///[/]x.db" in out and "note: a [bold]note[/] [/]" in out
    display = StageDisplay()
    display("crawl", "")
    display("crawl", "fetched [/] [bold]3[/bold]")
    display.close()
    assert "fetched [/] [bold]3[/bold]" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# the SELECT-only role of docs/deployment.md


@pytest.mark.postgres
def test_a_select_only_role_reads_and_the_database_refuses_the_rest(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The role statements of docs/deployment.md, with the parser bypassed: PostgreSQL refuses."""
    import uuid

    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    engine = make_engine(postgres_url)
    upgrade(engine)
    populate(make_sessionmaker(engine))
    role = f"airace_reader_{uuid.uuid4().hex[:8]}"
    dbname = make_url(postgres_url).database
    setup = [
        f"CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE",
        f"ALTER ROLE {role} SET default_transaction_read_only = on",
        f'GRANT CONNECT ON DATABASE "{dbname}" TO {role}',
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}",
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
    ]
    with engine.begin() as conn:
        for statement in setup:
            conn.execute(text(statement))
    reader = make_url(postgres_url).set(username=role, password=None)
    reader_url = reader.render_as_string(hide_password=False)
    try:
        result = run_readonly_sql(
            reader_url, "SELECT count(*) AS n FROM articles", limit=5, timeout=5
        )
        assert result.rows == [{"n": 6}]
        _bypass_parser(monkeypatch)
        for statement, refusal in [
            ("CREATE TABLE x (i int)", "read-only transaction"),
            (f"COPY (SELECT 1) TO PROGRAM 'touch {tmp_path}/f'", "pg_execute_server_program"),
            ("SELECT pg_read_file('/etc/hostname')", "permission denied"),
        ]:
            with pytest.raises(ReadOnlySQLError, match=refusal):
                run_readonly_sql(reader_url, statement, limit=5, timeout=5)
        assert not (tmp_path / "f").exists()
    finally:
        # Revoke what was granted, then drop the role (DROP OWNED BY needs the role's own
        # privileges, which a CREATEROLE login that is not a superuser may lack).
        with engine.begin() as conn:
            conn.execute(text(f"REVOKE SELECT ON ALL TABLES IN SCHEMA public FROM {role}"))
            conn.execute(text(f"REVOKE USAGE ON SCHEMA public FROM {role}"))
            conn.execute(text(f'REVOKE CONNECT ON DATABASE "{dbname}" FROM {role}'))
            conn.execute(text(f"DROP ROLE {role}"))
        engine.dispose()
