"""Step 5: store the article; batches are committed every few items and when the spider closes."""

from __future__ import annotations

from typing import Any

from crawler.context import crawl_context


class StorePipeline:
    """Add the article through the shared ArticleStore; counted in airace/new."""

    def __init__(self, crawler: Any) -> None:
        self.stats = crawler.stats
        self.store = crawl_context(crawler).store

    @classmethod
    def from_crawler(cls, crawler: Any) -> StorePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        article_id = self.store.add(item["candidate"])
        self.stats.inc_value("airace/new")
        # What goes on to feed exports: the stored id and the URL, not the whole text.
        return {"id": article_id, "url": item["candidate"].url, "source": item.get("source")}

    def close_spider(self) -> None:
        self.store.commit()
