"""The spiders for real, over HTTP, against fixture sites served on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from crawler.runner import CrawlOptions, run_crawl
from crawler.sources import SourceConfig
from db.models import Article, CrawlRun, Duplicate, Source
from tests.crawl_options import loopback_options

SITES = Path(__file__).parent / "data" / "sites"
sys.path.insert(0, str(SITES))
from loopback import LoopbackServer  # noqa: E402


@pytest.fixture
def site() -> Iterator[LoopbackServer]:
    server = LoopbackServer(SITES / "news", slow_seconds=3.5, generated=300).start()
    yield server
    server.stop()


@pytest.fixture
def options(tmp_path: Path) -> CrawlOptions:
    return loopback_options(tmp_path / "http-cache")


def source(name: str, kind: str, *urls: str, **kw: Any) -> SourceConfig:
    return SourceConfig(name=name, kind=kind, urls=urls, allowed_domains=("127.0.0.1",), **kw)


def _articles(sessions: sessionmaker[Session]) -> dict[str, Article]:
    with sessions() as s:
        return {a.url.split(":", 2)[2].split("/", 1)[1]: a for a in s.scalars(select(Article))}


def test_feed_crawl_stores_articles_and_counts_every_failure(
    site: LoopbackServer, options: CrawlOptions, sessions: sessionmaker[Session], db_url: str
) -> None:
    events: list[dict[str, Any]] = []
    summary = run_crawl(
        db_url, [source("loop-feed", "feed", site.base + "/feed.xml")], options, (), events.append
    )
    assert summary.status == "finished"
    stored = _articles(sessions)
    # 12 article pages answered 200; the tomato story is irrelevant, the empty page has no text,
    # the wire copy and the mirror are duplicates: 8 articles.
    assert summary.totals == {
        "fetched": 12,
        "new": 8,
        "duplicates": 2,
        "irrelevant": 1,
        "dropped": 2,
        "errors": 5,
    }, summary.per_source
    counts = summary.per_source["loop-feed"]
    assert counts["errors_by_reason"] == {
        "http_404": 1,
        "http_500": 1,
        "redirect_loop": 1,
        "too_large": 1,
        "timeout": 1,
    }
    assert counts["dropped_by_reason"] == {"no_text": 1, "bad_url": 1}
    assert sum(counts["duplicates_by_method"].values()) == 2
    assert len(stored) == 8
    assert not any("tomatoes" in u or "empty" in u for u in stored)

    # The fields: canonical URLs, dates with precision, languages, authors, decoded accents.
    mistral = stored["fr/2025/02/mistral-ai-levee-de-fonds.html"]
    assert mistral.language == "fr" and mistral.authors == ["Claire Dumas"]
    assert mistral.published_precision == "exact"
    assert mistral.published_at is not None and mistral.published_at.isoformat().startswith(
        "2025-02-10T08:15"
    )
    latin1 = stored["fr/2025/02/puces-ia-europe-latin1.html"]
    assert "réclament" in latin1.title and "utilisés" in latin1.text
    cp1252 = stored["fr/2025/02/budget-ia-administrations.html"]
    assert "l’IA" in cp1252.title and cp1252.published_precision == "day"
    agent = stored["2025/02/agent-startup-no-metadata.html"]
    assert agent.published_precision == "exact"  # from the feed entry: the page has no date
    assert agent.title == "Agent startup takes on office chores"  # from the feed entry too
    for a in stored.values():
        assert a.content_hash and a.simhash is not None and a.word_count >= 40
        assert a.crawl_run_id == summary.run_id and a.status == "new"
        assert "utm_" not in a.url and "#" not in a.url

    with sessions() as s:
        dups = s.scalars(select(Duplicate)).all()
        run = s.get(CrawlRun, summary.run_id)
        src = s.scalar(select(Source).where(Source.name == "loop-feed"))
        assert src is not None and src.kind == "feed"
        assert all(a.source_id == src.id for a in stored.values())
    # Each copy points at the first article of its story.
    methods = {d.method for d in dups}
    assert methods <= {"content_hash", "simhash", "canonical"} and len(methods) >= 1
    stored_ids = {a.id for a in stored.values()}
    assert all(d.article_id in stored_ids for d in dups)
    assert run is not None and run.status == "finished" and run.finished_at is not None
    assert (run.fetched, run.new, run.duplicates, run.errors) == (12, 8, 2, 5)
    assert run.stats["per_source"]["loop-feed"]["errors_by_reason"]["timeout"] == 1
    assert run.stats["errors_by_reason"]["http_404"] == 1
    assert {e["event"] for e in events} >= {"started", "progress", "done"}


def test_second_crawl_is_incremental_and_cheap(
    site: LoopbackServer, options: CrawlOptions, sqlite_url: str, sqlite_engine: Any
) -> None:
    feed = source("loop-feed", "feed", site.base + "/feed.xml")
    first = run_crawl(sqlite_url, [feed], options)
    assert first.totals["new"] == 8
    site.hits.clear()
    second = run_crawl(sqlite_url, [feed], options)  # same process: a fresh child each time
    assert second.status == "finished"
    assert second.totals["new"] == 0 and second.totals["duplicates"] == 0
    assert second.per_source["loop-feed"]["skipped_known"] >= 10
    # Stored and duplicate article pages are not requested again.
    for path in (
        "/2025/01/chip-export-limits.html",
        "/partners/wire-chip-export.html",
        "/fr/2025/02/mistral-ai-levee-de-fonds.html",
        "/mirror/open-weight-model-updated.html",
    ):
        assert site.hits[path] == 0, path
    assert site.hits["/feed.xml"] == 1
    with sessionmaker(sqlite_engine)() as s:
        assert s.scalar(select(func.count()).select_from(Article)) == 8
        assert s.scalar(select(func.count()).select_from(CrawlRun)) == 2


def test_sitemap_index_and_listing_sources(
    site: LoopbackServer, options: CrawlOptions, sqlite_url: str, sqlite_engine: Any
) -> None:
    sources = [
        source("loop-sitemap", "sitemap", site.base + "/sitemap-index.xml"),
        source(
            "loop-listing",
            "listing",
            site.base + "/section/index.html",
            link_selector="a.article-link",
            next_selector="a.next",
            max_pages=3,
        ),
    ]
    summary = run_crawl(sqlite_url, sources, options)
    assert summary.status == "finished"
    sm, ls = summary.per_source["loop-sitemap"], summary.per_source["loop-listing"]
    assert sm["feeds_fetched"] == 2  # the index, then the news sitemap
    assert site.hits["/section/page-2.html"] == 1  # pagination followed
    # 5 distinct article URLs across both sources, 1 irrelevant (tomatoes): each fetched once.
    assert sm["fetched"] + ls["fetched"] == 5
    assert sm["new"] + ls["new"] == 4
    assert sm["irrelevant"] + ls["irrelevant"] == 1
    with sessionmaker(sqlite_engine)() as s:
        chip = s.scalar(select(Article).where(Article.url.like("%chip-export-limits.html")))
        assert chip is not None and chip.published_precision == "exact"


def test_bad_feeds_are_logged_counted_and_the_crawl_goes_on(
    site: LoopbackServer, options: CrawlOptions, sqlite_url: str, sqlite_engine: Any
) -> None:
    sources = [
        source("bad", "feed", site.base + "/bad-feed.xml"),
        source("empty", "feed", site.base + "/empty-feed.xml"),
        source("gone", "feed", site.base + "/no-such-feed.xml"),
        source("bad-sitemap", "sitemap", site.base + "/section/index.html"),
        source("good", "feed", site.base + "/feed.xml"),
    ]
    summary = run_crawl(sqlite_url, sources, options)
    assert summary.status == "finished"
    per = summary.per_source
    assert per["bad"]["errors_by_reason"] == {"bad_feed": 1}
    assert per["empty"]["errors_by_reason"] == {"empty_feed": 1}
    assert per["gone"]["errors_by_reason"] == {"http_404": 1}
    assert per["bad-sitemap"]["errors_by_reason"] == {"bad_sitemap": 1}
    assert per["good"]["new"] == 8
    with sessionmaker(sqlite_engine)() as s:
        run = s.get(CrawlRun, summary.run_id)
        assert run is not None and run.errors == summary.totals["errors"] == 9
        assert any(e["reason"] == "bad_feed" for e in run.stats["error_samples"])


def test_robots_txt_is_obeyed_and_since_filters(
    site: LoopbackServer, options: CrawlOptions, sqlite_url: str, sqlite_engine: Any
) -> None:
    import dataclasses

    site.robots = "User-agent: *\nDisallow: /fr/\n"
    opts = dataclasses.replace(options, since=__import__("datetime").date(2025, 1, 20))
    summary = run_crawl(sqlite_url, [source("loop-feed", "feed", site.base + "/feed.xml")], opts)
    counts = summary.per_source["loop-feed"]
    assert counts["dropped_by_reason"]["robots_disallowed"] == 3
    assert counts["dropped_by_reason"]["too_old"] == 2  # chip limits (13 Jan), tomatoes (16 Jan)
    assert site.hits["/fr/2025/02/mistral-ai-levee-de-fonds.html"] == 0
    assert site.hits["/2025/01/container-tomatoes.html"] == 0
    with sessionmaker(sqlite_engine)() as s:
        urls = set(s.scalars(select(Article.url)))
    assert not any("/fr/" in u for u in urls)


def test_max_articles_stops_a_source(
    site: LoopbackServer, options: CrawlOptions, sqlite_url: str, sqlite_engine: Any
) -> None:
    import dataclasses

    opts = dataclasses.replace(options, max_articles=5, concurrent_requests_per_domain=1)
    summary = run_crawl(
        sqlite_url, [source("gen", "sitemap", site.base + "/gen/sitemap.xml")], opts
    )
    assert summary.totals["new"] == 5
    assert summary.totals["fetched"] < 250  # the spider closed early: not all 300 pages
    with sessionmaker(sqlite_engine)() as s:
        assert s.scalar(select(func.count()).select_from(Article)) == 5


@pytest.mark.slow
def test_kill_and_resume_keeps_what_was_stored(
    site: LoopbackServer, options: CrawlOptions, sqlite_url: str, sqlite_engine: Any
) -> None:
    import dataclasses

    gen = source("gen", "sitemap", site.base + "/gen/sitemap.xml", always_relevant=True)
    opts = dataclasses.replace(options, concurrent_requests_per_domain=2, download_delay=0.01)
    pid: list[int] = []

    def kill_midway(event: dict[str, Any]) -> None:
        if event["event"] == "started":
            pid.append(event["pid"])
        elif event["event"] == "progress" and event["counts"]["new"] >= 40 and pid:
            os.kill(pid[0], signal.SIGKILL)
            pid.clear()

    killed = run_crawl(sqlite_url, [gen], opts, progress=kill_midway)
    assert killed.status == "failed" and killed.returncode == -signal.SIGKILL
    Session_ = sessionmaker(sqlite_engine)
    with Session_() as s:
        kept = s.scalar(select(func.count()).select_from(Article)) or 0
        run = s.get(CrawlRun, killed.run_id)
        assert run is not None and run.status == "failed"
    assert 20 <= kept < 300  # committed batches survived the SIGKILL

    resumed = run_crawl(sqlite_url, [gen], opts)
    assert resumed.status == "finished"
    assert resumed.totals["new"] == 300 - kept
    with Session_() as s:
        assert s.scalar(select(func.count()).select_from(Article)) == 300
        assert s.scalar(select(func.count(func.distinct(Article.url)))) == 300
        assert s.scalar(select(func.count()).select_from(Duplicate)) == 0
