"""The crawler's memory of URLs it decided not to store (table `url_decisions`).

Plain functions on a Session that never commit: `load` reads every decision, `save` upserts a
batch (a concurrent worker's row for the same URL is overwritten, not an error), `forget` removes
the rows of URLs that were stored after all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from db.models import UrlDecision

DECISIONS = ("irrelevant", "dropped", "failed")


@dataclass(frozen=True)
class Decision:
    """One URL's decision, as the crawler keeps it in memory."""

    url: str
    decision: str
    reason: str
    attempts: int = 1
    next_retry_at: dt.datetime | None = None
    entry_fingerprint: str | None = None
    updated_at: dt.datetime | None = None


def load(session: Session) -> dict[str, Decision]:
    """Every stored decision, by URL."""
    rows = session.execute(
        select(
            UrlDecision.url,
            UrlDecision.decision,
            UrlDecision.reason,
            UrlDecision.attempts,
            UrlDecision.next_retry_at,
            UrlDecision.entry_fingerprint,
            UrlDecision.updated_at,
        )
    )
    return {row.url: Decision(*row) for row in rows}


def save(session: Session, decisions: Sequence[Decision]) -> None:
    """Insert or update these decisions (one statement; last writer wins on a URL)."""
    if not decisions:
        return
    for d in decisions:
        if d.decision not in DECISIONS:
            raise ValueError(f"unknown decision {d.decision!r}")
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    now = dt.datetime.now(dt.UTC)
    values = [
        {
            "url": d.url,
            "decision": d.decision,
            "reason": d.reason[:60],
            "attempts": d.attempts,
            "next_retry_at": d.next_retry_at,
            "entry_fingerprint": d.entry_fingerprint,
            "updated_at": d.updated_at or now,
        }
        for d in {d.url: d for d in decisions}.values()  # one row per URL per statement
    ]
    stmt = insert(UrlDecision).values(values)
    columns = ("decision", "reason", "attempts", "next_retry_at", "entry_fingerprint", "updated_at")
    stmt = stmt.on_conflict_do_update(
        index_elements=[UrlDecision.url], set_={c: stmt.excluded[c] for c in columns}
    )
    session.execute(stmt)


def forget(session: Session, urls: Iterable[str]) -> None:
    """Remove the decisions about these URLs (they were stored after all)."""
    urls = list(urls)
    if urls:
        session.execute(delete(UrlDecision).where(UrlDecision.url.in_(urls)))
