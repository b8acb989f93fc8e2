"""Known instruments and the benchmark of each ticker. Plain data: no pandas, cheap to import.

Every ticker gets an exchange, a currency, a timezone and an `exchange_calendars` code, either from
the table below or from its Yahoo suffix (`9984.T` -> Tokyo, `0700.HK` -> Hong Kong, ...). A US
ticker without a suffix defaults to the NYSE calendar (NYSE and Nasdaq share the XNYS sessions).

Benchmarks (the market of the market model):
- semiconductors and their equipment makers -> SMH (VanEck Semiconductor ETF), the sector ETF;
- other US tech and AI-exposed names -> QQQ; utilities and the rest -> SPY;
- a foreign listing -> its local index (9984.T -> ^N225, 0700.HK -> ^HSI, ASML.AS -> ^AEX), so
  the stock and its benchmark trade on the same calendar;
- ETFs and indices -> SPY (SPY itself -> ^GSPC).

Caveat, kept on purpose: Nvidia is about a fifth of SMH (and about 9% of QQQ). Against SMH, part
of an Nvidia-specific move is inside the benchmark, so the abnormal return understates it (the
beta also absorbs Nvidia's own weight). We keep SMH because the question the reactions answer is
"did this story move the stock more than its sector", and every reaction row records the benchmark
used, so a user can recompute against QQQ or ^GSPC with `benchmark_overrides`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class InstrumentInfo:
    """What the store needs to know about a ticker (mirrors the `instruments` table)."""

    ticker: str
    name: str | None = None
    kind: str = "equity"  # equity | etf | index
    exchange: str | None = None
    currency: str | None = None
    timezone: str | None = None
    calendar: str = "XNYS"
    benchmark: str | None = None

    def record(self) -> dict[str, str | None]:
        """The row for `db.prices.upsert_instruments`."""
        return {
            "ticker": self.ticker,
            "name": self.name,
            "kind": self.kind,
            "exchange": self.exchange,
            "currency": self.currency,
            "timezone": self.timezone,
            "calendar": self.calendar,
        }


_NY = "America/New_York"


def _us(ticker: str, name: str, benchmark: str, exchange: str = "NASDAQ", kind: str = "equity"):
    return InstrumentInfo(ticker, name, kind, exchange, "USD", _NY, "XNYS", benchmark)


KNOWN: dict[str, InstrumentInfo] = {
    i.ticker: i
    for i in [
        _us("NVDA", "NVIDIA", "SMH"),
        _us("AVGO", "Broadcom", "SMH"),
        _us("AMD", "Advanced Micro Devices", "SMH"),
        _us("TSM", "Taiwan Semiconductor (ADR)", "SMH", "NYSE"),
        _us("ASML", "ASML Holding (ADR)", "SMH"),
        _us("ARM", "Arm Holdings (ADR)", "SMH"),
        _us("SMCI", "Super Micro Computer", "SMH"),
        _us("INTC", "Intel", "SMH"),
        _us("MU", "Micron Technology", "SMH"),
        _us("MSFT", "Microsoft", "QQQ"),
        _us("GOOGL", "Alphabet (class A)", "QQQ"),
        _us("GOOG", "Alphabet (class C)", "QQQ"),
        _us("META", "Meta Platforms", "QQQ"),
        _us("AMZN", "Amazon", "QQQ"),
        _us("AAPL", "Apple", "QQQ"),
        _us("TSLA", "Tesla", "QQQ"),
        _us("ORCL", "Oracle", "QQQ", "NYSE"),
        _us("PLTR", "Palantir", "QQQ"),
        _us("BABA", "Alibaba (ADR)", "QQQ", "NYSE"),
        _us("BIDU", "Baidu (ADR)", "QQQ"),
        _us("CEG", "Constellation Energy", "SPY"),
        _us("VST", "Vistra", "SPY", "NYSE"),
        _us("SPY", "SPDR S&P 500 ETF", "^GSPC", "NYSEARCA", "etf"),
        _us("QQQ", "Invesco QQQ Trust", "SPY", "NASDAQ", "etf"),
        _us("SMH", "VanEck Semiconductor ETF", "SPY", "NASDAQ", "etf"),
        _us("SOXX", "iShares Semiconductor ETF", "SPY", "NASDAQ", "etf"),
        _us("^GSPC", "S&P 500", "SPY", "SNP", "index"),
        _us("^IXIC", "Nasdaq Composite", "SPY", "NASDAQ", "index"),
        _us("^SOX", "PHLX Semiconductor", "SPY", "NASDAQ", "index"),
        InstrumentInfo(
            "9984.T", "SoftBank Group", "equity", "TSE", "JPY", "Asia/Tokyo", "XTKS", "^N225"
        ),
        InstrumentInfo("^N225", "Nikkei 225", "index", "OSA", "JPY", "Asia/Tokyo", "XTKS", None),
        InstrumentInfo("^HSI", "Hang Seng", "index", "HKSE", "HKD", "Asia/Hong_Kong", "XHKG", None),
        InstrumentInfo("^AEX", "AEX", "index", "AMS", "EUR", "Europe/Amsterdam", "XAMS", None),
    ]
}

# Yahoo suffix -> (exchange, currency, timezone, calendar, local index).
SUFFIXES: dict[str, tuple[str, str, str, str, str]] = {
    "T": ("TSE", "JPY", "Asia/Tokyo", "XTKS", "^N225"),
    "HK": ("HKSE", "HKD", "Asia/Hong_Kong", "XHKG", "^HSI"),
    "AS": ("AMS", "EUR", "Europe/Amsterdam", "XAMS", "^AEX"),
    "PA": ("PAR", "EUR", "Europe/Paris", "XPAR", "^FCHI"),
    "DE": ("GER", "EUR", "Europe/Berlin", "XETR", "^GDAXI"),
    "L": ("LSE", "GBP", "Europe/London", "XLON", "^FTSE"),
    "KS": ("KSC", "KRW", "Asia/Seoul", "XKRX", "^KS11"),
    "TW": ("TAI", "TWD", "Asia/Taipei", "XTAI", "^TWII"),
    "SS": ("SHH", "CNY", "Asia/Shanghai", "XSHG", "000001.SS"),
    "TO": ("TOR", "CAD", "America/Toronto", "XTSE", "^GSPTSE"),
}

DEFAULT_US_BENCHMARK = "SPY"


def instrument_for(ticker: str) -> InstrumentInfo:
    """The known instrument, or one inferred from the Yahoo suffix (US/NYSE when there is none)."""
    if ticker in KNOWN:
        return KNOWN[ticker]
    if "." in ticker:
        suffix = ticker.rsplit(".", 1)[1].upper()
        if suffix in SUFFIXES:
            exchange, currency, tz, cal, index = SUFFIXES[suffix]
            return InstrumentInfo(ticker, None, "equity", exchange, currency, tz, cal, index)
    kind = "index" if ticker.startswith("^") else "equity"
    bench = None if kind == "index" else DEFAULT_US_BENCHMARK
    return InstrumentInfo(ticker, None, kind, None, "USD", _NY, "XNYS", bench)


def benchmark_for(ticker: str, overrides: Mapping[str, str] | None = None) -> str | None:
    """The benchmark of `ticker`: an override first, then the table above."""
    if overrides and ticker in overrides:
        return overrides[ticker]
    return instrument_for(ticker).benchmark


def with_metadata(info: InstrumentInfo, meta: Mapping[str, object]) -> InstrumentInfo:
    """Complete `info` with what Yahoo's chart metadata says (currency, timezone, exchange, kind)."""
    kinds = {"EQUITY": "equity", "ETF": "etf", "INDEX": "index", "MUTUALFUND": "etf"}

    def text(key: str) -> str | None:
        value = meta.get(key)
        return str(value) if isinstance(value, str) and value else None

    return replace(
        info,
        name=info.name or text("longName") or text("shortName"),
        currency=text("currency") or info.currency,
        timezone=text("exchangeTimezoneName") or info.timezone,
        exchange=info.exchange or text("exchangeName"),
        kind=kinds.get(text("instrumentType") or "", info.kind),
    )
