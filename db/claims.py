"""Work claims on articles, so several analysis workers share one backlog.

A worker claims a batch with `claim_articles`: on PostgreSQL the candidate rows are locked with
`FOR UPDATE SKIP LOCKED`, so two workers never take the same row, and marked with the worker's name
and a lease end. A worker that dies simply stops renewing; once `claimed_until` has passed, the rows
are claimable again. Results are written in the same transaction as `finish_claims`, which only
succeeds for rows the worker still holds, so an article is never analysed twice even if a lease
expired under a slow worker.

SQLite has a single writer: one worker is the limit there (`supports_parallel_workers`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session

from db.models import Article


def supports_parallel_workers(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def claim_articles(
    session: Session,
    *,
    worker: str,
    condition: ColumnElement[bool],
    limit: int,
    lease: dt.timedelta,
    now: dt.datetime | None = None,
) -> list[int]:
    """Claim up to `limit` unclaimed (or expired) articles matching `condition`; return their ids."""
    now = now or dt.datetime.now(dt.UTC)
    free = or_(Article.claimed_until.is_(None), Article.claimed_until < now)
    candidates = select(Article.id).where(and_(condition, free)).order_by(Article.id).limit(limit)
    if supports_parallel_workers(session):
        candidates = candidates.with_for_update(skip_locked=True)
    ids = list(session.scalars(candidates))
    if not ids:
        return []
    session.execute(
        update(Article)
        .where(Article.id.in_(ids))
        .values(claimed_by=worker, claimed_until=now + lease)
        .execution_options(synchronize_session=False)
    )
    return ids


def renew_claims(session: Session, *, worker: str, ids: Sequence[int], lease: dt.timedelta) -> int:
    """Extend the lease of the rows the worker still holds; returns how many it holds."""
    now = dt.datetime.now(dt.UTC)
    result = session.execute(
        update(Article)
        .where(Article.id.in_(ids), Article.claimed_by == worker)
        .values(claimed_until=now + lease)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def held_claims(session: Session, *, worker: str, ids: Sequence[int]) -> list[int]:
    """Lock and return the ids among `ids` that `worker` still holds (call before writing results)."""
    stmt = select(Article.id).where(Article.id.in_(ids), Article.claimed_by == worker)
    if supports_parallel_workers(session):
        stmt = stmt.with_for_update()
    return list(session.scalars(stmt))


def finish_claims(session: Session, *, worker: str, ids: Sequence[int]) -> int:
    """Release the worker's claims on `ids` (in the transaction that stores their results)."""
    result = session.execute(
        update(Article)
        .where(Article.id.in_(ids), Article.claimed_by == worker)
        .values(claimed_by=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# Any fixed 64-bit number: the key of the advisory lock that serialises analysis writes.
_WRITE_LOCK_KEY = 0x61697261_6365  # "airace"


def lock_shared_writes(session: Session) -> None:
    """Serialise this transaction's shared writes with other workers' (PostgreSQL only).

    Workers write rows that are shared between articles (knowledge-base entities, newly
    discovered entities): two workers inserting the same new entity key would make one
    transaction fail on the unique key. An advisory lock held until commit makes them take
    turns; the expensive part (the analysis itself) still runs in parallel. No-op on SQLite,
    which has a single writer anyway.
    """
    if supports_parallel_workers(session):
        session.execute(select(func.pg_advisory_xact_lock(_WRITE_LOCK_KEY)))
