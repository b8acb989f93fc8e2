"""Tables of the airace store. Users query these with SQL: names are plural snake_case and stable.

Instants are timezone-aware (`UTCDateTime`); trading days are plain dates. JSON columns
hold small lists (aliases, authors, per-source counts). Embeddings are float32 bytes so they work on
SQLite and PostgreSQL alike (pgvector is not assumed).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, UTCDateTime

# Precision of a publication date: an exact instant, a day, a month, or unknown.
DATE_PRECISIONS = ("exact", "day", "month", "unknown")
# Lifecycle of an article row.
ARTICLE_STATUSES = ("new", "analysed", "skipped", "failed")
ENTITY_TYPES = (
    "company",
    "ai_lab",
    "model",
    "product",
    "person",
    "government",
    "project",
    "other",
)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Source(Base):
    """A news source from the sources file (feed, sitemap or listing)."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    homepage: Mapped[str | None] = mapped_column(String(2000))
    language: Mapped[str | None] = mapped_column(String(8))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    articles: Mapped[list[Article]] = relationship(back_populates="source")


class CrawlRun(Base):
    """One crawl: when, which sources, and what happened (totals plus per-source counts in `stats`)."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(
        String(20), default="running"
    )  # running|finished|failed|died
    sources: Mapped[list[str]] = mapped_column(JSON, default=list)
    fetched: Mapped[int] = mapped_column(Integer, default=0)
    new: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    irrelevant: Mapped[int] = mapped_column(Integer, default=0)
    dropped: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    # {"per_source": {name: {fetched, new, ...}}, "dropped_by_reason": {...}, "error_samples": [...]}
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The process that owns the run: a run left "running" by a dead process is marked "died".
    host: Mapped[str | None] = mapped_column(String(200))
    pid: Mapped[int | None] = mapped_column(Integer)


class Article(Base):
    """A stored news article. `url` is the canonical URL and is unique."""

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    original_url: Mapped[str | None] = mapped_column(String(2000))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"), index=True)
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str | None] = mapped_column(Text)
    authors: Mapped[list[str]] = mapped_column(JSON, default=list)
    site_name: Mapped[str | None] = mapped_column(String(200))
    top_image: Mapped[str | None] = mapped_column(String(2000))
    language: Mapped[str | None] = mapped_column(String(8), index=True)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    published_precision: Mapped[str] = mapped_column(String(10), default="unknown")
    fetched_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    word_count: Mapped[int] = mapped_column(Integer, default=0)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    # 64-bit SimHash of the text (signed, to fit BIGINT) for near-duplicate detection.
    simhash: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(12), default="new")
    status_reason: Mapped[str | None] = mapped_column(Text)
    # Version of the NLP pipeline that produced this article's mentions/stances/themes/embedding.
    analysis_version: Mapped[int | None] = mapped_column(Integer)
    # The fitted stance model (its id, or "rules") that decided this article's stances: an
    # article decided by another model is analysed again.
    stance_model: Mapped[str | None] = mapped_column(String(60))
    analysed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Work claims for parallel analysis workers (PostgreSQL): who holds it and until when.
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    source: Mapped[Source | None] = relationship(back_populates="articles")

    __table_args__ = (
        Index("ix_articles_published_at", "published_at"),
        Index("ix_articles_status_version", "status", "analysis_version"),
        Index("ix_articles_source_published", "source_id", "published_at"),
    )


class Duplicate(Base):
    """A URL whose content duplicates an already stored article (syndication, mirrors)."""

    __tablename__ = "duplicates"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    method: Mapped[str] = mapped_column(String(20))  # content_hash | simhash | canonical
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class UrlDecision(Base):
    """What a crawl decided about a URL it fetched and did not store, so later crawls (and other
    workers) do not fetch it again: irrelevant, dropped (too short, no text, not HTML) or failed.

    A failure is retried once `next_retry_at` has passed (the wait doubles with each attempt);
    any decision is revisited when the page's feed entry changes (`entry_fingerprint`).
    """

    __tablename__ = "url_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    decision: Mapped[str] = mapped_column(String(20))  # irrelevant | dropped | failed
    reason: Mapped[str] = mapped_column(String(60))  # e.g. too_short, http_500, timeout
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    next_retry_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    entry_fingerprint: Mapped[str | None] = mapped_column(String(40))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Entity(Base):
    """A knowledge-base entity (origin 'kb') or a discovered candidate (origin 'discovered')."""

    __tablename__ = "entities"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)  # stable slug, e.g. "nvidia"
    name: Mapped[str] = mapped_column(String(200), index=True)  # canonical name
    type: Mapped[str] = mapped_column(String(20), index=True)
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    ticker: Mapped[str | None] = mapped_column(String(20), index=True)
    exchange: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(String(2))
    description: Mapped[str | None] = mapped_column(Text)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("entities.id"))
    origin: Mapped[str] = mapped_column(String(12), default="kb")
    kb_version: Mapped[str | None] = mapped_column(String(20))

    parent: Mapped[Entity | None] = relationship(remote_side=[id])


class Exposure(Base):
    """A listed company's exposure to an entity (a private lab's investor, partner, supplier)."""

    __tablename__ = "exposures"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id", ondelete="CASCADE"))
    ticker: Mapped[str] = mapped_column(String(20))
    relation: Mapped[str] = mapped_column(String(20))  # investor | partner | supplier | customer
    weight: Mapped[float] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("entity_id", "ticker"),)


class Mention(Base):
    """Article x entity: how often and how prominently the article names the entity."""

    __tablename__ = "mentions"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    entity_id: Mapped[int] = mapped_column(
        ForeignKey("entities.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    count: Mapped[int] = mapped_column(Integer)
    first_offset: Mapped[int] = mapped_column(Integer)
    in_title: Mapped[bool] = mapped_column(Boolean, default=False)
    salience: Mapped[float] = mapped_column(Float)
    surface: Mapped[str | None] = mapped_column(String(200))  # most frequent surface form

    # covering index for mention counts per period; an entity's most salient mentions first
    # (airace search: the articles linked to an entity the query names)
    __table_args__ = (
        Index("ix_mentions_article_entity_count", "article_id", "entity_id", "count"),
        Index("ix_mentions_entity_salience", "entity_id", "salience", "article_id"),
    )


class EntityDay(Base):
    """Per entity and UTC day of publication: what its articles' mentions and stances add up to.

    A rollup of `mentions` and `stances` (joined to `articles.published_at`), kept in step by
    db.entity_days whenever an article's analysis is written or cleared, so `query entities`
    reads a few rows per entity and day instead of every mention of the period. Undated
    articles are not counted (they fall in no period). `stanced` counts the articles with a
    stance toward the entity; net stance is (favourable - unfavourable) / stanced.
    """

    __tablename__ = "entity_days"

    entity_id: Mapped[int] = mapped_column(
        ForeignKey("entities.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True, index=True)
    articles: Mapped[int] = mapped_column(Integer, default=0)
    mentions: Mapped[int] = mapped_column(Integer, default=0)
    stanced: Mapped[int] = mapped_column(Integer, default=0)
    favourable: Mapped[int] = mapped_column(Integer, default=0)
    unfavourable: Mapped[int] = mapped_column(Integer, default=0)


class Stance(Base):
    """Article x entity: the article's stance toward the entity, score in [-1, 1], label -1/0/+1."""

    __tablename__ = "stances"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    entity_id: Mapped[int] = mapped_column(
        ForeignKey("entities.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    score: Mapped[float] = mapped_column(Float)
    label: Mapped[int] = mapped_column(Integer)
    confidence: Mapped[float] = mapped_column(Float)
    evidence: Mapped[str | None] = mapped_column(Text)

    # covering index: per-period stance aggregates read no table rows
    __table_args__ = (
        Index("ix_stances_article_entity_label_score", "article_id", "entity_id", "label", "score"),
    )


class Theme(Base):
    """Article x theme (narrative): score in [0, 1]. Theme names are documented in nlp/themes.py."""

    __tablename__ = "themes"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    theme: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)
    score: Mapped[float] = mapped_column(Float)


class Embedding(Base):
    """One vector per article: little-endian float32 bytes, its dimension and the model name."""

    __tablename__ = "embeddings"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    model: Mapped[str] = mapped_column(String(200))
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class Instrument(Base):
    """A tradable or benchmark instrument: equity, ETF or index, with its exchange and currency."""

    __tablename__ = "instruments"

    ticker: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10), default="equity")  # equity | etf | index
    exchange: Mapped[str | None] = mapped_column(String(20))
    currency: Mapped[str | None] = mapped_column(String(3))
    timezone: Mapped[str | None] = mapped_column(String(40))
    calendar: Mapped[str | None] = mapped_column(String(10))  # exchange_calendars code, e.g. XNYS


