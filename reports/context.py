"""The database, read into plain data for one week's briefing.

Every query here is set-based: the week's articles are selected once by `published_at` (indexed),
and mentions, stances, themes and embeddings are joined to that range in SQL and aggregated there or
in one pass in Python. No query runs per article, so a 100,000-article store costs what its busiest
week costs, not what its history costs.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, and_, case, func, literal_column, or_, select, type_coerce
from sqlalchemy.orm import Session, sessionmaker

from db.models import (
    Article,
    Embedding,
    Entity,
    Instrument,
    Mention,
    Price,
    Reaction,
    Source,
    Stance,
    Theme,
)
from db.stories import stories_of

# A theme counts for an article when its score reaches this.
THEME_MIN_SCORE = 0.3
# Reaction windows shown in the market section, as (window_start, window_end) session offsets.
WINDOWS: tuple[tuple[int, int], ...] = ((0, 1), (-1, 1), (0, 5))
# The window used for the reaction summary.
SUMMARY_WINDOW = (0, 1)
# Weeks of history behind the reaction summary (one week alone rarely says anything).
SUMMARY_WEEKS = 12
# Below this many distinct events a mean is reported with a note instead of a verdict.
MIN_SAMPLE = 5
TOP_MOVES = 8
CHARTED_MOVERS = 3
STORIES_PER_MOVE = 6
# Linked articles read per move to choose the stories shown (closest links first).
STORY_CANDIDATES = 200
ENTITY_ROWS = 15
# Price history drawn around the week, in calendar days.
CHART_DAYS_BEFORE = 28
CHART_DAYS_AFTER = 10


# ---------------------------------------------------------------------------------------------
# Periods


@dataclass(frozen=True)
class Period:
    """The reported days, inclusive, and the same number of days just before them."""

    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def prev_start(self) -> dt.date:
        return self.start - dt.timedelta(days=self.days)

    @property
    def prev_end(self) -> dt.date:
        return self.start - dt.timedelta(days=1)

    @property
    def label(self) -> str:
        """`2025-W05` for a Monday-to-Sunday ISO week, else `2025-01-27 – 2025-02-02`."""
        year, week, weekday = self.start.isocalendar()
        if weekday == 1 and self.days == 7:
            return f"{year}-W{week:02d}"
        return f"{self.start.isoformat()} – {self.end.isoformat()}"


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


def _instant(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


# ---------------------------------------------------------------------------------------------
# Plain data handed to the templates


@dataclass
class ArticleRow:
    """One article of the week, as listed in the appendix."""

    id: int
    title: str
    url: str
    source: str
    language: str
    published_at: dt.datetime | None


@dataclass
class Story:
    """An article linked to a market move."""

    article_id: int
    title: str
    url: str
    source: str
    stance: int | None
    link_type: str
    via: str | None
    event_date: dt.date


@dataclass
class WindowCar:
    """The cumulative abnormal return over one window, with its t-statistic."""

    window: tuple[int, int]
    car: float
    t_stat: float | None

    @property
    def stars(self) -> str:
        return significance_stars(self.t_stat)


@dataclass
class Move:
    """One ticker's abnormal return on one session, and the stories that could explain it."""

    ticker: str
    name: str | None
    event_date: dt.date
    abnormal_return: float
    benchmark: str
    model: str
    cars: list[WindowCar]
    stories: list[Story]
    n_stories: int
    link_types: list[str]

    def car_for(self, window: tuple[int, int]) -> WindowCar | None:
        """The CAR over `window`, if it was computed."""
        return next((c for c in self.cars if tuple(c.window) == tuple(window)), None)

    @property
    def main_car(self) -> WindowCar | None:
        return self.car_for(SUMMARY_WINDOW)


@dataclass
class PriceSeries:
    """Closes of a top mover and its benchmark around the week, and the stories on its timeline."""

    ticker: str
    benchmark: str
    dates: list[dt.date]
    closes: list[float]
    bench_dates: list[dt.date]
    bench_closes: list[float]
    marks: list[tuple[dt.date, int | None]]  # (event_date, stance label)
    move_date: dt.date
    period: Period


