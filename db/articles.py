"""Articles, their duplicates, news sources and crawl runs: typed adds and selects, no commits.

The caller owns the transaction (`with sessions.begin() as session:`); these functions add rows,
flush when an id is needed, and select.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import CompoundSelect, func, select, union
from sqlalchemy.orm import Session

from db.jobs import mark_dead_crawl_runs, this_host
from db.models import Article, CrawlRun, Duplicate, Source, utcnow

CRAWL_COUNTERS = ("fetched", "new", "duplicates", "irrelevant", "dropped", "errors")


def save_sources(session: Session, sources: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Insert or update sources by name (kind, homepage, language, enabled); return name -> id."""
    ids: dict[str, int] = {}
    for data in sources:
        name = str(data["name"])
        row = session.scalar(select(Source).where(Source.name == name))
        if row is None:
            row = Source(name=name, kind=str(data["kind"]))
            session.add(row)
        row.kind = str(data["kind"])
        row.homepage = data.get("homepage") or row.homepage
        row.language = data.get("language") or row.language
        row.enabled = bool(data.get("enabled", True))
        session.flush()
        ids[name] = row.id
    return ids


def source_ids(session: Session) -> dict[str, int]:
    """Every stored source's id by name."""
    return {name: id_ for name, id_ in session.execute(select(Source.name, Source.id))}


def known_urls(session: Session) -> set[str]:
    """Every URL already stored: article URLs, their original URLs, and duplicate URLs."""
    query: CompoundSelect[str] = union(
        select(Article.url),
        select(Article.original_url).where(Article.original_url.is_not(None)),
        select(Duplicate.url),
    )
    return {url for url in session.scalars(query) if url}


def fingerprints(
    session: Session, since: dt.datetime | None = None
) -> list[tuple[int, str, int | None]]:
    """(id, content_hash, simhash) of stored articles, fetched after `since` when given."""
    query = select(Article.id, Article.content_hash, Article.simhash)
    if since is not None:
        query = query.where(Article.fetched_at >= since)
    return [(i, h, s) for i, h, s in session.execute(query)]


def article_id_by_url(session: Session, url: str) -> int | None:
    """The article stored under this canonical URL, if any."""
    return session.scalar(select(Article.id).where(Article.url == url))


def add_article(session: Session, *, flush: bool = True, **fields: Any) -> Article:
    """Add one article (fields are Article columns); flushed to get its id unless `flush=False`.

    Callers that add many rows pass `flush=False` and flush once per batch (one multi-row INSERT).
    """
    article = Article(**fields)
    session.add(article)
    if flush:
        session.flush()
    return article


def add_duplicate(
    session: Session, url: str, article_id: int, method: str, source_id: int | None = None
) -> Duplicate | None:
    """Record `url` as a duplicate of an article; None when the URL is already recorded."""
    if session.scalar(select(Duplicate.id).where(Duplicate.url == url)) is not None:
        return None
    dup = Duplicate(url=url, article_id=article_id, method=method, source_id=source_id)
    session.add(dup)
    session.flush()
    return dup


def start_crawl_run(
    session: Session, sources: Sequence[str], *, host: str | None = None, pid: int | None = None
) -> CrawlRun:
    """A new crawl run in state 'running', owned by process `pid` on `host` (default: this one).

    Runs of this host left 'running' by a process that died are marked 'died' first.
    """
    mark_dead_crawl_runs(session)
    run = CrawlRun(
        sources=list(sources),
        status="running",
        stats={},
        host=(host or this_host())[:200],
        pid=os.getpid() if pid is None else pid,
    )
    session.add(run)
    session.flush()
    return run


def update_crawl_run(
    session: Session,
    run_id: int,
    totals: Mapping[str, int],
    stats: Mapping[str, Any] | None = None,
    status: str | None = None,
    finished: bool = False,
) -> CrawlRun:
    """Write a run's counters (and per-source stats, status, end time when `finished`)."""
    run = session.get(CrawlRun, run_id)
    if run is None:
        raise LookupError(f"no crawl run {run_id}")
    for key in CRAWL_COUNTERS:
        if key in totals:
            setattr(run, key, int(totals[key]))
    if stats is not None:
        run.stats = dict(stats)
    if status is not None:
        run.status = status
    if finished:
        run.finished_at = utcnow()
    return run


def articles_per_week(
    session: Session, *, limit: int | None = None
) -> list[tuple[tuple[int, int], int]]:
    """((ISO year, ISO week), dated articles) per week, most recent first.

    SQL counts per UTC day (one row per day, not per article); the days are folded into ISO weeks
    here, the one calendar both SQLite and PostgreSQL agree on.
    """
    column = Article.published_at
    if session.get_bind().dialect.name == "postgresql":
        day = func.date(func.timezone("UTC", column))
    else:  # SQLite stores the UTC instant as text: its date() is the UTC day
        day = func.date(column)
    rows = session.execute(select(day, func.count()).where(column.is_not(None)).group_by(day)).all()
    weeks: dict[tuple[int, int], int] = {}
    for value, n in rows:
        when = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
        year, week, _ = when.isocalendar()
        weeks[(year, week)] = weeks.get((year, week), 0) + int(n)
    ordered = sorted(weeks.items(), reverse=True)
    return ordered[:limit] if limit is not None else ordered
