"""Read-side queries behind `airace query`: articles, entities with their trend, biggest reactions.

Each function takes a Session, runs a few set-based statements (one to pick the page of rows, one
per kind of detail for that page) and returns plain dicts whose keys are documented in
docs/queries.md and stay stable. Entity names are resolved case-insensitively through
`entities.name`, `entities.key` and `entities.aliases`, so "Google" finds Alphabet.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select, union_all
from sqlalchemy.orm import Session

from db.entity_days import net_stance
from db.models import Article, Entity, EntityDay, Mention, Reaction, Source, Stance, Theme
from db.stories import novel_article_filter

# Stance labels as words, as the CLI takes them and prints them.
STANCE_LABELS: dict[str, int] = {"favourable": 1, "neutral": 0, "unfavourable": -1}
STANCE_WORDS: dict[int, str] = {v: k for k, v in STANCE_LABELS.items()}

ARTICLE_FIELDS = (
    "id",
    "url",
    "title",
    "source",
    "language",
    "published_at",
    "entities",
    "themes",
)
ENTITY_FIELDS = (
    "id",
    "key",
    "name",
    "type",
    "ticker",
    "articles",
    "mentions",
    "favourable",
    "unfavourable",
    "net_stance",
    "articles_prev",
    "net_stance_prev",
    "articles_change",
    "stance_change",
    "trend",
)
REACTION_FIELDS = (
    "article_id",
    "title",
    "url",
    "published_at",
    "ticker",
    "event_date",
    "window",
    "link_type",
    "link_weight",
    "via",
    "stance",
    "stance_score",
    "raw_return",
    "abnormal_return",
    "car",
    "t_stat",
    "benchmark",
    "model",
)


class LookupFailed(LookupError):
    """A name given by the user matches nothing in the database (entity, ticker, source)."""


@dataclass(frozen=True)
class EntityRef:
    """An entity a user's name resolved to."""

    id: int
    key: str
    name: str
    ticker: str | None


# --------------------------------------------------------------------------------------------
# Names


def _fold(value: str) -> str:
    return " ".join(value.casefold().split())


def resolve_entity(session: Session, name: str) -> list[EntityRef]:
    """Entities called `name`: by canonical name or key first, else by alias; case-insensitive.

    Raises LookupFailed when nothing matches. The entities table is small (the knowledge base
    plus discovered names), so it is read once and matched here, the same on every database.
    """
    wanted = _fold(name)
    rows = session.execute(
        select(Entity.id, Entity.key, Entity.name, Entity.ticker, Entity.aliases)
    ).all()
    exact = [r for r in rows if wanted in (_fold(r.name), _fold(r.key))]
    hits = exact or [r for r in rows if any(_fold(a) == wanted for a in (r.aliases or []))]
    if not hits:
        raise LookupFailed(f"unknown entity {name!r} (not a name, key or alias in the database)")
    return [EntityRef(r.id, r.key, r.name, r.ticker) for r in hits]


def entities_with_ticker(session: Session, ticker: str) -> list[int]:
    """Ids of entities listed as `ticker`, and of their children (Google DeepMind for GOOGL)."""
    t = ticker.strip().upper()
    direct = list(session.scalars(select(Entity.id).where(func.upper(Entity.ticker) == t)))
    if not direct:
        raise LookupFailed(f"no entity with ticker {ticker!r} in the database")
    children = session.scalars(select(Entity.id).where(Entity.parent_id.in_(direct)))
    return sorted(set(direct) | set(children))


def _source_id(session: Session, name: str) -> int:
    sid = session.scalar(select(Source.id).where(func.lower(Source.name) == name.strip().lower()))
    if sid is None:
        raise LookupFailed(f"unknown source {name!r}")
    return sid


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def _period(
    stmt: Select[Any], column: Any, since: dt.date | None, until: dt.date | None
) -> Select[Any]:
    """Keep rows whose instant falls on a day in [since, until] (UTC, both inclusive)."""
    if since is not None:
        stmt = stmt.where(column >= _day_start(since))
    if until is not None:
        stmt = stmt.where(column < _day_start(until + dt.timedelta(days=1)))
    return stmt


# --------------------------------------------------------------------------------------------
# Articles