@dataclass
class EntityRow:
    """An entity's week: articles mentioning it, change, and net stance (mean label, -1..+1)."""

    entity_id: int
    name: str
    ticker: str | None
    articles: int
    prev_articles: int
    net_stance: float | None
    prev_net_stance: float | None
    favourable: int
    unfavourable: int

    @property
    def change(self) -> int:
        return self.articles - self.prev_articles

    @property
    def stance_change(self) -> float | None:
        if self.net_stance is None or self.prev_net_stance is None:
            return None
        return self.net_stance - self.prev_net_stance


@dataclass
class ThemeRow:
    """A narrative's week: articles carrying it, its share of the week, and the change."""

    theme: str
    label: str
    articles: int
    prev_articles: int
    share: float
    prev_share: float

    @property
    def change(self) -> int:
        return self.articles - self.prev_articles

    @property
    def share_change(self) -> float:
        return self.share - self.prev_share


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
class GroupStats:
    """Mean CAR of one sample of events, with its t-statistic."""

    n: int
    mean: float | None
    t_stat: float | None


@dataclass
class ReactionRow:
    """Mean CAR after favourable and after unfavourable news for one entity or theme."""

    key: str
    label: str
    favourable: GroupStats
    unfavourable: GroupStats

    @property
    def too_small(self) -> bool:
        return self.favourable.n < MIN_SAMPLE or self.unfavourable.n < MIN_SAMPLE

    @property
    def spread(self) -> float | None:
        if self.favourable.mean is None or self.unfavourable.mean is None:
            return None
        return self.favourable.mean - self.unfavourable.mean


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
        articles, undated = _articles(s, period)
        by_id = {a.id: a for a in articles}
        entities = _entities(s, period)
        themes = _themes(s, period, labels)
        moves, move_tickers = _moves(s, period)
        charts = _charts(s, period, moves)
        tracked = {e.ticker for e in entities if e.ticker} | move_tickers
        missing = _missing_tickers(s, period, tracked)
        vectors = _embeddings(s, period)
        by_entity, by_theme = _reaction_summary(s, period, labels)
        ar_by_article = _max_abs_ar(s, period)
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


def _in_range(column: Any, start: dt.date, end: dt.date) -> Any:
    return and_(column >= _instant(start), column < _instant(end + dt.timedelta(days=1)))


def _articles(s: Session, period: Period) -> tuple[list[ArticleRow], int]:
    q = (
        select(
            Article.id,
            Article.title,
            Article.url,
            Article.language,
            Article.published_at,
            Source.name,
            Article.site_name,
        )
        .outerjoin(Source, Source.id == Article.source_id)
        .where(_in_range(Article.published_at, period.start, period.end))
        .order_by(Article.published_at, Article.id)
    )
    rows = [
        ArticleRow(i, (t or "").strip() or url, url, src or site or "", lang or "", pub)
        for i, t, url, lang, pub, src, site in s.execute(q)
    ]
    # Articles fetched that week whose date is unknown are counted, not listed.
    undated = s.scalar(
        select(func.count())
        .select_from(Article)
        .where(
            Article.published_at.is_(None),
            _in_range(Article.fetched_at, period.start, period.end),
        )
    )
    return rows, int(undated or 0)


def _week_flag(period: Period) -> tuple[Any, Any]:
    """1 for an article of the reported week, 0 for one of the week before: (column, group key).

    Grouping by the output name rather than the expression keeps PostgreSQL from seeing two
    different bound parameters in SELECT and GROUP BY.
    """
    return (
        case((Article.published_at >= _instant(period.start), 1), else_=0).label("cur"),
        literal_column("cur"),
    )


