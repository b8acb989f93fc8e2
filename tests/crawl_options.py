"""The crawl options of the loopback-site tests: fast, polite to robots.txt, no retries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crawler.runner import CrawlOptions


def loopback_options(cache_dir: Path | None = None, **overrides: Any) -> CrawlOptions:
    """CrawlOptions for a crawl of a site on 127.0.0.1: no delay, no AutoThrottle, 8 requests
    at a time, 2 s timeout, 100 kB pages, no retries; an HTTP cache in `cache_dir` when given.
    `overrides` replace any field."""
    fields: dict[str, Any] = {
        "user_agent": "airace-test/1",
        "robots_obey": True,
        "retry_after": 3600.0,
        "download_delay": 0,
        "autothrottle": False,
        "concurrent_requests_per_domain": 8,
        "download_timeout": 2,
        "download_maxsize": 100_000,
        "http_cache_dir": str(cache_dir) if cache_dir is not None else None,
        "retry_times": 0,
        "log_level": "ERROR",
    }
    return CrawlOptions(**{**fields, **overrides})
