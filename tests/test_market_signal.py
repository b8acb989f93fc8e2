"""The signal study on real bundled prices: planted links are recovered, no link gives an interval
around zero, and the predictive variant does not look ahead.

The market side is real: the bundled daily bars (market/data/prices) and the real event study
(`market.events.react`). Only the stances are synthetic, written *after* the reactions so a
known rank correlation with the returns can be planted: score = tanh(rho z + sqrt(1 - rho^2) e)
with z the normal score of the return's rank, whose population Spearman correlation with the
return is (6 / pi) asin(rho / 2).
"""

from __future__ import annotations

import datetime as dt
import math
from statistics import NormalDist

import numpy as np
import pytest
from sqlalchemy import select, update

from db.models import Article, Entity, Mention, Reaction, Stance
from market.react import react
from market.signal import (
    clustered_spread,
    ic_with_interval,
    long_short,
    signal_report,
    spearman,
)
from market.yahoo import load_prices_csv
from tests.conftest import PRICES_DIR

UTC = dt.UTC
COMPANIES = [
    ("nvidia", "Nvidia", "NVDA"),
    ("amd", "AMD", "AMD"),
    ("broadcom", "Broadcom", "AVGO"),
    ("microsoft", "Microsoft", "MSFT"),
    ("meta", "Meta", "META"),
    ("apple", "Apple", "AAPL"),
    ("amazon", "Amazon", "AMZN"),
    ("oracle", "Oracle", "ORCL"),
]
TICKERS = [t for _, _, t in COMPANIES] + ["SMH", "QQQ"]
# The documented, stable field names of a row (docs/signal.md), in order.
SIGNAL_FIELDS = [
    "variant", "window", "by", "group", "n", "days", "ic", "ic_low", "ic_high", "ic_method",
    "hit_n", "hit_rate", "hit_low", "hit_high", "favourable_n", "unfavourable_n",
    "favourable_mean_car", "unfavourable_mean_car", "spread", "spread_t", "note",
]  # fmt: skip


def spearman_of_rho(rho: float) -> float:
    return 6 / math.pi * math.asin(rho / 2)


def _weekdays(start: dt.date, end: dt.date) -> list[dt.date]:
    days, d = [], start
    while d <= end:
        if d.weekday() < 5:
            days.append(d)
        d += dt.timedelta(days=1)
    return days


def _build(sessions, n: int, *, hour_utc: float, seed: int, extra=()) -> list[int]:  # type: ignore[no-untyped-def]
    """Prices, entities and `n` analysed articles (one company each) at `hour_utc` on weekdays,
    plus one Nvidia article per instant of `extra`, then the real event study. Returns the
    article ids (`extra` last)."""
    report = load_prices_csv(sessions, PRICES_DIR, TICKERS)
    assert not report.failed
    rng = np.random.default_rng(seed)
    days = _weekdays(dt.date(2024, 12, 2), dt.date(2025, 6, 18))
    with sessions.begin() as s:
        ents = []
        for key, name, ticker in COMPANIES:
            e = Entity(key=key, name=name, type="company", ticker=ticker)
            s.add(e)
            ents.append(e)
        s.flush()
        ids = []
        for i in range(n):
            day = days[int(rng.integers(len(days)))]
            when = dt.datetime.combine(day, dt.time(), tzinfo=UTC) + dt.timedelta(
                hours=hour_utc, minutes=int(rng.integers(0, 50))
            )
            a = Article(
                url=f"https://news.example/{seed}/{i}",
                title=f"report {i}",
                content_hash=f"h{seed}-{i}",
                status="analysed",
                published_at=when,
                published_precision="exact",
                language="en" if i % 2 else "fr",
            )
            s.add(a)
            s.flush()
            ent = ents[int(rng.integers(len(ents)))]
            s.add(Mention(article_id=a.id, entity_id=ent.id, count=1, first_offset=0, salience=1.0))
            ids.append(a.id)
        for k, when in enumerate(extra):
            a = Article(
                url=f"https://news.example/{seed}/extra-{k}",
                title=f"extra report {k}",
                content_hash=f"h{seed}-x{k}",
                status="analysed",
                published_at=when,
                published_precision="exact",
                language="en",
            )
            s.add(a)
            s.flush()
            s.add(
                Mention(
                    article_id=a.id, entity_id=ents[0].id, count=1, first_offset=0, salience=1.0
                )
            )
            ids.append(a.id)
    react(sessions, theme_baskets={})
    return ids


