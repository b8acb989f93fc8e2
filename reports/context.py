"""One week's briefing as plain data: db/weekly.py's rows, assembled and ranked for the template.

The SQL lives in db/weekly.py (one module for the briefing's reads); this module picks the top
stories, clusters, gainers and losers from what it returns. The row types are re-exported here for
the templates and charts.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from db.stories import stories_of
from db.weekly import (
    MIN_SAMPLE,
    SUMMARY_WEEKS,
    SUMMARY_WINDOW,
    WINDOWS,
    ArticleRow,
    EntityRow,
    GroupStats,
    Mark,
    Move,
    Period,
    PriceSeries,
    ReactionRow,
    Story,
    ThemeRow,
    WindowCar,
    article_vectors,
    entity_rows,
    max_abs_ar,
    missing_tickers,
    price_series,
    reaction_summary,
    theme_rows,
    top_moves,
    week_articles,
)

__all__ = [
    "MIN_SAMPLE",
    "SUMMARY_WINDOW",
    "WINDOWS",
    "ArticleRow",
    "Cluster",
    "EntityRow",
    "GroupStats",
    "Mark",
    "Move",
    "Period",
    "PriceSeries",
    "ReactionRow",
    "Story",
    "ThemeRow",
    "WeeklyContext",
    "WindowCar",
    "build_weekly_context",
    "iso_week",
    "last_complete_week",
    "significance_stars",
]

ENTITY_ROWS = 15
# Moves shown on the cover ("In brief").
COVER_MOVES = 5
# A raw day-0 return this far from the abnormal one is explained on the cover.
RAW_GAP_NOTE = 0.03


def iso_week(text: str) -> Period:
    """Parse `2025-W05` (or `2025W05`, `2025-w5`) into its Monday-to-Sunday period.

    Raises ValueError with a readable message on anything else.
    """
    raw = text.strip().upper().replace("-", "")
    if "W" not in raw:
        raise ValueError(f"expected an ISO week like 2025-W05, got {text!r}")
    year_s, _, week_s = raw.partition("W")
    try:
        monday = dt.date.fromisocalendar(int(year_s), int(week_s), 1)
    except ValueError:
        raise ValueError(f"expected an ISO week like 2025-W05, got {text!r}") from None
    return Period(monday, monday + dt.timedelta(days=6))


def last_complete_week(today: dt.date) -> Period:
    """The Monday-to-Sunday week before the one containing `today`."""
    monday = today - dt.timedelta(days=today.weekday() + 7)
    return Period(monday, monday + dt.timedelta(days=6))


# ---------------------------------------------------------------------------------------------
# Plain data handed to the templates


@dataclass
class Cluster:
    """Articles about the same story, grouped by their embeddings."""

    headline: str
    url: str
    source: str
    n_articles: int
    n_sources: int
    languages: list[str]
    article_ids: list[int]
    max_abs_ar: float | None = None
    # roles from the stories stage (None when it has not run): first reports vs follow-ups
    first_reports: int | None = None
    follow_ups: int | None = None


@dataclass
class WeeklyContext:
    """Everything the weekly template shows, computed from the database."""

    period: Period
    generated_at: dt.datetime
    articles: list[ArticleRow]
    undated_articles: int
    n_sources: int
    languages: dict[str, int]
    n_entities: int
    n_tickers: int
    top_stories: list[Cluster]
    moves: list[Move]
    charts: list[PriceSeries]
    missing_tickers: list[str]
    entities: list[EntityRow]
    gainers: list[EntityRow]
    losers: list[EntityRow]
    themes: list[ThemeRow]
    clusters: list[Cluster]
    clustered_articles: int
    reactions_by_entity: list[ReactionRow]
    reactions_by_theme: list[ReactionRow]
    summary_start: dt.date
    theme_labels: dict[str, str] = field(default_factory=dict)

    @property
    def article_count(self) -> int:
        return len(self.articles)

    @property
    def articles_by_day(self) -> list[tuple[dt.date, list[ArticleRow]]]:
        """The appendix: the week's articles grouped by UTC publication day, in time order."""
        days: dict[dt.date, list[ArticleRow]] = defaultdict(list)
        for a in self.articles:
            if a.published_at is not None:
                days[a.published_at.date()].append(a)
        return sorted(days.items())

    @property
    def cover_moves(self) -> list[Move]:
        return self.moves[:COVER_MOVES]

    @property
    def gap_notes(self) -> list[Move]:
        """Cover moves whose raw return differs from the abnormal one by `RAW_GAP_NOTE` or more:
        the reader sees a -17% day in the news and a -6.8% abnormal return in the table."""
        return [
            m
            for m in self.cover_moves
            if m.raw_return is not None and abs(m.raw_return - m.abnormal_return) >= RAW_GAP_NOTE
        ]

    @property
    def moves_linked(self) -> list[Move]:
        """Moves with at least one story about the company or a company tied to it."""
        return [m for m in self.moves if not m.basket_only]

    @property
    def moves_basket_only(self) -> list[Move]:
        """Moves whose stories reach the ticker only through a theme (sector) basket."""
        return [m for m in self.moves if m.basket_only]

    @property
    def is_empty(self) -> bool:
        return not self.articles and not self.moves

    @property
    def rising(self) -> list[ThemeRow]:
        ups = sorted(self.themes, key=lambda t: -t.share_change)
        return [t for t in ups if t.share_change > 0.005][:5]

    @property
    def fading(self) -> list[ThemeRow]:
        downs = sorted(self.themes, key=lambda t: t.share_change)
        return [t for t in downs if t.share_change < -0.005][:5]