def articles(
    session: Session,
    *,
    entity: str | None = None,
    ticker: str | None = None,
    theme: str | None = None,
    stance: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    lang: str | None = None,
    source: str | None = None,
    limit: int = 50,
    novel_only: bool = False,
) -> list[dict[str, Any]]:
    """The newest articles matching every filter given, with their entities and themes.

    `novel_only` keeps first reports: articles the stories stage flagged novel for at least one
    entity (for `entity` when given).

    `stance` (favourable | neutral | unfavourable) applies to the stance toward `entity` when one
    is given, else to any entity. Dates are UTC days, both ends inclusive. Raises LookupFailed for
    an unknown entity, ticker or source, ValueError for an unknown stance word.
    """
    # Each filter is a correlated EXISTS on a primary-key prefix, so the database walks
    # ix_articles_published_at newest first and stops after `limit` matches, instead of
    # collecting every article of a popular entity and sorting them.
    stmt = select(Article.id)
    entity_ids = [e.id for e in resolve_entity(session, entity)] if entity else None
    if stance is not None:
        if stance not in STANCE_LABELS:
            raise ValueError(f"stance must be one of {', '.join(STANCE_LABELS)}, got {stance!r}")
        stanced = select(Stance.article_id).where(
            Stance.article_id == Article.id, Stance.label == STANCE_LABELS[stance]
        )
        if entity_ids is not None:
            stanced = stanced.where(Stance.entity_id.in_(entity_ids))
        stmt = stmt.where(stanced.exists())
    elif entity_ids is not None:
        stmt = stmt.where(_mentions_any(entity_ids))
    if ticker:
        stmt = stmt.where(_mentions_any(entities_with_ticker(session, ticker)))
    if theme:
        stmt = stmt.where(
            select(Theme.article_id)
            .where(Theme.article_id == Article.id, Theme.theme == theme)
            .exists()
        )
    if lang:
        # lower() keeps the planner on ix_articles_published_at (newest first, stop at `limit`)
        # rather than collecting half the table through ix_articles_language and sorting it.
        stmt = stmt.where(func.lower(Article.language) == lang.lower())
    if source:
        stmt = stmt.where(Article.source_id == _source_id(session, source))
    if novel_only:
        stmt = stmt.where(novel_article_filter(entity_ids))
    stmt = _period(stmt, Article.published_at, since, until)
    newest_first = Article.published_at.desc()
    if session.get_bind().dialect.name == "postgresql":
        newest_first = newest_first.nulls_last()  # SQLite already puts NULLs last in DESC
    ids = list(session.scalars(stmt.order_by(newest_first, Article.id.desc()).limit(limit)))
    return article_rows(session, ids)


def _mentions_any(entity_ids: Sequence[int]) -> Any:
    return (
        select(Mention.article_id)
        .where(Mention.article_id == Article.id, Mention.entity_id.in_(entity_ids))
        .exists()
    )


