"""Step 3: keep only articles about the AI race (or matching the source's keywords)."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.exceptions import DropItem

from crawler.candidates import is_relevant
from crawler.context import crawl_context

log = logging.getLogger(__name__)


class RelevancePipeline:
    """Irrelevant articles are counted (airace/irrelevant), not stored."""

    def __init__(self, crawler: Any) -> None:
        self.stats = crawler.stats
        self.ctx = crawl_context(crawler)

    @classmethod
    def from_crawler(cls, crawler: Any) -> RelevancePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        keywords = tuple(item.get("keywords") or ())
        if not is_relevant(
            item["candidate"], self.ctx.relevance, keywords, bool(item.get("always_relevant"))
        ):
            self.stats.inc_value("airace/irrelevant")
            log.debug("irrelevant: %s", item["url"])
            raise DropItem(f"irrelevant: {item['url']}", log_level="DEBUG")
        return item
