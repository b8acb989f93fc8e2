"""Per-source counters from a crawler's stats, and an extension that reports them as they move."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from scrapy import signals

from crawler.context import crawl_context

COUNTERS = ("fetched", "new", "duplicates", "irrelevant", "dropped", "errors")


def source_counts(stats: Mapping[str, Any]) -> dict[str, Any]:
    """{fetched, new, duplicates, irrelevant, dropped, errors, dropped_by_reason, errors_by_reason,
    warnings, feeds_fetched, skipped_known, skipped_decided, refetched, error_samples} from a
    crawler's stats dict."""
    out: dict[str, Any] = {k: int(stats.get(f"airace/{k}", 0)) for k in COUNTERS[:4]}
    dropped = {
        k.split("/", 2)[2]: int(v) for k, v in stats.items() if k.startswith("airace/dropped/")
    }
    errors = {
        k.split("/", 2)[2]: int(v) for k, v in stats.items() if k.startswith("airace/errors/")
    }
    out["dropped"] = sum(dropped.values())
    out["errors"] = sum(errors.values())
    out["dropped_by_reason"] = dropped
    out["errors_by_reason"] = errors
    out["duplicates_by_method"] = {
        k.split("/", 2)[2]: int(v)
        for k, v in stats.items()
        if k.startswith("airace/duplicates_by/")
    }
    out["warnings"] = {
        k.split("/", 2)[2]: int(v) for k, v in stats.items() if k.startswith("airace/warnings/")
    }
    out["feeds_fetched"] = int(stats.get("airace/feeds_fetched", 0))
    out["skipped_known"] = int(stats.get("airace/skipped_known", 0))
    out["skipped_decided"] = int(stats.get("airace/skipped_decided", 0))
    out["refetched"] = {
        k.split("/", 2)[2]: int(v) for k, v in stats.items() if k.startswith("airace/refetched/")
    }
    out["requests"] = int(stats.get("downloader/request_count", 0))
    out["cache_hits"] = int(stats.get("httpcache/hit", 0))
    out["error_samples"] = list(stats.get("airace/error_samples", []))
    return out


class ProgressReporter:
    """Send {"event": "progress", "source", "counts"} to the context's callback, twice a second."""

    interval = 0.5

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.ctx = crawl_context(crawler)
        self.last = 0.0

    @classmethod
    def from_crawler(cls, crawler: Any) -> ProgressReporter:
        ext = cls(crawler)
        for signal in (signals.item_scraped, signals.item_dropped, signals.response_received):
            crawler.signals.connect(ext.tick, signal=signal)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def _emit(self, event: str) -> None:
        if self.ctx.progress is None or self.crawler.spider is None:
            return
        name = self.crawler.spider.source.name
        counts = source_counts(self.crawler.stats.get_stats())
        self.ctx.progress({"event": event, "source": name, "counts": counts})

    def tick(self, *args: Any, **kwargs: Any) -> None:
        now = time.monotonic()
        if now - self.last >= self.interval:
            self.last = now
            self._emit("progress")

    def closed(self, *args: Any, **kwargs: Any) -> None:
        self.ctx.store.commit()
        self._emit("source_done")
