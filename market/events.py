"""Event study of each (article, ticker): market-model abnormal returns around day 0.

Definitions (offsets are sessions of the ticker's exchange calendar, day 0 from market.calendar):

- Prices: the dividend-adjusted close (`adj_close`) when every stored row of the ticker has one,
  else `close` (split-adjusted as Yahoo serves it). Daily simple returns R_t = P_t / P_{t-1} - 1
  over *calendar* sessions: a missing session (a gap) makes that day's and the next day's return
  missing, so gaps never stretch one return over two sessions.
- Benchmark returns Rm_t are taken on the same sessions (benchmark per ticker: market.instruments).
- Estimation window: offsets [-120, -11]. With at least `MIN_ESTIMATION_SESSIONS` (60) valid
  returns there, the **market model** is fitted by OLS: AR_t = R_t - (alpha + beta Rm_t), sigma =
  residual standard deviation (n - 2 degrees of freedom). A shorter window is used as is when the
  history is short: the bundled prices start 2024-09-03, so for day 0 = 2025-01-27 the window is
  offsets [-98, -11], 88 returns. Below 60 it falls back to the **market-adjusted** model: AR_t = R_t - Rm_t (alpha 0,
  beta 1), sigma from the same window when it has at least 20 returns, else no t-statistic.
  The row records `model`, the window used as offsets and dates, and its number of sessions.
- Windows (0,0), (0,1), (-1,1), (0,5): CAR = sum of AR_t over the window; raw_return = compounded
  raw return over the window; t_stat = CAR / (sigma * sqrt(L)) with L sessions (the usual
  approximation that ignores the estimation error of alpha and beta). `abnormal_return` is AR_0.
- A window is stored only when every return in it exists. Day 0 after the last stored price, or a
  window reaching past it, leaves the pair pending for a later run; a gap, a benchmark missing a
  date or a suspected unadjusted split gives a reason and no row. A split is suspected when a daily
  price ratio is within 15% of 1/k or k for an integer k >= 2 (the split plus that day's move): a
  real fall of more than ~42% (or a rise of more than ~70%) in one day is also left out, reported.

`event_study` is vectorised with numpy over all events of a calendar (a 2-D gather of the
estimation and event windows, masked OLS in closed form); market/react.py stores the result.
Left-out events get a structured `Reason` (kind, message, tickers without prices).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

WINDOWS: tuple[tuple[int, int], ...] = ((0, 0), (0, 1), (-1, 1), (0, 5))
ESTIMATION: tuple[int, int] = (-120, -11)
MIN_ESTIMATION_SESSIONS = 60
MIN_SIGMA_SESSIONS = 20
SPLIT_TOLERANCE = 0.15
MARKET_MODEL = "market_model"
MARKET_ADJUSTED = "market_adjusted"
VERSION = 1


class ReasonKind(StrEnum):
    """Why an (article, ticker) pair got no reaction row (yet)."""

    NO_PRICES = "no prices"  # the ticker or its benchmark has no stored price at all
    NO_BENCHMARK = "no benchmark"
    NO_PRICE_YET = "no price yet"  # day 0 after the last stored price: waits
    WINDOW_WAITS = "window waits"  # a window reaches past the last stored price: waits
    OUTSIDE_SESSIONS = "outside the stored sessions"
    FIRST_SESSION = "first stored session"
    SPLIT = "suspected split"
    GAP = "gap"
    NO_DAY0 = "no day 0"  # no trading session could be matched to the publication time
    NO_ABNORMAL_RETURN = "no abnormal return"


@dataclass(frozen=True)
class Reason:
    """One reason, with the tickers it is about; `missing` names those without any price."""

    kind: ReasonKind
    message: str
    missing: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Event:
    """One (article, ticker) to study: day 0 and the benchmark."""

    key: Any  # the caller's id, e.g. (article_id, ticker)
    ticker: str
    benchmark: str
    day0: dt.date


@dataclass
class StudyResult:
    """Rows (one dict per event and window) and reasons for events or windows left out."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    reasons: dict[Any, Reason] = field(default_factory=dict)
    # Events whose day 0 or windows are after the last stored price: try again later.
    waiting: set[Any] = field(default_factory=set)