class Price(Base):
    """A daily bar. `close` is as traded (split-adjusted); `adj_close` adds dividends when known."""

    __tablename__ = "prices"

    ticker: Mapped[str] = mapped_column(
        ForeignKey("instruments.ticker", ondelete="CASCADE"), primary_key=True
    )
    date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    open: Mapped[float | None] = mapped_column(Float)
    high: Mapped[float | None] = mapped_column(Float)
    low: Mapped[float | None] = mapped_column(Float)
    close: Mapped[float] = mapped_column(Float)
    adj_close: Mapped[float | None] = mapped_column(Float)
    volume: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(40))  # yahoo | csv:<file>


class Reaction(Base):
    """Event study of one (article, ticker, window): returns around the article's trading session.

    `window_start`/`window_end` are session offsets from day 0 (the session the story could move).
    `abnormal_return` is the day-0 AR; `car` the cumulative AR over the window; `t_stat` uses the
    estimation residuals. `model` is market_model or market_adjusted; the estimation window is kept
    as session offsets and dates. `link_type` says why the ticker is there.
    """

    __tablename__ = "reactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    ticker: Mapped[str] = mapped_column(String(20))
    window_start: Mapped[int] = mapped_column(Integer)
    window_end: Mapped[int] = mapped_column(Integer)
    event_date: Mapped[dt.date] = mapped_column(Date, index=True)  # day-0 session
    time_note: Mapped[str | None] = mapped_column(String(80))
    link_type: Mapped[str] = mapped_column(String(20))  # direct | parent | exposure | theme
    link_weight: Mapped[float] = mapped_column(Float)
    via: Mapped[str | None] = mapped_column(String(200))  # entity or theme behind the link
    raw_return: Mapped[float] = mapped_column(Float)
    abnormal_return: Mapped[float] = mapped_column(Float)
    car: Mapped[float] = mapped_column(Float)
    t_stat: Mapped[float | None] = mapped_column(Float)
    benchmark: Mapped[str] = mapped_column(String(20))
    model: Mapped[str] = mapped_column(String(20))
    alpha: Mapped[float | None] = mapped_column(Float)
    beta: Mapped[float | None] = mapped_column(Float)
    sigma: Mapped[float | None] = mapped_column(Float)
    estimation_start: Mapped[int | None] = mapped_column(Integer)
    estimation_end: Mapped[int | None] = mapped_column(Integer)
    estimation_start_date: Mapped[dt.date | None] = mapped_column(Date)
    estimation_end_date: Mapped[dt.date | None] = mapped_column(Date)
    estimation_sessions: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("article_id", "ticker", "window_start", "window_end"),
        Index("ix_reactions_ticker_event_date", "ticker", "event_date"),
        # "biggest moves" queries: by window (and ticker), ordered by CAR
        Index("ix_reactions_window_car", "window_start", "window_end", "car"),
        Index("ix_reactions_ticker_window_car", "ticker", "window_start", "window_end", "car"),
    )


