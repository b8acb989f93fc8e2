"""Why a request failed, as a short stable reason used in crawl statistics and logs."""

from __future__ import annotations

from typing import Any

ROBOTS = "robots_disallowed"
OFFSITE = "offsite"


def failure_reason(failure: Any) -> str:
    """Map a Twisted failure from a Scrapy errback to a reason like 'http_404' or 'timeout'."""
    from scrapy.exceptions import IgnoreRequest
    from scrapy.spidermiddlewares.httperror import HttpError
    from twisted.internet import defer
    from twisted.internet import error as terr

    exc = failure.value
    if isinstance(exc, HttpError):
        return f"http_{exc.response.status}"
    message = str(exc).lower()
    if isinstance(exc, IgnoreRequest):
        if "robots" in message:
            return ROBOTS
        if "redirect" in message:
            return "redirect_loop"
        if "offsite" in message:
            return OFFSITE
        return "ignored"
    if isinstance(exc, terr.TimeoutError | defer.TimeoutError) or "took longer than" in message:
        return "timeout"
    if isinstance(exc, defer.CancelledError) or "max size" in message or "maxsize" in message:
        return "too_large"
    if isinstance(exc, terr.DNSLookupError):
        return "dns"
    if isinstance(exc, terr.ConnectionRefusedError | terr.ConnectError):
        return "connection"
    name = type(exc).__name__
    if "ResponseNeverReceived" in name or "ConnectionLost" in name or "DataLoss" in name:
        return "connection_lost"
    return name.lower()[:40] or "error"