def _plant(sessions, rho: float, *, target: str, seed: int) -> int:  # type: ignore[no-untyped-def]
    """Write one stance per article toward its company, with Spearman (6/pi) asin(rho/2) to the
    `target` return: "day1" = AR of the session after day 0, "day0" = AR of day 0."""
    with sessions() as s:
        rows = s.execute(
            select(Reaction.article_id, Reaction.ticker, Reaction.abnormal_return, Reaction.car)
            .where(Reaction.window_start == 0, Reaction.window_end == 1)
            .order_by(Reaction.article_id)
        ).all()
        entity_of = {t: i for i, t in s.execute(select(Entity.id, Entity.ticker))}
    assert len(rows) > 100
    ret = np.array([(car - ar0) if target == "day1" else ar0 for _, _, ar0, car in rows])
    ranks = np.argsort(np.argsort(ret)) + 1
    z = np.array([NormalDist().inv_cdf(r / (len(ret) + 1)) for r in ranks])
    rng = np.random.default_rng(seed)
    latent = rho * z + math.sqrt(1 - rho**2) * rng.standard_normal(len(z))
    score = np.tanh(latent)
    with sessions.begin() as s:
        for (aid, ticker, _, _), sc in zip(rows, score, strict=True):
            label = 0 if abs(sc) < 0.1 else int(np.sign(sc))
            s.add(
                Stance(
                    article_id=aid,
                    entity_id=entity_of[ticker],
                    score=float(sc),
                    label=label,
                    confidence=0.8,
                )
            )
    return len(rows)


def _row(report, window: str):  # type: ignore[no-untyped-def]
    return next(r for r in report.rows if r.window == window and r.group == "all")


def test_planted_predictive_link_is_recovered_inside_the_interval(sessions) -> None:  # type: ignore[no-untyped-def]
    _build(sessions, 450, hour_utc=15.0, seed=1)  # 10:00 or 11:00 New York: during the session
    n = _plant(sessions, 0.5, target="day1", seed=2)
    truth = spearman_of_rho(0.5)
    report = signal_report(sessions, windows=[(0, 0), (1, 1)], n_boot=1000)
    pred = _row(report, "1,1")
    assert pred.variant == "predictive"
    assert pred.n == n and pred.days > 60
    assert pred.ic_low < truth < pred.ic_high
    assert pred.ic_low > 0.3
    assert pred.hit_rate is not None and pred.hit_low is not None and pred.hit_low > 0.55
    assert pred.spread is not None and pred.spread > 0 and pred.spread_t > 3
    # the day-0 return of the same stories carries no planted link
    same_day = _row(report, "0,0")
    assert same_day.variant == "contemporaneous"
    assert same_day.ic_low < 0.15
    # the portfolio trades the planted link (all news counts: novelty not computed here)
    p = report.portfolio
    assert p is not None and p.days > 60 and p.cumulative_return > 0
    assert p.note is not None and "novelty not computed" in p.note


def test_no_link_gives_an_interval_that_covers_zero(sessions) -> None:  # type: ignore[no-untyped-def]
    _build(sessions, 450, hour_utc=15.0, seed=3)
    _plant(sessions, 0.0, target="day1", seed=4)
    report = signal_report(sessions, windows=[(0, 1), (1, 1)], n_boot=1000)
    for window in ("0,1", "1,1"):
        row = _row(report, window)
        assert row.ic_low < 0 < row.ic_high, row
        assert row.hit_low < 0.5 < row.hit_high, row
        assert row.note is None


