"""What a crawl's spiders and pipelines share: the store, the relevance filter, the options.

The runner builds one `CrawlContext` for all the sources of a crawl and hands it over in the
`AIRACE_CONTEXT` setting, so dedupe works across sources. Under plain `scrapy crawl`, one is built
from the `AIRACE_*` settings the first time a component asks for it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from crawler.relevance import RelevanceFilter
from crawler.store import ArticleStore

_ATTR = "_airace_context"


@dataclass
class CrawlContext:
    """Shared state of one crawl."""

    store: ArticleStore
    relevance: RelevanceFilter
    since: dt.datetime | None = None
    min_words: int = 40
    progress: Callable[[dict[str, Any]], None] | None = None
    seen: set[str] = field(default_factory=set)  # URLs requested during this crawl

    def __deepcopy__(self, memo: dict[int, Any]) -> CrawlContext:
        # Scrapy deep-copies settings for every crawler; the context must stay one shared object.
        return self


def crawl_context(crawler: Any) -> CrawlContext:
    """The context of a Scrapy crawler (built from its settings when none was handed over)."""
    ctx = crawler.settings.get("AIRACE_CONTEXT")
    if isinstance(ctx, CrawlContext):
        return ctx
    ctx = getattr(crawler, _ATTR, None)
    if ctx is None:
        ctx = _from_settings(crawler.settings)
        setattr(crawler, _ATTR, ctx)
    return ctx


def _from_settings(settings: Any) -> CrawlContext:
    from db.engine import make_engine, make_sessionmaker
    from db.migrations import upgrade

    url = settings.get("AIRACE_DATABASE_URL") or ""
    if not url:
        from platformdirs import user_data_path

        url = f"sqlite:///{user_data_path('airace', appauthor=False) / 'airace.db'}"
    engine = make_engine(url)
    upgrade(engine)
    since_raw = settings.get("AIRACE_SINCE") or ""
    since = dt.datetime.fromisoformat(since_raw).replace(tzinfo=dt.UTC) if since_raw else None
    store = ArticleStore(make_sessionmaker(engine), batch_size=settings.getint("AIRACE_BATCH_SIZE"))
    return CrawlContext(
        store=store,
        relevance=RelevanceFilter(),
        since=since,
        min_words=settings.getint("AIRACE_MIN_WORDS", 40),
    )
