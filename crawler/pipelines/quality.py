"""Step 2: drop pages with no article text, too little text, or published before --since."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.exceptions import DropItem

from crawler.candidates import drop_reason
from crawler.context import crawl_context

log = logging.getLogger(__name__)


class QualityPipeline:
    """Count each drop under airace/dropped/<reason>."""

    def __init__(self, crawler: Any) -> None:
        self.stats = crawler.stats
        self.ctx = crawl_context(crawler)

    @classmethod
    def from_crawler(cls, crawler: Any) -> QualityPipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        reason = drop_reason(item["candidate"], since=self.ctx.since, min_words=self.ctx.min_words)
        if reason:
            self.stats.inc_value(f"airace/dropped/{reason}")
            log.info("dropped (%s): %s", reason, item["url"])
            raise DropItem(f"{reason}: {item['url']}", log_level="INFO")
        return item
