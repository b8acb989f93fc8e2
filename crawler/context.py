"""What a crawl's spiders and pipelines share: the store, the relevance filter, the options.

The runner builds one `CrawlContext` for all the sources of a crawl and hands it over in the
`AIRACE_CONTEXT` setting, so dedupe works across sources. Under plain `scrapy crawl`, one is built
from the `AIRACE_*` settings the first time a component asks for it (airace/scrapy_settings.py
fills them from the user's airace settings).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

from crawler.relevance import RelevanceFilter
from crawler.store import ArticleStore
from crawler.url_memory import UrlMemory

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
    # Worker processes for extraction (None: extract in the crawl process).
    extract_pool: Executor | None = None
    # What past crawls decided about URLs they did not store (None: no memory).
    memory: UrlMemory | None = None

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
        raise ValueError("the Scrapy setting AIRACE_DATABASE_URL is empty: name the database")
    engine = make_engine(url)
    upgrade(engine)
    since_raw = settings.get("AIRACE_SINCE") or ""
    since = dt.datetime.fromisoformat(since_raw).replace(tzinfo=dt.UTC) if since_raw else None
    store = ArticleStore(make_sessionmaker(engine), batch_size=settings.getint("AIRACE_BATCH_SIZE"))
    workers = settings.getint("AIRACE_EXTRACT_WORKERS")
    return CrawlContext(
        memory=UrlMemory(
            store.sessions, store=store, retry_after=settings.getfloat("AIRACE_RETRY_AFTER")
        ),
        store=store,
        relevance=RelevanceFilter(),
        since=since,
        min_words=settings.getint("AIRACE_MIN_WORDS"),
        extract_pool=extraction_pool(workers) if workers > 0 else None,
    )


def _warm_up() -> None:
    """Worker initializer: let go of the crawl's stdout, import the extraction stack once.

    The crawl process reports to its parent on stdout; a worker holding that pipe open would
    keep the parent waiting after the crawl process died (SIGKILL), so workers write nothing.
    """
    import os

    from crawler.child_guard import die_with_parent

    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.close(devnull)
    die_with_parent(os.getppid())  # a SIGKILLed crawl process cannot shut its pool down
    import trafilatura  # noqa: F401

    from crawler import candidates  # noqa: F401


def extraction_pool(workers: int) -> Executor:
    """A pool of `workers` extraction processes (spawned: forking a Twisted process is unsafe)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_warm_up,
    )
