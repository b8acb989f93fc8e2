"""The Scrapy extension that keeps the URL memory (crawler/url_memory.py) up to date.

It lives apart from the memory itself: it needs the crawl context (crawler/context.py), which
holds the memory, so in url_memory.py the two modules would import each other.
"""

from __future__ import annotations

from typing import Any

from crawler.context import crawl_context
from crawler.url_memory import DROP_DECISIONS, URL_META, UrlMemory


def _meta(response: Any) -> dict[str, Any]:
    try:
        return dict(response.meta) if response is not None else {}
    except AttributeError:  # a response not tied to a request
        return {}


class DecisionRecorder:
    """Scrapy extension: record the pipelines' drops as decisions, forget the stored pages.

    Enabled when the crawl context has a `memory`.
    """

    def __init__(self, memory: UrlMemory) -> None:
        self.memory = memory

    @classmethod
    def from_crawler(cls, crawler: Any) -> DecisionRecorder:
        from scrapy import signals
        from scrapy.exceptions import NotConfigured

        memory = crawl_context(crawler).memory
        if memory is None:
            raise NotConfigured("no URL memory")
        ext = cls(memory)
        crawler.signals.connect(ext.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def item_dropped(self, item: Any, response: Any, exception: Exception, **kw: Any) -> None:
        reason = str(exception).split(":", 1)[0].strip()
        decision = DROP_DECISIONS.get(reason)
        meta = _meta(response)
        if decision and meta.get(URL_META):
            self.memory.record(meta[URL_META], decision, reason, meta.get("feed_entry"))

    def item_scraped(self, item: Any, response: Any, **kw: Any) -> None:
        url = _meta(response).get(URL_META)
        if url:
            self.memory.forget(url)

    def spider_closed(self, **kw: Any) -> None:
        self.memory.flush()
