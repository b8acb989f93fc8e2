"""Daily prices from Yahoo Finance with yfinance, kept in the store; only missing ranges are fetched.

- Per ticker, the range asked for ([start, end], default: from the last stored day, or
  `DEFAULT_HISTORY_DAYS` back for a new ticker, to the last *closed* session of its exchange) minus
  what the store holds gives at most two ranges to fetch (before the first and after the last
  stored day); a range without a session of the ticker's calendar is not fetched. A bar of a
  session still trading is never stored.
- Tickers go in batches of `batch_size` with a pause between batches, one yfinance `history` call
  per range (`auto_adjust=False`: `close` is split-adjusted as traded, `adj_close` adds dividends).
- Rate limits (HTTP 429, `YFRateLimitError`) and network errors are retried with exponential
  backoff (`backoff * 2**attempt` seconds, capped at 60, with jitter) up to `max_tries`; an unknown
  or delisted ticker or an empty answer is not retried. Every ticker ends with a line in the
  report: rows stored, or why not ("NVDA: rate limited after 5 tries; kept for the next run").
  When the first `UNREACHABLE_AFTER` tickers all end on network errors, the others are not tried
  (offline: a clear account in seconds instead of minutes of backoff).
- The instrument row keeps exchange, currency and timezone (from market.instruments, completed
  by Yahoo's chart metadata), so 9984.T stays in JPY on the Tokyo calendar.

`http_session` is passed to yfinance (`requests.Session` or `curl_cffi` session); yfinance keeps
one process-wide `YfData` with that session, its crumb and an in-memory response cache. While it
runs, yfinance is switched to raise its errors (`yf.config.debug.hide_exceptions = False`, restored
after each call), so do not share the process with other yfinance users in parallel threads.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session, sessionmaker

from db.prices import missing_ranges, stored_ranges
from market.calendar import session_table, trading_sessions
from market.csv_prices import PriceSourceError, load_prices_csv
from market.instruments import instrument_for, with_metadata
from market.price_rows import PriceUpdateReport, frame_to_rows, save_rows

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "PriceSourceError",
    "PriceUpdateReport",
    "load_prices_csv",
    "update_prices",
]

log = logging.getLogger(__name__)
DEFAULT_HISTORY_DAYS = 400
BATCH_SIZE = 10
MAX_BACKOFF = 60.0
TIMEOUT = 20
# After this many tickers fail on network errors with nothing fetched yet, the rest is not tried.
UNREACHABLE_AFTER = 2


class _Retry(Exception):
    """A failure worth another try (rate limit, network)."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind


class _Fail(Exception):
    """A failure no retry fixes (unknown ticker, no data), or retries exhausted (`kind`)."""

    def __init__(self, detail: str, kind: str | None = None) -> None:
        super().__init__(detail)
        self.kind = kind


@dataclass(frozen=True)
class _Fetched:
    frame: pd.DataFrame
    meta: dict[str, Any]


@contextlib.contextmanager
def _yf_raises() -> Iterator[None]:
    """Make yfinance raise its errors instead of logging them (process-wide, restored after)."""
    import yfinance as yf

    old = yf.config.debug.hide_exceptions
    yf.config.debug.hide_exceptions = False
    try:
        yield
    finally:
        yf.config.debug.hide_exceptions = old


def _fetch_once(ticker: str, start: dt.date, end: dt.date, http_session: Any | None) -> _Fetched:
    import yfinance as yf
    from yfinance import exceptions as yfe

    try:
        with _yf_raises():
            tk = yf.Ticker(ticker, session=http_session)
            frame = tk.history(
                start=start.isoformat(),
                end=(end + dt.timedelta(days=1)).isoformat(),  # yfinance's end is exclusive
                interval="1d",
                auto_adjust=False,
                actions=False,
                repair=False,
                timeout=TIMEOUT,
            )
            meta = _metadata(tk)
    except yfe.YFRateLimitError as e:
        raise _Retry("rate limited", str(e)) from None
    except yfe.YFTzMissingError:
        raise _Fail("unknown or delisted ticker (Yahoo knows no such symbol)") from None
    except yfe.YFPricesMissingError as e:
        raise _Fail(f"no prices from Yahoo for {start}..{end} ({_short(e)})") from None
    except yfe.YFException as e:
        raise _Fail(f"Yahoo error: {_short(e)}") from None
    except Exception as e:  # requests / curl_cffi errors have no common base importable here
        name = type(e).__name__
        status = getattr(getattr(e, "response", None), "status_code", None)
        if isinstance(status, int) and status == 429:
            raise _Retry("rate limited", _short(e)) from None
        if isinstance(status, int) and 400 <= status < 500:
            # An unknown symbol: yfinance falls back to quoteSummary, which answers 404.
            raise _Fail(f"unknown or delisted ticker (HTTP {status} from Yahoo)") from None
        if isinstance(e, OSError | TimeoutError) or any(
            k in name for k in ("Connection", "Timeout", "DNS", "Request", "HTTP", "Curl")
        ):
            raise _Retry("network error", f"{name}: {_short(e)}") from None
        raise _Fail(f"{name}: {_short(e)}") from None
    return _Fetched(frame, meta)


