"""Distributed crawling on scrapy-redis: several crawl processes share one frontier in Redis.

`seed` pushes the sources' start URLs (feeds, sitemaps, listing pages) onto one Redis list per
source; `run_distributed` starts a crawl process (`python -m crawler.distributed`) whose spiders
(crawler/spiders/redis_sources.py) pop them, and whose requests go through scrapy-redis's
scheduler: one shared request queue per source and one shared dupefilter, so a page is fetched by
one process only. Items take the usual pipelines (extract, quality, relevance, dedupe, store).

scrapy-redis pops a request destructively, so a process that dies would lose the requests it had
taken. `LeasedPriorityQueue` keeps every popped request in the worker's in-flight hash until the
request is done (its item stored or dropped, or its callback finished with no item); every
worker refreshes a heartbeat key, and `FrontierKeeper` puts a dead worker's in-flight requests
back in the queue once its heartbeat has expired (the `lease`). A worker with `idle_exit` stops
when no start URL, queued request or in-flight request is left anywhere.

Keys, for a prefix P and a source S: `P:S:start_urls` (list of {"url"} JSON),
`P:S:requests` (sorted set), `P:S:requests:inflight:<worker>` (hash), `P:S:requests:workers`
(set), `P:dupefilter` (set of fingerprints, shared by all sources), `P:alive:<worker>`.
"""

from __future__ import annotations

import json
import os
import re
import socket
import time
from collections.abc import Callable, Sequence
from typing import Any

from crawler.runner import (
    CrawlOptions,
    CrawlSummary,
    crawl_in_child,
    crawl_in_subprocess,
)
from crawler.runner import main as runner_main
from crawler.sources import SourceConfig, select_sources

DEFAULT_PREFIX = "airace"
DEFAULT_LEASE = 30.0  # seconds without a heartbeat before a worker's requests are re-queued
IDLE_GRACE = 2.0  # seconds the shared frontier must stay empty before an idle worker exits
SPIDER_CLASSES = {
    "feed": "crawler.spiders.redis_sources.RedisFeedSpider",
    "sitemap": "crawler.spiders.redis_sources.RedisSitemapSpider",
    "listing": "crawler.spiders.redis_sources.RedisListingSpider",
}
_PREFIX = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")
LEASE_META = "airace_lease"  # request.meta key of the in-flight token

# Pop the best request and keep it in the worker's in-flight hash, atomically.
_POP = """
local r = redis.call('ZRANGE', KEYS[1], 0, 0)
if #r == 0 then return false end
redis.call('ZREM', KEYS[1], r[1])
local token = redis.sha1hex(r[1])
redis.call('HSET', KEYS[2], token, r[1])
return {token, r[1]}
"""
# Move a worker's in-flight requests back to the queue, atomically (one survivor does it).
_REQUEUE = """
local items = redis.call('HGETALL', KEYS[1])
for i = 1, #items, 2 do redis.call('ZADD', KEYS[2], ARGV[1], items[i + 1]) end
redis.call('DEL', KEYS[1])
return #items / 2
"""


class DistributedError(ValueError):
    """A bad prefix, or Redis cannot be reached (one clear line)."""


def check_prefix(prefix: str) -> str:
    if not _PREFIX.match(prefix):
        raise DistributedError(f"bad Redis key prefix {prefix!r}: use letters, digits and _.:-")
    return prefix


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def start_urls_key(prefix: str, source: str) -> str:
    return f"{prefix}:{source}:start_urls"


def queue_key(prefix: str, source: str) -> str:
    return f"{prefix}:{source}:requests"


def inflight_key(prefix: str, source: str, worker: str) -> str:
    return f"{queue_key(prefix, source)}:inflight:{worker}"


def redis_client(redis_url: str) -> Any:
    """A Redis client for `redis_url`, checked with a PING (DistributedError when unreachable)."""
    try:
        import redis
    except ImportError:
        raise DistributedError(
            'distributed crawling needs scrapy-redis: pip install "airace[distributed]"'
        ) from None
    client = redis.Redis.from_url(redis_url, socket_connect_timeout=5)
    try:
        client.ping()
    except redis.RedisError as e:
        raise DistributedError(f"cannot reach Redis at {redis_url}: {e}") from None
    return client


