"""What the crawler decided about URLs it fetched and did not store, kept in the database.

Scrapy's DeltaFetch idea, in the `url_decisions` table so that every worker and every later crawl
shares it. A page found irrelevant, too short, without text or not HTML is not fetched again; a
failed page (HTTP error, timeout, too large, robots.txt) is retried once its backoff has passed:
`retry_after` seconds after the first failure, doubling with each attempt up to `max_retry_after`.
Any decided page is fetched again when its feed or sitemap entry changed (title, date or summary).

`UrlMemory` is the in-process view (loaded once per crawl, written with the store's article
batches, so a crawl killed mid-way keeps decisions and articles consistent); the
spiders ask `should_fetch` before scheduling an article request, and `DecisionRecorder`, an
extension, records what the pipelines dropped and forgets what they stored. Failures are
recorded by the spiders' errback.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from crawler.store import ArticleStore
from db import url_decisions as db_decisions
from db.url_decisions import Decision

log = logging.getLogger(__name__)

# The pipelines drop an item with DropItem("<reason>: <url>"); these reasons are decisions.
# (too_old depends on the crawl's --since, duplicate and over_limit on other state: not kept.)
DROP_DECISIONS = {
    "irrelevant": "irrelevant",
    "too_short": "dropped",
    "no_text": "dropped",
    "not_html": "dropped",
    "extract_failed": "failed",
}
URL_META = "airace_url"  # request.meta key: the canonical URL the decision is kept under


def entry_fingerprint(entry: Mapping[str, Any] | None) -> str | None:
    """A short hash of what a feed/sitemap entry says about a page (None when it says nothing)."""
    if not entry:
        return None
    parts = {k: str(entry.get(k) or "") for k in ("title", "published", "summary")}
    if not any(parts.values()):
        return None
    return hashlib.sha1(json.dumps(parts, sort_keys=True).encode()).hexdigest()


class UrlMemory:
    """The decisions of past crawls, and the ones this crawl adds. Not thread-safe."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        store: ArticleStore | None = None,
        retry_after: float = 3600.0,
        max_retry_after: float = 7 * 86400.0,
        batch_size: int = 50,
        batch_seconds: float = 2.0,
    ) -> None:
        self.sessions = sessions
        self.store = store
        self.retry_after = retry_after
        self.max_retry_after = max_retry_after
        self.batch_size = batch_size
        self.batch_seconds = batch_seconds
        with sessions.begin() as session:
            self.decided: dict[str, Decision] = db_decisions.load(session)
        self._pending: dict[str, Decision] = {}
        self._forget: set[str] = set()
        self._last_flush = time.monotonic()

    def should_fetch(
        self, url: str, entry: Mapping[str, Any] | None = None, now: dt.datetime | None = None
    ) -> tuple[bool, str]:
        """(fetch?, why): 'new', 'entry_changed', 'retry', or the decision that says no
        ('irrelevant', 'dropped', 'backoff')."""
        known = self.decided.get(url)
        if known is None:
            return True, "new"
        fingerprint = entry_fingerprint(entry)
        if fingerprint and known.entry_fingerprint and fingerprint != known.entry_fingerprint:
            return True, "entry_changed"
        if known.decision == "failed":
            now = now or dt.datetime.now(dt.UTC)
            if known.next_retry_at is None or known.next_retry_at <= now:
                return True, "retry"
            return False, "backoff"
        return False, known.decision

    def record(
        self,
        url: str,
        decision: str,
        reason: str,
        entry: Mapping[str, Any] | None = None,
        now: dt.datetime | None = None,
    ) -> Decision:
        """Remember a decision; a failure's next retry is scheduled on the backoff."""
        now = now or dt.datetime.now(dt.UTC)
        previous = self.decided.get(url)
        attempts = 1
        if previous is not None and previous.decision == "failed" and decision == "failed":
            attempts = previous.attempts + 1
        next_retry = None
        if decision == "failed":
            wait = min(self.retry_after * 2 ** (attempts - 1), self.max_retry_after)
            next_retry = now + dt.timedelta(seconds=wait)
        fingerprint = entry_fingerprint(entry)
        if fingerprint is None and previous is not None:
            fingerprint = previous.entry_fingerprint
        d = Decision(url, decision, reason, attempts, next_retry, fingerprint, now)
        self.decided[url] = d
        self._pending[url] = d
        self._forget.discard(url)
        self.maybe_flush()
        return d

    def forget(self, url: str) -> None:
        """The URL was stored after all: drop its decision."""
        if url in self.decided:
            del self.decided[url]
            self._pending.pop(url, None)
            self._forget.add(url)
            self.maybe_flush()

    def maybe_flush(self) -> None:
        """Write when the batch is full or old enough."""
        waiting = len(self._pending) + len(self._forget)
        if waiting >= self.batch_size or (
            waiting and time.monotonic() - self._last_flush >= self.batch_seconds
        ):
            self.flush()

    def flush(self) -> None:
        """Write the pending decisions: into the store's open batch when there is a store (they
        commit with the articles), else in their own transaction. A failure is logged, not
        raised: a lost decision only costs a refetch."""
        pending, forget = list(self._pending.values()), set(self._forget)
        self._pending, self._forget = {}, set()
        self._last_flush = time.monotonic()
        if not pending and not forget:
            return

        def write(session: Session) -> None:
            db_decisions.save(session, pending)
            db_decisions.forget(session, forget)

        try:
            if self.store is not None:
                self.store.write_in_batch(write, len(pending) + len(forget))
                return
            with self.sessions.begin() as session:
                write(session)
        except Exception as e:
            log.warning("could not record %d URL decisions: %s", len(pending) + len(forget), e)


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

        from crawler.context import crawl_context

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
