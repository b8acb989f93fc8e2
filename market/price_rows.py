"""Daily bars from a pandas frame (Yahoo or CSV) to validated rows in the store, and the report."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session, sessionmaker

from db.prices import upsert_instruments, upsert_prices
from market.instruments import InstrumentInfo

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class PriceUpdateReport:
    """Per-ticker outcome: rows stored, failures with their reason, notes (dropped rows, ...)."""

    rows: dict[str, int] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """One line per ticker, for the end of `airace prices update`."""
        out = []
        for ticker in sorted(set(self.rows) | set(self.failed) | set(self.notes)):
            parts = []
            if ticker in self.rows:
                n = self.rows[ticker]
                parts.append(f"{n} row{'s' if n != 1 else ''}" if n else "up to date")
            if ticker in self.notes:
                parts.append(self.notes[ticker])
            if ticker in self.failed:
                parts.append(self.failed[ticker])
            out.append(f"{ticker}: {'; '.join(parts)}")
        return out


def _num(value: Any) -> float | None:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) or math.isinf(x) else x


def frame_to_rows(
    ticker: str, frame: pd.DataFrame, source: str
) -> tuple[list[dict[str, Any]], int]:
    """Rows for db.prices.upsert_prices from a frame with Open/High/Low/Close/Adj Close/Volume.

    The index (or a `Date` column) holds the dates. Rows without a positive close are dropped and
    counted; they are never stored.
    """
    rows: list[dict[str, Any]] = []
    dropped = 0
    dates = frame["Date"] if "Date" in frame.columns else frame.index
    cols = {
        c: frame[c].tolist() if c in frame.columns else None
        for c in ("Open", "High", "Low", "Close", "Adj Close", "Volume")
    }
    seen: set[dt.date] = set()
    for i, raw_date in enumerate(dates):
        day = _as_date(raw_date)
        close = _num(cols["Close"][i]) if cols["Close"] is not None else None
        if day is None or close is None or close <= 0 or day in seen:
            dropped += 1
            continue
        seen.add(day)

        def get(name: str, i: int = i) -> float | None:
            values = cols[name]
            return _num(values[i]) if values is not None else None

        rows.append(
            {
                "ticker": ticker,
                "date": day,
                "open": get("Open"),
                "high": get("High"),
                "low": get("Low"),
                "close": close,
                "adj_close": get("Adj Close"),
                "volume": get("Volume"),
                "source": source,
            }
        )
    return rows, dropped


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if hasattr(value, "date") and callable(value.date):
        try:
            d = value.date()
            return d if isinstance(d, dt.date) else None
        except (TypeError, ValueError):
            return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def save_rows(
    sessions: sessionmaker[Session], info: InstrumentInfo, rows: list[dict[str, Any]]
) -> int:
    """Store the instrument and its rows in one transaction."""
    with sessions.begin() as s:
        upsert_instruments(s, [info.record()])
        return upsert_prices(s, rows)