def article_basics(session: Session, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """id, url, title, source, language and published_at of the articles `ids`, by id."""
    if not ids:
        return {}
    rows = session.execute(
        select(
            Article.id,
            Article.url,
            Article.title,
            Source.name.label("source"),
            Article.language,
            Article.published_at,
        )
        .outerjoin(Source, Source.id == Article.source_id)
        .where(Article.id.in_(ids))
    )
    return {r.id: dict(r._mapping) for r in rows}


def article_rows(session: Session, ids: Sequence[int]) -> list[dict[str, Any]]:
    """Rows (ARTICLE_FIELDS) for the articles `ids`, in that order; unknown ids are left out."""
    if not ids:
        return []
    base = article_basics(session, ids)
    ents = _article_entities(session, ids)
    themes: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in session.execute(
        select(Theme.article_id, Theme.theme, Theme.score)
        .where(Theme.article_id.in_(ids))
        .order_by(Theme.article_id, Theme.score.desc())
    ):
        themes[r.article_id].append({"theme": r.theme, "score": r.score})
    return [
        {
            **base[aid],
            "entities": ents.get(aid, []),
            "themes": themes.get(aid, []),
        }
        for aid in ids
        if aid in base
    ]


def _article_entities(session: Session, ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    rows = session.execute(
        select(
            Mention.article_id,
            Entity.key,
            Entity.name,
            Entity.type,
            Entity.ticker,
            Mention.count,
            Mention.salience,
            Stance.score,
            Stance.label,
        )
        .join(Entity, Entity.id == Mention.entity_id)
        .outerjoin(
            Stance,
            and_(Stance.article_id == Mention.article_id, Stance.entity_id == Mention.entity_id),
        )
        .where(Mention.article_id.in_(ids))
        .order_by(Mention.article_id, Mention.salience.desc(), Entity.name)
    )
    for r in rows:
        out[r.article_id].append(
            {
                "key": r.key,
                "name": r.name,
                "type": r.type,
                "ticker": r.ticker,
                "mentions": r.count,
                "salience": r.salience,
                "stance": STANCE_WORDS.get(r.label) if r.label is not None else None,
                "stance_score": r.score,
            }
        )
    return out


# --------------------------------------------------------------------------------------------
# Entities


def default_period(
    until: dt.date | None, since: dt.date | None, days: int = 7
) -> tuple[dt.date, dt.date]:
    """(since, until) with defaults: until today (UTC), since `days` days before, inclusive."""
    until = until or dt.datetime.now(dt.UTC).date()
    since = since or until - dt.timedelta(days=days - 1)
    return since, until


def entities(
    session: Session,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    type: str | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """The most-mentioned entities of [since, until] and their trend against the previous period.

    The previous period has the same number of days and ends the day before `since`. Defaults:
    the last 7 days. `net_stance` is (favourable - unfavourable) / articles with a stance toward
    the entity (db.entity_days.net_stance, -1..1); `trend` is up | down | flat | new by article
    count. Read from the entity_days rollup: one row per entity and day, so the work grows with
    the number of days, not with the articles in them.
    """
    since, until = default_period(until, since)
    if since > until:
        raise ValueError(f"since {since} is after until {until}")
    days = (until - since).days + 1
    prev_start = since - dt.timedelta(days=days)
    d = EntityDay
    current = d.day >= since

    def now(column: Any) -> Any:
        return func.sum(case((current, column), else_=0))

    def before(column: Any) -> Any:
        return func.sum(case((current, 0), else_=column))

    agg = (
        select(
            d.entity_id.label("entity_id"),
            now(d.articles).label("articles"),
            now(d.mentions).label("mentions"),
            before(d.articles).label("articles_prev"),
            now(d.stanced).label("stanced"),
            now(d.favourable).label("favourable"),
            now(d.unfavourable).label("unfavourable"),
            before(d.stanced).label("stanced_prev"),
            before(d.favourable).label("favourable_prev"),
            before(d.unfavourable).label("unfavourable_prev"),
        )
        .where(d.day >= prev_start, d.day <= until)
        .group_by(d.entity_id)
    ).subquery()
    stmt = (
        select(Entity.id, Entity.key, Entity.name, Entity.type, Entity.ticker, agg)
        .join(agg, agg.c.entity_id == Entity.id)
        .where(agg.c.articles > 0)
        .order_by(agg.c.articles.desc(), agg.c.mentions.desc(), Entity.name)
        .limit(limit)
    )
    if type:
        stmt = stmt.where(Entity.type == type)
    return [_entity_row(r) for r in session.execute(stmt)]


def _entity_row(r: Any) -> dict[str, Any]:
    cur, prev = int(r.articles), int(r.articles_prev)
    fav, unfav = int(r.favourable), int(r.unfavourable)
    stance = net_stance(fav, unfav, int(r.stanced))
    stance_prev = net_stance(int(r.favourable_prev), int(r.unfavourable_prev), int(r.stanced_prev))
    if prev == 0:
        trend = "new"
    elif cur > prev * 1.1:
        trend = "up"
    elif cur < prev * 0.9:
        trend = "down"
    else:
        trend = "flat"
    return {
        "id": r.id,
        "key": r.key,
        "name": r.name,
        "type": r.type,
        "ticker": r.ticker,
        "articles": cur,
        "mentions": int(r.mentions),
        "favourable": fav,
        "unfavourable": unfav,
        "net_stance": stance,
        "articles_prev": prev,
        "net_stance_prev": stance_prev,
        "articles_change": cur - prev,
        "stance_change": None if stance is None or stance_prev is None else stance - stance_prev,
        "trend": trend,
    }


# --------------------------------------------------------------------------------------------
# Reactions


def parse_window(value: str) -> tuple[int, int]:
    """'0,1' -> (0, 1); also accepts '-1,1' and '0..5'. Raises ValueError."""
    parts = value.replace("..", ",").split(",")
    if len(parts) != 2:
        raise ValueError(f"window must look like 0,1 or -1,1, got {value!r}")
    try:
        start, end = (int(p.strip()) for p in parts)
    except ValueError:
        raise ValueError(f"window must look like 0,1 or -1,1, got {value!r}") from None
    if start > end:
        raise ValueError(f"window start {start} is after its end {end}")
    return start, end


def reactions(
    session: Session,
    *,
    ticker: str | None = None,
    entity: str | None = None,
    window: tuple[int, int] = (0, 1),
    min_abs_car: float | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    limit: int = 20,
) -> list[dict[str, Any]]:
    """The biggest moves (|CAR| over `window`, largest first) with the stories behind them.

    `entity` keeps reactions to articles that mention the entity; dates filter the event date
    (the day-0 session). `stance` is the article's stance toward the entity behind the link (the
    entity listed as the ticker, or the one named in `via`), when the analysis gave one.
    """
    conds = [Reaction.window_start == window[0], Reaction.window_end == window[1]]
    if ticker:
        conds.append(Reaction.ticker == ticker.strip().upper())
    if entity:
        ids = [e.id for e in resolve_entity(session, entity)]
        conds.append(
            Reaction.article_id.in_(select(Mention.article_id).where(Mention.entity_id.in_(ids)))
        )
    if min_abs_car is not None:
        conds.append(or_(Reaction.car >= min_abs_car, Reaction.car <= -min_abs_car))
    if since is not None:
        conds.append(Reaction.event_date >= since)
    if until is not None:
        conds.append(Reaction.event_date <= until)
    # The top n by |CAR| are among the n highest and the n lowest CARs: two ordered, limited
    # scans instead of sorting every reaction by abs(car).
    up = select(Reaction.id, Reaction.car).where(*conds).order_by(Reaction.car.desc()).limit(limit)
    down = select(Reaction.id, Reaction.car).where(*conds).order_by(Reaction.car.asc()).limit(limit)
    both = union_all(up.subquery().select(), down.subquery().select())
    picked = sorted({r.id: abs(r.car) for r in session.execute(both)}.items(), key=lambda x: -x[1])
    ids = [rid for rid, _ in picked[:limit]]
    return reaction_rows(session, ids)


def reaction_rows(session: Session, ids: Sequence[int]) -> list[dict[str, Any]]:
    """Rows (REACTION_FIELDS) for the reactions `ids`, in that order."""
    if not ids:
        return []
    rows = {
        r.Reaction.id: r
        for r in session.execute(
            select(Reaction, Article.title, Article.url, Article.published_at)
            .join(Article, Article.id == Reaction.article_id)
            .where(Reaction.id.in_(ids))
        )
    }
    stances = _stances_for(session, {r.Reaction.article_id for r in rows.values()})
    out = []
    for rid in ids:
        if rid not in rows:
            continue
        row = rows[rid]
        r: Reaction = row.Reaction
        st = stances.get((r.article_id, r.ticker.upper())) or stances.get(
            (r.article_id, _fold(r.via or ""))
        )
        out.append(
            {
                "article_id": r.article_id,
                "title": row.title,
                "url": row.url,
                "published_at": row.published_at,
                "ticker": r.ticker,
                "event_date": r.event_date,
                "window": f"{r.window_start},{r.window_end}",
                "link_type": r.link_type,
                "link_weight": r.link_weight,
                "via": r.via,
                "stance": STANCE_WORDS.get(st[1]) if st else None,
                "stance_score": st[0] if st else None,
                "raw_return": r.raw_return,
                "abnormal_return": r.abnormal_return,
                "car": r.car,
                "t_stat": r.t_stat,
                "benchmark": r.benchmark,
                "model": r.model,
            }
        )
    return out


def _stances_for(
    session: Session, article_ids: Iterable[int]
) -> dict[tuple[int, str], tuple[float, int]]:
    """(article_id, TICKER or folded name/key) -> (score, label) for the articles' stances."""
    out: dict[tuple[int, str], tuple[float, int]] = {}
    ids = list(article_ids)
    if not ids:
        return out
    for r in session.execute(
        select(
            Stance.article_id, Stance.score, Stance.label, Entity.key, Entity.name, Entity.ticker
        )
        .join(Entity, Entity.id == Stance.entity_id)
        .where(Stance.article_id.in_(ids))
        .order_by(Stance.confidence)  # the most confident stance wins a shared ticker
    ):
        value = (r.score, r.label)
        if r.ticker:
            out[(r.article_id, r.ticker.upper())] = value
        out[(r.article_id, _fold(r.name))] = value
        out[(r.article_id, _fold(r.key))] = value
    return out


def has_articles(session: Session) -> bool:
    """True when the database holds at least one article."""
    return session.scalar(select(Article.id).limit(1)) is not None


def newest_article_day(session: Session) -> dt.date | None:
    """The UTC day of the newest dated article, or None when no article has a date."""
    newest = session.scalar(select(func.max(Article.published_at)))
    if newest is None:
        return None
    if isinstance(newest, str):  # a driver returning the raw text of an aggregate
        newest = dt.datetime.fromisoformat(newest)
    if newest.tzinfo is not None:
        newest = newest.astimezone(dt.UTC)
    return newest.date()


def store_counts(session: Session) -> tuple[dict[str, int], int]:
    """(articles per language, '?' for unknown; distinct entities mentioned), for summaries."""
    rows = session.execute(select(Article.language, func.count()).group_by(Article.language)).all()
    by_language = {str(lang or "?"): int(n) for lang, n in rows}
    entities = session.scalar(select(func.count(func.distinct(Mention.entity_id))))
    return by_language, int(entities or 0)