def _entities(s: Session, period: Period) -> list[EntityRow]:
    flag, by_flag = _week_flag(period)
    span = _in_range(Article.published_at, period.prev_start, period.end)
    mentions = s.execute(
        select(Mention.entity_id, flag, func.count())
        .join(Article, Article.id == Mention.article_id)
        .where(span)
        .group_by(Mention.entity_id, by_flag)
    ).all()
    stances = s.execute(
        select(
            Stance.entity_id,
            flag,
            func.count(),
            func.sum(Stance.label),
            func.sum(case((Stance.label > 0, 1), else_=0)),
            func.sum(case((Stance.label < 0, 1), else_=0)),
        )
        .join(Article, Article.id == Stance.article_id)
        .where(span)
        .group_by(Stance.entity_id, by_flag)
    ).all()
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for entity_id, cur, n in mentions:
        counts[entity_id][int(cur)] += int(n)
    stance: dict[int, dict[int, tuple[int, int, int, int]]] = defaultdict(dict)
    for entity_id, cur, n, total, pos, neg in stances:
        stance[entity_id][int(cur)] = (int(n), int(total or 0), int(pos or 0), int(neg or 0))
    ids = set(counts) | set(stance)
    if not ids:
        return []
    names = {
        i: (name, ticker)
        for i, name, ticker in s.execute(
            select(Entity.id, Entity.name, Entity.ticker).where(Entity.id.in_(ids))
        )
    }

    def net(entity_id: int, cur: int) -> float | None:
        n, total, _, _ = stance[entity_id].get(cur, (0, 0, 0, 0))
        return total / n if n else None

    rows = []
    for i in ids:
        name, ticker = names.get(i, (f"#{i}", None))
        _, _, pos, neg = stance[i].get(1, (0, 0, 0, 0))
        rows.append(
            EntityRow(i, name, ticker, counts[i][1], counts[i][0], net(i, 1), net(i, 0), pos, neg)
        )
    return rows


def _themes(s: Session, period: Period, labels: Mapping[str, str]) -> list[ThemeRow]:
    flag, by_flag = _week_flag(period)
    span = _in_range(Article.published_at, period.prev_start, period.end)
    rows = s.execute(
        select(Theme.theme, flag, func.count())
        .join(Article, Article.id == Theme.article_id)
        .where(span, Theme.score >= THEME_MIN_SCORE)
        .group_by(Theme.theme, by_flag)
    ).all()
    totals: dict[int, int] = {
        int(k): int(v)
        for k, v in s.execute(
            select(flag, func.count()).select_from(Article).where(span).group_by(by_flag)
        ).all()
    }
    cur_total, prev_total = int(totals.get(1, 0)), int(totals.get(0, 0))
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for theme, cur, n in rows:
        counts[theme][int(cur)] += int(n)
    return [
        ThemeRow(
            theme,
            labels.get(theme) or theme.replace("_", " ").capitalize(),
            c[1],
            c[0],
            c[1] / cur_total if cur_total else 0.0,
            c[0] / prev_total if prev_total else 0.0,
        )
        for theme, c in counts.items()
    ]


