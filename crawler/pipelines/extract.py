"""Step 1: the page's HTML becomes a candidate article (text + metadata)."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.exceptions import DropItem

from crawler.candidates import build_candidate

log = logging.getLogger(__name__)


class ExtractPipeline:
    """Run crawler.extract on the page; count pages without a title or a date."""

    def __init__(self, stats: Any) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> ExtractPipeline:
        return cls(crawler.stats)

    def process_item(self, item: Any) -> Any:
        try:
            candidate = build_candidate(
                item["html"],
                item["url"],
                source=item.get("source"),
                feed_entry=item.get("feed_entry"),
                language_hint=item.get("language_hint"),
            )
        except Exception as e:  # one unparsable page must not stop the crawl
            self.stats.inc_value("airace/errors/extract_failed")
            log.warning("extraction failed for %s: %s", item["url"], e)
            raise DropItem(f"extract_failed: {item['url']}") from None
        for warning in candidate.warnings:
            self.stats.inc_value(f"airace/warnings/{warning}")
        item["candidate"] = candidate
        item["html"] = ""  # free the page once extracted
        return item
