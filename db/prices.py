"""Instruments and daily prices: bulk upserts and range queries. Functions never commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Instrument, Price

PRICE_COLUMNS = ("open", "high", "low", "close", "adj_close", "volume", "source")
_CHUNK = 5000


def _insert(session: Session, table: Any) -> Any:
    """A dialect INSERT that supports ON CONFLICT (SQLite and PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def upsert_instruments(session: Session, records: Iterable[Mapping[str, Any]]) -> int:
    """Insert or update instruments by ticker; None values never overwrite known ones."""
    n = 0
    for rec in records:
        row = session.get(Instrument, rec["ticker"])
        if row is None:
            session.add(Instrument(**dict(rec)))
        else:
            for key, value in rec.items():
                if key != "ticker" and value is not None:
                    setattr(row, key, value)
        n += 1
    session.flush()
    return n


def upsert_prices(session: Session, rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert or replace daily bars keyed by (ticker, date). The instruments must exist."""
    if not rows:
        return 0
    stmt = _insert(session, Price.__table__)
    stmt = stmt.on_conflict_do_update(
        index_elements=["ticker", "date"],
        set_={c: getattr(stmt.excluded, c) for c in PRICE_COLUMNS},
    )
    for start in range(0, len(rows), _CHUNK):
        session.execute(stmt, [dict(r) for r in rows[start : start + _CHUNK]])
    return len(rows)


@dataclass(frozen=True)
class StoredRange:
    """What the store holds for one ticker."""

    first: dt.date
    last: dt.date
    rows: int


def stored_ranges(session: Session, tickers: Iterable[str]) -> dict[str, StoredRange]:
    """First and last stored date and the row count, for the tickers that have prices."""
    names = list(tickers)
    if not names:
        return {}
    stmt = (
        select(Price.ticker, func.min(Price.date), func.max(Price.date), func.count())
        .where(Price.ticker.in_(names))
        .group_by(Price.ticker)
    )
    return {t: StoredRange(lo, hi, n) for t, lo, hi, n in session.execute(stmt)}


def missing_ranges(
    stored: StoredRange | None, start: dt.date, end: dt.date
) -> list[tuple[dt.date, dt.date]]:
    """The parts of [start, end] (inclusive) outside what is stored. Interior gaps are kept:
    a missing day inside the stored range is a market holiday or a gap Yahoo also has."""
    if start > end:
        return []
    if stored is None:
        return [(start, end)]
    out = []
    if start < stored.first:
        out.append((start, min(end, stored.first - dt.timedelta(days=1))))
    if end > stored.last:
        out.append((max(start, stored.last + dt.timedelta(days=1)), end))
    return [(a, b) for a, b in out if a <= b]


def select_prices(
    session: Session,
    tickers: Iterable[str],
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> list[tuple[str, dt.date, float, float | None]]:
    """(ticker, date, close, adj_close) rows ordered by ticker and date."""
    stmt = select(Price.ticker, Price.date, Price.close, Price.adj_close).where(
        Price.ticker.in_(list(tickers))
    )
    if start is not None:
        stmt = stmt.where(Price.date >= start)
    if end is not None:
        stmt = stmt.where(Price.date <= end)
    stmt = stmt.order_by(Price.ticker, Price.date)
    return [(t, d, c, a) for t, d, c, a in session.execute(stmt)]


def instruments(session: Session, tickers: Iterable[str] | None = None) -> dict[str, Instrument]:
    """Stored instruments by ticker."""
    stmt = select(Instrument)
    if tickers is not None:
        stmt = stmt.where(Instrument.ticker.in_(list(tickers)))
    return {i.ticker: i for i in session.scalars(stmt)}
