"""Trading sessions: which session of a ticker's exchange a story could move (day 0).

Rules, per exchange (its `exchange_calendars` code and timezone, from market.instruments):

- **exact** publication instant (UTC-aware): day 0 is the first session whose close is *after* the
  instant. A story out before the open or during the session (a lunch break included) belongs to
  that day's session; one out at or after the close, on a weekend or a holiday, to the next
  session. A close at 16:00 New York is not a trading minute: a story at 16:00:00 goes to the next
  session. Early closes (e.g. the day after Thanksgiving) use that day's close.
- **day** precision: the session of that calendar day (the UTC date stored), or the next session
  when the day is not one; the reaction carries the note "time unknown" because the story may have
  come out after that day's close.
- **month** precision: no day-0 session (no reaction); the article still counts in monthly
  aggregates, which only need `published_at`.
- **unknown** precision or no date: no session.

An instant outside the calendar's range (about 20 years back to 1 year ahead) gets no session
and a reason. The mapping is vectorised with numpy (`searchsorted` on session closes).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

TIME_UNKNOWN = "time unknown"


@dataclass(frozen=True)
class SessionMatch:
    """Day 0 for one article on one calendar, or the reason there is none."""

    session: dt.date | None
    time_note: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class SessionTable:
    """A calendar's sessions as numpy arrays: dates (datetime64[D]) and closes (UTC, int64 ns)."""

    code: str
    timezone: str
    dates: np.ndarray
    closes_ns: np.ndarray


@lru_cache(maxsize=32)
def session_table(code: str) -> SessionTable:
    """Load (once per process) the sessions of an exchange_calendars calendar, e.g. XNYS, XTKS."""
    import exchange_calendars as xcals
    import numpy as np

    try:
        cal = xcals.get_calendar(code)
    except xcals.errors.InvalidCalendarName:
        raise ValueError(f"unknown exchange calendar {code!r}") from None
    dates = cal.sessions.values.astype("datetime64[D]")
    closes = cal.closes.dt.tz_localize(None) if cal.closes.dt.tz is not None else cal.closes
    closes_ns = closes.values.astype("datetime64[ns]").astype(np.int64)
    return SessionTable(code, str(cal.tz), dates, closes_ns)


def trading_sessions(code: str, start: dt.date, end: dt.date) -> list[dt.date]:
    """The sessions of calendar `code` between `start` and `end`, both included."""
    import numpy as np

    table = session_table(code)
    lo = np.searchsorted(table.dates, np.datetime64(start, "D"), side="left")
    hi = np.searchsorted(table.dates, np.datetime64(end, "D"), side="right")
    return [d.astype(object) for d in table.dates[lo:hi]]


def session_for(published_at: dt.datetime | None, precision: str, code: str) -> SessionMatch:
    """Day 0 of one story on calendar `code` (see the module docstring for the rules)."""
    return sessions_for([published_at], [precision], code)[0]


def sessions_for(
    published: list[dt.datetime | None], precisions: list[str], code: str
) -> list[SessionMatch]:
    """Day 0 of many stories on one calendar, vectorised."""
    import numpy as np

    table = session_table(code)
    n = len(published)
    out: list[SessionMatch | None] = [None] * n
    exact_idx: list[int] = []
    exact_ns: list[int] = []
    day_idx: list[int] = []
    day_dates: list[np.datetime64] = []
    for i, (when, precision) in enumerate(zip(published, precisions, strict=True)):
        if when is None or precision == "unknown":
            out[i] = SessionMatch(None, reason="publication date unknown")
        elif precision == "month":
            out[i] = SessionMatch(None, reason="date known only to the month: no day-0 session")
        elif precision == "exact":
            if when.tzinfo is None:
                out[i] = SessionMatch(None, reason="naive publication time (no timezone)")
                continue
            utc = when.astimezone(dt.UTC).replace(tzinfo=None)
            exact_idx.append(i)
            exact_ns.append(int(np.datetime64(utc, "ns").astype(np.int64)))
        elif precision == "day":
            day_idx.append(i)
            day_dates.append(np.datetime64(when.astimezone(dt.UTC).date(), "D"))
        else:
            out[i] = SessionMatch(None, reason=f"unknown date precision {precision!r}")

    last = len(table.dates)
    if exact_idx:
        pos = np.searchsorted(table.closes_ns, np.asarray(exact_ns, dtype=np.int64), side="right")
        for i, p in zip(exact_idx, pos, strict=True):
            out[i] = _match(table, int(p), last, None)
    if day_idx:
        pos = np.searchsorted(table.dates, np.asarray(day_dates, dtype="datetime64[D]"), "left")
        for i, p in zip(day_idx, pos, strict=True):
            out[i] = _match(table, int(p), last, TIME_UNKNOWN)
    return [m if m is not None else SessionMatch(None, reason="no session") for m in out]


def _match(table: SessionTable, pos: int, last: int, note: str | None) -> SessionMatch:
    if pos <= 0 or pos >= last:
        return SessionMatch(None, reason=f"date outside the {table.code} calendar's range")
    return SessionMatch(table.dates[pos].astype(object), time_note=note)
