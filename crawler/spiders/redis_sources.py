"""The feed, sitemap and listing spiders, fed by the shared Redis frontier (crawler.distributed).

They parse exactly like their single-process parents; only where requests come from differs:
start URLs are popped from the source's Redis list (`airace crawl seed` pushes them), and every
request goes through scrapy-redis's scheduler, so it lands in the queue shared by all workers
and passes the shared dupefilter. Each spider instance takes its source's name, which names its
Redis keys. A request is acknowledged (dropped from this worker's in-flight hash) when its
callback finished without an item, or when its item was stored or dropped by the pipelines.

scrapy-redis is an optional extra: without it this module still imports (Scrapy's spider loader
imports every module here), and only the distributed crawl refuses to start.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response

from crawler.items import ArticlePage
from crawler.spiders.feed import FeedSpider
from crawler.spiders.listing import ListingSpider
from crawler.spiders.sitemap import SitemapSpider

try:
    from scrapy_redis.spiders import RedisMixin
except ImportError:  # pragma: no cover - airace[distributed] not installed

    class RedisMixin:  # type: ignore[no-redef]
        """Placeholder: distributed crawling needs scrapy-redis."""


class RedisFrontier(RedisMixin):
    """What the three Redis spiders add to their parents (see the module docstring)."""

    idle_since: float | None = None

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> Any:
        spider = super().from_crawler(crawler, *args, **kwargs)  # type: ignore[misc]
        settings = crawler.settings
        spider.name = spider.source.name
        spider.prefix = settings.get("AIRACE_REDIS_PREFIX") or "airace"
        spider.worker = settings.get("AIRACE_REDIS_WORKER") or ""
        spider.idle_exit = settings.getbool("AIRACE_REDIS_IDLE_EXIT")
        spider.redis_key = f"{spider.prefix}:%(name)s:start_urls"
        spider.queue_key = f"{spider.prefix}:{spider.name}:requests"
        spider.inflight_key = f"{spider.queue_key}:inflight:{spider.worker}"
        spider.setup_redis(crawler)
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(spider._item_done, signal=signal)
        return spider

    # ---------------------------------------------------------------- requests
    async def start(self) -> Any:
        for request in self.next_requests():
            yield request

    def make_request_from_data(self, data: bytes) -> scrapy.Request | None:
        """A start request from a pushed {"url": ...} (or a bare URL)."""
        text = data.decode(self.redis_encoding or "utf-8").strip()
        url = json.loads(text).get("url") if text.startswith("{") else text
        if not url:
            return None
        return self.start_request(url, self.parse_start)

    def start_request(self, url: str, callback: Any, **meta: Any) -> scrapy.Request:
        # Feeds, sitemaps and listing pages are fetched again at every seed: not filtered.
        return super().start_request(url, callback, **meta).replace(dont_filter=True)  # type: ignore[misc]

    def article_request(self, *args: Any, **kwargs: Any) -> scrapy.Request | None:
        # Articles pass the shared dupefilter: one worker fetches a URL, once.
        request = super().article_request(*args, **kwargs)  # type: ignore[misc]
        return request.replace(dont_filter=False) if request is not None else None

    # ---------------------------------------------------------------- acknowledgements
    def _ack(self, request: Any) -> None:
        from crawler.distributed import ack

        ack(self.server, self.inflight_key, request)

    def _item_done(self, item: Any, response: Any = None, spider: Any = None, **kw: Any) -> None:
        if spider is self and response is not None:
            self._ack(response.request)

    def _acking(self, response: Response, output: Iterator[Any]) -> Iterator[Any]:
        has_item = False
        for x in output:
            has_item = has_item or isinstance(x, ArticlePage | dict)
            yield x
        if not has_item:
            self._ack(response.request)

    def parse_start(self, response: Response) -> Iterator[Any]:
        return self._acking(response, super().parse_start(response))  # type: ignore[misc]

    def parse_article(self, response: Response) -> Iterator[Any]:
        return self._acking(response, super().parse_article(response))  # type: ignore[misc]

    def on_error(self, failure: Any) -> None:
        super().on_error(failure)  # type: ignore[misc]
        self._ack(getattr(failure, "request", None))

    # ---------------------------------------------------------------- idle and exit
    def spider_idle(self) -> None:
        """Idle: every request this worker took is done. Take more start URLs; exit (with
        idle_exit) once the whole frontier has stayed empty for a moment."""
        from crawler.distributed import IDLE_GRACE, frontier_size

        self.server.delete(self.inflight_key)
        self.schedule_next_requests()
        size = frontier_size(self.server, self.prefix, self.name)
        if any(size.values()) or not self.idle_exit:
            self.idle_since = None
            raise DontCloseSpider
        now = time.monotonic()
        if self.idle_since is None:
            self.idle_since = now
        if now - self.idle_since < IDLE_GRACE:
            raise DontCloseSpider


class RedisFeedSpider(RedisFrontier, FeedSpider):
    """Feeds, from the shared frontier."""

    name = "redis-feed"


class RedisSitemapSpider(RedisFrontier, SitemapSpider):
    """Sitemaps, from the shared frontier."""

    name = "redis-sitemap"


class RedisListingSpider(RedisFrontier, ListingSpider):
    """Listing pages, from the shared frontier."""

    name = "redis-listing"