class Story(Base):
    """One news event: the articles that report it (story_articles) from its first report on.

    Written by the stories stage (nlp/stories.py); `version` is the version of that stage.
    """

    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(primary_key=True)
    first_article_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL")
    )
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    last_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    article_count: Mapped[int] = mapped_column(Integer, default=0)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


# Role of an article in its story: the first report, a follow-up (re-report, other language,
# new angle) or a copy (syndicated or near-identical text).
STORY_KINDS = ("first", "follow_up", "copy")


class StoryArticle(Base):
    """Article -> its story: role, the earlier article it matched, and on what evidence."""

    __tablename__ = "story_articles"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # first | follow_up | copy
    matched_article_id: Mapped[int | None] = mapped_column(Integer)
    evidence: Mapped[str | None] = mapped_column(String(20))  # embedding | facts | copy | none
    score: Mapped[float | None] = mapped_column(Float)
    version: Mapped[int] = mapped_column(Integer, default=1, index=True)
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Novelty(Base):
    """Article x entity: is the article the first report of its story about this entity?

    `novel` is false when an earlier article of the same story named the entity within the
    novelty window; `previous_article_id` is then that earlier report.
    """

    __tablename__ = "novelty"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    entity_id: Mapped[int] = mapped_column(
        ForeignKey("entities.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), index=True)
    novel: Mapped[bool] = mapped_column(Boolean)
    previous_article_id: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Report(Base):
    """A rendered briefing."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    language: Mapped[str] = mapped_column(String(8))
    pdf_path: Mapped[str | None] = mapped_column(String(2000))
    html_path: Mapped[str | None] = mapped_column(String(2000))
    article_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class JobRun(Base):
    """One run of a scheduled or manual job (crawl, analyze, prices, react, report, run)."""

    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(40), index=True)
    trigger: Mapped[str] = mapped_column(String(20), default="manual")  # manual | schedule
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(
        String(20), default="running"
    )  # running|ok|failed|skipped|died
    message: Mapped[str | None] = mapped_column(Text)
    host: Mapped[str | None] = mapped_column(String(200))
    pid: Mapped[int | None] = mapped_column(Integer)


__all__ = [
    "ARTICLE_STATUSES",
    "DATE_PRECISIONS",
    "ENTITY_TYPES",
    "STORY_KINDS",
    "Article",
    "Base",
    "CrawlRun",
    "Duplicate",
    "Embedding",
    "Entity",
    "Exposure",
    "Instrument",
    "JobRun",
    "Mention",
    "Novelty",
    "Price",
    "Reaction",
    "Report",
    "Source",
    "Stance",
    "Story",
    "StoryArticle",
    "Theme",
    "UrlDecision",
    "func",
    "utcnow",
]