def test_predictive_variant_ignores_news_out_after_the_close(sessions) -> None:  # type: ignore[no-untyped-def]
    """Stories published after the US close (22:00 UTC) whose tone matches the next session's
    move -- the overnight reaction to after-hours news. Dated by the calendar day of publication,
    they would seem to predict that next session (the look-ahead trap); the predictive variant
    must count each for the session after the one it moves."""
    friday_evening = dt.datetime(2025, 1, 24, 22, 10, tzinfo=UTC)  # 17:10 New York
    ids = _build(sessions, 450, hour_utc=22.0, seed=5, extra=[friday_evening])
    _plant(sessions, 0.7, target="day0", seed=6)  # day 0 of an after-close story: next session
    report = signal_report(sessions, windows=[(0, 0), (1, 1)], n_boot=1000)
    same = _row(report, "0,0")
    assert same.ic_low > 0.55  # the link is there, on the session the stories move
    pred = _row(report, "1,1")
    # what is left is the market's own day-to-day autocorrelation of abnormal returns (a few
    # hundredths on these prices, noisy), nowhere near the 0.68 a look-ahead would show
    assert pred.ic_high < 0.4 and pred.ic < 0.5 * same.ic, pred

    # Friday 17:10 New York: day 0 is Monday 27 January, the predicted return is Tuesday's.
    from db.signal import signal_data
    from market.signal import frames, observations

    with sessions() as s:
        data = signal_data(s, [(0, 1)])
        mon = s.execute(
            select(Reaction.abnormal_return, Reaction.car).where(
                Reaction.article_id == ids[-1], Reaction.window_start == 0, Reaction.window_end == 1
            )
        ).one()
    obs = observations(frames(data), (1, 1))
    row = obs[obs["article_id"] == ids[-1]].iloc[0]
    assert row["day"] == dt.date(2025, 1, 27)
    assert row["ret"] == pytest.approx(mon.car - mon.abnormal_return)
    tuesday_ar = _nvda_ar(dt.date(2025, 1, 28))
    assert row["ret"] == pytest.approx(tuesday_ar, abs=0.004)

    # A store whose day 0 was the publication's calendar date (a look-ahead bug upstream) is
    # caught by re-deriving day 0 from the instant: those rows are left out of the variant.
    with sessions.begin() as s:
        for aid, when in s.execute(
            select(Article.id, Article.published_at).where(Article.id.in_(ids))
        ).all():
            s.execute(
                update(Reaction)
                .where(Reaction.article_id == aid)
                .values(event_date=when.astimezone(UTC).date())
            )
    report = signal_report(sessions, windows=[(1, 1)], n_boot=200)
    pred = _row(report, "1,1")
    assert pred.n == 0
    assert any("differs from the exchange calendar" in k for k in report.excluded)


def test_day_clustered_t_is_not_fooled_by_copies_within_a_day() -> None:
    rng = np.random.default_rng(0)
    days = np.repeat(np.arange(60), 1)
    label = rng.choice([-1, 1], size=60)
    ret = 0.004 * label + rng.normal(0, 0.02, size=60)
    *_, spread, t = clustered_spread(label, ret, days)
    # five copies of every story on its own day: same information, five times the rows
    *_, spread5, t5 = clustered_spread(np.repeat(label, 5), np.repeat(ret, 5), np.repeat(days, 5))
    assert spread5 == pytest.approx(spread)
    assert t5 == pytest.approx(t, rel=0.05)
    # ignoring the clusters would have multiplied t by about sqrt(5)
    naive = spread5 / math.sqrt(
        np.var(np.repeat(ret, 5)[np.repeat(label, 5) > 0], ddof=1) / (5 * (label > 0).sum())
        + np.var(np.repeat(ret, 5)[np.repeat(label, 5) < 0], ddof=1) / (5 * (label < 0).sum())
    )
    assert abs(naive) > 1.8 * abs(t5)


