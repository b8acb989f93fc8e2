"""Event study on the real bundled prices, checked against an independent computation.

The independent computation reads the raw CSV rows with the csv module and fits the market model
with numpy.polyfit over offsets [-120, -11] (clipped to the first return): no code of market/ is
used for it.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import math

import numpy as np
import pytest
from sqlalchemy import func, select

from db.models import Article, Entity, Exposure, Mention, Reaction, Stance, Theme
from db.reactions import cross_sectional
from market.csv_prices import file_name
from market.events import MIN_ESTIMATION_SESSIONS, ReasonKind
from market.react import react
from market.yahoo import load_prices_csv
from tests.conftest import PRICES_DIR

UTC = dt.UTC
TICKERS = ["NVDA", "SMH", "QQQ", "AVGO", "9984.T", "SPY", "^GSPC"]
_ids = itertools.count(1)


def _csv_returns(ticker: str) -> tuple[list[str], list[float]]:
    with (PRICES_DIR / file_name(ticker)).open(newline="") as f:
        rows = list(csv.DictReader(f))
    use_adj = all(r["Adj Close"] for r in rows)
    prices = [float(r["Adj Close"] if use_adj else r["Close"]) for r in rows]
    returns = [float("nan")] + [prices[k] / prices[k - 1] - 1 for k in range(1, len(prices))]
    return [r["Date"] for r in rows], returns


def independent(stock: str, bench: str, day: str) -> dict[str, float]:
    """Day-0 AR, sigma and t from the raw CSV rows (both on the same trading dates)."""
    dates, rs = _csv_returns(stock)
    bdates, rb = _csv_returns(bench)
    assert dates == bdates
    i = dates.index(day)
    est = range(max(1, i - 120), i - 10)
    y = np.array([rs[k] for k in est])
    x = np.array([rb[k] for k in est])
    beta, alpha = np.polyfit(x, y, 1)
    resid = y - alpha - beta * x
    sigma = float(np.sqrt((resid**2).sum() / (len(y) - 2)))
    ar = rs[i] - alpha - beta * rb[i]
    return {"ar": ar, "sigma": sigma, "t": ar / sigma, "n": len(y), "raw": rs[i]}


def independent_windows(
    stock: str, bench: str, day: str
) -> dict[tuple[int, int], dict[str, float]]:
    """Every stored window from the raw CSV rows: CAR (sum of the market-model ARs over the
    window), raw return (compounded) and t = CAR / (sigma * sqrt(L)), L the window's sessions."""
    dates, rs = _csv_returns(stock)
    bdates, rb = _csv_returns(bench)
    assert dates == bdates
    i = dates.index(day)
    est = range(max(1, i - 120), i - 10)
    beta, alpha = np.polyfit([rb[k] for k in est], [rs[k] for k in est], 1)
    resid = [rs[k] - alpha - beta * rb[k] for k in est]
    sigma = math.sqrt(sum(e * e for e in resid) / (len(resid) - 2))
    out = {}
    for ws, we in [(0, 0), (0, 1), (-1, 1), (0, 5)]:
        days = range(i + ws, i + we + 1)
        car = sum(rs[k] - alpha - beta * rb[k] for k in days)
        raw = math.prod(1 + rs[k] for k in days) - 1
        out[(ws, we)] = {"car": car, "raw": raw, "t": car / (sigma * math.sqrt(len(days)))}
    return out


@pytest.fixture
def loaded(sessions):  # type: ignore[no-untyped-def]
    report = load_prices_csv(sessions, PRICES_DIR, TICKERS)
    assert not report.failed
    return sessions


def _entity(s, key: str, name: str, ticker: str | None = None, parent=None) -> Entity:  # type: ignore[no-untyped-def]
    e = Entity(key=key, name=name, type="company", ticker=ticker, parent=parent)
    s.add(e)
    s.flush()
    return e


