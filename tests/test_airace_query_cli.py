"""`airace query`, `search --keywords-only`, `sql` and `browse` through the real entry point."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from airace.commands.query_cmd import datasette_argv
from airace.errors import UserError
from db.engine import make_engine, make_sessionmaker
from db.models import Article, Source
from db.queries import ARTICLE_FIELDS, ENTITY_FIELDS, REACTION_FIELDS
from tests.query_data import build_store

FORMATS = ["json", "jsonl", "csv", "table"]


def _parse(fmt: str, out: str) -> list[dict]:
    if fmt == "json":
        return json.loads(out)
    if fmt == "jsonl":
        return [json.loads(line) for line in out.splitlines()]
    return list(csv.DictReader(io.StringIO(out)))


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")


@pytest.fixture
def store_url(sqlite_url: str) -> str:
    return build_store(sqlite_url)


@pytest.fixture
def any_store_url(db_url: str) -> str:
    return build_store(db_url)


@pytest.mark.parametrize("fmt", FORMATS)
def test_query_articles_in_every_format(cli, store_url, fmt) -> None:
    r = cli("--db", store_url, "query", "articles", "--entity", "Google", "--format", fmt)
    assert r.exit_code == 0, r.stderr
    if fmt == "table":
        assert "Google opens Gemini" in r.stdout and "Alphabet (GOOGL)+" in r.stdout
        assert max(len(line) for line in r.stdout.splitlines()) <= 120
        return
    rows = _parse(fmt, r.stdout)
    assert len(rows) == 1 and list(rows[0]) == list(ARTICLE_FIELDS)
    assert rows[0]["title"] == "Google opens Gemini 2.0 to developers"
    assert rows[0]["published_at"].startswith("2025-01-22")
    if fmt == "csv":
        assert "Alphabet" in rows[0]["entities"]
    else:
        assert {e["name"] for e in rows[0]["entities"]} == {"Alphabet", "Google DeepMind"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_query_entities_in_every_format(cli, store_url, fmt) -> None:
    args = ["--since", "2025-01-20", "--until", "2025-01-27", "--format", fmt]
    r = cli("--db", store_url, "query", "entities", *args)
    assert r.exit_code == 0, r.stderr
    if fmt == "table":
        assert "Nvidia" in r.stdout and "up" in r.stdout
        return
    rows = _parse(fmt, r.stdout)
    assert list(rows[0]) == list(ENTITY_FIELDS)
    assert rows[0]["name"] == "Nvidia" and str(rows[0]["articles"]) == "2"
    assert rows[0]["trend"] == "up"


@pytest.mark.parametrize("fmt", FORMATS)
def test_query_reactions_in_every_format(cli, store_url, fmt) -> None:
    r = cli("--db", store_url, "query", "reactions", "--ticker", "NVDA", "--format", fmt)
    assert r.exit_code == 0, r.stderr
    if fmt == "table":
        assert "-15.0%" in r.stdout
        return
    rows = _parse(fmt, r.stdout)
    assert list(rows[0]) == list(REACTION_FIELDS)
    assert [float(x["car"]) for x in rows] == [-0.15, 0.025]
    assert rows[0]["window"] == "0,1" and rows[0]["stance"] == "unfavourable"


@pytest.mark.parametrize(
    "args, message",
    [
        (["query", "articles", "--since", "2025-13-01"], "--since: expected a date"),
        (["query", "articles", "--entity", "Anthropic"], "unknown entity 'Anthropic'"),
        (["query", "articles", "--stance", "happy"], "stance must be one of"),
        (["query", "articles", "--format", "xml"], "--format"),
        (["query", "entities", "--type", "robot"], "--type must be one of"),
        (["query", "reactions", "--window", "5,0"], "--window"),
        (["query", "reactions", "--limit", "0"], "--limit"),
        (["sql", "SELEC nonsense"], "SELEC is not a read"),
        (["search", "  ", "--keywords-only"], "search text is empty"),
    ],
)
def test_user_mistakes_are_one_line_and_exit_2(cli, store_url, args, message) -> None:
    r = cli("--db", store_url, *args)
    assert r.exit_code == 2, r.stdout
    assert message in r.stderr and r.stderr.count("\n") == 1, r.stderr
    assert "Traceback" not in r.stderr


def test_search_by_keywords_finds_a_ticker(cli, store_url) -> None:
    r = cli("--db", store_url, "search", "NVDA", "--keywords-only", "--format", "json")
    assert r.exit_code == 0, r.stderr
    rows = json.loads(r.stdout)
    assert rows[0]["title"].startswith("DeepSeek R1") and rows[0]["keyword_rank"] == 1
    assert rows[0]["similarity"] is None


@pytest.mark.parametrize("fmt", FORMATS)
def test_sql_select_in_every_format(cli, any_store_url, fmt) -> None:
    sql = "SELECT language, count(*) AS n FROM articles GROUP BY language ORDER BY language"
    r = cli("--db", any_store_url, "sql", sql, "--format", fmt)
    assert r.exit_code == 0, r.stderr
    if fmt == "table":
        assert "fr" in r.stdout
        return
    rows = _parse(fmt, r.stdout)
    assert [(x["language"], int(x["n"])) for x in rows] == [("en", 5), ("fr", 1)]


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO sources (name, kind, enabled, created_at) VALUES ('x', 'feed', true, '2025-01-01')",
        "DROP TABLE prices",
        "DELETE FROM articles",
    ],
)
def test_sql_writes_are_refused(cli, any_store_url, statement) -> None:
    r = cli("--db", any_store_url, "sql", statement)
    assert r.exit_code == 2
    assert "is not a read" in r.stderr, r.stderr
    engine = make_engine(any_store_url)
    with make_sessionmaker(engine)() as s:
        assert s.scalar(select(func.count()).select_from(Source)) == 2
        assert s.scalar(select(func.count()).select_from(Article)) == 6
    engine.dispose()
    r = cli("--db", any_store_url, "sql", "SELECT count(*) AS n FROM prices", "-f", "json")
    assert json.loads(r.stdout) == [{"n": 2}]


def test_browse_needs_sqlite() -> None:
    with pytest.raises(UserError, match="SQLite store only"):
        datasette_argv("postgresql+psycopg://u@h/db")


def test_browse_serves_the_canned_queries(store_url) -> None:
    pytest.importorskip("datasette")
    argv = datasette_argv(store_url, port=0)
    db_name = store_url.rsplit("/", 1)[1].removesuffix(".db")
    get = [*argv[:5], "--metadata", argv[6], "--get", f"/{db_name}/biggest_moves.json?_shape=array"]
    out = subprocess.run(get, capture_output=True, text=True, timeout=60, check=True)
    rows = json.loads(out.stdout)
    assert rows[0]["ticker"] == "NVDA" and rows[0]["car_pct"] == -15.0
    assert argv[:4] == [sys.executable, "-m", "datasette", "serve"]