def _moves(s: Session, period: Period) -> tuple[list[Move], set[str]]:
    """The week's biggest day-0 abnormal returns, one row per (ticker, session)."""
    # First the day-0 AR of every (ticker, session) of the week, aggregated in SQL...
    sessions_ar = s.execute(
        select(
            Reaction.ticker,
            Reaction.event_date,
            func.min(Reaction.abnormal_return),
            func.max(Reaction.abnormal_return),
        )
        .where(Reaction.event_date >= period.start, Reaction.event_date <= period.end)
        .group_by(Reaction.ticker, Reaction.event_date)
    ).all()
    tickers = {t for t, _, _, _ in sessions_ar}
    biggest: dict[str, tuple[dt.date, float]] = {}
    for ticker, day, lo, hi in sessions_ar:
        ar = lo if abs(lo) > abs(hi) else hi
        if ticker not in biggest or abs(ar) > abs(biggest[ticker][1]):
            biggest[ticker] = (day, ar)
    chosen = sorted(biggest.items(), key=lambda kv: -abs(kv[1][1]))[:TOP_MOVES]
    if not chosen:
        return [], tickers
    # ...then every row of the chosen moves only (the (ticker, event_date) index).
    rows = s.execute(
        select(
            Reaction.ticker,
            Reaction.event_date,
            Reaction.article_id,
            Reaction.window_start,
            Reaction.window_end,
            Reaction.abnormal_return,
            Reaction.car,
            Reaction.t_stat,
            Reaction.link_type,
            Reaction.via,
            Reaction.benchmark,
            Reaction.model,
        ).where(
            or_(
                *(
                    and_(Reaction.ticker == ticker, Reaction.event_date == day)
                    for ticker, (day, _) in chosen
                )
            )
        )
    ).all()
    events: dict[tuple[str, dt.date], dict[str, Any]] = {}
    for r in rows:
        e = events.setdefault(
            (r.ticker, r.event_date),
            {
                "ar": biggest[r.ticker][1],
                "bench": r.benchmark,
                "model": r.model,
                "cars": {},
                "links": {},
            },
        )
        e["cars"].setdefault((r.window_start, r.window_end), (r.car, r.t_stat))
        # Keep the strongest reason an article is linked: direct beats parent beats the rest.
        prev = e["links"].get(r.article_id)
        if prev is None or _LINK_RANK.get(r.link_type, 9) < _LINK_RANK.get(prev[0], 9):
            e["links"][r.article_id] = (r.link_type, r.via)
    best = {ticker: (day, events[(ticker, day)]) for ticker, (day, _) in chosen}
    top = sorted(best.items(), key=lambda kv: -abs(kv[1][1]["ar"]))[:TOP_MOVES]
    if not top:
        return [], tickers

    story_ids = {
        a
        for _, (_, e) in top
        for a in sorted(e["links"], key=lambda a: _LINK_RANK.get(e["links"][a][0], 9))[
            :STORY_CANDIDATES
        ]
    }
    info: dict[int, tuple[str, str, str]] = {
        i: (t or "", url, src or site or "")
        for i, t, url, src, site in s.execute(
            select(Article.id, Article.title, Article.url, Source.name, Article.site_name)
            .outerjoin(Source, Source.id == Article.source_id)
            .where(Article.id.in_(story_ids))
        )
    }
    stance_rows = s.execute(
        select(Stance.article_id, Entity.ticker, Entity.name, Entity.key, Stance.label)
        .join(Entity, Entity.id == Stance.entity_id)
        .where(Stance.article_id.in_(story_ids))
    ).all()
    names = dict(
        s.execute(
            select(Instrument.ticker, Instrument.name).where(Instrument.ticker.in_(list(best)))
        ).all()
    )
    stance_by_ticker: dict[tuple[int, str], int] = {}
    stance_by_name: dict[tuple[int, str], int] = {}
    for article_id, entity_ticker, name, key, entity_label in stance_rows:
        if entity_ticker is not None:
            stance_by_ticker.setdefault((article_id, entity_ticker), entity_label)
        stance_by_name[(article_id, name.lower())] = entity_label
        stance_by_name[(article_id, key.lower())] = entity_label

    moves = []
    for ticker, (day, e) in top:
        candidates = []
        for article_id, (link_type, via) in e["links"].items():
            if article_id not in info:
                continue
            title, url, source = info[article_id]
            label: int | None = stance_by_ticker.get((article_id, ticker))
            if label is None and via:
                label = stance_by_name.get((article_id, via.lower()))
            candidates.append(
                Story(article_id, title or url, url, source, label, link_type, via, day)
            )
        # Closest link first, then stories that take a side, then the latest.
        candidates.sort(
            key=lambda st: (_LINK_RANK.get(st.link_type, 9), not st.stance, -st.article_id)
        )
        stories = candidates[:STORIES_PER_MOVE]
        cars = [WindowCar(w, *e["cars"][w]) for w in WINDOWS if w in e["cars"]]
        moves.append(
            Move(
                ticker=ticker,
                name=names.get(ticker),
                event_date=day,
                abnormal_return=e["ar"],
                benchmark=e["bench"],
                model=e["model"],
                cars=cars,
                stories=stories,
                n_stories=len(e["links"]),
                link_types=sorted(
                    {lt for lt, _ in e["links"].values()}, key=lambda lt: _LINK_RANK.get(lt, 9)
                ),
            )
        )
    return moves, tickers


_LINK_RANK = {"direct": 0, "parent": 1, "exposure": 2, "theme": 3}