def _article(s, when: dt.datetime | None, precision: str = "exact", entities=(), themes=()) -> int:  # type: ignore[no-untyped-def]
    n = next(_ids)
    a = Article(
        url=f"https://news.example/{n}",
        title=f"story {n}",
        content_hash=f"h{n}",
        status="analysed",
        published_at=when,
        published_precision=precision,
    )
    s.add(a)
    s.flush()
    for ent, salience, *stance in entities:
        s.add(
            Mention(article_id=a.id, entity_id=ent.id, count=1, first_offset=0, salience=salience)
        )
        if stance:
            s.add(
                Stance(
                    article_id=a.id,
                    entity_id=ent.id,
                    score=float(stance[0]),
                    label=stance[0],
                    confidence=0.9,
                )
            )
    for theme, score in themes:
        s.add(Theme(article_id=a.id, theme=theme, score=score))
    s.flush()
    return a.id


def _rows(sessions, article_id: int, ticker: str) -> dict[tuple[int, int], Reaction]:  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        rows = s.scalars(
            select(Reaction).where(Reaction.article_id == article_id, Reaction.ticker == ticker)
        )
        return {(r.window_start, r.window_end): r for r in rows}


def test_nvda_deepseek_day_against_smh_and_qqq(loaded) -> None:  # type: ignore[no-untyped-def]
    with loaded.begin() as s:
        nvidia = _entity(s, "nvidia", "Nvidia", "NVDA")
        # Saturday 25 January 2025, 15:00 UTC: the next NYSE session is Monday the 27th.
        aid = _article(s, dt.datetime(2025, 1, 25, 15, tzinfo=UTC), entities=[(nvidia, 0.9)])
    summary = react(loaded, theme_baskets={})
    assert summary.computed == 1 and summary.pending == {}
    rows = _rows(loaded, aid, "NVDA")
    assert set(rows) == {(0, 0), (0, 1), (-1, 1), (0, 5)}
    day0 = rows[(0, 0)]
    assert day0.event_date == dt.date(2025, 1, 27)
    assert day0.raw_return == pytest.approx(118.42 / 142.62 - 1, abs=2e-5)  # -16.97%
    want = independent("NVDA", "SMH", "2025-01-27")
    assert day0.benchmark == "SMH" and day0.model == "market_model"
    assert day0.abnormal_return == pytest.approx(want["ar"], rel=1e-9)
    assert day0.sigma == pytest.approx(want["sigma"], rel=1e-9)
    assert day0.t_stat == pytest.approx(want["t"], rel=1e-9)
    assert day0.estimation_sessions == want["n"] >= MIN_ESTIMATION_SESSIONS
    assert (day0.estimation_start, day0.estimation_end) == (-98, -11)
    assert day0.estimation_start_date == dt.date(2024, 9, 4)
    assert day0.estimation_end_date == dt.date(2025, 1, 8)
    assert (day0.link_type, day0.via, day0.link_weight) == ("direct", "Nvidia", 0.9)
    assert all(r.abnormal_return == day0.abnormal_return for r in rows.values())
    assert rows[(0, 0)].car == day0.abnormal_return

    again = react(loaded, theme_baskets={}, benchmark_overrides={"NVDA": "QQQ"}, recompute=True)
    assert again.computed == 1
    vs_qqq = _rows(loaded, aid, "NVDA")[(0, 0)]
    want_q = independent("NVDA", "QQQ", "2025-01-27")
    assert vs_qqq.benchmark == "QQQ"
    assert vs_qqq.abnormal_return == pytest.approx(want_q["ar"], rel=1e-9)
    # Nvidia is about a fifth of SMH: against its own sector ETF the abnormal drop is smaller.
    assert want_q["ar"] < want["ar"] < -0.05

    # Idempotent: a third run finds nothing to do and stores nothing twice.
    third = react(loaded, theme_baskets={})
    assert third.computed == 0 and third.skipped_reasons == {"already computed": 1}
    with loaded.begin() as s:
        assert s.scalar(select(func.count()).select_from(Reaction)) == 4