_META_KEYS = (
    "currency",
    "exchangeTimezoneName",
    "instrumentType",
    "exchangeName",
    "longName",
    "shortName",
)


def _metadata(tk: Any) -> dict[str, Any]:
    """The chart metadata of the last `history` call (no extra request)."""
    try:
        md = tk.history_metadata
        return {k: md.get(k) for k in _META_KEYS}
    except Exception:  # metadata only completes the instrument row; never fail on it
        return {}


def _short(e: BaseException) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return text[:200]


def _fetch_with_retries(
    ticker: str,
    start: dt.date,
    end: dt.date,
    http_session: Any | None,
    max_tries: int,
    backoff: float,
    sleep: Callable[[float], None],
) -> _Fetched:
    last: _Retry | None = None
    for attempt in range(max(1, max_tries)):
        try:
            return _fetch_once(ticker, start, end, http_session)
        except _Retry as e:
            last = e
            if attempt + 1 < max_tries:
                delay = min(MAX_BACKOFF, backoff * 2**attempt) * (0.5 + random.random() / 2)
                log.warning(
                    "%s: %s (try %d/%d), retrying in %.1fs",
                    ticker,
                    e.kind,
                    attempt + 1,
                    max_tries,
                    delay,
                )
                sleep(delay)
    assert last is not None
    tries = f"{max_tries} tr{'ies' if max_tries != 1 else 'y'}"
    raise _Fail(f"{last.kind} after {tries}; kept for the next run", last.kind)


def last_closed_session(calendar: str, now: dt.datetime | None = None) -> dt.date:
    """The last session of `calendar` whose close is at or before `now` (UTC)."""
    import numpy as np

    table = session_table(calendar)
    now = now or dt.datetime.now(dt.UTC)
    ns = np.datetime64(now.astimezone(dt.UTC).replace(tzinfo=None), "ns").astype(np.int64)
    i = int(np.searchsorted(table.closes_ns, ns, side="right")) - 1
    return table.dates[max(i, 0)].astype(object)


def _session_bounds(calendar: str, a: dt.date, b: dt.date) -> tuple[dt.date, dt.date] | None:
    days = trading_sessions(calendar, a, b)
    return (days[0], days[-1]) if days else None


def update_prices(
    sessions: sessionmaker[Session],
    tickers: Iterable[str],
    start: dt.date | None = None,
    end: dt.date | None = None,
    *,
    http_session: Any | None = None,
    max_tries: int = 5,
    backoff: float = 2.0,
    batch_size: int = BATCH_SIZE,
    batch_pause: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
    now: dt.datetime | None = None,
) -> PriceUpdateReport:
    """Fetch the daily bars the store is missing for `tickers` and store them (see module doc).

    Raises ValueError when `start` is after `end`; every per-ticker problem goes in the report.
    """
    names = list(dict.fromkeys(t.strip() for t in tickers if t and t.strip()))
    if start and end and start > end:
        raise ValueError(f"start {start} is after end {end}")
    report = PriceUpdateReport()
    with sessions.begin() as s:
        stored = stored_ranges(s, names)
    unreachable = 0  # tickers that exhausted their tries on network errors, before any success
    for b, offset in enumerate(range(0, len(names), max(1, batch_size))):
        if b and batch_pause:
            sleep(batch_pause)
        for ticker in names[offset : offset + batch_size]:
            if unreachable >= UNREACHABLE_AFTER:
                report.failed[ticker] = "not tried: Yahoo unreachable; kept for the next run"
                continue
            info = instrument_for(ticker)
            try:
                closed = last_closed_session(info.calendar, now)
            except ValueError as e:
                report.failed[ticker] = str(e)
                continue
            stop = min(end, closed) if end else closed
            have = stored.get(ticker)
            first = start or (have.first if have else stop - dt.timedelta(DEFAULT_HISTORY_DAYS))
            ranges = [
                r
                for a, z in missing_ranges(have, first, stop)
                if (r := _session_bounds(info.calendar, a, z)) is not None
            ]
            report.rows[ticker] = 0
            for a, z in ranges:
                try:
                    got = _fetch_with_retries(ticker, a, z, http_session, max_tries, backoff, sleep)
                except _Fail as e:
                    report.failed[ticker] = str(e)
                    log.warning("%s: %s", ticker, e)
                    if e.kind == "network error" and not any(report.rows.values()):
                        unreachable += 1
                    break
                rows, dropped = frame_to_rows(ticker, got.frame, "yahoo")
                rows = [r for r in rows if a <= r["date"] <= z]
                if not rows:
                    report.failed[ticker] = f"Yahoo returned no rows for {a}..{z}"
                    break
                info = with_metadata(info, got.meta)
                report.rows[ticker] += save_rows(sessions, info, rows)
                if dropped:
                    report.notes[ticker] = f"{dropped} invalid row(s) skipped"
            if ticker in report.failed and not report.rows[ticker]:
                del report.rows[ticker]
    return report
