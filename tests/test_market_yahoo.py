"""market.yahoo runs the real yfinance against an injected requests.Session.

The session has a `BaseAdapter` mounted on https:// that answers like Yahoo (fc.yahoo.com cookie
404, getcrumb, chart range=1d for the timezone, chart period1/period2 for the bars) from the
bundled real CSVs. yfinance keeps a process-wide `YfData` singleton (first session, crumb, an
in-memory lru cache of responses): the `yf_clean` fixture drops it and points the disk caches
to a temporary folder, so each test starts from a fresh yfinance.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import defaultdict
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo

import pytest
import requests
import yfinance  # noqa: F401  (imported first so its warning filters do not beat pytestmark)
from requests.adapters import BaseAdapter
from sqlalchemy import func, select

from db.models import Instrument, Price
from market.csv_prices import file_name
from market.yahoo import load_prices_csv, update_prices
from tests.conftest import PRICES_DIR

TZ = {"9984.T": ("Asia/Tokyo", "JPY", "JPX", dt.time(9, 0))}
US = ("America/New_York", "USD", "NMS", dt.time(9, 30))
NOW = dt.datetime(2025, 7, 1, 12, tzinfo=dt.UTC)  # the bundled data ends 2025-06-30
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword")


def _read_csv(ticker: str) -> list[dict[str, str]]:
    with (PRICES_DIR / file_name(ticker)).open(newline="") as f:
        return list(csv.DictReader(f))


def _num(v: str) -> float | None:
    return float(v) if v not in ("", None) else None


class FakeYahoo(BaseAdapter):
    """Answers Yahoo's endpoints from the CSVs; `rate_limits[sym]` 429s the next N bar calls."""

    def __init__(self, known: list[str], empty: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.rows = {t: _read_csv(t) for t in known}
        self.empty = set(empty)
        self.rate_limits: dict[str, int] = defaultdict(int)
        self.calls: list[str] = []
        self.down = False

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):  # type: ignore[no-untyped-def,override]
        self.calls.append(request.url)
        if self.down:
            raise requests.ConnectionError(f"cannot reach {request.url}")
        url = urlsplit(request.url)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.netloc == "fc.yahoo.com":
            return self._reply(request, 404, b"")
        if url.path.endswith("/v1/test/getcrumb"):
            return self._reply(request, 200, b"fake-crumb")
        if "/v8/finance/chart/" in url.path:
            symbol = unquote(url.path.rsplit("/", 1)[1])
            return self._chart(request, symbol, query)
        return self._reply(request, 404, b"<html>not here</html>")

    def close(self) -> None:
        pass

    def _reply(self, request, status: int, body: bytes) -> requests.Response:  # type: ignore[no-untyped-def]
        r = requests.Response()
        r.status_code = status
        r._content = body
        r.url = request.url
        r.request = request
        r.encoding = "utf-8"
        r.headers["Content-Type"] = "application/json" if body[:1] == b"{" else "text/plain"
        return r

    def _chart(self, request, symbol: str, query: dict[str, str]) -> requests.Response:  # type: ignore[no-untyped-def]
        if symbol not in self.rows and symbol not in self.empty:
            body = {
                "chart": {
                    "result": None,
                    "error": {
                        "code": "Not Found",
                        "description": "No data found, symbol may be delisted",
                    },
                }
            }
            return self._reply(request, 404, json.dumps(body).encode())
        tzname, currency, exchange, opens = TZ.get(symbol, US)
        tz = ZoneInfo(tzname)
        meta = {
            "currency": currency,
            "symbol": symbol,
            "exchangeName": exchange,
            "instrumentType": "ETF" if symbol in ("SMH", "QQQ", "SPY") else "EQUITY",
            "exchangeTimezoneName": tzname,
            "timezone": "EST" if tzname == US[0] else "JST",
            "gmtoffset": int(dt.datetime(2025, 1, 1, tzinfo=tz).utcoffset().total_seconds()),
            "priceHint": 2,
            "dataGranularity": "1d",
            "range": query.get("range", ""),
            "validRanges": ["1d", "5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "ytd", "max"],
        }
        rows = self.rows.get(symbol, [])
        if "range" in query:
            rows = rows[-1:]
        else:
            if self.rate_limits[symbol] > 0:
                self.rate_limits[symbol] -= 1
                return self._reply(request, 429, b"Too Many Requests")
            p1, p2 = int(query["period1"]), int(query["period2"])
            rows = [r for r in rows if p1 <= self._ts(r["Date"], tz, opens) < p2]
        result: dict = {"meta": meta, "indicators": {"quote": [{}]}}
        if rows:
            result["timestamp"] = [self._ts(r["Date"], tz, opens) for r in rows]
            result["indicators"]["quote"] = [
                {
                    k.lower(): [_num(r[k]) for r in rows]
                    for k in ("Open", "High", "Low", "Close", "Volume")
                }
            ]
            if all(r["Adj Close"] for r in rows):
                result["indicators"]["adjclose"] = [
                    {"adjclose": [_num(r["Adj Close"]) for r in rows]}
                ]
        body = {"chart": {"result": [result], "error": None}}
        return self._reply(request, 200, json.dumps(body).encode())

    @staticmethod
    def _ts(day: str, tz: ZoneInfo, opens: dt.time) -> int:
        return int(dt.datetime.combine(dt.date.fromisoformat(day), opens, tzinfo=tz).timestamp())


@pytest.fixture
def yf_clean(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A fresh yfinance: no singleton YfData (session, crumb, lru cache), caches under tmp.

    `set_tz_cache_location` alone only works before the first use: the cache objects keep their
    opened database, so they are dropped too and re-open in the new folder.
    """
    import yfinance as yf
    from yfinance import cache
    from yfinance.data import SingletonMeta, YfData

    def reset() -> None:
        SingletonMeta._instances.pop(YfData, None)
        YfData.cache_get.cache_clear()
        yf.base._tz_info_fetch_ctr = 0  # unknown tickers fall back to quoteSummary twice a process
        cache._TzCacheManager._tz_cache = None
        cache._CookieCacheManager._Cookie_cache = None
        cache._ISINCacheManager._isin_cache = None

    yf.set_tz_cache_location(str(tmp_path / "yf-cache"))
    reset()
    yield
    reset()


def _session(adapter: FakeYahoo) -> requests.Session:
    s = requests.Session()
    s.mount("https://", adapter)
    s.mount("http://", adapter)
    return s


def _stored(sessions, ticker: str) -> list[Price]:  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        return list(s.scalars(select(Price).where(Price.ticker == ticker).order_by(Price.date)))


def test_update_fetches_bars_through_yfinance(sessions, yf_clean) -> None:  # type: ignore[no-untyped-def]
    fake = FakeYahoo(["NVDA", "9984.T"])
    report = update_prices(
        sessions,
        ["NVDA", "9984.T"],
        dt.date(2025, 1, 2),
        dt.date(2025, 1, 31),
        http_session=_session(fake),
        backoff=0,
        batch_pause=0,
        now=NOW,
    )
    assert report.failed == {}
    nvda = _stored(sessions, "NVDA")
    assert report.rows["NVDA"] == len(nvda) == 20  # Jan 2025 sessions (9 Jan closed)
    by_day = {p.date: p for p in nvda}
    assert by_day[dt.date(2025, 1, 24)].close == pytest.approx(142.62, abs=1e-4)
    assert by_day[dt.date(2025, 1, 27)].close == pytest.approx(118.42, abs=1e-4)
    assert by_day[dt.date(2025, 1, 27)].adj_close == pytest.approx(118.38121032714844)
    assert by_day[dt.date(2025, 1, 27)].source == "yahoo"
    sb = {p.date: p for p in _stored(sessions, "9984.T")}
    assert sb[dt.date(2025, 1, 27)].close / sb[dt.date(2025, 1, 24)].close - 1 == pytest.approx(
        -0.0832, abs=5e-5
    )
    with sessions.begin() as s:
        inst = s.get(Instrument, "9984.T")
        assert (inst.currency, inst.timezone, inst.calendar) == ("JPY", "Asia/Tokyo", "XTKS")
    assert any("fc.yahoo.com" in u for u in fake.calls)
    assert any("getcrumb" in u for u in fake.calls)
    assert any("range=1d" in u for u in fake.calls)
    assert any("period1=" in u and "crumb=fake-crumb" in u for u in fake.calls)


def test_only_missing_ranges_are_fetched(sessions, yf_clean) -> None:  # type: ignore[no-untyped-def]
    load_prices_csv(sessions, PRICES_DIR, ["NVDA"])
    with sessions.begin() as s:
        s.execute(Price.__table__.delete().where(Price.date > dt.date(2025, 6, 20)))
    fake = FakeYahoo(["NVDA"])
    report = update_prices(
        sessions, ["NVDA"], http_session=_session(fake), backoff=0, batch_pause=0, now=NOW
    )
    assert report.rows == {"NVDA": 6} and report.failed == {}  # 23..30 June
    bar_calls = [u for u in fake.calls if "period1=" in u]
    assert len(bar_calls) == 1
    p1 = int(parse_qs(urlsplit(bar_calls[0]).query)["period1"][0])
    assert dt.datetime.fromtimestamp(p1, dt.UTC).date() >= dt.date(2025, 6, 21)
    # Up to date: nothing fetched at all.
    fake.calls.clear()
    again = update_prices(
        sessions, ["NVDA"], http_session=_session(fake), backoff=0, batch_pause=0, now=NOW
    )
    assert again.rows == {"NVDA": 0} and again.lines() == ["NVDA: up to date"]
    assert not [u for u in fake.calls if "period1=" in u]


def test_rate_limit_then_success_unknown_and_empty(sessions, yf_clean) -> None:  # type: ignore[no-untyped-def]
    fake = FakeYahoo(["NVDA", "SMH"], empty=("EMPTY",))
    fake.rate_limits["NVDA"] = 2  # yfinance retries once itself, then raises YFRateLimitError
    waits: list[float] = []
    report = update_prices(
        sessions,
        ["NVDA", "NOPE", "EMPTY", "SMH"],
        dt.date(2025, 1, 21),
        dt.date(2025, 1, 28),
        http_session=_session(fake),
        backoff=0.01,
        batch_pause=0,
        sleep=waits.append,
        now=NOW,
    )
    assert report.rows == {"NVDA": 6, "SMH": 6}
    assert len(waits) == 1  # one backoff before the successful second try
    assert "unknown or delisted" in report.failed["NOPE"]
    assert "no prices" in report.failed["EMPTY"] or "no rows" in report.failed["EMPTY"]
    with sessions.begin() as s:
        tickers = set(s.scalars(select(Price.ticker).distinct()))
    assert tickers == {"NVDA", "SMH"}  # nothing stored for the bad ones
    lines = report.lines()
    assert "NVDA: 6 rows" in lines and any(line.startswith("NOPE: unknown") for line in lines)


def test_rate_limited_every_time_is_kept_for_next_run(sessions, yf_clean) -> None:  # type: ignore[no-untyped-def]
    fake = FakeYahoo(["NVDA", "SMH"])
    fake.rate_limits["NVDA"] = 100
    waits: list[float] = []
    report = update_prices(
        sessions,
        ["NVDA", "SMH"],
        dt.date(2025, 1, 21),
        dt.date(2025, 1, 28),
        http_session=_session(fake),
        max_tries=3,
        backoff=1.0,
        batch_pause=0,
        sleep=waits.append,
        now=NOW,
    )
    assert report.failed == {"NVDA": "rate limited after 3 tries; kept for the next run"}
    assert "NVDA: rate limited after 3 tries; kept for the next run" in report.lines()
    assert report.rows == {"SMH": 6}
    assert len(waits) == 2 and waits[1] > waits[0] * 0.9  # exponential, with jitter in [0.5, 1]


def test_load_prices_csv_bad_files(sessions, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "EMPTY.csv").write_text("Date,Open,High,Low,Close,Adj Close,Volume\n")
    (tmp_path / "BAD.csv").write_text("Day,Price\n2025-01-02,3\n")
    (tmp_path / "GAPS.csv").write_text(
        "Date,Open,High,Low,Close,Adj Close,Volume\n"
        "2025-01-02,1,1,1,10,,5\n2025-01-03,1,1,1,,,5\n2025-01-06,1,1,1,-1,,5\n"
        "2025-01-07,1,1,1,11,,5\n"
    )
    report = load_prices_csv(sessions, tmp_path, ["EMPTY", "BAD", "GAPS", "MISSING"])
    assert "no rows" in report.failed["EMPTY"]
    assert "missing column" in report.failed["BAD"]
    assert "no file MISSING.csv" in report.failed["MISSING"]
    assert report.rows == {"GAPS": 2} and "2 invalid" in report.notes["GAPS"]
    with sessions.begin() as s:
        assert s.scalar(select(func.count()).select_from(Price)) == 2


def test_load_all_bundled_csvs(sessions) -> None:  # type: ignore[no-untyped-def]
    report = load_prices_csv(sessions, PRICES_DIR)
    assert report.failed == {}
    assert report.rows["NVDA"] == 206 and report.rows["9984.T"] == 184
    assert report.rows["^SOX"] == 206
    with sessions.begin() as s:
        assert s.get(Instrument, "^GSPC").kind == "index"
        assert s.get(Price, ("SMH", dt.date(2025, 1, 27))).adj_close is None


def test_offline_gives_up_after_two_tickers(sessions, yf_clean) -> None:  # type: ignore[no-untyped-def]
    fake = FakeYahoo(["NVDA", "SMH", "QQQ"])
    fake.down = True
    waits: list[float] = []
    report = update_prices(
        sessions,
        ["NVDA", "SMH", "QQQ"],
        dt.date(2025, 1, 21),
        dt.date(2025, 1, 28),
        http_session=_session(fake),
        max_tries=2,
        batch_pause=0,
        sleep=waits.append,
        now=NOW,
    )
    assert report.rows == {}
    assert report.failed == {
        "NVDA": "network error after 2 tries; kept for the next run",
        "SMH": "network error after 2 tries; kept for the next run",
        "QQQ": "not tried: Yahoo unreachable; kept for the next run",
    }
    assert len(waits) == 2
