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
    """Reactions of the stored `windows` with day 0 in [since, until], and what goes with them."""
    r = Reaction
    conds: list[Any] = [
        or_(*(and_(r.window_start == a, r.window_end == b) for a, b in sorted(set(windows))))
    ]
    if since is not None:
        conds.append(r.event_date >= since)
    if until is not None:
        conds.append(r.event_date <= until)
    data = SignalData()
    data.reactions = [
        tuple(row)
        for row in session.execute(select(*(getattr(r, c) for c in REACTION_COLUMNS)).where(*conds))
    ]
    ids = select(r.article_id).where(*conds).distinct().scalar_subquery()
    for aid, when, precision, lang, source in session.execute(
        select(
            Article.id,
            Article.published_at,
            Article.published_precision,
            Article.language,
            Source.name,
        )
        .outerjoin(Source, Source.id == Article.source_id)
        .where(Article.id.in_(ids))
    ):
        data.articles[aid] = (when, precision, lang, source)
    data.stances = _plain(
        session.execute(
            select(
                Stance.article_id, Stance.entity_id, Stance.score, Stance.label, Stance.confidence
            ).where(Stance.article_id.in_(ids))
        )
    )
    data.entities = {
        i: (k, n, t)
        for i, k, n, t in session.execute(select(Entity.id, Entity.key, Entity.name, Entity.ticker))
    }
    data.novelty = _plain(
        session.execute(
            select(Novelty.article_id, Novelty.entity_id, Novelty.novel).where(
                Novelty.article_id.in_(ids)
            )
        )
    )
    data.novelty_computed = (
        bool(data.novelty) or session.scalar(select(Novelty.article_id).limit(1)) is not None
    )
    if with_themes:
        data.themes = [
            (a, t)
            for a, t in session.execute(
                select(Theme.article_id, Theme.theme).where(
                    Theme.article_id.in_(ids), Theme.score >= min_theme_score
                )
            )
        ]
    data.calendars = dict(
        session.execute(select(Instrument.ticker, Instrument.calendar)).tuples().all()
    )
    return data


def _plain(result: Any) -> list[Any]:
    """Rows as plain tuples (pandas builds frames from tuples far faster than from Row objects)."""
    return list(map(tuple, result))