def price_panel(
    rows: Sequence[tuple[str, dt.date, float, float | None]], sessions: Sequence[dt.date]
) -> tuple[pd.DataFrame, dict[str, dt.date], set[tuple[str, dt.date]]]:
    """Wide frame of prices (sessions x tickers), the last stored date per ticker, split days.

    `rows` are (ticker, date, close, adj_close). Dates that are not sessions are dropped.
    """
    import numpy as np
    import pandas as pd

    frame = pd.DataFrame(rows, columns=["ticker", "date", "close", "adj_close"])
    index = pd.DatetimeIndex(pd.to_datetime(list(sessions)))
    if frame.empty:
        return pd.DataFrame(index=index), {}, set()
    frame["date"] = pd.to_datetime(frame["date"])
    has_adj = frame.groupby("ticker")["adj_close"].apply(lambda s: bool(s.notna().all()))
    use_adj = frame["ticker"].map(has_adj).astype(bool)
    frame["price"] = np.where(use_adj, frame["adj_close"], frame["close"]).astype(float)
    frame.loc[~(frame["price"] > 0), "price"] = np.nan
    wide = frame.pivot_table(index="date", columns="ticker", values="price", aggfunc="last")
    last = {str(t): d.date() for t, d in frame.groupby("ticker")["date"].max().items()}
    wide = wide.reindex(index)
    ratio = (wide / wide.shift(1)).to_numpy()
    split = np.zeros_like(ratio, dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        for r in (ratio, 1.0 / ratio):
            k = np.round(r)
            split |= (k >= 2) & (np.abs(r / k - 1.0) <= SPLIT_TOLERANCE)
    splits = {
        (str(wide.columns[j]), wide.index[i].date())
        for i, j in zip(*np.nonzero(split), strict=True)
    }
    return wide, last, splits


def event_study(
    prices: pd.DataFrame,
    events: Sequence[Event],
    *,
    last_dates: Mapping[str, dt.date] | None = None,
    splits: set[tuple[str, dt.date]] | None = None,
    windows: Sequence[tuple[int, int]] = WINDOWS,
    estimation: tuple[int, int] = ESTIMATION,
    min_estimation: int = MIN_ESTIMATION_SESSIONS,
) -> StudyResult:
    """Abnormal returns of `events` on one calendar. `prices` is sessions x tickers (price_panel).

    Returns one row dict per (event, complete window) with the reactions-table fields that do not
    depend on the article (`key`, ticker, window, event_date, raw_return, abnormal_return, car,
    t_stat, benchmark, model, alpha, beta, sigma, estimation_*), and a reason per left-out event.
    """
    import numpy as np

    result = StudyResult()
    if not events:
        return result
    last_dates = dict(last_dates or {})
    splits = splits or set()
    n_sessions = len(prices.index)
    sess = prices.index.values.astype("datetime64[D]")
    sess_dates: list[dt.date] = [d.date() for d in prices.index]
    values = prices.to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        returns = values[1:] / values[:-1] - 1.0
    returns = np.vstack([np.full((1, values.shape[1]), np.nan), returns])
    col = {str(t): j for j, t in enumerate(prices.columns)}
    for t, d in splits:
        i = int(np.searchsorted(sess, np.datetime64(d, "D")))
        if t in col and i < n_sessions and sess_dates[i] == d:
            returns[i, col[t]] = np.nan

    # Place every event on the session axis (vectorised); explain the ones that cannot be.
    cs_all = np.array([col.get(e.ticker, -1) for e in events])
    cb_all = np.array([col.get(e.benchmark, -1) for e in events])
    day0_all = np.array([np.datetime64(e.day0, "D") for e in events])
    last_t = np.array([np.datetime64(last_dates.get(e.ticker, dt.date.max), "D") for e in events])
    last_b = np.array(
        [np.datetime64(last_dates.get(e.benchmark, dt.date.max), "D") for e in events]
    )
    pos_all = np.searchsorted(sess, day0_all)
    on_session = (pos_all < n_sessions) & (sess[np.minimum(pos_all, n_sessions - 1)] == day0_all)
    placed = (cs_all >= 0) & (cb_all >= 0) & (day0_all <= last_t) & (day0_all <= last_b)
    placed &= on_session & (pos_all >= 1)
    for k in np.flatnonzero(~placed).tolist():
        ev = events[k]
        why = _unplaced_reason(
            ev,
            has_prices=bool(cs_all[k] >= 0),
            bench_has_prices=bool(cb_all[k] >= 0),
            after_last=bool(day0_all[k] > last_t[k]),
            bench_after_last=bool(day0_all[k] > last_b[k]),
            on_session=bool(on_session[k]),
            last_dates=last_dates,
        )
        if why.kind is ReasonKind.NO_PRICE_YET:
            result.waiting.add(ev.key)
        result.reasons[ev.key] = why
    ok = np.flatnonzero(placed)
    if not len(ok):
        return result
    evs = [events[k] for k in ok.tolist()]
    pos0 = pos_all[ok]
    cs = cs_all[ok]
    cb = cb_all[ok]
    horizon = np.minimum(last_t[ok], last_b[ok])

    def gather(offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        idx = pos0[:, None] + offsets[None, :]
        inside = (idx >= 0) & (idx < n_sessions)
        safe = np.clip(idx, 0, n_sessions - 1)
        y = np.where(inside, returns[safe, cs[:, None]], np.nan)
        x = np.where(inside, returns[safe, cb[:, None]], np.nan)
        return y, x, idx

    # Estimation: masked OLS in closed form, one row per event.
    est_off = np.arange(estimation[0], estimation[1] + 1)
    y, x, _ = gather(est_off)
    fit = _estimate(y, x, est_off, min_estimation)
    alpha, beta, sigma, n, use_mm = fit.alpha, fit.beta, fit.sigma, fit.n, fit.use_mm
    any_valid, est_start, est_end = fit.any_valid, fit.est_start, fit.est_end

    # Event windows.
    lo = min(w[0] for w in windows)
    hi = max(w[1] for w in windows)
    ry, rx, _ = gather(np.arange(lo, hi + 1))
    ar = ry - alpha[:, None] - beta[:, None] * rx
    ar0 = ar[:, -lo]
    has_day0 = ~np.isnan(ar0)
    per_window = []
    for ws, we in windows:
        a, b = ws - lo, we - lo + 1
        seg = ar[:, a:b]
        complete = has_day0 & ~np.isnan(seg).any(axis=1)
        end_i = pos0 + we
        waits = (end_i >= n_sessions) | (sess[np.minimum(end_i, n_sessions - 1)] > horizon)
        with np.errstate(invalid="ignore"):
            car = seg.sum(axis=1)
            raw = np.prod(1.0 + ry[:, a:b], axis=1) - 1.0
            t_stat = car / (sigma * np.sqrt(we - ws + 1))
        per_window.append(
            (ws, we, complete.tolist(), waits.tolist(), car.tolist(), raw.tolist(), t_stat.tolist())
        )

    # Rows (plain Python values).
    model = np.where(use_mm, MARKET_MODEL, MARKET_ADJUSTED).tolist()
    l_alpha, l_beta, l_sigma = alpha.tolist(), beta.tolist(), sigma.tolist()
    l_ar0, l_n, l_valid = ar0.tolist(), n.tolist(), any_valid.tolist()
    l_pos, l_es, l_ee = pos0.tolist(), est_start.tolist(), est_end.tolist()
    l_has = has_day0.tolist()
    rows = result.rows
    for i, ev in enumerate(evs):
        if not l_has[i]:
            result.reasons[ev.key] = _missing_reason(ev, ry[i, -lo], rx[i, -lo], splits)
            continue
        sig = l_sigma[i]
        valid = l_valid[i]
        base = {
            "key": ev.key,
            "ticker": ev.ticker,
            "event_date": ev.day0,
            "benchmark": ev.benchmark,
            "model": model[i],
            "alpha": l_alpha[i],
            "beta": l_beta[i],
            "sigma": None if sig != sig else sig,
            "abnormal_return": l_ar0[i],
            "estimation_start": l_es[i] if valid else None,
            "estimation_end": l_ee[i] if valid else None,
            "estimation_start_date": sess_dates[l_pos[i] + l_es[i]] if valid else None,
            "estimation_end_date": sess_dates[l_pos[i] + l_ee[i]] if valid else None,
            "estimation_sessions": l_n[i],
            "version": VERSION,
        }
        for ws, we, complete, waits, car, raw, tst in per_window:
            if not complete[i]:
                if waits[i]:
                    result.waiting.add(ev.key)
                    result.reasons.setdefault(
                        ev.key,
                        Reason(ReasonKind.WINDOW_WAITS, f"window ({ws},{we}) waits for prices"),
                    )
                else:
                    result.reasons.setdefault(
                        ev.key,
                        Reason(
                            ReasonKind.GAP,
                            f"window ({ws},{we}) has a gap in {ev.ticker} or {ev.benchmark}",
                        ),
                    )
                continue
            t = tst[i]
            rows.append(
                {
                    **base,
                    "window_start": ws,
                    "window_end": we,
                    "car": car[i],
                    "raw_return": raw[i],
                    "t_stat": None if t != t else t,
                }
            )
    return result


@dataclass(frozen=True)
class _Estimate:
    """Per-event market-model fit over the estimation window (arrays, one entry per event)."""

    alpha: Any
    beta: Any
    sigma: Any  # NaN: too few sessions for a standard deviation
    n: Any  # sessions with both returns
    use_mm: Any  # the market model (else market-adjusted: alpha 0, beta 1)
    any_valid: Any
    est_start: Any  # first and last offsets with both returns
    est_end: Any


def _estimate(y: Any, x: Any, est_off: Any, min_estimation: int) -> _Estimate:
    """Masked OLS of ticker returns `y` on benchmark returns `x` (events x sessions, NaN where
    missing), in closed form; the market-adjusted model where fewer than `min_estimation`
    sessions (or no variance of `x`) remain."""
    import numpy as np

    mask = ~(np.isnan(y) | np.isnan(x))
    n = mask.sum(axis=1)
    y0 = np.where(mask, y, 0.0)
    x0 = np.where(mask, x, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        xbar = x0.sum(1) / n
        ybar = y0.sum(1) / n
        dx = np.where(mask, x0 - xbar[:, None], 0.0)
        dy = np.where(mask, y0 - ybar[:, None], 0.0)
        sxx = (dx * dx).sum(1)
        beta_mm = (dx * dy).sum(1) / sxx
        alpha_mm = ybar - beta_mm * xbar
    use_mm = (n >= min_estimation) & (sxx > 0)
    alpha = np.where(use_mm, alpha_mm, 0.0)
    beta = np.where(use_mm, beta_mm, 1.0)
    resid = np.where(mask, y0 - alpha[:, None] - beta[:, None] * x0, 0.0)
    dof = np.where(use_mm, n - 2, n - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma = np.sqrt((resid * resid).sum(1) / dof)
    sigma = np.where(use_mm | (n >= MIN_SIGMA_SESSIONS), sigma, np.nan)
    any_valid = mask.any(axis=1)
    est_start = est_off[np.where(any_valid, mask.argmax(axis=1), 0)]
    est_end = est_off[np.where(any_valid, mask.shape[1] - 1 - mask[:, ::-1].argmax(axis=1), 0)]
    return _Estimate(alpha, beta, sigma, n, use_mm, any_valid, est_start, est_end)


def _unplaced_reason(
    ev: Event,
    *,
    has_prices: bool,
    bench_has_prices: bool,
    after_last: bool,
    bench_after_last: bool,
    on_session: bool,
    last_dates: Mapping[str, dt.date],
) -> Reason:
    """Why an event could not be placed on the session axis (checked in this order)."""
    if not has_prices:
        return Reason(ReasonKind.NO_PRICES, f"no prices for {ev.ticker}", (ev.ticker,))
    if not bench_has_prices:
        return Reason(
            ReasonKind.NO_PRICES,
            f"benchmark {ev.benchmark} of {ev.ticker} has no prices",
            (ev.benchmark,),
        )
    if after_last:
        last = last_dates[ev.ticker]
        return Reason(
            ReasonKind.NO_PRICE_YET, f"{ev.ticker}: no price yet for {ev.day0} (last {last})"
        )
    if bench_after_last:
        last = last_dates[ev.benchmark]
        return Reason(
            ReasonKind.NO_PRICE_YET,
            f"benchmark {ev.benchmark}: no price yet for {ev.day0} (last {last})",
        )
    if not on_session:
        return Reason(
            ReasonKind.OUTSIDE_SESSIONS, f"{ev.ticker}: {ev.day0} is outside the stored sessions"
        )
    return Reason(
        ReasonKind.FIRST_SESSION, f"{ev.ticker}: {ev.day0} is the first stored session (no return)"
    )


def _missing_reason(
    ev: Event, r_stock: float, r_bench: float, splits: set[tuple[str, dt.date]]
) -> Reason:
    if (ev.ticker, ev.day0) in splits:
        return Reason(
            ReasonKind.SPLIT, f"{ev.ticker}: suspected unadjusted split on {ev.day0}; not stored"
        )
    if (ev.benchmark, ev.day0) in splits:
        return Reason(
            ReasonKind.SPLIT,
            f"benchmark {ev.benchmark}: suspected unadjusted split on {ev.day0}; not stored",
        )
    if math.isnan(r_stock):
        return Reason(
            ReasonKind.GAP, f"{ev.ticker}: no close on {ev.day0} or the session before (gap)"
        )
    if math.isnan(r_bench):
        return Reason(
            ReasonKind.GAP,
            f"benchmark {ev.benchmark} has no close on {ev.day0} or the session before",
        )
    return Reason(ReasonKind.NO_ABNORMAL_RETURN, f"{ev.ticker}: no abnormal return on {ev.day0}")
