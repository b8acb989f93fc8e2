"""Day 0: the session a story could move, per exchange calendar and timezone."""

from __future__ import annotations

import datetime as dt

import pytest

from market.calendar import TIME_UNKNOWN, session_for, sessions_for, trading_sessions
from market.instruments import benchmark_for, instrument_for

UTC = dt.UTC


@pytest.mark.parametrize(
    ("when", "code", "day0"),
    [
        # New York: 14:30-21:00 UTC in winter.
        (dt.datetime(2025, 1, 27, 12, 0, tzinfo=UTC), "XNYS", dt.date(2025, 1, 27)),  # pre-open
        (dt.datetime(2025, 1, 27, 15, 0, tzinfo=UTC), "XNYS", dt.date(2025, 1, 27)),  # open
        (dt.datetime(2025, 1, 27, 20, 59, tzinfo=UTC), "XNYS", dt.date(2025, 1, 27)),
        (dt.datetime(2025, 1, 27, 21, 0, tzinfo=UTC), "XNYS", dt.date(2025, 1, 28)),  # at close
        (dt.datetime(2025, 1, 25, 15, 0, tzinfo=UTC), "XNYS", dt.date(2025, 1, 27)),  # Saturday
        (dt.datetime(2025, 1, 26, 23, 0, tzinfo=UTC), "XNYS", dt.date(2025, 1, 27)),  # Sunday
        (dt.datetime(2025, 1, 8, 22, 0, tzinfo=UTC), "XNYS", dt.date(2025, 1, 10)),  # 9 Jan shut
        (dt.datetime(2024, 11, 29, 18, 30, tzinfo=UTC), "XNYS", dt.date(2024, 12, 2)),  # early
        (dt.datetime(2025, 7, 3, 20, 0, tzinfo=UTC), "XNYS", dt.date(2025, 7, 7)),  # 13:00 close
        # Tokyo: 09:00-15:30 JST (00:00-06:30 UTC), lunch break included.
        (dt.datetime(2025, 1, 27, 1, 0, tzinfo=UTC), "XTKS", dt.date(2025, 1, 27)),
        (dt.datetime(2025, 1, 27, 3, 0, tzinfo=UTC), "XTKS", dt.date(2025, 1, 27)),  # lunch
        (dt.datetime(2025, 1, 27, 7, 0, tzinfo=UTC), "XTKS", dt.date(2025, 1, 28)),  # after
        (dt.datetime(2025, 1, 24, 15, 0, tzinfo=UTC), "XTKS", dt.date(2025, 1, 27)),  # Fri NY
    ],
)
def test_exact_instants(when: dt.datetime, code: str, day0: dt.date) -> None:
    match = session_for(when, "exact", code)
    assert (match.session, match.time_note, match.reason) == (day0, None, None)


def test_day_month_and_unknown_precision() -> None:
    saturday = dt.datetime(2025, 1, 25, tzinfo=UTC)
    day = session_for(saturday, "day", "XNYS")
    assert (day.session, day.time_note) == (dt.date(2025, 1, 27), TIME_UNKNOWN)
    assert session_for(dt.datetime(2025, 1, 27, tzinfo=UTC), "day", "XNYS").session == dt.date(
        2025, 1, 27
    )
    month = session_for(saturday, "month", "XNYS")
    assert month.session is None and "month" in (month.reason or "")
    assert session_for(None, "unknown", "XNYS").reason == "publication date unknown"
    far = session_for(dt.datetime(2040, 1, 1, tzinfo=UTC), "day", "XNYS")
    assert far.session is None and "range" in (far.reason or "")
    many = sessions_for([saturday, None, saturday], ["exact", "day", "month"], "XTKS")
    assert [m.session for m in many] == [dt.date(2025, 1, 27), None, None]


def test_unknown_calendar_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown exchange calendar"):
        session_for(dt.datetime(2025, 1, 27, tzinfo=UTC), "exact", "NOPE")


def test_sessions_match_the_bundled_us_dates() -> None:
    days = trading_sessions("XNYS", dt.date(2024, 9, 3), dt.date(2025, 6, 30))
    assert len(days) == 206 and dt.date(2025, 1, 9) not in days


def test_instruments_and_benchmarks() -> None:
    assert benchmark_for("NVDA") == "SMH" and benchmark_for("MSFT") == "QQQ"
    assert benchmark_for("NVDA", {"NVDA": "QQQ"}) == "QQQ"
    sb = instrument_for("9984.T")
    assert (sb.calendar, sb.currency, sb.timezone, sb.benchmark) == (
        "XTKS", "JPY", "Asia/Tokyo", "^N225")  # fmt: skip
    hk = instrument_for("0700.HK")
    assert (hk.calendar, hk.currency, hk.benchmark) == ("XHKG", "HKD", "^HSI")
    assert instrument_for("ASML.AS").benchmark == "^AEX"
    assert instrument_for("^FOO").kind == "index" and instrument_for("XYZ").benchmark == "SPY"
