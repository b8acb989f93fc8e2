"""The store on a real SQLite file and on the local PostgreSQL: schema, constraints, instants."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError, StatementError

from db.engine import make_engine
from db.migrations import current_revision, ensure_current, head_revision
from db.models import Article, Entity, Instrument, Price, Source


def test_upgrade_builds_every_table(engine) -> None:
    tables = set(inspect(engine).get_table_names())
    for name in [
        "sources",
        "crawl_runs",
        "articles",
        "duplicates",
        "entities",
        "exposures",
        "mentions",
        "stances",
        "themes",
        "embeddings",
        "instruments",
        "prices",
        "reactions",
        "reports",
        "job_runs",
    ]:
        assert name in tables
    assert current_revision(engine) == head_revision()


def test_instants_round_trip_in_utc(sessions) -> None:
    paris = dt.timezone(dt.timedelta(hours=1))
    published = dt.datetime(2025, 1, 27, 15, 30, tzinfo=paris)
    with sessions.begin() as s:
        src = Source(name="example", kind="feed")
        s.add(
            Article(
                url="https://example.org/a",
                title="Été",
                text="x",
                content_hash="h",
                published_at=published,
                published_precision="exact",
                source=src,
            )
        )
    with sessions() as s:
        art = s.scalars(select(Article)).one()
        assert art.published_at == published
        assert art.published_at.tzinfo is not None
        assert art.published_at.utcoffset() == dt.timedelta(0)
        assert art.title == "Été"


def test_canonical_url_is_unique(sessions) -> None:
    with sessions.begin() as s:
        s.add(Article(url="https://example.org/a", content_hash="h1"))
    with pytest.raises(IntegrityError), sessions.begin() as s:
        s.add(Article(url="https://example.org/a", content_hash="h2"))


def test_naive_datetime_is_refused(sessions) -> None:
    with pytest.raises(StatementError, match="naive datetime"), sessions.begin() as s:
        s.add(
            Article(
                url="https://example.org/b", content_hash="h", published_at=dt.datetime(2025, 1, 1)
            )
        )


def test_prices_unique_per_ticker_and_date(sessions) -> None:
    with sessions.begin() as s:
        s.add(Instrument(ticker="NVDA", kind="equity", exchange="NASDAQ", currency="USD"))
        s.add(Price(ticker="NVDA", date=dt.date(2025, 1, 27), close=118.42, source="csv"))
    with pytest.raises(IntegrityError), sessions.begin() as s:
        s.add(Price(ticker="NVDA", date=dt.date(2025, 1, 27), close=1.0, source="csv"))


def test_foreign_keys_are_enforced(sessions) -> None:
    with pytest.raises(IntegrityError), sessions.begin() as s:
        s.add(Price(ticker="NOPE", date=dt.date(2025, 1, 27), close=1.0, source="csv"))


def test_entity_parent_link(sessions) -> None:
    with sessions.begin() as s:
        alphabet = Entity(
            key="alphabet", name="Alphabet", type="company", ticker="GOOGL", aliases=["Google"]
        )
        s.add(Entity(key="google-deepmind", name="Google DeepMind", type="ai_lab", parent=alphabet))
    with sessions() as s:
        dm = s.scalars(select(Entity).where(Entity.key == "google-deepmind")).one()
        assert dm.parent is not None and dm.parent.ticker == "GOOGL"


def test_sqlite_pragmas(sqlite_engine) -> None:
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000


def test_ensure_current_upgrades_an_empty_database(sqlite_url) -> None:
    eng = make_engine(sqlite_url)
    assert current_revision(eng) is None
    assert ensure_current(eng) is True
    assert ensure_current(eng) is False
    eng.dispose()


def test_readonly_engine_refuses_writes(sqlite_engine, sqlite_url) -> None:
    ro = make_engine(sqlite_url, readonly=True)
    with ro.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM articles")).scalar() == 0
        with pytest.raises(Exception, match=r"readonly|read-only|attempt to write"):
            conn.execute(
                text(
                    "INSERT INTO sources(name, kind, enabled, created_at) "
                    "VALUES ('x', 'feed', 1, '2025-01-01')"
                )
            )
    ro.dispose()