@pytest.mark.parametrize(
    ("ticker", "key", "when"),
    [
        ("NVDA", "nvidia", dt.datetime(2025, 1, 25, 15, tzinfo=UTC)),  # DeepSeek Monday
        ("AVGO", "broadcom", dt.datetime(2025, 3, 7, 14, tzinfo=UTC)),  # after its results
    ],
)
def test_every_window_against_the_raw_csv(loaded, ticker, key, when) -> None:  # type: ignore[no-untyped-def]
    """CAR, raw return and t of every window, not only day 0, from an independent computation."""
    with loaded.begin() as s:
        ent = _entity(s, key, key.title(), ticker)
        aid = _article(s, when, entities=[(ent, 0.9)])
    assert react(loaded, theme_baskets={}).computed == 1
    rows = _rows(loaded, aid, ticker)
    day0 = rows[(0, 0)]
    want = independent_windows(ticker, day0.benchmark, day0.event_date.isoformat())
    assert set(rows) == set(want)
    for window, w in want.items():
        got = rows[window]
        assert got.car == pytest.approx(w["car"], rel=1e-9, abs=1e-12), window
        assert got.raw_return == pytest.approx(w["raw"], rel=1e-9, abs=1e-12), window
        assert got.t_stat == pytest.approx(w["t"], rel=1e-9), window
    # the multi-day windows really differ from day 0 (so a mean or a plain sum would show)
    assert abs(rows[(0, 5)].car - day0.car) > 1e-3
    assert abs(rows[(0, 5)].raw_return - sum(_csv_window_returns(ticker, day0, 0, 5))) > 1e-5


def _csv_window_returns(ticker: str, day0, ws: int, we: int) -> list[float]:  # type: ignore[no-untyped-def]
    dates, rs = _csv_returns(ticker)
    i = dates.index(day0.event_date.isoformat())
    return [rs[k] for k in range(i + ws, i + we + 1)]


def test_softbank_on_the_tokyo_calendar(loaded) -> None:  # type: ignore[no-untyped-def]
    with loaded.begin() as s:
        softbank = _entity(s, "softbank", "SoftBank Group", "9984.T")
        nvidia = _entity(s, "nvidia", "Nvidia", "NVDA")
        # 10:00 in Tokyo on Monday 27 January: that Tokyo session (-8.32% close to close).
        morning = _article(s, dt.datetime(2025, 1, 27, 1, tzinfo=UTC), entities=[(softbank, 0.8)])
        # 16:00 in Tokyo (after the 15:30 close) but 02:00 in New York: Tokyo's next session is
        # the 28th while New York's is still the 27th.
        evening = _article(
            s, dt.datetime(2025, 1, 27, 7, tzinfo=UTC), entities=[(softbank, 0.8), (nvidia, 0.5)]
        )
    summary = react(loaded, theme_baskets={})
    # The default benchmark is the local index ^N225, which the bundled data does not have.
    assert "^N225" in summary.pending[morning]
    assert not _rows(loaded, morning, "9984.T")
    assert _rows(loaded, evening, "NVDA")[(0, 0)].event_date == dt.date(2025, 1, 27)

    react(loaded, theme_baskets={}, benchmark_overrides={"9984.T": "QQQ"})
    day0 = _rows(loaded, morning, "9984.T")[(0, 0)]
    assert day0.event_date == dt.date(2025, 1, 27)
    assert day0.raw_return == pytest.approx(-0.0832, abs=5e-5)
    assert _rows(loaded, evening, "9984.T")[(0, 0)].event_date == dt.date(2025, 1, 28)


