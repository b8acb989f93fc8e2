"""`airace prices update` and `airace react` through the real CLI entry point; tickers_for_update."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from db.engine import make_engine, make_sessionmaker
from db.models import Article, Entity, Exposure, Mention, Reaction, Theme
from market.exposure import links_for_articles, tickers_for_update
from tests.conftest import PRICES_DIR


def test_prices_from_csv_then_react(cli, sqlite_url) -> None:  # type: ignore[no-untyped-def]
    out = cli("--db", sqlite_url, "prices", "update", "--from-csv", str(PRICES_DIR),
              "--tickers", "NVDA,SMH", "QQQ")  # fmt: skip
    assert out.exit_code == 0, out.stderr
    assert out.stdout.splitlines() == ["NVDA: 206 rows", "QQQ: 206 rows", "SMH: 206 rows"]

    engine = make_engine(sqlite_url)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as s:
        nvidia = Entity(key="nvidia", name="Nvidia", type="company", ticker="NVDA")
        s.add(nvidia)
        a = Article(url="https://x.example/1", title="t", content_hash="h", status="analysed",
                    published_at=dt.datetime(2025, 1, 27, 15, tzinfo=dt.UTC),
                    published_precision="exact")  # fmt: skip
        s.add(a)
        s.flush()
        s.add(Mention(article_id=a.id, entity_id=nvidia.id, count=3, first_offset=0, salience=1.0))
    out = cli("--db", sqlite_url, "react", "--since", "2025-01-01")
    assert out.exit_code == 0, out.stderr
    assert out.stdout.startswith("1 (article, ticker) pair(s) computed, 4 row(s) stored")
    with sessions.begin() as s:
        assert s.scalar(select(func.count()).select_from(Reaction)) == 4
    again = cli("--db", sqlite_url, "react")
    assert "0 (article, ticker) pair(s) computed" in again.stdout
    assert "skipped 1: already computed" in again.stdout
    engine.dispose()


def test_user_mistakes_are_one_line_and_exit_2(cli, sqlite_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = cli("--db", sqlite_url, "prices", "update", "--from-csv", str(tmp_path / "nope"))
    assert bad.exit_code == 2 and "no such folder" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    date = cli("--db", sqlite_url, "react", "--since", "yesterday")
    assert date.exit_code == 2 and "--since" in date.stderr
    order = cli("--db", sqlite_url, "prices", "update", "NVDA", "--start", "2025-02-01",
                "--end", "2025-01-01")  # fmt: skip
    assert order.exit_code == 2 and "after --end" in order.stderr
    missing = cli("--db", sqlite_url, "prices", "update", "--from-csv", str(PRICES_DIR), "ZZZ")
    assert missing.exit_code == 1 and "ZZZ: no file ZZZ.csv" in missing.stdout


def test_tickers_for_update_and_links(sessions) -> None:  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        alphabet = Entity(key="alphabet", name="Alphabet", type="company", ticker="GOOGL")
        deepmind = Entity(key="deepmind", name="Google DeepMind", type="ai_lab", parent=alphabet)
        openai = Entity(key="openai", name="OpenAI", type="ai_lab")
        chatgpt = Entity(key="chatgpt", name="ChatGPT", type="product", parent=openai)
        softbank = Entity(key="softbank", name="SoftBank", type="company", ticker="9984.T")
        s.add_all([alphabet, deepmind, openai, chatgpt, softbank])
        s.flush()
        for ticker, w in (("MSFT", 0.5), ("ORCL", 0.3), ("9984.T", 0.2)):
            s.add(Exposure(entity_id=openai.id, ticker=ticker, relation="investor", weight=w))
        a = Article(url="https://x.example/2", title="t", content_hash="h2", status="analysed")
        b = Article(url="https://x.example/3", title="t", content_hash="h3", status="new")
        s.add_all([a, b])
        s.flush()
        s.add(Mention(article_id=a.id, entity_id=deepmind.id, count=1, first_offset=0,
                      salience=0.6))  # fmt: skip
        s.add(Mention(article_id=a.id, entity_id=chatgpt.id, count=1, first_offset=0,
                      salience=0.5))  # fmt: skip
        s.add(Mention(article_id=b.id, entity_id=softbank.id, count=1, first_offset=0,
                      salience=0.5))  # fmt: skip
        s.add(Theme(article_id=a.id, theme="cheaper_training", score=0.9))
        s.flush()
        baskets = {"cheaper_training": ["NVDA", "VST"], "other": ["AMD"]}
        tickers = tickers_for_update(s, baskets, ["SPY", "QQQ"])
        links = {ln.ticker: ln for ln in links_for_articles(s, [a.id], baskets)[a.id]}
    # 9984.T comes through OpenAI's exposure (article b is not analysed), ^N225 as its benchmark.
    assert tickers == sorted(
        ["GOOGL", "MSFT", "ORCL", "9984.T", "NVDA", "VST", "SPY", "QQQ", "SMH", "^N225", "^GSPC"]
    )
    assert (links["GOOGL"].link_type, links["GOOGL"].via) == ("parent", "Google DeepMind")
    assert (links["ORCL"].link_type, links["ORCL"].via) == ("exposure", "OpenAI")
    assert links["ORCL"].weight == 0.5 * 0.3
    assert (links["VST"].link_type, links["VST"].weight) == ("theme", 0.9)
