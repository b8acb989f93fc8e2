"""Each Scrapy pipeline alone, the Scrapy way: a crawler from `get_crawler`, the pipeline from
`from_crawler`, an item in, an item (or DropItem) out, and the stats it counted.

The context is real: an ArticleStore on an upgraded SQLite file and the relevance filter with
its built-in terms; the pages are the fixture site's own (written for the tests).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from scrapy import Spider
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from crawler.candidates import build_candidate
from crawler.context import CrawlContext
from crawler.items import ArticlePage
from crawler.pipelines.dedupe import DedupePipeline
from crawler.pipelines.extract import ExtractPipeline
from crawler.pipelines.quality import QualityPipeline
from crawler.pipelines.relevance import RelevancePipeline
from crawler.pipelines.store import StorePipeline
from crawler.relevance import RelevanceFilter
from crawler.store import ArticleStore
from db.engine import make_sessionmaker
from db.models import Article, Duplicate

NEWS = Path(__file__).resolve().parent / "data" / "sites" / "news"
BASE = "http://127.0.0.1:8765"
AI_PAGE = "2025/01/chip-export-limits.html"
OFF_TOPIC = "2025/01/container-tomatoes.html"


@pytest.fixture
def sessions(sqlite_engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(sqlite_engine)


def _context(sessions: sessionmaker[Session], **kw: Any) -> CrawlContext:
    store = ArticleStore(
        sessions, sources=[{"name": "demo", "kind": "feed", "url": BASE}], batch_size=1
    )
    return CrawlContext(store=store, relevance=RelevanceFilter(), **kw)


def _crawler(ctx: CrawlContext, **settings: Any) -> Any:
    crawler = get_crawler(Spider, {"AIRACE_CONTEXT": ctx, **settings})
    crawler.stats.open_spider()
    return crawler


def _page(path: str, **kw: Any) -> ArticlePage:
    html = (NEWS / path).read_text(encoding="utf-8")
    return ArticlePage(url=f"{BASE}/{path}", html=html, source="demo", **kw)


def _candidate(path: str) -> ArticlePage:
    item = _page(path)
    item["candidate"] = build_candidate(item["html"], item["url"], source="demo")
    return item


def test_extract_turns_html_into_a_candidate(sessions: sessionmaker[Session]) -> None:
    crawler = _crawler(_context(sessions))
    pipeline = ExtractPipeline.from_crawler(crawler)
    item = asyncio.run(pipeline.process_item(_page(AI_PAGE)))
    candidate = item["candidate"]
    assert candidate.title and candidate.word_count > 40 and candidate.language == "en"
    assert candidate.url.startswith(BASE) and item["html"] == ""  # the page is let go


def test_extract_counts_a_page_it_cannot_parse(sessions: sessionmaker[Session]) -> None:
    crawler = _crawler(_context(sessions))
    pipeline = ExtractPipeline.from_crawler(crawler)
    with pytest.raises(DropItem, match="extract_failed"):
        asyncio.run(pipeline.process_item(ArticlePage(url=f"{BASE}/x", html=None, source="demo")))
    assert crawler.stats.get_value("airace/errors/extract_failed") == 1


def test_quality_drops_old_and_short_articles(sessions: sessionmaker[Session]) -> None:
    item = _candidate(AI_PAGE)
    published = item["candidate"].published.when
    assert published is not None
    ok = _crawler(_context(sessions, min_words=40))
    assert QualityPipeline.from_crawler(ok).process_item(item) is item
    assert not ok.stats.get_value("airace/dropped/too_short")

    later = published + dt.timedelta(days=1)
    old = _crawler(_context(sessions, since=later))
    with pytest.raises(DropItem):
        QualityPipeline.from_crawler(old).process_item(_candidate(AI_PAGE))
    assert sum(v for k, v in old.stats.get_stats().items() if k.startswith("airace/dropped/")) == 1

    strict = _crawler(_context(sessions, min_words=100_000))
    with pytest.raises(DropItem, match="too_short"):
        QualityPipeline.from_crawler(strict).process_item(_candidate(AI_PAGE))
    assert strict.stats.get_value("airace/dropped/too_short") == 1


def test_relevance_keeps_ai_news_and_counts_the_rest(sessions: sessionmaker[Session]) -> None:
    crawler = _crawler(_context(sessions))
    pipeline = RelevancePipeline.from_crawler(crawler)
    item = _candidate(AI_PAGE)
    assert pipeline.process_item(item) is item
    with pytest.raises(DropItem, match="irrelevant"):
        pipeline.process_item(_candidate(OFF_TOPIC))
    assert crawler.stats.get_value("airace/irrelevant") == 1
    # A source that only publishes AI news skips the filter.
    kept = _candidate(OFF_TOPIC)
    kept["always_relevant"] = True
    assert pipeline.process_item(kept) is kept
    assert crawler.stats.get_value("airace/irrelevant") == 1


def test_store_then_dedupe(sessions: sessionmaker[Session]) -> None:
    ctx = _context(sessions)
    crawler = _crawler(ctx)
    store = StorePipeline.from_crawler(crawler)
    dedupe = DedupePipeline.from_crawler(crawler)

    first = _candidate(AI_PAGE)
    assert dedupe.process_item(first) is first  # nothing stored yet
    out = store.process_item(first)
    assert out == {"url": first["candidate"].url, "source": "demo"}
    store.close_spider()
    assert crawler.stats.get_value("airace/new") == 1

    # The same page again: known by its canonical URL, dropped, no second row.
    with pytest.raises(DropItem, match="duplicate"):
        dedupe.process_item(_candidate(AI_PAGE))
    assert crawler.stats.get_value("airace/duplicates_by/canonical") == 1
    # The same text under another URL (a syndicated copy): a duplicates row points at it.
    copy = _candidate(AI_PAGE)
    copy["url"] = f"{BASE}/partners/copy.html"
    copy["candidate"] = replace(copy["candidate"], url=copy["url"], original_url=None)
    with pytest.raises(DropItem, match="duplicate"):
        dedupe.process_item(copy)
    ctx.store.commit()
    assert crawler.stats.get_value("airace/duplicates") == 2
    assert crawler.stats.get_value("airace/duplicates_by/content_hash") == 1
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Article)) == 1
        urls = set(s.scalars(select(Duplicate.url)))
    assert urls == {copy["url"]}


def test_store_keeps_the_article_limit_exact(sessions: sessionmaker[Session]) -> None:
    crawler = _crawler(_context(sessions), CLOSESPIDER_ITEMCOUNT=1)
    store = StorePipeline.from_crawler(crawler)
    store.process_item(_candidate(AI_PAGE))
    with pytest.raises(DropItem, match="over_limit"):
        store.process_item(_candidate("2025/01/open-weight-reasoning-model.html"))
    store.close_spider()
    assert crawler.stats.get_value("airace/new") == 1
    assert crawler.stats.get_value("airace/dropped/over_limit") == 1
