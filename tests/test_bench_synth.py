"""The synthetic corpus generator (bench/synth.py) fills every table consistently."""

from __future__ import annotations

import datetime as dt
import math
import sqlite3
import statistics
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from bench.synth import EMBEDDING_DIM, WINDOWS, generate
from bench.synth_vocab import THEMES
from db.engine import make_engine, make_sessionmaker
from db.migrations import upgrade
from db.models import Article, Embedding, Entity, Mention, Reaction, Source, Stance

N = 300


@pytest.fixture(scope="module")
def synth_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    path = tmp_path_factory.mktemp("synth") / "synth.db"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    counts = generate(url, N, seed=1)
    return path, counts


def _rows(path: Path, sql: str) -> list[tuple]:
    con = sqlite3.connect(path)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_counts_and_foreign_keys(synth_db: tuple[Path, dict]) -> None:
    path, counts = synth_db
    assert counts["articles"] == N
    assert counts["embeddings"] == N
    assert counts["sources"] == 30
    assert 75 <= counts["entities"] <= 90
    assert counts["instruments"] == 25
    assert counts["seconds"] > 0
    for table in ("articles", "mentions", "stances", "themes", "reactions", "prices"):
        assert _rows(path, f"SELECT count(*) FROM {table}")[0][0] == counts[table]
    assert _rows(path, "PRAGMA foreign_key_check") == []
    # reactions.ticker has no foreign key: check it against instruments by hand.
    assert _rows(
        path, "SELECT count(*) FROM reactions WHERE ticker NOT IN (SELECT ticker FROM instruments)"
    ) == [(0,)]


def test_articles(synth_db: tuple[Path, dict]) -> None:
    path, _ = synth_db
    per_article = _rows(
        path,
        "SELECT a.id, count(m.entity_id) FROM articles a "
        "LEFT JOIN mentions m ON m.article_id = a.id GROUP BY a.id",
    )
    assert all(2 <= n <= 8 for _id, n in per_article)
    statuses = _rows(path, "SELECT DISTINCT status, analysis_version FROM articles")
    assert statuses == [("analysed", 1)]
    fr = _rows(path, "SELECT count(*) FROM articles WHERE language = 'fr'")[0][0]
    assert 0.35 * N < fr < 0.65 * N
    words = [w for (w,) in _rows(path, "SELECT word_count FROM articles")]
    assert 450 < statistics.median(words) < 850
    first, last = _rows(path, "SELECT min(published_at), max(published_at) FROM articles")[0]
    assert first < "2024-10-15" and last > "2025-05-15"
    months = _rows(path, "SELECT count(DISTINCT substr(published_at, 1, 7)) FROM articles")
    assert months[0][0] >= 8
    assert _rows(path, "SELECT count(DISTINCT url) FROM articles")[0][0] == N


def test_mentions_stances_themes(synth_db: tuple[Path, dict]) -> None:
    path, _ = synth_db
    bad_mentions = _rows(
        path,
        "SELECT count(*) FROM mentions m JOIN articles a ON a.id = m.article_id "
        "WHERE instr(a.text, m.surface) = 0 OR m.salience < 0 OR m.salience > 1 OR m.count < 1",
    )
    assert bad_mentions == [(0,)]
    for score, label, confidence in _rows(path, "SELECT score, label, confidence FROM stances"):
        assert -1 <= score <= 1 and label in (-1, 0, 1) and 0 <= confidence <= 1
        assert label == 0 or math.copysign(1, score) == label
    evidence_missing = _rows(
        path,
        "SELECT count(*) FROM stances s JOIN articles a ON a.id = s.article_id "
        "WHERE instr(a.text, s.evidence) = 0",
    )
    assert evidence_missing == [(0,)]
    themes = _rows(path, "SELECT article_id, theme, score FROM themes")
    assert {t for _a, t, _s in themes} <= set(THEMES)
    assert all(0 <= s <= 1 for _a, _t, s in themes)
    per_article = _rows(path, "SELECT count(*) FROM themes GROUP BY article_id")
    assert len(per_article) == N and all(1 <= n <= 3 for (n,) in per_article)


