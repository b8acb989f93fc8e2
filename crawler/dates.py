"""Publication dates with their precision (exact, day, month, unknown), always timezone-aware.

A date or instant without a timezone is taken as UTC: news sites that omit the offset are most
often in UTC or close to it, and a day-precision date is kept at 00:00 UTC of that day. Callers
that know better (a feed entry with an offset) pass an aware datetime, which wins.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

PRECISION_RANK = {"exact": 3, "day": 2, "month": 1, "unknown": 0}

_ISO_DAY = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")
_ISO_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
_HAS_TIME = re.compile(r"\d{4}-\d{1,2}-\d{1,2}[T ]\d{1,2}:\d{2}")


@dataclass(frozen=True)
class PublishedDate:
    """An instant (UTC-aware) and how precise it is; `when` is None when precision is unknown."""

    when: dt.datetime | None
    precision: str = "unknown"

    @property
    def known(self) -> bool:
        return self.when is not None and self.precision != "unknown"


UNKNOWN = PublishedDate(None, "unknown")


def _aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def parse_date(value: object) -> PublishedDate:
    """Parse ISO 8601, RFC 822, YYYY-MM-DD or YYYY-MM strings (or datetime/date objects)."""
    if value is None or value == "":
        return UNKNOWN
    if isinstance(value, dt.datetime):
        return PublishedDate(_aware(value), "exact")
    if isinstance(value, dt.date):
        return PublishedDate(dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC), "day")
    text = str(value).strip()
    if not text:
        return UNKNOWN
    try:
        m = _ISO_DAY.match(text)
        if m:
            y, mo, d = map(int, m.groups())
            return PublishedDate(dt.datetime(y, mo, d, tzinfo=dt.UTC), "day")
        m = _ISO_MONTH.match(text)
        if m:
            y, mo = map(int, m.groups())
            return PublishedDate(dt.datetime(y, mo, 1, tzinfo=dt.UTC), "month")
        if _HAS_TIME.match(text):
            iso = text.replace("Z", "+00:00").replace("z", "+00:00")
            return PublishedDate(_aware(dt.datetime.fromisoformat(iso)), "exact")
    except ValueError:
        return UNKNOWN
    try:
        return PublishedDate(_aware(parsedate_to_datetime(text)), "exact")
    except (TypeError, ValueError, IndexError):
        pass
    return UNKNOWN


def best_date(*candidates: PublishedDate) -> PublishedDate:
    """The most precise known date among candidates (the first wins a tie)."""
    best = UNKNOWN
    for c in candidates:
        if c.known and PRECISION_RANK[c.precision] > PRECISION_RANK[best.precision]:
            best = c
    return best


def plausible(date: PublishedDate, now: dt.datetime | None = None) -> PublishedDate:
    """Drop dates before 1995 or more than two days in the future (template junk, typos)."""
    if not date.known or date.when is None:
        return UNKNOWN
    now = now or dt.datetime.now(dt.UTC)
    if date.when.year < 1995 or date.when > now + dt.timedelta(days=2):
        return UNKNOWN
    return date