def significance_stars(t_stat: float | None) -> str:
    """`***` for |t| >= 2.58, `**` >= 1.96, `*` >= 1.645 (two-sided 1%, 5%, 10%)."""
    if t_stat is None or not math.isfinite(t_stat):
        return ""
    a = abs(t_stat)
    return "***" if a >= 2.58 else "**" if a >= 1.96 else "*" if a >= 1.645 else ""


# ---------------------------------------------------------------------------------------------
# Building the context


def build_weekly_context(
    sessions: sessionmaker[Session],
    start: dt.date,
    end: dt.date,
    *,
    theme_labels: Mapping[str, str] | None = None,
    now: dt.datetime | None = None,
) -> WeeklyContext:
    """Read the week `start`..`end` (inclusive) and the week before it from the database."""
    from reports.clusters import cluster_articles

    period = Period(start, end)
    labels = dict(theme_labels or {})
    with sessions() as s:
        articles, undated = week_articles(s, period)
        by_id = {a.id: a for a in articles}
        entities = entity_rows(s, period)
        themes = theme_rows(s, period, labels)
        moves, move_tickers = top_moves(s, period)
        charts = price_series(s, period, moves)
        tracked = {e.ticker for e in entities if e.ticker} | move_tickers
        missing = missing_tickers(s, period, tracked)
        vectors = article_vectors(s, period)
        by_entity, by_theme = reaction_summary(s, period, labels)
        ar_by_article = max_abs_ar(s, period)
        roles = stories_of(s, list(by_id))

    clusters = cluster_articles(vectors)
    cluster_rows: list[Cluster] = []
    for members in clusters:
        rows = [by_id[i] for i in members.article_ids if i in by_id]
        if not rows:
            continue
        lead = by_id.get(members.representative, rows[0])
        ars = [ar_by_article[i] for i in members.article_ids if i in ar_by_article]
        kinds = [roles[r.id][1] for r in rows if r.id in roles]
        cluster_rows.append(
            Cluster(
                headline=lead.title,
                url=lead.url,
                source=lead.source,
                n_articles=len(rows),
                n_sources=len({r.source for r in rows}),
                languages=sorted({r.language for r in rows if r.language}),
                article_ids=[r.id for r in rows],
                max_abs_ar=max(ars) if ars else None,
                first_reports=kinds.count("first") if kinds else None,
                follow_ups=len(kinds) - kinds.count("first") if kinds else None,
            )
        )
    clustered = {i for c in cluster_rows for i in c.article_ids}
    # Articles without an embedding are stories of their own for the top-stories ranking.
    singles = [
        Cluster(
            a.title,
            a.url,
            a.source,
            1,
            1,
            [a.language] if a.language else [],
            [a.id],
            ar_by_article.get(a.id),
        )
        for a in articles
        if a.id not in clustered
    ]
    ranked = sorted(
        cluster_rows + singles,
        key=lambda c: (-c.n_sources, -c.n_articles, -(c.max_abs_ar or 0.0), c.headline),
    )
    multi = [c for c in cluster_rows if c.n_articles > 1]
    multi.sort(key=lambda c: (-c.n_sources, -c.n_articles, c.headline))

    ranked_entities = sorted(entities, key=lambda e: (-e.articles, -abs(e.change), e.name))
    with_both = [e for e in entities if e.stance_change is not None and e.articles >= 2]
    gainers = sorted(
        (e for e in with_both if (e.stance_change or 0) > 0), key=lambda e: -(e.stance_change or 0)
    )[:5]
    losers = sorted(
        (e for e in with_both if (e.stance_change or 0) < 0), key=lambda e: e.stance_change or 0
    )[:5]

    return WeeklyContext(
        period=period,
        generated_at=now or dt.datetime.now(dt.UTC),
        articles=articles,
        undated_articles=undated,
        n_sources=len({a.source for a in articles if a.source}),
        languages=dict(Counter(a.language or "?" for a in articles).most_common()),
        n_entities=sum(1 for e in entities if e.articles > 0),
        n_tickers=len(tracked),
        top_stories=ranked[:3],
        moves=moves,
        charts=charts,
        missing_tickers=sorted(missing),
        entities=[e for e in ranked_entities if e.articles > 0][:ENTITY_ROWS],
        gainers=gainers,
        losers=losers,
        themes=sorted(themes, key=lambda t: (-t.articles, t.theme)),
        clusters=multi[:10],
        clustered_articles=sum(c.n_articles for c in multi),
        reactions_by_entity=by_entity,
        reactions_by_theme=by_theme,
        summary_start=period.end - dt.timedelta(weeks=SUMMARY_WEEKS) + dt.timedelta(days=1),
        theme_labels=labels,
    )
