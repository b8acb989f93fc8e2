"""airace/stages.py: each stage as a function of Settings, on a real SQLite file.

The chain test runs the real thing end to end (the loopback news site over HTTP, the real models,
the bundled real prices, WeasyPrint); the others check the mapping and the user's mistakes.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from airace import stages
from airace.config import Settings
from airace.errors import UserError
from db.engine import make_engine, make_sessionmaker
from db.migrations import upgrade
from db.models import Article, Reaction, Report
from tests._nlp_models import shared_analyzer

SITES = Path(__file__).parent / "data" / "sites"
PRICES = Path(__file__).resolve().parent.parent / "market" / "data" / "prices"
sys.path.insert(0, str(SITES))
from loopback import LoopbackServer  # noqa: E402

REDIS_URL = os.environ.get("AIRACE_TEST_REDIS_URL", "")


@pytest.fixture
def sessions(settings: Settings) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(settings.database_url)
    upgrade(engine)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def fast(settings: Settings, tmp_path: Path) -> Settings:
    """Settings for a loopback crawl: no delay, no cache, reports under tmp_path."""
    return settings.replace(
        download_delay=0.0,
        autothrottle=False,
        download_timeout=5,
        concurrent_requests_per_domain=8,
        http_cache=False,
        report_dir=str(tmp_path / "briefings"),
    )


def _sources(tmp_path: Path, base: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(
        f'[[sources]]\nname = "loop-feed"\nkind = "feed"\nurls = ["{base}/feed.xml"]\n',
        encoding="utf-8",
    )
    return path


@pytest.mark.slow
def test_every_stage_on_one_database(
    fast: Settings, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    site = LoopbackServer(SITES / "news").start()
    try:
        settings = fast.replace(sources_file=str(_sources(tmp_path, site.base)))
        crawled = stages.crawl(settings, log_level="ERROR")
    finally:
        site.stop()
    assert crawled.status == "finished", crawled.message
    assert crawled.totals["new"] >= 3 and crawled.totals["irrelevant"] >= 1
    with sessions() as s:
        stored = s.scalar(select(func.count()).select_from(Article))
        first = s.scalar(select(func.min(Article.published_at)))
    assert stored == crawled.totals["new"] and first is not None

    analysed = stages.analyze(settings, sessions, analyzer=shared_analyzer())
    assert analysed.analysed == stored and analysed.failed == 0
    assert stages.analyze(settings, sessions, analyzer=shared_analyzer()).analysed == 0

    prices = stages.prices(settings, sessions, from_csv=PRICES, tickers=["NVDA", "SMH", "SPY"])
    assert prices.report.rows["NVDA"] > 150 and not prices.all_failed

    reacted = stages.react(settings, sessions)
    with sessions() as s:
        rows = s.scalar(select(func.count()).select_from(Reaction))
    assert reacted.rows == rows and reacted.computed >= 1

    monday = first.date() - dt.timedelta(days=first.weekday())
    report = stages.report(settings, sessions, monday, monday + dt.timedelta(days=6), html=True)
    year, week, _ = monday.isocalendar()
    stem = Path(settings.report_dir) / f"briefing-{year}-W{week:02d}-en"
    assert report.pdf_path == stem.with_suffix(".pdf") and report.pdf_path.is_file()
    assert report.html_path == stem.with_suffix(".html") and report.html_path.is_file()
    assert report.article_count >= 1
    with sessions() as s:
        assert s.scalar(select(Report.pdf_path)) == str(report.pdf_path.resolve())


def test_crawl_refuses_an_unknown_source_or_a_bad_sources_file(
    settings: Settings, tmp_path: Path
) -> None:
    good = _sources(tmp_path, "http://127.0.0.1:9")
    with pytest.raises(UserError, match="unknown source 'nope'"):
        stages.crawl(settings.replace(sources_file=str(good)), source_names=["nope"])
    bad = tmp_path / "bad.toml"
    bad.write_text("[[sources]]\nname = 'x'\n", encoding="utf-8")
    with pytest.raises(UserError):
        stages.load_crawl_sources(settings, bad)


def test_crawl_options_come_from_settings_alone(settings: Settings) -> None:
    changed = settings.replace(user_agent="ua/1", download_maxsize=1234, http_cache=False)
    options = stages.crawl_options(changed, max_articles=3)
    assert options.user_agent == "ua/1" and options.download_maxsize == 1234
    assert options.http_cache_dir is None and options.max_articles == 3
    cached = stages.crawl_options(settings)
    assert cached.http_cache_dir == str(settings.resolved_data_dir() / "http-cache")
    assert cached.download_delay == Settings().download_delay


def test_prices_from_csv_and_the_tickers_needed(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    result = stages.prices(settings, sessions, from_csv=PRICES, tickers=["NVDA"])
    assert set(result.report.rows) == {"NVDA"} and result.tickers == ["NVDA"]
    needed = stages.needed_tickers(settings, sessions)
    assert set(settings.benchmark_tickers) <= set(needed)


def test_react_on_a_database_without_articles(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    summary = stages.react(settings, sessions)
    assert (summary.computed, summary.rows, summary.pending) == (0, 0, {})


def test_report_names_its_files_one_way_and_refuses_mistakes(
    fast: Settings, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    week = stages.report_stem(fast, dt.date(2025, 1, 27), dt.date(2025, 2, 2), "fr")
    assert week == Path(fast.report_dir) / "briefing-2025-W05-fr"
    span = stages.report_stem(fast, dt.date(2025, 1, 28), dt.date(2025, 2, 2), "en")
    assert span.name == "briefing-2025-01-28_2025-02-02-en"
    assert stages.last_week(dt.date(2025, 2, 5)) == (dt.date(2025, 1, 27), dt.date(2025, 2, 2))
    with pytest.raises(UserError, match="--lang"):
        stages.report(fast, sessions, dt.date(2025, 1, 27), dt.date(2025, 2, 2), lang="de")
    with pytest.raises(UserError, match=r"expected a \.pdf"):
        stages.report(
            fast, sessions, dt.date(2025, 1, 27), dt.date(2025, 2, 2), pdf_path=tmp_path / "x.txt"
        )
    empty = stages.report(fast, sessions, dt.date(2025, 1, 27), dt.date(2025, 2, 2), lang="fr")
    assert empty.pdf_path == week.with_suffix(".pdf") and empty.html_path is None
    assert empty.pdf_path.read_bytes()[:4] == b"%PDF" and empty.article_count == 0


def test_seed_and_distributed_crawl_say_redis_is_unreachable(
    settings: Settings, tmp_path: Path
) -> None:
    down = settings.replace(redis_url="redis://127.0.0.1:1/0")
    sources = stages.load_crawl_sources(down, _sources(tmp_path, "http://127.0.0.1:9"))
    unreachable = re.escape("cannot reach Redis at redis://127.0.0.1:1/0")
    with pytest.raises(UserError, match=unreachable):
        stages.seed(down, sources)
    with pytest.raises(UserError, match=unreachable):
        stages.crawl_distributed(down, sources, idle_exit=True)


def test_scrapy_crawl_from_the_repository_reads_the_airace_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import importlib

    import airace.scrapy_settings as project

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AIRACE_DOWNLOAD_DELAY", "3.5")
    monkeypatch.setenv("AIRACE_CRAWLER_CONTACT", "mailto:me@example.org")
    url = f"sqlite:///{tmp_path / 'x.db'}"
    monkeypatch.setenv("AIRACE_DATABASE_URL", url)
    try:
        importlib.reload(project)
        assert project.DOWNLOAD_DELAY == 3.5 and project.ROBOTSTXT_OBEY is True
        assert project.USER_AGENT.endswith("contact: mailto:me@example.org")
        assert url == project.AIRACE_DATABASE_URL
    finally:
        for name in ("AIRACE_DOWNLOAD_DELAY", "AIRACE_CRAWLER_CONTACT", "AIRACE_DATABASE_URL"):
            monkeypatch.delenv(name)
        importlib.reload(project)


def test_distributed_crawl_refuses_an_unknown_source_before_redis(
    settings: Settings, tmp_path: Path
) -> None:
    down = settings.replace(redis_url="redis://127.0.0.1:1/0")
    sources = stages.load_crawl_sources(down, _sources(tmp_path, "http://127.0.0.1:9"))
    with pytest.raises(UserError, match="unknown source 'nope'"):
        stages.crawl_distributed(down, sources, source_names=["nope"])


def test_library_defaults_agree_with_the_settings() -> None:
    """Settings are the one home of the lease, tries and prefix defaults; the libraries' own
    parameter defaults (for callers without Settings) must not drift from them."""
    import inspect

    from crawler import distributed
    from market.yahoo import update_prices
    from nlp.analyze import LEASE

    s = Settings()
    assert s.redis_prefix == distributed.DEFAULT_PREFIX
    assert s.crawl_lease == distributed.DEFAULT_LEASE
    assert s.analyze_lease == LEASE.total_seconds()
    assert s.price_max_tries == inspect.signature(update_prices).parameters["max_tries"].default


def test_signal_takes_its_sample_sizes_from_settings(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    report = stages.signal(settings.replace(signal_bootstrap_samples=37), sessions)
    assert report.n_boot == 37
    assert stages.signal(settings, sessions, novel_only=True).novel_only is True


@pytest.mark.skipif(not REDIS_URL, reason="AIRACE_TEST_REDIS_URL is not set")
def test_seed_writes_under_the_redis_prefix_setting(settings: Settings, tmp_path: Path) -> None:
    import uuid

    import redis

    prefix = f"tidy-{uuid.uuid4().hex[:8]}"
    chosen = settings.replace(redis_url=REDIS_URL, redis_prefix=prefix)
    sources = stages.load_crawl_sources(chosen, _sources(tmp_path, "http://127.0.0.1:9"))
    client = redis.Redis.from_url(REDIS_URL)
    try:
        assert stages.seed(chosen, sources) == {"loop-feed": 1}
        assert client.llen(f"{prefix}:loop-feed:start_urls") == 1
        other = f"{prefix}-cli"
        assert stages.seed(chosen, sources, prefix=other) == {"loop-feed": 1}
        assert client.llen(f"{other}:loop-feed:start_urls") == 1
    finally:
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)
        client.close()