def test_linearised_interval_matches_the_exact_bootstrap() -> None:
    rng = np.random.default_rng(7)
    n_days, per_day = 120, 12
    codes = np.repeat(np.arange(n_days), per_day)
    common = np.repeat(rng.normal(size=n_days), per_day)  # returns of one day move together
    x = rng.normal(size=len(codes))
    y = 0.3 * x + common + rng.normal(size=len(codes))
    exact = ic_with_interval(x, y, codes, n_days, 800, np.random.default_rng(1))
    lin = ic_with_interval(x, y, codes, n_days, 800, np.random.default_rng(1), exact_limit=0)
    assert exact[3] == "exact" and lin[3] == "linearised"
    assert exact[0] == lin[0] == pytest.approx(spearman(x, y))
    assert lin[1] == pytest.approx(exact[1], abs=0.02)
    assert lin[2] == pytest.approx(exact[2], abs=0.02)


@pytest.mark.parametrize("exact_limit", [10**9, 0])
def test_ic_interval_resamples_days_not_stories(exact_limit: int) -> None:
    """Six copies of every story on its own day add no information: a day bootstrap keeps the
    interval as wide as without them (resampling stories would narrow it by sqrt(6))."""
    rng = np.random.default_rng(3)
    n_days = 150
    x = rng.normal(size=n_days)
    y = 0.3 * x + rng.normal(size=n_days)
    codes = np.arange(n_days)
    one = ic_with_interval(
        x, y, codes, n_days, 600, np.random.default_rng(0), exact_limit=exact_limit
    )
    six = ic_with_interval(np.repeat(x, 6), np.repeat(y, 6), np.repeat(codes, 6), n_days, 600,
                           np.random.default_rng(0), exact_limit=exact_limit)  # fmt: skip
    width_one, width_six = one[2] - one[1], six[2] - six[1]
    assert six[0] == pytest.approx(one[0], abs=0.01)
    assert width_six == pytest.approx(width_one, rel=0.15)


def test_long_short_returns_and_turnover() -> None:
    d1, d2 = dt.date(2025, 3, 3), dt.date(2025, 3, 4)
    p = long_short(
        np.array([d1, d1, d1, d2, d2]),
        np.array(["NVDA", "AMD", "MSFT", "NVDA", "MSFT"]),
        np.array([0.8, -0.5, 0.2, 0.4, -0.3]),
        np.array([0.01, -0.02, 0.03, 0.02, 0.01]),
        min_days=60,
    )
    # day 1: long NVDA, MSFT (mean 2%), short AMD (-2%): +4%; day 2: long NVDA 2%, short MSFT 1%
    assert [c.ret for c in p.curve] == pytest.approx([0.04, 0.01])
    assert p.cumulative_return == pytest.approx(1.04 * 1.01 - 1)
    # day 1 from flat: gross 2 traded -> 1.0; day 2: NVDA 0.5->1, MSFT 0.5->-1, AMD -1->0
    assert [c.turnover for c in p.curve] == pytest.approx([1.0, 1.5])
    assert p.days == 2 and p.note is not None and "too few days" in p.note


def _nvda_ar(day: dt.date) -> float:
    """NVDA's return minus SMH's on `day`, straight from the CSV files (market-adjusted AR; the
    stored market-model AR differs by alpha and (beta - 1) x SMH's return, a few tenths of a %)."""
    import csv

    from market.csv_prices import file_name

    def ret(ticker: str) -> float:
        with (PRICES_DIR / file_name(ticker)).open(newline="") as f:
            rows = list(csv.DictReader(f))
        k = [r["Date"] for r in rows].index(day.isoformat())
        price = [float(r["Adj Close"] or r["Close"]) for r in rows]
        return price[k] / price[k - 1] - 1

    return ret("NVDA") - ret("SMH")
