"""The per-day entity rollup (`entity_days`) and the one definition of net stance.

Net stance, everywhere airace prints it (the briefing's leaderboard, `query entities`, the
Datasette canned query `top_entities`): the share of favourable minus the share of unfavourable
among the period's articles with a stance toward the entity,

    net_stance = (favourable - unfavourable) / articles with a stance,   in [-1, +1],

None when no article of the period has a stance toward it (docs/queries.md).

The rollup holds, per (entity, UTC day of publication), the articles mentioning the entity, their
mention count, and the articles with a stance toward it (all, favourable, unfavourable). It is
kept by deltas: `clear_analysis` subtracts what an article's rows added before they are deleted,
`save_analysis` adds the new rows (db/entities.py calls both). A transaction's deltas are summed
in the session and written just before it commits, as one upsert that adds, in key order: so
concurrent analysis workers on PostgreSQL never overwrite each other's counts, hold the rollup's
rows only for the commit, and always lock them in the same order (no deadlock). `rebuild` computes
the whole table from mentions and stances (migration 0008's backfill, the synthetic generator,
tests).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, event, select, text
from sqlalchemy.orm import Session

from db.models import Article, EntityDay, Mention, Stance

COUNTERS = ("articles", "mentions", "stanced", "favourable", "unfavourable")


def net_stance(favourable: int, unfavourable: int, with_stance: int) -> float | None:
    """(favourable - unfavourable) / articles with a stance; None without any stance."""
    if not with_stance:
        return None
    return (favourable - unfavourable) / with_stance


def utc_day(instant: dt.datetime | None) -> dt.date | None:
    """The UTC day an article is counted on (None: undated, not counted)."""
    if instant is None:
        return None
    if instant.tzinfo is not None:
        instant = instant.astimezone(dt.UTC)
    return instant.date()


Delta = dict[tuple[int, dt.date], list[int]]


def _new_delta() -> Delta:
    return defaultdict(lambda: [0, 0, 0, 0, 0])


def add_rows(
    delta: Delta,
    day: dt.date | None,
    mentions: Iterable[tuple[int, int]],
    stance_labels: Iterable[tuple[int, int]],
    sign: int = 1,
) -> None:
    """Add one article's (entity_id, count) mentions and (entity_id, label) stances to `delta`."""
    if day is None:
        return
    for entity_id, count in mentions:
        row = delta[(entity_id, day)]
        row[0] += sign
        row[1] += sign * int(count)
    for entity_id, label in stance_labels:
        row = delta[(entity_id, day)]
        row[2] += sign
        row[3] += sign * (label > 0)
        row[4] += sign * (label < 0)


def subtract_articles(session: Session, article_ids: Sequence[int]) -> None:
    """Take the stored mentions and stances of these articles out of the rollup."""
    ids = list(article_ids)
    if not ids:
        return
    days = {
        aid: utc_day(at)
        for aid, at in session.execute(
            select(Article.id, Article.published_at).where(Article.id.in_(ids))
        )
    }
    mentions: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for aid, eid, count in session.execute(
        select(Mention.article_id, Mention.entity_id, Mention.count).where(
            Mention.article_id.in_(ids)
        )
    ):
        mentions[aid].append((eid, count))
    labels: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for aid, eid, label in session.execute(
        select(Stance.article_id, Stance.entity_id, Stance.label).where(Stance.article_id.in_(ids))
    ):
        labels[aid].append((eid, label))
    delta = pending(session)
    for aid in set(mentions) | set(labels):
        add_rows(delta, days.get(aid), mentions.get(aid, []), labels.get(aid, []), sign=-1)


def add_article(
    session: Session,
    article_id: int,
    mentions: Iterable[tuple[int, int]],
    stance_labels: Iterable[tuple[int, int]],
) -> None:
    """Count one article's new (entity_id, count) mentions and (entity_id, label) stances."""
    day = utc_day(session.scalar(select(Article.published_at).where(Article.id == article_id)))
    add_rows(pending(session), day, mentions, stance_labels)


_PENDING = "airace_entity_days_delta"


def pending(session: Session) -> Delta:
    """The deltas of this session's transaction, written by `write_pending` before it commits."""
    delta: Delta | None = session.info.get(_PENDING)
    if delta is None:
        delta = session.info[_PENDING] = _new_delta()
    return delta


def write_pending(session: Session) -> None:
    """Apply and forget the transaction's deltas (also called before every commit)."""
    delta = session.info.pop(_PENDING, None)
    if delta:
        apply(session, delta)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    write_pending(session)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def apply(session: Session, delta: Delta) -> None:
    """Add `delta` to the rollup: one upsert that adds, in key order (no deadlocks between
    workers touching the same rows)."""
    rows = [
        {"entity_id": eid, "day": day, **dict(zip(COUNTERS, values, strict=True))}
        for (eid, day), values in sorted(delta.items())
        if any(values)
    ]
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt: Any = pg_insert(EntityDay)
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(EntityDay)
    else:  # no upsert known here: rebuild the touched days instead
        rebuild(session, days=sorted({day for (_, day) in delta}))
        return
    table = EntityDay.__table__
    stmt = stmt.on_conflict_do_update(
        index_elements=["entity_id", "day"],
        set_={c: table.c[c] + stmt.excluded[c] for c in COUNTERS},
    )
    session.execute(stmt, rows)


def _day_sql(dialect: str) -> str:
    if dialect == "postgresql":
        return "(a.published_at AT TIME ZONE 'UTC')::date"
    return "date(a.published_at)"  # SQLite stores the UTC instant as ISO text


def rebuild(session: Session, days: Sequence[dt.date] | None = None) -> int:
    """Recompute the rollup (or the given days) from mentions and stances; returns rows written."""
    dialect = session.get_bind().dialect.name
    if days is None:
        session.execute(delete(EntityDay))
    else:
        session.execute(delete(EntityDay).where(EntityDay.day.in_(list(days))))
    sql = rebuild_sql(dialect)
    params: dict[str, Any] = {}
    if days is not None:
        day_list = list(days)
        if not day_list:
            return 0
        marks = ", ".join(f":d{i}" for i in range(len(day_list)))
        sql = sql.replace(
            "WHERE a.published_at IS NOT NULL", f"WHERE {_day_sql(dialect)} IN ({marks})"
        )
        params = {
            f"d{i}": (d if dialect == "postgresql" else d.isoformat())
            for i, d in enumerate(day_list)
        }
    result: Any = session.execute(text(sql), params)
    return int(result.rowcount or 0)


def rebuild_sql(dialect: str) -> str:
    """INSERT ... SELECT of the whole rollup (migration 0008 runs the same statement)."""
    day = _day_sql(dialect)
    return f"""
        INSERT INTO entity_days (entity_id, day, articles, mentions, stanced, favourable,
                                 unfavourable)
        SELECT entity_id, day, sum(articles), sum(mentions), sum(stanced), sum(favourable),
               sum(unfavourable)
        FROM (
            SELECT m.entity_id AS entity_id, {day} AS day, 1 AS articles, m.count AS mentions,
                   0 AS stanced, 0 AS favourable, 0 AS unfavourable
            FROM mentions m JOIN articles a ON a.id = m.article_id
            WHERE a.published_at IS NOT NULL
            UNION ALL
            SELECT s.entity_id, {day}, 0, 0, 1,
                   CASE WHEN s.label > 0 THEN 1 ELSE 0 END,
                   CASE WHEN s.label < 0 THEN 1 ELSE 0 END
            FROM stances s JOIN articles a ON a.id = s.article_id
            WHERE a.published_at IS NOT NULL
        ) AS parts
        GROUP BY entity_id, day
    """
