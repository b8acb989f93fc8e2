"""Run a crawl: `run_crawl` starts `python -m crawler.runner` and follows its progress.

Scrapy's Twisted reactor cannot be restarted in a process, so every crawl runs in a child
process. The parent creates the `crawl_runs` row, writes the job (sources, options, relevance
terms) as JSON on the child's stdin, and reads JSON lines back on the child's stdout:
`{"event": "started", "pid"}`, `{"event": "progress"|"source_done", "source", "counts"}` and
finally `{"event": "done", "totals", "per_source"}`. Scrapy's own log goes to stderr.

The child commits articles in small batches and refreshes the crawl run's counters every few
seconds, so a crawl killed with SIGKILL keeps what it stored; the parent then marks the run
'failed', and the next crawl skips the stored URLs and finishes the job.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from crawler.child_guard import child_env_for, die_with_parent
from crawler.sources import SourceConfig, select_sources

COUNTERS = ("fetched", "new", "duplicates", "irrelevant", "dropped", "errors")
SPIDER_CLASSES = {
    "feed": "crawler.spiders.feed.FeedSpider",
    "sitemap": "crawler.spiders.sitemap.SitemapSpider",
    "listing": "crawler.spiders.listing.ListingSpider",
}
RUN_STATS_EVERY = 3.0  # seconds between crawl_runs refreshes in the child


@dataclass(frozen=True, kw_only=True)
class CrawlOptions:
    """How to crawl: identity, politeness, limits, caching and which sources.

    The identity, politeness and limit fields have no default here: their one default is the
    airace Settings field of the same name (airace/config.py), mapped by airace/stages.py.
    """

    user_agent: str
    contact: str = ""  # appended to the user agent when given
    robots_obey: bool
    download_delay: float
    concurrent_requests_per_domain: int
    concurrent_requests: int = 16
    autothrottle: bool
    download_timeout: int
    download_maxsize: int
    since: dt.date | None = None  # skip articles published before this day (UTC)
    max_articles: int | None = None  # per source: the spider stops after this many new articles
    http_cache_dir: str | None = None  # None: no HTTP cache
    source_names: tuple[str, ...] = ()  # empty: every enabled source
    log_level: str = "WARNING"
    batch_size: int = 20
    min_words: int = 40
    retry_times: int = 1
    extract_workers: int = 1  # extraction processes beside Scrapy's (0: extract in-process)
    retry_after: float  # seconds before a failed page is retried (doubles per attempt)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["since"] = self.since.isoformat() if self.since else None
        d["source_names"] = list(self.source_names)
        return d

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CrawlOptions:
        data = dict(data)
        if data.get("since"):
            data["since"] = dt.date.fromisoformat(data["since"])
        data["source_names"] = tuple(data.get("source_names") or ())
        return cls(**data)


@dataclass
class CrawlSummary:
    """What a crawl did: totals, per-source counts (with drops and errors by reason)."""

    run_id: int
    status: str  # finished | failed
    totals: dict[str, int] = field(default_factory=dict)
    per_source: dict[str, dict[str, Any]] = field(default_factory=dict)
    elapsed: float = 0.0
    returncode: int | None = None
    message: str = ""


def scrapy_settings(options: CrawlOptions) -> dict[str, Any]:
    """Scrapy setting overrides for these options (on top of crawler/settings.py)."""
    agent = options.user_agent
    if options.contact:
        agent = f"{agent} contact: {options.contact}"
    settings: dict[str, Any] = {
        "USER_AGENT": agent,
        "ROBOTSTXT_OBEY": options.robots_obey,
        "DOWNLOAD_DELAY": options.download_delay,
        "CONCURRENT_REQUESTS_PER_DOMAIN": options.concurrent_requests_per_domain,
        "CONCURRENT_REQUESTS": options.concurrent_requests,
        "AUTOTHROTTLE_ENABLED": options.autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(options.download_delay, 0.1),
        "DOWNLOAD_TIMEOUT": options.download_timeout,
        "DOWNLOAD_MAXSIZE": options.download_maxsize,
        "DOWNLOAD_WARNSIZE": min(options.download_maxsize, 2_000_000),
        "HTTPCACHE_ENABLED": bool(options.http_cache_dir),
        "LOG_LEVEL": options.log_level,
        "RETRY_TIMES": options.retry_times,
        "REMOTE_CONTROL_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
    }
    if options.http_cache_dir:
        settings["HTTPCACHE_DIR"] = str(Path(options.http_cache_dir).expanduser().resolve())
    if options.max_articles:
        settings["CLOSESPIDER_ITEMCOUNT"] = options.max_articles
    return settings


def sum_counts(per_source: dict[str, dict[str, Any]]) -> dict[str, int]:
    """Totals of the six counters over sources."""
    return {k: sum(int(c.get(k, 0)) for c in per_source.values()) for k in COUNTERS}


def run_stats(per_source: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The crawl_runs.stats JSON: per-source counts, drops by reason, error samples."""
    dropped: dict[str, int] = {}
    errors: dict[str, int] = {}
    samples: list[dict[str, Any]] = []
    for name, counts in per_source.items():
        for reason, n in counts.get("dropped_by_reason", {}).items():
            dropped[reason] = dropped.get(reason, 0) + n
        for reason, n in counts.get("errors_by_reason", {}).items():
            errors[reason] = errors.get(reason, 0) + n
        samples += [{"source": name, **s} for s in counts.get("error_samples", [])][:5]
    slim = {
        name: {k: v for k, v in counts.items() if k != "error_samples"}
        for name, counts in per_source.items()
    }
    return {
        "per_source": slim,
        "dropped_by_reason": dropped,
        "errors_by_reason": errors,
        "error_samples": samples[:50],
    }


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.update(child_env_for())  # the child dies with this process (crawler/child_guard.py)
    return env


