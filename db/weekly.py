"""The weekly briefing's reads: the week's articles, entities, themes, moves, prices and reactions.

Every query here is set-based: the week's articles are selected once by `published_at` (indexed),
and mentions, stances, themes and embeddings are joined to that range in SQL and aggregated there or
in one pass in Python. No query runs per article, so a 100,000-article store costs what its busiest
week costs, not what its history costs. The rows returned are plain typed data; reports/context.py
assembles them and reports/render.py formats them. Functions take a Session and never commit.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import String, and_, case, func, literal_column, or_, select, type_coerce
from sqlalchemy.orm import Session

from db.entity_days import net_stance
from db.models import (
    Article,
    Embedding,
    Entity,
    Exposure,
    Instrument,
    Mention,
    Price,
    Reaction,
    Report,
    Source,
    Stance,
    Theme,
)
from db.reactions import cross_sectional

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
STORIES_PER_MOVE = 6
# Linked articles read per move to choose the stories shown (closest links first).
STORY_CANDIDATES = 200
# Price history drawn around the week, in calendar days.
CHART_DAYS_BEFORE = 28
CHART_DAYS_AFTER = 10


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


@dataclass
class ArticleRow:
    """One article of the week, as listed in the appendix."""

    id: int
    title: str
    url: str
    source: str
    language: str
    published_at: dt.datetime | None
    # False when only the day (or less) of publication is known: the time is not shown.
    has_time: bool = True


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
    # exposure links: how the ticker is tied to `via` (investor, partner, supplier, customer)
    relation: str | None = None


@dataclass
class WindowCar:
    """The cumulative abnormal return over one window, with its t-statistic."""

    window: tuple[int, int]
    car: float
    t_stat: float | None


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
    # the ticker's own day-0 return and its benchmark's, when the prices are stored
    raw_return: float | None = None
    benchmark_return: float | None = None

    @property
    def basket_only(self) -> bool:
        """True when every linked story reaches the ticker only through a theme basket."""
        return bool(self.link_types) and set(self.link_types) == {"theme"}

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
    marks: list[Mark]
    move_date: dt.date
    period: Period

    @property
    def listed(self) -> list[Mark]:
        return [m for m in self.marks if m.listed]

    @property
    def others(self) -> list[Mark]:
        return [m for m in self.marks if not m.listed]


@dataclass(frozen=True)
class Mark:
    """A story on a price chart: its day-0 session, its stance toward the ticker, and whether it
    is one of the stories listed under the chart (the move's stories) or another linked one."""

    day: dt.date
    stance: int | None
    listed: bool


@dataclass
class EntityRow:
    """An entity's week: articles mentioning it, change, and net stance ((favourable -
    unfavourable) / articles with a stance, -1..+1: db.entity_days.net_stance)."""

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


def _in_range(column: Any, start: dt.date, end: dt.date) -> Any:
    return and_(column >= _instant(start), column < _instant(end + dt.timedelta(days=1)))


def _instant(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def week_articles(s: Session, period: Period) -> tuple[list[ArticleRow], int]:
    q = (
        select(
            Article.id,
            Article.title,
            Article.url,
            Article.language,
            Article.published_at,
            Article.published_precision,
            Source.name,
            Source.homepage,
            Article.site_name,
        )
        .outerjoin(Source, Source.id == Article.source_id)
        .where(_in_range(Article.published_at, period.start, period.end))
        .order_by(Article.published_at, Article.id)
    )
    rows = [
        ArticleRow(
            i,
            (t or "").strip() or url,
            url,
            site_label(site, home, url, src),
            lang or "",
            pub,
            has_time=precision == "exact",
        )
        for i, t, url, lang, pub, precision, src, home, site in s.execute(q)
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


def site_label(
    site_name: str | None, homepage: str | None, url: str | None, slug: str | None
) -> str:
    """The name a reader knows a publisher by: the page's own site name, else the host of the
    source's homepage, else the host of the article's URL, else the source's slug."""
    if site_name and site_name.strip():
        return site_name.strip()
    for link in (homepage, url):
        try:
            host = urlsplit(link or "").hostname or ""
        except ValueError:
            host = ""
        if host:
            return host.removeprefix("www.")
    return slug or ""


def _week_flag(period: Period) -> tuple[Any, Any]:
    """1 for an article of the reported week, 0 for one of the week before: (column, group key).

    Grouping by the output name rather than the expression keeps PostgreSQL from seeing two
    different bound parameters in SELECT and GROUP BY.
    """
    return (
        case((Article.published_at >= _instant(period.start), 1), else_=0).label("cur"),
        literal_column("cur"),
    )


def entity_rows(s: Session, period: Period) -> list[EntityRow]:
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
        n, _, pos, neg = stance[entity_id].get(cur, (0, 0, 0, 0))
        return net_stance(pos, neg, n)  # the one definition (docs/queries.md)

    rows = []
    for i in ids:
        name, ticker = names.get(i, (f"#{i}", None))
        _, _, pos, neg = stance[i].get(1, (0, 0, 0, 0))
        rows.append(
            EntityRow(i, name, ticker, counts[i][1], counts[i][0], net(i, 1), net(i, 0), pos, neg)
        )
    return rows


def theme_rows(s: Session, period: Period, labels: Mapping[str, str]) -> list[ThemeRow]:
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


def top_moves(s: Session, period: Period) -> tuple[list[Move], set[str]]:
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
            Reaction.raw_return,
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
                "raw": r.raw_return,
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
        i: (t or "", url, site_label(site, home, url, src))
        for i, t, url, src, home, site in s.execute(
            select(
                Article.id,
                Article.title,
                Article.url,
                Source.name,
                Source.homepage,
                Article.site_name,
            )
            .outerjoin(Source, Source.id == Article.source_id)
            .where(Article.id.in_(story_ids))
        )
    }
    # How each ticker is tied to the entities behind its exposure links (investor, partner...).
    relations: dict[tuple[str, str], str] = {}
    for ename, eticker, relation in s.execute(
        select(Entity.name, Exposure.ticker, Exposure.relation)
        .join(Entity, Entity.id == Exposure.entity_id)
        .where(Exposure.ticker.in_(list(best)))
    ):
        relations.setdefault((ename.lower(), eticker), relation)
    bench_returns = _session_returns(s, {(e["bench"], day) for _, (day, e) in top if e["bench"]})
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
            tie = relations.get(((via or "").lower(), ticker)) if link_type == "exposure" else None
            candidates.append(
                Story(article_id, title or url, url, source, label, link_type, via, day, tie)
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
                raw_return=e["raw"],
                benchmark_return=bench_returns.get((e["bench"], day)),
            )
        )
    return moves, tickers


def _session_returns(
    s: Session, wanted: set[tuple[str, dt.date]]
) -> dict[tuple[str, dt.date], float]:
    """Close-to-close return of each (ticker, session), from the stored prices (one query)."""
    if not wanted:
        return {}
    days = [d for _, d in wanted]
    closes: dict[str, list[tuple[dt.date, float]]] = defaultdict(list)
    for ticker, day, close, adj in s.execute(
        select(Price.ticker, Price.date, Price.close, Price.adj_close)
        .where(
            Price.ticker.in_({t for t, _ in wanted}),
            Price.date >= min(days) - dt.timedelta(days=10),
            Price.date <= max(days),
        )
        .order_by(Price.ticker, Price.date)
    ):
        value = adj if adj is not None else close
        if value is not None and math.isfinite(value) and value > 0:
            closes[ticker].append((day, float(value)))
    out = {}
    for ticker, day in wanted:
        series = closes.get(ticker, [])
        for (_, c0), (d1, c1) in itertools.pairwise(series):
            if d1 == day:
                out[(ticker, day)] = c1 / c0 - 1
                break
    return out


_LINK_RANK = {"direct": 0, "parent": 1, "exposure": 2, "theme": 3}


def price_series(s: Session, period: Period, moves: list[Move]) -> list[PriceSeries]:
    """The chart of every top move with linked stories: the ticker's and its benchmark's closes
    around the week, and its stories. The marks are the move's listed stories (`Move.stories`,
    with the stance shown beside them) and, apart, the other stories linked to the ticker in the
    drawn range."""
    charted = [m for m in moves if m.stories]
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
    # Other stories on each timeline: every linked article of the ticker in the drawn range.
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
    others: dict[str, dict[int, Mark]] = defaultdict(dict)
    for ticker, day, article_id in mark_rows:
        others[ticker][article_id] = Mark(day, labels.get((article_id, ticker)), listed=False)

    out = []
    for m in charted:
        own, bench = series.get(m.ticker, []), series.get(m.benchmark, [])
        if len(own) < 2:
            continue
        listed_ids = {st.article_id for st in m.stories}
        marks = [Mark(st.event_date, st.stance, listed=True) for st in m.stories]
        marks += [mk for a, mk in others.get(m.ticker, {}).items() if a not in listed_ids]
        out.append(
            PriceSeries(
                ticker=m.ticker,
                benchmark=m.benchmark,
                dates=[d for d, _ in own],
                closes=[c for _, c in own],
                bench_dates=[d for d, _ in bench],
                bench_closes=[c for _, c in bench],
                marks=sorted(marks, key=lambda x: (not x.listed, x.day, x.stance or 0)),
                move_date=m.event_date,
                period=period,
            )
        )
    return out


def missing_tickers(s: Session, period: Period, tickers: Iterable[str]) -> set[str]:
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


def article_vectors(s: Session, period: Period) -> list[tuple[int, int, bytes]]:
    return [
        (i, d, v)
        for i, d, v in s.execute(
            select(Embedding.article_id, Embedding.dim, Embedding.vector)
            .join(Article, Article.id == Embedding.article_id)
            .where(_in_range(Article.published_at, period.start, period.end))
            .order_by(Embedding.article_id)
        )
    ]


def max_abs_ar(s: Session, period: Period) -> dict[int, float]:
    """Largest |day-0 abnormal return| linked to each article of the week."""
    rows = s.execute(
        select(Reaction.article_id, func.max(func.abs(Reaction.abnormal_return)))
        .join(Article, Article.id == Reaction.article_id)
        .where(_in_range(Article.published_at, period.start, period.end))
        .group_by(Reaction.article_id)
    ).all()
    return {int(a): float(v) for a, v in rows if v is not None}


def reaction_summary(
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

    def aggregate(
        events: Mapping[tuple[Any, ...], list[float]],
    ) -> list[tuple[Any, int, GroupStats]]:
        # One value per event (the mean CAR of its stories), grouped by (entity or theme, sign).
        samples: dict[tuple[Any, int], list[float]] = defaultdict(list)
        for key, cars in events.items():
            samples[(key[0], key[-1])].append(sum(cars) / len(cars))
        return [(k, sign, group_stats(values)) for (k, sign), values in samples.items()]

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


def _reaction_rows(rows: Iterable[tuple[Any, int, GroupStats]], label_of: Any) -> list[ReactionRow]:
    groups: dict[Any, dict[int, GroupStats]] = defaultdict(dict)
    for key, label, stats in rows:
        groups[key][1 if label > 0 else -1] = stats
    empty = GroupStats(0, None, None)
    out = [
        ReactionRow(str(key), label_of(key), g.get(1, empty), g.get(-1, empty))
        for key, g in groups.items()
    ]
    out.sort(key=lambda r: (-(r.favourable.n + r.unfavourable.n), r.label))
    return out[:12]


def group_stats(values: list[float]) -> GroupStats:
    """Mean and cross-sectional t-statistic of one sample (db.reactions.cross_sectional)."""
    agg = cross_sectional("", values)
    return GroupStats(agg.n, agg.mean_car if agg.n else None, agg.t_stat)


# ---------------------------------------------------------------------------------------------
# Rendered briefings (the reports table)


def save_report(
    session: Session,
    *,
    kind: str,
    period_start: dt.date,
    period_end: dt.date,
    language: str,
    pdf_path: str | None,
    html_path: str | None,
    article_count: int,
) -> int:
    """Record one rendered briefing; returns its id."""
    row = Report(
        kind=kind,
        period_start=period_start,
        period_end=period_end,
        language=language,
        pdf_path=pdf_path,
        html_path=html_path,
        article_count=article_count,
    )
    session.add(row)
    session.flush()
    return row.id


def recent_reports(session: Session, *, limit: int = 5) -> list[Report]:
    """The last `limit` rendered briefings, newest first."""
    return list(session.scalars(select(Report).order_by(Report.id.desc()).limit(limit)))
