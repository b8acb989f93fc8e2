"""What every airace spider shares: its source, the known-URL check, article requests, errors."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urljoin

import scrapy
from scrapy.http import Response, TextResponse

from crawler.context import CrawlContext, crawl_context
from crawler.errors import ROBOTS, failure_reason
from crawler.items import ArticlePage
from crawler.sources import SourceConfig, load_sources, select_sources
from crawler.url_memory import URL_META
from crawler.urls import host_of, safe_canonical_url

log = logging.getLogger(__name__)


def _resolve_source(source: SourceConfig | str | None, settings: Any) -> SourceConfig:
    if isinstance(source, SourceConfig):
        return source
    if isinstance(source, str) and source.lstrip().startswith("{"):
        return SourceConfig.from_dict(json.loads(source))
    if not source:
        raise ValueError("a source is required: scrapy crawl <spider> -a source=NAME")
    path = settings.get("AIRACE_SOURCES_FILE") or None
    return select_sources(load_sources(path), [source])[0]


class SourceSpider(scrapy.Spider):
    """Base class: one spider instance crawls one source."""

    source: SourceConfig
    expected_kind = ""

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> SourceSpider:
        source = _resolve_source(kwargs.pop("source", None), crawler.settings)
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.source = source
        spider.allowed_domains = list(source.allowed_domains)
        spider.ctx = crawl_context(crawler)
        return spider

    ctx: CrawlContext

    # ---------------------------------------------------------------- statistics
    def count(self, key: str, n: int = 1) -> None:
        """Increment `airace/<key>` in this crawler's stats."""
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"airace/{key}", n)

    def error(self, reason: str, url: str, detail: str = "") -> None:
        """Count and log one failed feed, page or request; the crawl goes on."""
        if reason == ROBOTS:
            self.count(f"dropped/{reason}")
            log.info("[%s] %s: %s", self.source.name, reason, url)
            return
        self.count(f"errors/{reason}")
        samples = self.crawler.stats.get_value("airace/error_samples") or []
        if len(samples) < 20:
            samples.append({"url": url, "reason": reason, "detail": detail[:200]})
            self.crawler.stats.set_value("airace/error_samples", samples)
        log.warning("[%s] %s: %s %s", self.source.name, reason, url, detail[:200])

    def on_error(self, failure: Any) -> None:
        """Errback of every request; a failed article page is remembered for its backoff."""
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        reason = failure_reason(failure)
        self.error(reason, url, str(failure.value))
        memory = self.ctx.memory
        if memory is not None and request is not None and request.meta.get(URL_META):
            memory.record(request.meta[URL_META], "failed", reason, request.meta.get("feed_entry"))

    # ---------------------------------------------------------------- requests
    def start_request(self, url: str, callback: Any, **meta: Any) -> scrapy.Request:
        """A request for a feed, sitemap or listing page (revalidated through the HTTP cache)."""
        return scrapy.Request(url, callback=callback, errback=self.on_error, meta=meta)

    async def start(self) -> Any:
        if self.source.kind == "query":  # templates: expand_query_sources must run first
            self.error("unexpanded_query_source", self.source.urls[0])
            return
        for url in self.source.urls:
            yield self.start_request(url, self.parse_start)

    def parse_start(self, response: Response) -> Iterator[Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def article_request(
        self, url: str, base: str = "", feed_entry: Mapping[str, Any] | None = None
    ) -> scrapy.Request | None:
        """A request for an article page, or None when the URL is stored, seen, or off-site."""
        absolute = urljoin(base, url.strip()) if base else url.strip()
        canonical = safe_canonical_url(absolute)
        if canonical is None:
            self.count("dropped/bad_url")
            return None
        if self.ctx.store.is_known(canonical) or self.ctx.store.is_known(absolute):
            self.count("skipped_known")
            return None
        if canonical in self.ctx.seen:
            return None
        if self.source.allowed_domains and not _allowed(host_of(canonical), self.allowed_domains):
            self.count("dropped/offsite")
            return None
        if self.ctx.memory is not None:
            fetch, why = self.ctx.memory.should_fetch(canonical, feed_entry)
            if not fetch:  # decided by an earlier crawl: irrelevant, dropped, or failed lately
                self.count("skipped_decided")
                return None
            if why != "new":
                self.count(f"refetched/{why}")
        self.ctx.seen.add(canonical)
        return scrapy.Request(
            absolute,
            callback=self.parse_article,
            errback=self.on_error,
            meta={"feed_entry": dict(feed_entry or {}), URL_META: canonical},
            priority=10,
            # Repeats are filtered above (ctx.seen); without the dupefilter, a redirect loop runs
            # into REDIRECT_MAX_TIMES and is reported as an error instead of vanishing.
            dont_filter=True,
        )

    def parse_article(self, response: Response) -> Iterator[ArticlePage]:
        """An article page becomes an item for the pipelines."""
        self.count("fetched")
        if not isinstance(response, TextResponse):
            self.count("dropped/not_html")
            if self.ctx.memory is not None and response.meta.get(URL_META):
                self.ctx.memory.record(
                    response.meta[URL_META], "dropped", "not_html", response.meta.get("feed_entry")
                )
            return
        try:
            html = response.text
        except (UnicodeDecodeError, LookupError) as e:
            self.error("bad_encoding", response.url, str(e))
            return
        yield ArticlePage(
            url=response.url,
            html=html,
            source=self.source.name,
            feed_entry=response.meta.get("feed_entry") or {},
            language_hint=self.source.language,
            keywords=list(self.source.keywords),
            always_relevant=self.source.always_relevant,
        )


def _allowed(host: str, domains: list[str]) -> bool:
    host = host.split(":")[0]
    return any(host == d or host.endswith("." + d) for d in (d.split(":")[0] for d in domains))
