"""Reactions (event-study rows): idempotent saves, completeness checks and CAR aggregates.

Functions take a Session and never commit.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from db.models import Entity, Reaction, Stance, Theme

# The windows every (article, ticker) pair gets, as session offsets from day 0.
WINDOWS: tuple[tuple[int, int], ...] = ((0, 0), (0, 1), (-1, 1), (0, 5))
_UPDATABLE = (
    "event_date",
    "time_note",
    "link_type",
    "link_weight",
    "via",
    "raw_return",
    "abnormal_return",
    "car",
    "t_stat",
    "benchmark",
    "model",
    "alpha",
    "beta",
    "sigma",
    "estimation_start",
    "estimation_end",
    "estimation_start_date",
    "estimation_end_date",
    "estimation_sessions",
    "version",
    "computed_at",
)
_CHUNK = 5000


def save_reactions(session: Session, rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert or update reaction rows keyed by (article_id, ticker, window_start, window_end)."""
    if not rows:
        return 0
    table: Any = Reaction.__table__
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    now = dt.datetime.now(dt.UTC)
    stmt = insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=["article_id", "ticker", "window_start", "window_end"],
        set_={c: getattr(stmt.excluded, c) for c in _UPDATABLE},
    )
    # One compiled statement, executemany (SQLAlchemy batches it as multi-row VALUES).
    for start in range(0, len(rows), _CHUNK):
        session.execute(stmt, [{"computed_at": now, **r} for r in rows[start : start + _CHUNK]])
    return len(rows)


def complete_pairs(
    session: Session, article_ids: Iterable[int], version: int
) -> set[tuple[int, str]]:
    """(article_id, ticker) pairs that already have every window at `version`."""
    ids = list(article_ids)
    done: set[tuple[int, str]] = set()
    for start in range(0, len(ids), 900):
        stmt = (
            select(Reaction.article_id, Reaction.ticker)
            .where(Reaction.article_id.in_(ids[start : start + 900]), Reaction.version == version)
            .group_by(Reaction.article_id, Reaction.ticker)
            .having(func.count() >= len(WINDOWS))
        )
        done.update((a, t) for a, t in session.execute(stmt))
    return done


@dataclass(frozen=True)
class CarAggregate:
    """Mean CAR of a group with its cross-sectional t-statistic (None when n < 2 or no spread)."""

    key: str
    n: int
    mean_car: float
    std: float | None
    t_stat: float | None


def aggregate_car(
    session: Session,
    by: str,
    *,
    window: tuple[int, int] = (0, 1),
    start: dt.date | None = None,
    end: dt.date | None = None,
    link_types: Sequence[str] | None = None,
    min_theme_score: float = 0.5,
) -> list[CarAggregate]:
    """Mean CAR over `window` grouped `by` "entity", "stance", "theme" or "ticker".

    - entity: the entity behind the link (`via` of direct, parent and exposure rows);
    - stance: the stance label (-1, 0, 1) the article takes toward that entity;
    - theme: every theme of the article scoring at least `min_theme_score`;
    - ticker: the ticker itself.
    The t-statistic is cross-sectional: mean / (sample std / sqrt(n)). Groups sorted by key.
    """
    r = Reaction
    conds = [r.window_start == window[0], r.window_end == window[1]]
    if start is not None:
        conds.append(r.event_date >= start)
    if end is not None:
        conds.append(r.event_date <= end)
    if link_types:
        conds.append(r.link_type.in_(list(link_types)))
    entity_links = ("direct", "parent", "exposure")
    stmt: Any
    if by == "entity":
        stmt = select(r.via, r.car).where(*conds, r.link_type.in_(entity_links))
    elif by == "ticker":
        stmt = select(r.ticker, r.car).where(*conds)
    elif by == "stance":
        stmt = (
            select(Stance.label, r.car)
            .join(Entity, Entity.name == r.via)
            .join(Stance, and_(Stance.article_id == r.article_id, Stance.entity_id == Entity.id))
            .where(*conds, r.link_type.in_(entity_links))
        )
    elif by == "theme":
        stmt = (
            select(Theme.theme, r.car)
            .join(Theme, Theme.article_id == r.article_id)
            .where(*conds, Theme.score >= min_theme_score)
        )
    else:
        raise ValueError(f"aggregate by entity, stance, theme or ticker, not {by!r}")
    groups: dict[str, list[float]] = defaultdict(list)
    for key, car in session.execute(stmt):
        if key is not None and car is not None:
            groups[str(key)].append(float(car))
    return [cross_sectional(key, values) for key, values in sorted(groups.items())]


def cross_sectional(key: str, values: Sequence[float]) -> CarAggregate:
    """Mean, sample standard deviation and t = mean / (std / sqrt(n)) of `values`."""
    n = len(values)
    mean = sum(values) / n if n else float("nan")
    if n < 2:
        return CarAggregate(key, n, mean, None, None)
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    t = mean / (std / math.sqrt(n)) if std > 0 else None
    return CarAggregate(key, n, mean, std, t)
