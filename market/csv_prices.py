"""Offline prices: load CSV files of daily bars into the store.

Format (the bundled market/data/prices, see its PROVENANCE.md): one file per ticker named
`<TICKER>.csv`, an index `^NAME` as `IDX_NAME.csv`; header `Date,Open,High,Low,Close,Adj Close,Volume`
with dates as YYYY-MM-DD; an empty `Adj Close` means none is known. Source recorded: `csv:<file>`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from market.instruments import instrument_for
from market.price_rows import PriceUpdateReport, frame_to_rows, save_rows

log = logging.getLogger(__name__)
REQUIRED = ("Date", "Close")
COLUMNS = ("Date", "Open", "High", "Low", "Close", "Adj Close", "Volume")
BUNDLED_DIR = Path(__file__).resolve().parent / "data" / "prices"


class PriceSourceError(ValueError):
    """A price source the user named cannot be used (missing folder, unreadable file)."""


def file_name(ticker: str) -> str:
    """`^GSPC` -> `IDX_GSPC.csv`, `NVDA` -> `NVDA.csv`."""
    return f"IDX_{ticker[1:]}.csv" if ticker.startswith("^") else f"{ticker}.csv"


def ticker_of(path: Path) -> str:
    """Inverse of `file_name`."""
    stem = path.name[: -len(".csv")]
    return "^" + stem[4:] if stem.startswith("IDX_") else stem


def load_prices_csv(
    sessions: sessionmaker[Session], directory: Path, tickers: Iterable[str] | None = None
) -> PriceUpdateReport:
    """Load `<directory>/<TICKER>.csv` files (all of them when `tickers` is None)."""
    import pandas as pd

    directory = Path(directory)
    if not directory.is_dir():
        raise PriceSourceError(f"no such folder: {directory}")
    report = PriceUpdateReport()
    if tickers is None:
        paths = sorted(directory.glob("*.csv"))
        if not paths:
            raise PriceSourceError(f"no .csv price files in {directory}")
    else:
        paths = []
        for t in tickers:
            p = directory / file_name(t)
            if p.is_file():
                paths.append(p)
            else:
                report.failed[t] = f"no file {p.name} in {directory}"
    for path in paths:
        ticker = ticker_of(path)
        try:
            frame = pd.read_csv(path)
        except (OSError, ValueError, pd.errors.ParserError) as e:
            report.failed[ticker] = f"cannot read {path.name}: {e}"
            continue
        missing = [c for c in REQUIRED if c not in frame.columns]
        if missing:
            report.failed[ticker] = f"{path.name}: missing column(s) {', '.join(missing)}"
            continue
        if frame.empty:
            report.failed[ticker] = f"{path.name} has no rows"
            continue
        rows, dropped = frame_to_rows(ticker, frame, f"csv:{path.name}")
        if not rows:
            report.failed[ticker] = f"{path.name}: no valid rows"
            continue
        report.rows[ticker] = save_rows(sessions, instrument_for(ticker), rows)
        if dropped:
            report.notes[ticker] = f"{dropped} invalid row(s) skipped"
            log.warning("%s: %d invalid row(s) skipped", path.name, dropped)
    return report
