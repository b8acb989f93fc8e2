"""Step 5: store the article; batches are committed every few items and when the spider closes."""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import DropItem

from crawler.context import crawl_context


class StorePipeline:
    """Add the article through the shared ArticleStore; counted in airace/new.

    With CLOSESPIDER_ITEMCOUNT (`--max-articles`), Scrapy closes the spider once that many
    articles are stored, but pages already downloaded still arrive: those are dropped here
    (airace/dropped/over_limit) so the limit is exact.
    """

    def __init__(self, crawler: Any) -> None:
        self.stats = crawler.stats
        self.store = crawl_context(crawler).store
        self.limit = crawler.settings.getint("CLOSESPIDER_ITEMCOUNT", 0)

    @classmethod
    def from_crawler(cls, crawler: Any) -> StorePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if self.limit and self.stats.get_value("airace/new", 0) >= self.limit:
            self.stats.inc_value("airace/dropped/over_limit")
            raise DropItem(f"over_limit: {item['url']}", log_level="DEBUG")
        self.store.add(item["candidate"])
        self.stats.inc_value("airace/new")
        # What goes on to feed exports: the URL and the source, not the whole text.
        return {"url": item["candidate"].url, "source": item.get("source")}

    def close_spider(self) -> None:
        self.store.commit()
