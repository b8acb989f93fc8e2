"""Step 4: a page that repeats a stored article becomes a `duplicates` row, not a new article."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.exceptions import DropItem

from crawler.context import crawl_context

log = logging.getLogger(__name__)


class DedupePipeline:
    """Canonical URL, content hash, then SimHash; counted in airace/duplicates[/<method>]."""

    def __init__(self, crawler: Any) -> None:
        self.stats = crawler.stats
        self.store = crawl_context(crawler).store

    @classmethod
    def from_crawler(cls, crawler: Any) -> DedupePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        candidate = item["candidate"]
        found = self.store.find_duplicate(candidate)
        if found is None:
            return item
        method, article_id = found
        for url in {candidate.url, candidate.original_url or candidate.url}:
            self.store.add_duplicate(url, article_id, method, candidate.source)
        self.stats.inc_value("airace/duplicates")
        self.stats.inc_value(f"airace/duplicates_by/{method}")
        log.info("duplicate (%s) of article %d: %s", method, article_id, item["url"])
        raise DropItem(f"duplicate: {item['url']}", log_level="DEBUG")
