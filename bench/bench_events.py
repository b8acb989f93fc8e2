"""Event study speed: 10,000 (article, ticker) pairs, vectorised vs a naive per-pair loop.

    python bench/bench_events.py [--pairs 10000] [--naive-sample 2000] [--repeat 3] [--no-react]

On the real bundled prices (market/data/prices, US tickers, 206 sessions):
1. `market.events.event_study` on `--pairs` random (ticker, day 0) events: one vectorised call.
2. The baseline, measured in the same run: a naive loop that, per pair, slices pandas Series,
   fits the market model with numpy.polyfit and sums the windows (what one writes first). It runs
   on `--naive-sample` pairs and is scaled to `--pairs` (linear: each pair costs the same). Both
   sides get one warm-up call and `--repeat` timed calls. The script fails (exit 1) unless both
   give the same day-0 abnormal returns (to 1e-9) on at least 90% of the naive loop's pairs.
3. Unless `--no-react`: `market.events.react` end to end on a temporary SQLite database holding
   the prices and `--pairs / 4` articles linked to 4 tickers each (links, sessions, study, saves).
Results are appended to bench/results/events.jsonl.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.harness import Timing, measure, print_table, save_results  # noqa: E402

PRICES = REPO / "market" / "data" / "prices"
STOCKS = ["NVDA", "MSFT", "GOOGL", "META", "AMZN", "AAPL", "AVGO", "TSM", "ASML", "ORCL",
          "AMD", "SMCI", "ARM", "BABA", "BIDU", "CEG", "VST"]  # fmt: skip
BENCHES = ["SMH", "QQQ", "SPY"]
AR_TOLERANCE = 1e-9  # both sides fit the same OLS in float64: they agree to rounding


def _panel():  # type: ignore[no-untyped-def]
    import pandas as pd

    from market.calendar import trading_sessions
    from market.csv_prices import file_name
    from market.events import price_panel

    rows = []
    for t in STOCKS + BENCHES:
        f = pd.read_csv(PRICES / file_name(t))
        adj = f["Adj Close"] if f["Adj Close"].notna().all() else [None] * len(f)
        for d, c, a in zip(f["Date"], f["Close"], adj, strict=True):
            rows.append((t, dt.date.fromisoformat(d), float(c), a))
    sessions = trading_sessions("XNYS", dt.date(2024, 9, 3), dt.date(2025, 6, 30))
    return price_panel(rows, sessions)


def _events(panel, n: int, seed: int):  # type: ignore[no-untyped-def]
    from market.events import Event
    from market.instruments import benchmark_for

    rng = random.Random(seed)
    days = [d.date() for d in panel.index[1:]]
    return [
        Event(i, t, benchmark_for(t) or "SPY", rng.choice(days))
        for i, t in enumerate(rng.choice(STOCKS) for _ in range(n))
    ]


def naive(panel, events) -> dict[int, float]:  # type: ignore[no-untyped-def]
    """Per pair: slice, fit, sum. Same definitions as market.events (offsets in sessions)."""
    import numpy as np

    out: dict[int, float] = {}
    returns = panel.pct_change(fill_method=None)
    for ev in events:
        r = returns[ev.ticker]
        m = returns[ev.benchmark]
        p = r.index.get_loc(np.datetime64(ev.day0, "ns"))
        lo, hi = max(0, p - 120), max(0, p - 10)
        y = r.iloc[lo:hi]
        x = m.iloc[lo:hi]
        ok = y.notna() & x.notna()
        if ok.sum() >= 60:
            beta, alpha = np.polyfit(x[ok], y[ok], 1)
        else:
            alpha, beta = 0.0, 1.0
        ar = r.iloc[max(0, p - 1) : p + 6] - alpha - beta * m.iloc[max(0, p - 1) : p + 6]
        day0 = float(ar.loc[r.index[p]])
        if not np.isnan(day0):
            out[ev.key] = day0
            _ = [ar.iloc[a:b].sum() for a, b in ((1, 2), (1, 3), (0, 3), (1, 7))]
    return out


def _react_db(n_articles: int, seed: int) -> tuple[str, Path]:
    from sqlalchemy.orm import Session

    from db.engine import make_engine, make_sessionmaker
    from db.migrations import upgrade
    from db.models import Article, Entity, Mention
    from market.yahoo import load_prices_csv

    folder = Path(tempfile.mkdtemp(prefix="airace-bench-events-"))
    url = f"sqlite:///{folder / 'events.db'}"
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    load_prices_csv(sessions, PRICES, STOCKS + BENCHES + ["^GSPC"])
    rng = random.Random(seed)
    start = dt.datetime(2024, 9, 20, tzinfo=dt.UTC)
    span = (dt.datetime(2025, 6, 30, tzinfo=dt.UTC) - start).total_seconds()
    with Session(engine) as s, s.begin():
        ents = [Entity(key=t.lower(), name=t, type="company", ticker=t) for t in STOCKS]
        s.add_all(ents)
        s.flush()
        articles = [
            Article(url=f"https://bench.example/{i}", title="t", content_hash=str(i),
                    status="analysed", published_precision="exact",
                    published_at=start + dt.timedelta(seconds=rng.random() * span))
            for i in range(n_articles)
        ]  # fmt: skip
        s.add_all(articles)
        s.flush()
        s.add_all(
            Mention(article_id=a.id, entity_id=e.id, count=1, first_offset=0, salience=0.5)
            for a in articles
            for e in rng.sample(ents, 4)
        )
    engine.dispose()
    return url, folder


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=10_000)
    ap.add_argument("--naive-sample", type=int, default=2_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-react", action="store_true")
    args = ap.parse_args(argv)

    from market.events import event_study

    panel, last, splits = _panel()
    events = _events(panel, args.pairs, args.seed)
    sample = events[: min(args.naive_sample, len(events))]

    holder: dict[str, object] = {}

    def vectorised() -> None:
        holder["v"] = event_study(panel, events, last_dates=last, splits=splits)

    def loop() -> None:
        holder["n"] = naive(panel, sample)

    # Both sides get the same warm-up and the same repeats, so neither pays a cold start alone.
    fast = measure(vectorised, args.repeat, name=f"event_study, {len(events)} pairs", warmup=1)
    slow = measure(loop, args.repeat, name=f"naive loop, {len(sample)} pairs", warmup=1)
    scale = len(events) / len(sample)
    base = Timing(f"naive loop, scaled to {len(events)} pairs", [t * scale for t in slow.samples])

    result = holder["v"]
    got = {r["key"]: r["abnormal_return"] for r in result.rows if r["window_end"] == 0}  # type: ignore[attr-defined]
    ref = holder["n"]
    common = set(got) & set(ref)  # type: ignore[arg-type]
    worst = max((abs(got[k] - ref[k]) for k in common), default=0.0)  # type: ignore[index]
    # The speed-up only means something if both compute the same thing: check it, don't print it.
    if len(common) < 0.9 * len(ref) or worst > AR_TOLERANCE:  # type: ignore[arg-type]
        raise SystemExit(
            f"bench_events: the vectorised and naive day-0 ARs disagree ({len(common)} of "
            f"{len(ref)} pairs in common, max |diff| {worst:.1e} > {AR_TOLERANCE:.0e})"  # type: ignore[arg-type]
        )
    fast.extra = {"rows": len(result.rows), "max |AR diff| vs naive": f"{worst:.1e}"}  # type: ignore[attr-defined]
    timings = [base, slow, fast] if scale != 1 else [slow, fast]
    base = base if scale != 1 else slow

    if not args.no_react:
        from db.engine import make_engine, make_sessionmaker
        from market.react import react

        url, folder = _react_db(args.pairs // 4, args.seed)
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        t0 = time.perf_counter()
        summary = react(sessions, theme_baskets={})
        elapsed = time.perf_counter() - t0
        engine.dispose()
        shutil.rmtree(folder, ignore_errors=True)
        timings.append(
            Timing(
                f"react end to end, {args.pairs // 4} articles x 4 tickers (SQLite)",
                [elapsed],
                extra={"rows": summary.rows, "pairs": summary.computed},
            )
        )
    print_table(timings, baseline=base, title="Event study (x baseline: time / naive loop time)")
    print(f"speed-up of event_study over the naive loop: {base.median / fast.median:.0f}x")
    save_results("events", timings, baseline=base, params=vars(args))


if __name__ == "__main__":
    main()