def _lines_until_exit(proc: subprocess.Popen[str], grace: float = 3.0) -> Iterator[str]:
    """Lines of the child's stdout until EOF, or until `grace` seconds after the child exited
    (a killed child's grandchildren may still hold the pipe open)."""
    assert proc.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()

    def reader() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=reader, daemon=True).start()
    exited_at: float | None = None
    while True:
        try:
            line = lines.get(timeout=0.2)
        except queue.Empty:
            if proc.poll() is not None:
                exited_at = exited_at or time.monotonic()
                if time.monotonic() - exited_at > grace:
                    return
            continue
        if line is None:
            return
        yield line


def run_crawl(
    db_url: str,
    sources: list[SourceConfig],
    options: CrawlOptions,
    relevance_terms: Sequence[str] = (),
    progress: Callable[[dict[str, Any]], None] | None = None,
) -> CrawlSummary:
    """Crawl `sources` (filtered by `options.source_names`) into the database at `db_url`.

    Raises crawler.sources.SourcesError for an unknown source name. Callable many times in one
    process: each call runs Scrapy in a fresh child process.
    """
    chosen = select_sources(sources, list(options.source_names))
    return crawl_in_subprocess(db_url, chosen, options, relevance_terms, progress)


def crawl_in_subprocess(
    db_url: str,
    chosen: list[SourceConfig],
    options: CrawlOptions,
    relevance_terms: Sequence[str] = (),
    progress: Callable[[dict[str, Any]], None] | None = None,
    *,
    module: str = "crawler.runner",
    job_extra: dict[str, Any] | None = None,
    prepare: Callable[[Any], None] | None = None,
) -> CrawlSummary:
    """Record a crawl run, run `python -m <module>` on it, relay its events to `progress`, and
    return its summary; a child that dies marks the run failed. `prepare(sessions)` runs first
    (the distributed crawler creates the source rows there); `job_extra` goes to the child.
    """
    from db import articles as db_articles
    from db.engine import make_engine, make_sessionmaker

    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    try:
        if prepare is not None:
            prepare(sessions)
        with sessions.begin() as session:
            run_id = db_articles.start_crawl_run(session, [s.name for s in chosen]).id
        job = {
            "db_url": db_url,
            "run_id": run_id,
            "sources": [s.to_dict() for s in chosen],
            "options": options.to_json(),
            "relevance_terms": list(relevance_terms),
            **(job_extra or {}),
        }
        started = time.monotonic()
        per_source: dict[str, dict[str, Any]] = {}
        done = False
        proc = subprocess.Popen(
            [sys.executable, "-m", module],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=_child_env(),
            text=True,
            encoding="utf-8",
        )
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(json.dumps(job))
            proc.stdin.close()
        except BrokenPipeError:
            pass
        try:
            for line in _lines_until_exit(proc):
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if event.get("event") in ("progress", "source_done"):
                    per_source[event["source"]] = event["counts"]
                elif event.get("event") == "done":
                    done = True
                    per_source = event.get("per_source", per_source)
                if progress is not None:
                    progress(event)
        except KeyboardInterrupt:  # Ctrl-C: the child got it too and stops after its requests
            pass
        rc = proc.wait()
        elapsed = time.monotonic() - started
        totals = sum_counts(per_source)
        if done and rc == 0:
            return CrawlSummary(run_id, "finished", totals, per_source, elapsed, rc)
        message = f"crawl process exited with code {rc}" + (
            f" (killed by signal {-rc})" if rc < 0 else ""
        )
        with sessions.begin() as session:
            db_articles.update_crawl_run(
                session,
                run_id,
                totals,
                {**run_stats(per_source), "message": message},
                status="failed",
                finished=True,
            )
        return CrawlSummary(run_id, "failed", totals, per_source, elapsed, rc, message)
    finally:
        engine.dispose()