def test_reactions_and_prices(synth_db: tuple[Path, dict]) -> None:
    path, _ = synth_db
    assert _rows(path, "SELECT count(*) FROM (SELECT DISTINCT ticker, date FROM prices)") == _rows(
        path, "SELECT count(*) FROM prices"
    )
    windows = set(_rows(path, "SELECT DISTINCT window_start, window_end FROM reactions"))
    assert windows == set(WINDOWS)
    off_session = _rows(
        path,
        "SELECT count(*) FROM reactions r LEFT JOIN prices p "
        "ON p.ticker = r.ticker AND p.date = r.event_date WHERE p.date IS NULL",
    )
    assert off_session == [(0,)]
    rows = _rows(
        path,
        "SELECT article_id, ticker, window_start, window_end, abnormal_return, car, link_type, "
        "benchmark, model FROM reactions",
    )
    day0: dict[tuple[int, str], float] = {}
    for aid, ticker, ws, we, ar, car, link, bench, model in rows:
        assert abs(car) < 1 and abs(ar) < 0.5
        assert link in ("direct", "parent", "exposure", "theme")
        assert bench in ("SMH", "QQQ") and model == "market_adjusted"
        assert day0.setdefault((aid, ticker), ar) == ar  # the day-0 AR on every window
        if (ws, we) == (0, 0):
            assert car == pytest.approx(ar)
    per_article = _rows(path, "SELECT count(DISTINCT ticker) FROM reactions GROUP BY article_id")
    assert all(1 <= n <= 4 for (n,) in per_article)


def test_orm_reads_back(synth_db: tuple[Path, dict]) -> None:
    path, _ = synth_db
    engine = make_engine(f"sqlite:///{path}")
    with make_sessionmaker(engine)() as session:
        article = session.get(Article, 1)
        assert article is not None and article.published_at is not None
        assert article.published_at.tzinfo is not None
        assert dt.date(2024, 9, 3) <= article.published_at.date() <= dt.date(2025, 6, 30)
        assert isinstance(article.authors, list) and article.source is not None
        emb = session.get(Embedding, 1)
        assert emb is not None and emb.dim == EMBEDDING_DIM and emb.model == "synthetic"
        vec = np.frombuffer(emb.vector, dtype="<f4")
        assert vec.shape == (EMBEDDING_DIM,) and abs(float(np.linalg.norm(vec)) - 1) < 1e-4
        nvidia = session.scalars(select(Entity).where(Entity.key == "nvidia")).one()
        assert nvidia.ticker == "NVDA" and "Nvidia" in nvidia.aliases
        assert session.scalar(select(func.count()).select_from(Reaction)) > N
    engine.dispose()


def test_deterministic_and_refuses_a_filled_database(tmp_path: Path) -> None:
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    generate(f"sqlite:///{a}", 40, seed=7)
    generate(f"sqlite:///{b}", 40, seed=7)
    sql = "SELECT url, title, content_hash, published_at FROM articles ORDER BY id"
    assert _rows(a, sql) == _rows(b, sql)
    assert _rows(a, "SELECT * FROM reactions ORDER BY id") == _rows(
        b, "SELECT * FROM reactions ORDER BY id"
    )
    with pytest.raises(ValueError, match="not empty"):
        generate(f"sqlite:///{a}", 10)


@pytest.mark.postgres
def test_generate_on_postgres(postgres_url: str) -> None:
    counts = generate(postgres_url, 120, seed=2)
    engine = make_engine(postgres_url)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == 120
        assert session.scalar(select(func.count()).select_from(Mention)) == counts["mentions"]
        assert session.scalar(select(func.count()).select_from(Stance)) == counts["stances"]
        assert session.scalar(select(func.count()).select_from(Reaction)) == counts["reactions"]
        article = session.get(Article, 1)
        assert article is not None and article.published_at.tzinfo is not None
        assert isinstance(article.authors, list)
        # Sequences were moved past the explicit ids: a normal insert works.
        session.add(Source(name="added-later", kind="feed"))
    with sessions.begin() as session:
        added = session.scalars(select(Source).where(Source.name == "added-later")).one()
        assert added.id > 30
    engine.dispose()


def test_synthetic_themes_are_the_pipelines_themes() -> None:
    from bench.synth_vocab import THEMES as SYNTH_THEMES
    from nlp.themes import THEMES

    assert set(SYNTH_THEMES) <= set(THEMES)