def _charts(s: Session, period: Period, moves: list[Move]) -> list[PriceSeries]:
    charted = moves[:CHARTED_MOVERS]
    if not charted:
        return []
    lo = period.start - dt.timedelta(days=CHART_DAYS_BEFORE)
    hi = period.end + dt.timedelta(days=CHART_DAYS_AFTER)
    wanted = {m.ticker for m in charted} | {m.benchmark for m in charted}
    series: dict[str, list[tuple[dt.date, float]]] = defaultdict(list)
    for ticker, day, close, adj in s.execute(
        select(Price.ticker, Price.date, Price.close, Price.adj_close)
        .where(Price.ticker.in_(wanted), Price.date >= lo, Price.date <= hi)
        .order_by(Price.ticker, Price.date)
    ):
        value = adj if adj is not None else close
        if value is not None and math.isfinite(value):
            series[ticker].append((day, float(value)))
    # Stories on each timeline: every linked article of the ticker in the drawn range.
    marks: dict[str, list[tuple[dt.date, int | None]]] = defaultdict(list)
    mark_rows = s.execute(
        select(Reaction.ticker, Reaction.event_date, Reaction.article_id).where(
            Reaction.ticker.in_({m.ticker for m in charted}),
            Reaction.event_date >= lo,
            Reaction.event_date <= hi,
            Reaction.window_start == SUMMARY_WINDOW[0],
            Reaction.window_end == SUMMARY_WINDOW[1],
        )
    ).all()
    article_ids = {a for _, _, a in mark_rows}
    labels: dict[tuple[int, str], int] = {}
    if article_ids:
        for article_id, ticker_, label in s.execute(
            select(Stance.article_id, Entity.ticker, Stance.label)
            .join(Entity, Entity.id == Stance.entity_id)
            .where(Stance.article_id.in_(article_ids), Entity.ticker.is_not(None))
        ):
            labels[(article_id, str(ticker_))] = label
    for ticker, day, article_id in mark_rows:
        marks[ticker].append((day, labels.get((article_id, ticker))))

    out = []
    for m in charted:
        own, bench = series.get(m.ticker, []), series.get(m.benchmark, [])
        if len(own) < 2:
            continue
        out.append(
            PriceSeries(
                ticker=m.ticker,
                benchmark=m.benchmark,
                dates=[d for d, _ in own],
                closes=[c for _, c in own],
                bench_dates=[d for d, _ in bench],
                bench_closes=[c for _, c in bench],
                marks=sorted(marks.get(m.ticker, []), key=lambda x: (x[0], x[1] or 0)),
                move_date=m.event_date,
                period=period,
            )
        )
    return out


def _missing_tickers(s: Session, period: Period, tickers: Iterable[str]) -> set[str]:
    """Tracked tickers without a single close in the week."""
    wanted = set(tickers)
    if not wanted:
        return set()
    have = set(
        s.scalars(
            select(Price.ticker)
            .where(Price.ticker.in_(wanted), Price.date >= period.start, Price.date <= period.end)
            .group_by(Price.ticker)
        )
    )
    return wanted - have


def _embeddings(s: Session, period: Period) -> list[tuple[int, int, bytes]]:
    return [
        (i, d, v)
        for i, d, v in s.execute(
            select(Embedding.article_id, Embedding.dim, Embedding.vector)
            .join(Article, Article.id == Embedding.article_id)
            .where(_in_range(Article.published_at, period.start, period.end))
            .order_by(Embedding.article_id)
        )
    ]


def _max_abs_ar(s: Session, period: Period) -> dict[int, float]:
    """Largest |day-0 abnormal return| linked to each article of the week."""
    rows = s.execute(
        select(Reaction.article_id, func.max(func.abs(Reaction.abnormal_return)))
        .join(Article, Article.id == Reaction.article_id)
        .where(_in_range(Article.published_at, period.start, period.end))
        .group_by(Reaction.article_id)
    ).all()
    return {int(a): float(v) for a, v in rows if v is not None}