# ---------------------------------------------------------------------- the child process
def _child(job: dict[str, Any]) -> int:
    return crawl_in_child(job, spider_classes=SPIDER_CLASSES)


def crawl_in_child(
    job: dict[str, Any],
    *,
    spider_classes: dict[str, str],
    batch_size: int | None = None,
    extra_settings: dict[str, Any] | None = None,
    started: dict[str, Any] | None = None,
) -> int:
    """The crawl itself, inside the child process: one Scrapy spider per source, progress and
    the run's counts as JSON lines on stdout. The distributed crawler reuses it with its own
    spider classes, Scrapy settings (`extra_settings`, applied last) and commit batch size.
    """
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings
    from scrapy.utils.misc import load_object

    from crawler.context import CrawlContext, extraction_pool
    from crawler.progress import source_counts
    from crawler.relevance import RelevanceFilter
    from crawler.store import ArticleStore
    from crawler.url_memory import UrlMemory
    from db.engine import make_engine, make_sessionmaker

    options = CrawlOptions.from_json(job["options"])
    sources = [SourceConfig.from_dict(s) for s in job["sources"]]
    run_id = int(job["run_id"])
    engine = make_engine(job["db_url"])
    store = ArticleStore(
        make_sessionmaker(engine),
        run_id=run_id,
        sources=[s.to_dict() for s in sources],
        batch_size=options.batch_size if batch_size is None else batch_size,
    )
    per_source: dict[str, dict[str, Any]] = {}
    last_write = [time.monotonic()]

    def emit(event: dict[str, Any]) -> None:
        if event.get("event") in ("progress", "source_done"):
            per_source[event["source"]] = event["counts"]
            if time.monotonic() - last_write[0] >= RUN_STATS_EVERY:
                last_write[0] = time.monotonic()
                store.write_run(sum_counts(per_source), run_stats(per_source))
        sys.stdout.write(json.dumps(event, default=str) + "\n")
        sys.stdout.flush()

    since = dt.datetime.combine(options.since, dt.time(), tzinfo=dt.UTC) if options.since else None
    ctx = CrawlContext(
        store=store,
        relevance=RelevanceFilter(job.get("relevance_terms") or ()),
        since=since,
        min_words=options.min_words,
        progress=emit,
        extract_pool=extraction_pool(options.extract_workers) if options.extract_workers else None,
        memory=UrlMemory(store.sessions, store=store, retry_after=options.retry_after),
    )
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.setdict(scrapy_settings(options), priority="cmdline")
    settings.setdict(extra_settings or {}, priority="cmdline")
    settings.set("AIRACE_CONTEXT", ctx, priority="cmdline")
    process = CrawlerProcess(settings)
    crawlers = []
    for source in sources:
        crawler = process.create_crawler(load_object(spider_classes[source.kind]))
        crawlers.append((source, crawler))
        process.crawl(crawler, source=source)
    emit({"event": "started", "pid": os.getpid(), "run_id": run_id, **(started or {})})
    try:
        process.start()
    finally:
        if ctx.extract_pool is not None:
            ctx.extract_pool.shutdown(cancel_futures=True)
    for source, crawler in crawlers:
        if source.name not in per_source:
            per_source[source.name] = source_counts(crawler.stats.get_stats())
    totals = sum_counts(per_source)
    if ctx.memory is not None:
        ctx.memory.flush()  # into the store's last batch, committed by write_run
    store.write_run(totals, run_stats(per_source), status="finished", finished=True)
    emit({"event": "done", "run_id": run_id, "totals": totals, "per_source": per_source})
    engine.dispose()
    return 0


def main(child: Callable[[dict[str, Any]], int] = _child) -> int:
    """Child entry point: read the job as JSON on stdin, crawl, report JSON lines on stdout.

    The child ends with its parent: a crawl whose parent was killed stops at once.
    """
    die_with_parent()
    job = json.loads(sys.stdin.read())
    try:
        return child(job)
    except Exception as e:
        sys.stdout.write(json.dumps({"event": "error", "message": str(e)}) + "\n")
        sys.stdout.flush()
        raise


if __name__ == "__main__":
    raise SystemExit(main())
