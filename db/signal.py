"""What the signal study reads: reactions with their articles, stances, novelty, themes, calendars.

Plain tuples out (no pandas here); market/signal.py builds the frames. Functions take a Session.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from db.models import Article, Entity, Instrument, Novelty, Reaction, Source, Stance, Theme

REACTION_COLUMNS = (
    "article_id",
    "ticker",
    "window_start",
    "window_end",
    "event_date",
    "time_note",
    "link_type",
    "via",
    "abnormal_return",
    "car",
)


@dataclass
class SignalData:
    """Rows for the study, each a tuple in the order of its *_COLUMNS."""

    reactions: list[tuple[Any, ...]] = field(default_factory=list)
    # article id -> (published_at, precision, language, source name)
    articles: dict[int, tuple[dt.datetime | None, str, str | None, str | None]] = field(
        default_factory=dict
    )
    stances: list[tuple[int, int, float, int, float]] = field(default_factory=list)
    entities: dict[int, tuple[str, str, str | None]] = field(default_factory=dict)
    novelty: list[tuple[int, int, bool]] = field(default_factory=list)  # article, entity, novel
    novelty_computed: bool = False
    themes: list[tuple[int, str]] = field(default_factory=list)
    calendars: dict[str, str | None] = field(default_factory=dict)


def signal_data(
    session: Session,
    windows: Sequence[tuple[int, int]],
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    min_theme_score: float = 0.5,
    with_themes: bool = False,
) -> SignalData:
    """Reactions of the stored `windows` with day 0 in [since, until], and what goes with them.

    Rows come straight from the driver's cursor (hundreds of thousands of them): on SQLite
    dates and instants are ISO strings and booleans 0/1, on PostgreSQL native values; the
    caller parses them in bulk (market.signal.frames).
    """
    r = Reaction
    # `+ 0` keeps SQLite off ix_reactions_window_car: a window is a quarter of the table, and a
    # plain scan reads it 2.6 times faster than 244,000 index lookups (100k-article store)
    conds: list[Any] = [
        or_(
            *(and_(r.window_start + 0 == a, r.window_end + 0 == b) for a, b in sorted(set(windows)))
        )
    ]
    if since is not None:
        conds.append(r.event_date >= since)
    if until is not None:
        conds.append(r.event_date <= until)
    data = SignalData()
    data.reactions = _fetch(
        session, select(*(getattr(r, c) for c in REACTION_COLUMNS)).where(*conds)
    )
    # every article when no period is given (cheaper than an IN list over a whole store)
    period = since is not None or until is not None
    ids = select(r.article_id).where(*conds).distinct()

    def of_period(stmt: Any, column: Any) -> Any:
        return stmt.where(column.in_(ids)) if period else stmt

    arts = select(
        Article.id, Article.published_at, Article.published_precision, Article.language, Source.name
    ).outerjoin(Source, Source.id == Article.source_id)
    for aid, when, precision, lang, source in _fetch(session, of_period(arts, Article.id)):
        data.articles[aid] = (when, precision, lang, source)
    data.stances = _fetch(
        session,
        of_period(
            select(
                Stance.article_id, Stance.entity_id, Stance.score, Stance.label, Stance.confidence
            ),
            Stance.article_id,
        ),
    )
    data.entities = {
        i: (k, n, t)
        for i, k, n, t in session.execute(select(Entity.id, Entity.key, Entity.name, Entity.ticker))
    }
    data.novelty = _fetch(
        session,
        of_period(select(Novelty.article_id, Novelty.entity_id, Novelty.novel), Novelty.article_id),
    )
    data.novelty_computed = (
        bool(data.novelty) or session.scalar(select(Novelty.article_id).limit(1)) is not None
    )
    if with_themes:
        data.themes = _fetch(
            session,
            of_period(
                select(Theme.article_id, Theme.theme).where(Theme.score >= min_theme_score),
                Theme.article_id,
            ),
        )
    data.calendars = dict(
        session.execute(select(Instrument.ticker, Instrument.calendar)).tuples().all()
    )
    return data


def _fetch(session: Session, stmt: Any) -> list[Any]:
    """All rows of `stmt` as the driver's plain tuples, without SQLAlchemy's per-value result
    processing (several times faster on large reads; values stay as the driver returns them)."""
    dialect = session.get_bind().dialect
    compiled = stmt.compile(dialect=dialect)
    params = compiled.params
    if dialect.name == "sqlite":
        # dates are stored as ISO text, as SQLAlchemy writes them
        values = [params[k] for k in (compiled.positiontup or [])]
        args: Any = [v.isoformat() if isinstance(v, dt.date) else v for v in values]
    else:
        args = params
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(compiled.string, args)
        return list(cursor.fetchall())
    finally:
        cursor.close()
