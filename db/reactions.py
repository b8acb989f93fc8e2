"""Reactions (event-study rows): idempotent saves, completeness checks and the CAR group statistic.

Functions take a Session and never commit.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Reaction

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


def cross_sectional(key: str, values: Sequence[float]) -> CarAggregate:
    """Mean, sample standard deviation and t = mean / (std / sqrt(n)) of `values`."""
    n = len(values)
    mean = sum(values) / n if n else float("nan")
    if n < 2:
        return CarAggregate(key, n, mean, None, None)
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    t = mean / (std / math.sqrt(n)) if std > 0 else None
    return CarAggregate(key, n, mean, std, t)
