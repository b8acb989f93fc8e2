"""Step 1: the page's HTML becomes a candidate article (text + metadata).

Extraction is the crawl's most expensive step (trafilatura, about 3 ms a page). With an
extraction pool on the crawl context (`CrawlOptions.extract_workers`, default 1) it runs in a
worker process, so it overlaps with Scrapy's networking instead of blocking the reactor.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import Any

from scrapy.exceptions import DropItem

from crawler.candidates import Candidate, build_candidate
from crawler.context import crawl_context

log = logging.getLogger(__name__)


class ExtractPipeline:
    """Run crawler.extract on the page; count pages without a title or a date."""

    def __init__(self, crawler: Any) -> None:
        self.stats = crawler.stats
        self.ctx = crawl_context(crawler)

    @classmethod
    def from_crawler(cls, crawler: Any) -> ExtractPipeline:
        return cls(crawler)

    async def _extract(self, item: Any) -> Candidate:
        job = partial(
            build_candidate,
            item["html"],
            item["url"],
            source=item.get("source"),
            feed_entry=item.get("feed_entry"),
            language_hint=item.get("language_hint"),
        )
        pool = self.ctx.extract_pool
        if pool is not None:
            try:
                return await asyncio.get_running_loop().run_in_executor(pool, job)
            except BrokenProcessPool:
                log.warning("extraction worker died; extracting in the crawl process from now on")
                self.ctx.extract_pool = None
        return job()

    async def process_item(self, item: Any) -> Any:
        try:
            candidate = await self._extract(item)
        except Exception as e:  # one unparsable page must not stop the crawl
            self.stats.inc_value("airace/errors/extract_failed")
            log.warning("extraction failed for %s: %s", item["url"], e)
            raise DropItem(f"extract_failed: {item['url']}") from None
        for warning in candidate.warnings:
            self.stats.inc_value(f"airace/warnings/{warning}")
        item["candidate"] = candidate
        item["html"] = ""  # free the page once extracted
        return item