def seed(
    redis_url: str, sources: Sequence[SourceConfig], prefix: str = DEFAULT_PREFIX
) -> dict[str, int]:
    """Push each source's start URLs onto its Redis list; returns {source: URLs pushed}."""
    check_prefix(prefix)
    client = redis_client(redis_url)
    pushed = {}
    try:
        for source in sources:
            urls = [json.dumps({"url": u}) for u in source.urls]
            if urls:
                client.rpush(start_urls_key(prefix, source.name), *urls)
            pushed[source.name] = len(urls)
    finally:
        client.close()
    return pushed


def frontier_size(client: Any, prefix: str, source: str) -> dict[str, int]:
    """{start_urls, queued, inflight} for one source (in-flight summed over workers)."""
    workers = client.smembers(f"{queue_key(prefix, source)}:workers")
    inflight = sum(int(client.hlen(inflight_key(prefix, source, _text(w)))) for w in workers)
    return {
        "start_urls": int(client.llen(start_urls_key(prefix, source))),
        "queued": int(client.zcard(queue_key(prefix, source))),
        "inflight": inflight,
    }


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def redis_settings(
    redis_url: str, prefix: str, worker: str, lease: float, idle_exit: bool
) -> dict[str, Any]:
    """Scrapy settings that route every request through the shared Redis frontier."""
    return {
        "REDIS_URL": redis_url,
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "SCHEDULER_QUEUE_CLASS": "crawler.distributed.LeasedPriorityQueue",
        "SCHEDULER_QUEUE_KEY": f"{prefix}:%(spider)s:requests",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_DUPEFILTER_KEY": f"{prefix}:dupefilter",
        # Never flush the shared queue and dupefilter when one worker stops.
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_FLUSH_ON_START": False,
        "AIRACE_REDIS_PREFIX": prefix,
        "AIRACE_REDIS_WORKER": worker,
        "AIRACE_REDIS_LEASE": lease,
        "AIRACE_REDIS_IDLE_EXIT": idle_exit,
    }


def _queue_base() -> type:
    try:
        from scrapy_redis.queue import Base
    except ImportError:  # airace[distributed] not installed: the class is never used then
        return object
    return Base  # type: ignore[no-any-return]


class LeasedPriorityQueue(_queue_base()):  # type: ignore[misc]
    """scrapy-redis's priority queue, but a popped request stays in the worker's in-flight hash
    until acknowledged (`ack`), so a dead worker's requests can be re-queued."""

    def __init__(self, server: Any, spider: Any, key: str, serializer: Any = None) -> None:
        super().__init__(server, spider, key, serializer)
        worker = spider.settings.get("AIRACE_REDIS_WORKER") or worker_id()
        self.inflight = f"{self.key}:inflight:{worker}"
        self._pop = server.register_script(_POP)

    def __len__(self) -> int:
        return int(self.server.zcard(self.key))

    def push(self, request: Any) -> None:
        data = self._encode_request(request)
        self.server.zadd(self.key, {data: -request.priority})

    def pop(self, timeout: int = 0) -> Any:
        got = self._pop(keys=[self.key, self.inflight])
        if not got:
            return None
        token, data = got
        request = self._decode_request(data)
        request.meta[LEASE_META] = _text(token)
        return request


def ack(server: Any, key: str, request: Any) -> None:
    """Forget a finished request from the in-flight hash `key` (no-op without a lease token)."""
    token = request.meta.get(LEASE_META) if request is not None else None
    if token:
        server.hdel(key, token)