def test_bad_input_is_reported_and_nothing_wrong_is_stored(loaded, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # An unadjusted 2-for-1 split: NVDA's rows with prices halved from 2025-03-03 on.
    with (PRICES_DIR / "NVDA.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    with (tmp_path / "SPLT.csv").open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        for r in rows:
            k = 0.5 if r["Date"] >= "2025-03-03" else 1.0
            w.writerow({**r, "Close": float(r["Close"]) * k, "Adj Close": ""})
    load_prices_csv(loaded, tmp_path, ["SPLT"])
    with loaded.begin() as s:
        s.execute(Reaction.__table__.delete())
        from db.models import Price

        s.execute(
            Price.__table__.delete().where(
                Price.ticker == "NVDA", Price.date == dt.date(2025, 3, 10)
            )
        )
        s.execute(
            Price.__table__.delete().where(Price.ticker == "SMH", Price.date == dt.date(2025, 2, 3))
        )
        nvidia = _entity(s, "nvidia", "Nvidia", "NVDA")
        avgo = _entity(s, "broadcom", "Broadcom", "AVGO")
        unknown = _entity(s, "zzz", "Zed Corp", "ZZZZ")
        splt = _entity(s, "splt", "Split Co", "SPLT")
        day = "day"
        gap = _article(s, dt.datetime(2025, 3, 10, tzinfo=UTC), day, [(nvidia, 0.9)])
        bench_gap = _article(s, dt.datetime(2025, 2, 3, tzinfo=UTC), day, [(avgo, 0.9)])
        unknown_t = _article(
            s, dt.datetime(2025, 2, 6, tzinfo=UTC), day, [(unknown, 0.9), (avgo, 0.7)]
        )
        future = _article(s, dt.datetime(2025, 8, 15, tzinfo=UTC), day, [(nvidia, 0.9)])
        edge = _article(s, dt.datetime(2025, 6, 27, tzinfo=UTC), day, [(nvidia, 0.9)])
        month = _article(s, dt.datetime(2025, 2, 1, tzinfo=UTC), "month", [(nvidia, 0.9)])
        split = _article(s, dt.datetime(2025, 3, 3, tzinfo=UTC), day, [(splt, 0.9)])
        no_date = _article(s, None, "unknown", [(nvidia, 0.9)])
    summary = react(loaded, theme_baskets={}, benchmark_overrides={"SPLT": "QQQ"})

    assert "gap" in summary.pending[gap] and not _rows(loaded, gap, "NVDA")
    assert "benchmark SMH has no close on 2025-02-03" in summary.pending[bench_gap]
    assert not _rows(loaded, bench_gap, "AVGO")
    assert "no prices for ZZZZ" in summary.pending[unknown_t]
    assert len(_rows(loaded, unknown_t, "AVGO")) == 4  # the rest goes on
    assert "no price yet for 2025-08-15" in summary.pending[future]
    assert set(_rows(loaded, edge, "NVDA")) == {(0, 0), (0, 1), (-1, 1)}  # up to 30 June
    assert "waits for prices" in summary.pending[edge]
    assert "split" in summary.pending[split] and not _rows(loaded, split, "SPLT")
    assert month not in summary.pending and no_date not in summary.pending
    # The same reasons, structured: kinds, and the tickers that have no price at all.
    kinds = {aid: {r.kind for r in whys} for aid, whys in summary.reasons.items()}
    assert kinds[gap] == {ReasonKind.GAP} and kinds[bench_gap] == {ReasonKind.GAP}
    assert kinds[unknown_t] == {ReasonKind.NO_PRICES}
    assert kinds[future] == {ReasonKind.NO_PRICE_YET}
    assert kinds[edge] == {ReasonKind.WINDOW_WAITS} and kinds[split] == {ReasonKind.SPLIT}
    assert summary.missing_prices == {"ZZZZ"}
    assert summary.problems[ReasonKind.GAP] == 2
    assert summary.skipped_reasons == {
        "date known only to the month or unknown: no day-0 reaction": 2
    }
    with loaded.begin() as s:
        tickers = set(s.scalars(select(Reaction.ticker).distinct()))
        day0 = s.scalar(
            select(Reaction).where(Reaction.article_id == edge, Reaction.window_end == 0)
        )
    assert tickers == {"AVGO", "NVDA"}
    assert day0.time_note == "time unknown" and day0.event_date == dt.date(2025, 6, 27)


def test_links_and_aggregates(loaded) -> None:  # type: ignore[no-untyped-def]
    baskets = {"cheaper_training": ["NVDA", "AVGO", "SMH"]}
    with loaded.begin() as s:
        nvidia = _entity(s, "nvidia", "Nvidia", "NVDA")
        openai = _entity(s, "openai", "OpenAI")
        chatgpt = _entity(s, "chatgpt", "ChatGPT", parent=openai)
        s.add(Exposure(entity_id=openai.id, ticker="QQQ", relation="investor", weight=0.5))
        s.add(Exposure(entity_id=openai.id, ticker="SPY", relation="partner", weight=0.2))
        days = [dt.datetime(2025, 1, d, 15, tzinfo=UTC) for d in (27, 28, 29)]
        ids = [
            _article(
                s,
                days[0],
                entities=[(nvidia, 0.9, -1), (chatgpt, 0.4)],
                themes=[("cheaper_training", 0.8)],
            ),
            _article(s, days[1], entities=[(nvidia, 0.6, 1)]),
            _article(s, days[2], entities=[(nvidia, 0.7, -1)], themes=[("cheaper_training", 0.3)]),
        ]
    summary = react(loaded, theme_baskets=baskets)
    assert summary.pending == {}
    first = {t: _rows(loaded, ids[0], t)[(0, 1)] for t in ("NVDA", "AVGO", "SMH", "QQQ", "SPY")}
    assert (first["NVDA"].link_type, first["NVDA"].via) == ("direct", "Nvidia")
    assert (first["AVGO"].link_type, first["AVGO"].via, first["AVGO"].link_weight) == (
        "theme",
        "cheaper_training",
        0.8,
    )
    assert (first["QQQ"].link_type, first["QQQ"].via) == ("exposure", "OpenAI")
    assert first["QQQ"].link_weight == pytest.approx(0.4 * 0.5)
    assert not _rows(loaded, ids[2], "AVGO")  # theme score 0.3 is below the threshold

    with loaded.begin() as s:
        nv_cars = [
            r.car
            for r in s.scalars(
                select(Reaction).where(
                    Reaction.ticker == "NVDA", Reaction.window_start == 0, Reaction.window_end == 1
                )
            )
        ]
        theme_rows = s.scalar(
            select(func.count())
            .select_from(Reaction)
            .where(Reaction.link_type == "theme", Reaction.via == "cheaper_training")
        )
    assert theme_rows == 4 * 2  # AVGO and SMH for article 1, in its four windows
    nvidia_car = cross_sectional("Nvidia", nv_cars)
    mean = sum(nv_cars) / 3
    sd = float(np.std(nv_cars, ddof=1))
    assert nvidia_car.n == 3
    assert nvidia_car.mean_car == pytest.approx(mean)
    assert nvidia_car.t_stat == pytest.approx(mean / (sd / np.sqrt(3)))
    assert cross_sectional("1", [0.02]).t_stat is None  # one value: no dispersion
    assert cross_sectional("x", [0.01, 0.03]).t_stat == pytest.approx(2.0)


def test_react_summary_reads_its_structured_reasons() -> None:
    from market.events import Reason
    from market.react import ReactSummary

    gap = Reason(ReasonKind.GAP, "NVDA: no close on 2025-02-03 or the session before (gap)")
    none = Reason(ReasonKind.NO_PRICES, "no prices for INTC or SMH", ("INTC", "SMH"))
    waits = Reason(ReasonKind.NO_PRICE_YET, "AVGO: no price yet for 2025-08-15 (last 2025-06-30)")
    summary = ReactSummary(reasons={1: [gap, none], 2: [waits], 3: [none]})
    assert summary.pending[1] == f"{gap}; {none}" and summary.pending[2] == str(waits)
    assert summary.missing_prices == {"INTC", "SMH"}
    assert summary.problems == {"gap": 1, "no prices": 2, "no price yet": 1}