def _reaction_summary(
    s: Session, period: Period, labels: Mapping[str, str]
) -> tuple[list[ReactionRow], list[ReactionRow]]:
    """Mean CAR(0,1) after favourable (+1) and unfavourable (-1) stories, per entity and theme.

    Only direct links count, and the stance is the article's stance toward the entity whose ticker
    moved. A ticker's move on a session is shared by all its stories that day, so each
    (ticker, session, stance) is one event: the same move is never counted twice. One query reads
    the events of the period; the themes of their articles come from one range query.
    """
    lo = period.end - dt.timedelta(weeks=SUMMARY_WEEKS) + dt.timedelta(days=1)
    rows = s.execute(
        select(
            Entity.id,
            Reaction.ticker,
            # Only a grouping key here: skip the per-row date conversion.
            type_coerce(Reaction.event_date, String),
            Reaction.article_id,
            Reaction.car,
            Stance.label,
        )
        .join(Stance, Stance.article_id == Reaction.article_id)
        .join(Entity, and_(Entity.id == Stance.entity_id, Entity.ticker == Reaction.ticker))
        .where(
            Reaction.event_date >= lo,
            Reaction.event_date <= period.end,
            Reaction.window_start == SUMMARY_WINDOW[0],
            Reaction.window_end == SUMMARY_WINDOW[1],
            Reaction.link_type == "direct",
            Stance.label != 0,
        )
    ).all()
    if not rows:
        return [], []
    # Articles behind events of the period were published at most a few days before it.
    themes_of: dict[int, list[str]] = defaultdict(list)
    for article_id, theme in s.execute(
        select(Theme.article_id, Theme.theme)
        .join(Article, Article.id == Theme.article_id)
        .where(
            _in_range(Article.published_at, lo - dt.timedelta(days=10), period.end),
            Theme.score >= THEME_MIN_SCORE,
        )
    ):
        themes_of[article_id].append(theme)

    entity_events: dict[tuple[int, str, int], list[float]] = defaultdict(list)
    theme_events: dict[tuple[str, str, str, int], list[float]] = defaultdict(list)
    for entity_id, ticker, day, article_id, car, label in rows:
        sign = 1 if label > 0 else -1
        entity_events[(entity_id, day, sign)].append(car)
        for theme in themes_of.get(article_id, ()):
            theme_events[(theme, ticker, day, sign)].append(car)

    def aggregate(events: Mapping[tuple[Any, ...], list[float]]) -> list[tuple[Any, ...]]:
        acc: dict[tuple[Any, int], list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
        for key, cars in events.items():
            c = sum(cars) / len(cars)
            a = acc[(key[0], key[-1])]
            a[0] += 1
            a[1] += c
            a[2] += c * c
        return [(k, sign, n, total, sq) for (k, sign), (n, total, sq) in acc.items()]

    ent_rows = aggregate(entity_events)
    names = dict(
        s.execute(
            select(Entity.id, Entity.name).where(Entity.id.in_({r[0] for r in ent_rows}))
        ).all()
    )
    by_entity = _reaction_rows(ent_rows, lambda k: names.get(k, f"#{k}"))
    by_theme = _reaction_rows(
        aggregate(theme_events), lambda k: labels.get(k) or str(k).replace("_", " ").capitalize()
    )
    return by_entity, by_theme


def _reaction_rows(rows: Iterable[Any], label_of: Any) -> list[ReactionRow]:
    groups: dict[Any, dict[int, GroupStats]] = defaultdict(dict)
    for key, label, n, total, squares in rows:
        groups[key][1 if label > 0 else -1] = _stats(int(n), float(total or 0), float(squares or 0))
    empty = GroupStats(0, None, None)
    out = [
        ReactionRow(str(key), label_of(key), g.get(1, empty), g.get(-1, empty))
        for key, g in groups.items()
    ]
    out.sort(key=lambda r: (-(r.favourable.n + r.unfavourable.n), r.label))
    return out[:12]


def _stats(n: int, total: float, squares: float) -> GroupStats:
    """Mean and t-statistic (mean over its standard error) from a count, a sum and a sum of squares."""
    if n == 0:
        return GroupStats(0, None, None)
    mean = total / n
    if n < 2:
        return GroupStats(n, mean, None)
    var = max(squares - n * mean * mean, 0.0) / (n - 1)
    sd = math.sqrt(var)
    return GroupStats(n, mean, mean / (sd / math.sqrt(n)) if sd > 0 else None)