class FrontierKeeper:
    """Heartbeat of this worker, and re-queueing of dead workers' in-flight requests.

    Every second: refresh `P:alive:<worker>` (expires after the lease), register the worker for
    the spider's source, and move the in-flight requests of registered workers whose heartbeat
    has expired back to the queue.
    """

    interval = 1.0

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.prefix = settings.get("AIRACE_REDIS_PREFIX") or DEFAULT_PREFIX
        self.worker = settings.get("AIRACE_REDIS_WORKER") or worker_id()
        self.lease = max(1, round(settings.getfloat("AIRACE_REDIS_LEASE", DEFAULT_LEASE)))
        self.server: Any = None
        self.loop: Any = None
        self.source = ""

    @classmethod
    def from_crawler(cls, crawler: Any) -> FrontierKeeper:
        from scrapy import signals

        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Any) -> None:
        from scrapy_redis.connection import from_settings
        from twisted.internet.task import LoopingCall

        self.server = from_settings(self.crawler.settings)
        self.source = spider.source.name
        self._requeue = self.server.register_script(_REQUEUE)
        self.loop = LoopingCall(self.beat)
        self.loop.start(self.interval, now=True)

    def beat(self) -> None:
        try:
            self.server.set(f"{self.prefix}:alive:{self.worker}", 1, ex=self.lease)
            workers_key = f"{queue_key(self.prefix, self.source)}:workers"
            self.server.sadd(workers_key, self.worker)
            for raw in self.server.smembers(workers_key):
                other = _text(raw)
                if other == self.worker or self.server.exists(f"{self.prefix}:alive:{other}"):
                    continue
                moved = self._requeue(
                    keys=[
                        inflight_key(self.prefix, self.source, other),
                        queue_key(self.prefix, self.source),
                    ],
                    args=[-10],
                )
                self.server.srem(workers_key, other)
                if moved:
                    self.crawler.stats.inc_value("airace/requeued", int(moved))
        except Exception as e:  # Redis hiccup: try again at the next beat
            import logging

            logging.getLogger(__name__).warning("frontier heartbeat failed: %s", e)

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.server is not None:
            self.server.srem(f"{queue_key(self.prefix, self.source)}:workers", self.worker)


# ---------------------------------------------------------------------- the parent side
def run_distributed(
    db_url: str,
    sources: list[SourceConfig],
    options: CrawlOptions,
    relevance_terms: Sequence[str] = (),
    *,
    redis_url: str,
    prefix: str = DEFAULT_PREFIX,
    lease: float = DEFAULT_LEASE,
    idle_exit: bool = False,
    progress: Callable[[dict[str, Any]], None] | None = None,
) -> CrawlSummary:
    """Run one distributed crawl worker on `sources` until stopped (or idle with `idle_exit`).

    Like crawler.runner.run_crawl, the crawl runs in a child process and is recorded as a crawl
    run; the difference is where requests come from (the shared Redis frontier).
    """
    check_prefix(prefix)
    redis_client(redis_url).close()  # fail early, with one line, when Redis is unreachable
    chosen = select_sources(sources, list(options.source_names))
    return crawl_in_subprocess(
        db_url,
        chosen,
        options,
        relevance_terms,
        progress,
        module="crawler.distributed",
        job_extra={
            "redis": {"url": redis_url, "prefix": prefix, "lease": lease, "idle_exit": idle_exit}
        },
        prepare=lambda sessions: _save_sources(sessions, chosen),
    )


def _save_sources(sessions: Any, sources: Sequence[SourceConfig]) -> None:
    """Create the sources' rows before the crawl: workers starting together race to insert
    them, and the loser of that race retries once the winner has committed."""
    from sqlalchemy.exc import IntegrityError

    from db import articles as db_articles

    for attempt in range(3):
        try:
            with sessions.begin() as session:
                db_articles.save_sources(session, [s.to_dict() for s in sources])
            return
        except IntegrityError:
            if attempt == 2:
                raise
            time.sleep(0.2)


# ---------------------------------------------------------------------- the child process
def _child(job: dict[str, Any]) -> int:
    import warnings

    from scrapy.exceptions import ScrapyDeprecationWarning

    # scrapy-redis 0.9.1 passes `spider` to the stats collector, which Scrapy 2.13+ deprecates:
    # harmless, and not the user's concern.
    warnings.filterwarnings("ignore", category=ScrapyDeprecationWarning, module="scrapy_redis")
    redis_job = job["redis"]
    worker = worker_id()
    extra = redis_settings(
        redis_job["url"],
        redis_job["prefix"],
        worker,
        float(redis_job["lease"]),
        bool(redis_job["idle_exit"]),
    )
    extra["EXTENSIONS"] = {**_project_extensions(), "crawler.distributed.FrontierKeeper": 510}
    # The Redis frontier replaces the HTTP cache's role of skipping known pages.
    extra["HTTPCACHE_ENABLED"] = False
    # Commit every article at once: a request is acknowledged once its item went through the
    # pipelines, so a stored-but-uncommitted article must not outlive its request's lease.
    return crawl_in_child(
        job,
        spider_classes=SPIDER_CLASSES,
        batch_size=1,
        extra_settings=extra,
        started={"worker": worker},
    )


def _project_extensions() -> dict[str, Any]:
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    return dict(settings.getdict("EXTENSIONS"))


if __name__ == "__main__":
    raise SystemExit(runner_main(_child))
