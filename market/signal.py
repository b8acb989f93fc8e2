"""Does the stance say anything about prices? Information coefficient, hit rate, favourable vs
unfavourable CAR and a daily long-short portfolio, each with honest uncertainty.

One observation is one (article, ticker) reaction whose ticker the article takes a stance on
(the entity listed as the ticker, else the entity named in `via`; theme-basket links without
such a stance are left out). Its return is the CAR of the chosen window; [+1,+1] and [+1,+5] are
derived from the stored rows (CAR(0,1) - AR0, CAR(0,5) - AR0). Every statistic is documented
in docs/signal.md; in short:

- **IC**: Spearman rank correlation of stance score and CAR, pooled over the observations of a
  group, with a 95% percentile interval from a bootstrap that resamples *event days* (day 0),
  since stories of one day share a market. Exact (every replicate re-ranked) when
  n x replicates <= EXACT_LIMIT, else the bootstrap of the statistic's linearisation (its
  influence function summed per day), which is the same to first order and costs a matrix
  product.
- **Hit rate**: share of favourable (label +1) / unfavourable (-1) observations whose CAR has
  the same sign; day-bootstrap interval (exact: a ratio of day sums).
- **Spread**: mean CAR of favourable minus unfavourable observations, OLS on a dummy with
  standard errors clustered by event day (CR1).
- **Variants**: a window starting at day 0 or before is *contemporaneous* (the story and the
  return overlap); a window starting at +1 or later is *predictive*: day 0 is the session a
  story could first move (before the open or during the session: that session; after the close:
  the next), so the [+1, ...] return begins at the close of day 0, after every story counted.
  The predictive variant drops stories whose time is known only to the day (they may have come
  out after that day's close) and re-derives day 0 from the publication instant with
  market/calendar.py, dropping any row whose stored day 0 disagrees.
- **Long-short**: on each day 0, tickers with a positive net stance of *novel* news go long,
  negative go short, equal weights per leg; the portfolio earns the [+1,+1] abnormal return
  (mean long minus mean short; a day with one leg holds that leg alone). Cumulative return,
  turnover and the number of days are reported; a note says when the sample is too small.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from sqlalchemy.orm import Session, sessionmaker

    from db.signal import SignalData

STORED_WINDOWS = ((0, 0), (0, 1), (-1, 1), (0, 5))
# derived window -> the stored window whose CAR minus AR0 gives it
DERIVED_WINDOWS = {(1, 1): (0, 1), (1, 5): (0, 5)}
WINDOWS = (*STORED_WINDOWS, *DERIVED_WINDOWS)
GROUPINGS = ("link", "theme", "language", "source", "entity")
CONTEMPORANEOUS = "contemporaneous"
PREDICTIVE = "predictive"
PORTFOLIO_WINDOW = (1, 1)
N_BOOT = 2000
MIN_DAYS = 20
MIN_N = 30
MIN_PORTFOLIO_DAYS = 60
EXACT_LIMIT = 4_000_000
TIME_UNKNOWN = "time unknown"


@dataclass(frozen=True)
class SignalRow:
    """The figures of one group (JSON field names are stable: docs/signal.md)."""

    variant: str
    window: str
    by: str
    group: str
    n: int
    days: int
    ic: float | None
    ic_low: float | None
    ic_high: float | None
    ic_method: str | None
    hit_n: int
    hit_rate: float | None
    hit_low: float | None
    hit_high: float | None
    favourable_n: int
    unfavourable_n: int
    favourable_mean_car: float | None
    unfavourable_mean_car: float | None
    spread: float | None
    spread_t: float | None
    note: str | None


@dataclass(frozen=True)
class PortfolioDay:
    day: dt.date
    longs: int
    shorts: int
    ret: float
    cumulative: float
    turnover: float


@dataclass(frozen=True)
class Portfolio:
    """The daily long-short portfolio on novel news (always the predictive [+1,+1] return)."""

    variant: str
    window: str
    days: int
    first_day: dt.date | None
    last_day: dt.date | None
    cumulative_return: float | None
    mean_daily_return: float | None
    daily_t: float | None
    mean_turnover: float | None
    mean_longs: float | None
    mean_shorts: float | None
    novel_only: bool
    note: str | None
    curve: list[PortfolioDay] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["curve"] = [asdict(p) for p in self.curve]
        return out


@dataclass(frozen=True)
class SignalReport:
    rows: list[SignalRow]
    portfolio: Portfolio | None
    excluded: dict[str, int]
    n_boot: int
    seed: int
    novel_only: bool
    novelty_computed: bool
    since: dt.date | None
    until: dt.date | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": [asdict(r) for r in self.rows],
            "portfolio": self.portfolio.as_dict() if self.portfolio else None,
            "excluded": dict(self.excluded),
            "n_boot": self.n_boot,
            "seed": self.seed,
            "novel_only": self.novel_only,
            "novelty_computed": self.novelty_computed,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }


def variant_of(window: tuple[int, int]) -> str:
    return PREDICTIVE if window[0] >= 1 else CONTEMPORANEOUS


# ------------------------------------------------------------------------------------------
# Statistics (pure numpy)


def average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n, ties given their average rank."""
    import numpy as np

    order = np.argsort(values, kind="mergesort")
    sorted_v = values[order]
    boundary = np.r_[True, sorted_v[1:] != sorted_v[:-1]]
    group = np.cumsum(boundary) - 1
    starts = np.flatnonzero(boundary)
    ends = np.r_[starts[1:], len(values)]
    avg = (starts + ends + 1) / 2.0  # mean of ranks starts+1 .. ends
    ranks = np.empty(len(values), dtype=float)
    ranks[order] = avg[group]
    return ranks


def spearman(x: np.ndarray, y: np.ndarray) -> float | None:
    """Spearman's rank correlation (Pearson correlation of average ranks); None if undefined."""

    if len(x) < 3:
        return None
    rx, ry = average_ranks(x), average_ranks(y)
    rx -= rx.mean()
    ry -= ry.mean()
    den = math.sqrt(float(rx @ rx) * float(ry @ ry))
    return float(rx @ ry) / den if den > 0 else None


def day_bootstrap_counts(n_days: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """(n_boot, n_days) multiplicities: each replicate draws n_days days with replacement."""
    import numpy as np

    draws = rng.integers(0, n_days, size=(n_boot, n_days))
    offsets = (np.arange(n_boot) * n_days)[:, None]
    return np.bincount((draws + offsets).ravel(), minlength=n_boot * n_days).reshape(n_boot, n_days)


def _weighted_spearman(x_order: Any, x_groups: Any, y_order: Any, y_groups: Any, m: Any) -> float:
    """Spearman of a sample where observation i appears m[i] times (average ranks)."""
    import numpy as np

    def ranks(order: Any, groups: Any) -> Any:
        mw = m[order]
        per_group = np.bincount(groups, weights=mw)
        start = np.cumsum(per_group) - per_group
        r = np.empty(len(m))
        r[order] = (start + (per_group + 1) / 2.0)[groups]
        return r

    rx, ry = ranks(x_order, x_groups), ranks(y_order, y_groups)
    total = m.sum()
    mx, my = (m @ rx) / total, (m @ ry) / total
    cov = m @ ((rx - mx) * (ry - my))
    vx, vy = m @ (rx - mx) ** 2, m @ (ry - my) ** 2
    return float(cov / math.sqrt(vx * vy)) if vx > 0 and vy > 0 else float("nan")


def _sort_groups(values: Any) -> tuple[Any, Any]:
    import numpy as np

    order = np.argsort(values, kind="mergesort")
    sv = values[order]
    groups = np.cumsum(np.r_[True, sv[1:] != sv[:-1]]) - 1
    return order, groups


def spearman_influence(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-observation influence values of Spearman's rho (mean zero): rho* ~ rho + mean(psi).

    rho = 12 E[F(X) G(Y)] - 3; IF(x, y) = 12 [F(x)G(y) + E(1{x <= X} G(Y)) + E(F(X) 1{y <= Y})
    - 3 E(F(X)G(Y))], with F, G the empirical CDFs (mid-ranks / n).
    """
    import numpy as np

    n = len(x)
    u = (average_ranks(x) - 0.5) / n
    v = (average_ranks(y) - 0.5) / n

    def upper_mean(key: Any, weight: Any) -> Any:
        # for each i: (1/n) * sum of weight[j] over j with key[j] >= key[i]
        order, groups = _sort_groups(key)
        per_group = np.bincount(groups, weights=weight[order])
        suffix = np.cumsum(per_group[::-1])[::-1]
        out = np.empty(n)
        out[order] = suffix[groups]
        return out / n

    theta = float(np.mean(u * v))
    psi = 12.0 * (u * v + upper_mean(x, v) + upper_mean(y, u) - 3.0 * theta)
    return psi - psi.mean()


def ic_with_interval(
    score: np.ndarray,
    ret: np.ndarray,
    codes: np.ndarray,
    n_days: int,
    n_boot: int,
    rng: np.random.Generator,
    *,
    exact_limit: int = EXACT_LIMIT,
) -> tuple[float | None, float | None, float | None, str | None]:
    """(IC, low, high, method) with a 95% day-block bootstrap percentile interval."""
    import numpy as np

    ic = spearman(score, ret)
    if ic is None or n_days < 2 or n_boot < 1:
        return ic, None, None, None
    counts = day_bootstrap_counts(n_days, n_boot, rng)
    if len(score) * n_boot <= exact_limit:
        xo, xg = _sort_groups(score)
        yo, yg = _sort_groups(ret)
        reps = np.array(
            [_weighted_spearman(xo, xg, yo, yg, row[codes].astype(float)) for row in counts]
        )
        method = "exact"
    else:
        psi = spearman_influence(score, ret)
        per_day = np.bincount(codes, weights=psi, minlength=n_days)
        n_per_day = np.bincount(codes, minlength=n_days).astype(float)
        reps = ic + (counts @ per_day) / (counts @ n_per_day)
        method = "linearised"
    reps = reps[np.isfinite(reps)]
    if len(reps) == 0:
        return ic, None, None, method
    low, high = np.percentile(reps, [2.5, 97.5])
    return ic, float(low), float(high), method


def hit_rate_with_interval(
    label: np.ndarray,
    ret: np.ndarray,
    codes: np.ndarray,
    n_days: int,
    n_boot: int,
    rng: np.random.Generator,
) -> tuple[int, float | None, float | None, float | None]:
    """(n, hit rate, low, high) over observations with a non-zero label and a non-zero return."""
    import numpy as np

    keep = (label != 0) & (ret != 0)
    n = int(keep.sum())
    if n == 0:
        return 0, None, None, None
    hits = (np.sign(label[keep]) == np.sign(ret[keep])).astype(float)
    rate = float(hits.mean())
    if n_days < 2 or n_boot < 1:
        return n, rate, None, None
    h = np.bincount(codes[keep], weights=hits, minlength=n_days)
    m = np.bincount(codes[keep], minlength=n_days).astype(float)
    counts = day_bootstrap_counts(n_days, n_boot, rng)
    den = counts @ m
    reps = (counts @ h)[den > 0] / den[den > 0]
    low, high = np.percentile(reps, [2.5, 97.5])
    return n, rate, float(low), float(high)


def clustered_spread(
    label: np.ndarray, ret: np.ndarray, codes: np.ndarray
) -> tuple[int, int, float | None, float | None, float | None, float | None]:
    """(n fav, n unfav, mean fav, mean unfav, spread, t) with day-clustered (CR1) standard errors.

    OLS of CAR on [1, favourable] over observations labelled +1 or -1; the slope is the spread.
    """
    import numpy as np

    keep = label != 0
    fav = (label[keep] > 0).astype(float)
    y = ret[keep]
    g = codes[keep]
    n_f, n_u = int(fav.sum()), int(len(fav) - fav.sum())
    mean_f = float(y[fav == 1].mean()) if n_f else None
    mean_u = float(y[fav == 0].mean()) if n_u else None
    if not n_f or not n_u:
        return n_f, n_u, mean_f, mean_u, None, None
    assert mean_f is not None and mean_u is not None
    spread = mean_f - mean_u
    x = np.column_stack([np.ones_like(fav), fav])
    resid = y - x @ np.array([mean_u, spread])
    _, g_codes = np.unique(g, return_inverse=True)
    n_g = int(g_codes.max()) + 1
    if n_g < 2:
        return n_f, n_u, mean_f, mean_u, spread, None
    scores = np.column_stack(
        [np.bincount(g_codes, weights=x[:, k] * resid, minlength=n_g) for k in range(2)]
    )
    bread = np.linalg.inv(x.T @ x)
    n, k = x.shape
    c = n_g / (n_g - 1) * (n - 1) / max(n - k, 1)
    cov = c * bread @ (scores.T @ scores) @ bread
    se = math.sqrt(cov[1, 1]) if cov[1, 1] > 0 else 0.0
    return n_f, n_u, mean_f, mean_u, spread, (spread / se if se > 0 else None)


def group_row(
    variant: str,
    window: tuple[int, int],
    by: str,
    group: str,
    score: np.ndarray,
    label: np.ndarray,
    ret: np.ndarray,
    days: np.ndarray,
    *,
    n_boot: int = N_BOOT,
    seed: int = 0,
    min_days: int = MIN_DAYS,
    min_n: int = MIN_N,
) -> SignalRow:
    """Every figure of one group of observations (see the module docstring)."""
    import numpy as np

    _, codes = np.unique(days, return_inverse=True)
    n_days = int(codes.max()) + 1 if len(codes) else 0
    rng = np.random.default_rng(seed)
    ic, lo, hi, method = ic_with_interval(score, ret, codes, n_days, n_boot, rng)
    hit_n, hit, hit_lo, hit_hi = hit_rate_with_interval(label, ret, codes, n_days, n_boot, rng)
    n_f, n_u, mean_f, mean_u, spread, t = clustered_spread(label, ret, codes)
    note = None
    if len(score) < min_n or n_days < min_days:
        note = (
            f"too few events to conclude (n={len(score)}, days={n_days}; "
            f"needs n>={min_n} and days>={min_days})"
        )
    return SignalRow(
        variant,
        f"{window[0]},{window[1]}",
        by,
        group,
        len(score),
        n_days,
        ic,
        lo,
        hi,
        method,
        hit_n,
        hit,
        hit_lo,
        hit_hi,
        n_f,
        n_u,
        mean_f,
        mean_u,
        spread,
        t,
        note,
    )


def long_short(
    days: np.ndarray,
    tickers: np.ndarray,
    score: np.ndarray,
    ret: np.ndarray,
    *,
    novel_only: bool = True,
    min_days: int = MIN_PORTFOLIO_DAYS,
) -> Portfolio:
    """Daily long-short portfolio: net stance per (day, ticker), long > 0, short < 0, equal weights.

    `ret` is each observation's [+1,+1] return (the same for every story of a (day, ticker)).
    Turnover on a day is half the sum of absolute weight changes from the previous portfolio day
    (each leg weighs 1 in gross: 2 for a full switch). Days without a position are not held.
    """
    import numpy as np
    import pandas as pd

    window = f"{PORTFOLIO_WINDOW[0]},{PORTFOLIO_WINDOW[1]}"
    if len(days) == 0:
        return Portfolio(PREDICTIVE, window, 0, None, None, None, None, None, None, None, None,
                         novel_only, "no news with a stance and a predictive [+1,+1] return")  # fmt: skip
    frame = pd.DataFrame({"day": days, "ticker": tickers, "score": score, "ret": ret})
    net = frame.groupby(["day", "ticker"], sort=True).agg(
        net=("score", "sum"), ret=("ret", "first")
    )
    net = net[net["net"] != 0]
    curve: list[PortfolioDay] = []
    prev: dict[str, float] = {}
    wealth = 1.0
    rets: list[float] = []
    turns: list[float] = []
    longs_n: list[int] = []
    shorts_n: list[int] = []
    for day, block in net.groupby(level="day", sort=True):
        tick = block.index.get_level_values("ticker").to_numpy()
        nets = block["net"].to_numpy()
        r = block["ret"].to_numpy()
        lg, sh = nets > 0, nets < 0
        weights: dict[str, float] = {}
        for t_ in tick[lg]:
            weights[str(t_)] = 1.0 / int(lg.sum())
        for t_ in tick[sh]:
            weights[str(t_)] = -1.0 / int(sh.sum())
        day_ret = (float(r[lg].mean()) if lg.any() else 0.0) - (
            float(r[sh].mean()) if sh.any() else 0.0
        )
        keys = set(weights) | set(prev)
        turnover = 0.5 * sum(abs(weights.get(k, 0.0) - prev.get(k, 0.0)) for k in keys)
        prev = weights
        wealth *= 1.0 + day_ret
        rets.append(day_ret)
        turns.append(turnover)
        longs_n.append(int(lg.sum()))
        shorts_n.append(int(sh.sum()))
        as_date = day if isinstance(day, dt.date) else pd.Timestamp(day).date()
        curve.append(PortfolioDay(as_date, int(lg.sum()), int(sh.sum()), day_ret, wealth - 1.0,
                                  turnover))  # fmt: skip
    n = len(rets)
    arr = np.asarray(rets)
    t_stat = None
    if n >= 2 and arr.std(ddof=1) > 0:
        t_stat = float(arr.mean() / (arr.std(ddof=1) / math.sqrt(n)))
    note = None
    if n < min_days:
        note = f"too few days to conclude ({n} trading days with a position; needs {min_days})"
    return Portfolio(
        PREDICTIVE,
        window,
        n,
        curve[0].day if curve else None,
        curve[-1].day if curve else None,
        wealth - 1.0 if n else None,
        float(arr.mean()) if n else None,
        t_stat,
        float(np.mean(turns)) if n else None,
        float(np.mean(longs_n)) if n else None,
        float(np.mean(shorts_n)) if n else None,
        novel_only,
        note,
        curve,
    )


# ------------------------------------------------------------------------------------------
# Observations from the store's rows


def _fold(value: str) -> str:
    text = unicodedata.normalize("NFKD", value)
    return "".join(c for c in text if not unicodedata.combining(c)).casefold().strip()


@dataclass
class Frames:
    """The store's rows as frames, built once per study (`frames`)."""

    reactions: pd.DataFrame
    stances: pd.DataFrame
    articles: pd.DataFrame
    novelty: pd.DataFrame
    ticker_entities: pd.DataFrame
    by_name: dict[str, int]
    names: dict[int, str]
    calendars: dict[str, str | None]
    themes: list[tuple[int, str]]
    novelty_computed: bool


def frames(data: SignalData) -> Frames:
    import pandas as pd

    from db.signal import REACTION_COLUMNS

    reactions = pd.DataFrame.from_records(data.reactions, columns=list(REACTION_COLUMNS))
    # dates and instants arrive as ISO text (SQLite) or native values (PostgreSQL): parse in bulk
    reactions["event_date"] = pd.to_datetime(reactions["event_date"], format="ISO8601")
    stances = pd.DataFrame.from_records(
        data.stances, columns=["article_id", "entity_id", "score", "label", "confidence"]
    )
    arts = pd.DataFrame.from_records(
        [(aid, *row) for aid, row in data.articles.items()],
        columns=["article_id", "published_at", "precision", "language", "source"],
    )
    instants = pd.to_datetime(arts["published_at"], utc=True, format="ISO8601")
    arts["published_ns"] = instants.dt.tz_localize(None).astype("datetime64[ns]").astype("int64")
    arts.loc[instants.isna(), "published_ns"] = -1
    arts = arts.drop(columns=["published_at"])
    arts["language"] = arts["language"].fillna("?")
    arts["source"] = arts["source"].fillna("?")
    novelty = pd.DataFrame.from_records(data.novelty, columns=["article_id", "entity_id", "novel"])
    novelty["novel"] = novelty["novel"].astype(bool)  # 0/1 on SQLite
    by_ticker: list[tuple[str, int]] = []
    by_name: dict[str, int] = {}
    for eid, (key, name, ticker) in data.entities.items():
        if ticker:
            by_ticker.append((ticker.upper(), eid))
        by_name.setdefault(_fold(key), eid)
        by_name[_fold(name)] = eid
    return Frames(
        reactions,
        stances,
        arts,
        novelty,
        pd.DataFrame(by_ticker, columns=["ticker_u", "entity_id"]),
        by_name,
        {eid: name for eid, (_k, name, _t) in data.entities.items()},
        data.calendars,
        data.themes,
        data.novelty_computed,
    )


def observations(
    fr: Frames, window: tuple[int, int], *, excluded: dict[str, int] | None = None
) -> pd.DataFrame:
    """One row per (article, ticker) with a stance: day, ticker, score, label, ret, link_type,
    language, source, entity, novel (True/False/None), article_id, entity_id.

    Predictive windows drop day-precision stories and rows whose day 0 disagrees with the
    exchange calendar; `excluded` counts what was dropped and why.
    """
    import numpy as np
    import pandas as pd

    excluded = excluded if excluded is not None else {}
    tag = f"{window[0]},{window[1]}"
    if window not in WINDOWS:
        raise ValueError(f"window must be one of {', '.join(f'{a},{b}' for a, b in WINDOWS)}")
    stored = DERIVED_WINDOWS.get(window, window)
    frame = fr.reactions
    frame = frame[(frame["window_start"] == stored[0]) & (frame["window_end"] == stored[1])]
    frame = frame.reset_index(drop=True)
    if window in DERIVED_WINDOWS:
        frame["ret"] = frame["car"] - frame["abnormal_return"]
    else:
        frame["ret"] = frame["car"]
    frame["rid"] = np.arange(len(frame))
    frame["ticker_u"] = frame["ticker"].str.upper()
    via_ids = {v: fr.by_name.get(_fold(v)) for v in frame["via"].dropna().unique()}
    frame["via_entity"] = frame["via"].map(via_ids)

    stances = fr.stances
    a = frame[["rid", "article_id", "ticker_u"]].merge(fr.ticker_entities, on="ticker_u")
    a = a.merge(stances, on=["article_id", "entity_id"])
    a = a.sort_values(["rid", "confidence"], ascending=[True, False]).drop_duplicates("rid")
    b = frame[["rid", "article_id", "via_entity"]].dropna()
    b = b.astype({"via_entity": "int64"}).rename(columns={"via_entity": "entity_id"})
    b = b.merge(stances, on=["article_id", "entity_id"])
    b = b[~b["rid"].isin(a["rid"])]
    matched = pd.concat([a.drop(columns=["ticker_u"]), b], ignore_index=True)
    obs = frame.merge(matched[["rid", "entity_id", "score", "label"]], on="rid", how="inner")
    lost = len(frame) - len(obs)
    if lost:
        key = f"{tag}: no stance toward the linked entity"
        excluded[key] = excluded.get(key, 0) + lost
    obs = obs.merge(fr.articles, on="article_id", how="left")
    obs = obs.merge(fr.novelty, on=["article_id", "entity_id"], how="left")
    obs["entity"] = obs["entity_id"].map(fr.names)
    obs["day"] = obs["event_date"].dt.date

    if variant_of(window) == PREDICTIVE:
        undated = (obs["precision"] != "exact") | (obs["time_note"] == TIME_UNKNOWN)
        if undated.any():
            key = f"{tag}: time known only to the day (predictive)"
            excluded[key] = excluded.get(key, 0) + int(undated.sum())
        obs = obs[~undated]
        obs = _check_day0(obs, fr.calendars, excluded, tag)
    return obs.reset_index(drop=True)


def _check_day0(
    obs: pd.DataFrame, calendars: dict[str, str | None], excluded: dict[str, int], tag: str
) -> pd.DataFrame:
    """Keep rows whose stored day 0 is the session market/calendar.py gives their instant."""
    import numpy as np

    from market.calendar import session_table
    from market.instruments import instrument_for

    if obs.empty:
        return obs
    ns = obs["published_ns"].to_numpy(dtype=np.int64)
    expected = np.full(len(obs), np.datetime64("NaT"), dtype="datetime64[D]")
    code_of = {t: calendars.get(t) or instrument_for(t).calendar for t in obs["ticker"].unique()}
    codes = obs["ticker"].map(code_of)
    for code in codes.dropna().unique():
        table = session_table(str(code))
        mask = (codes == code).to_numpy()
        pos = np.searchsorted(table.closes_ns, ns[mask], side="right")
        ok = (pos > 0) & (pos < len(table.dates)) & (ns[mask] >= 0)
        got = np.full(int(mask.sum()), np.datetime64("NaT"), dtype="datetime64[D]")
        got[ok] = table.dates[pos[ok]]
        expected[mask] = got
    stored = obs["event_date"].to_numpy().astype("datetime64[D]")
    agree = expected == stored
    if (~agree).any():
        key = f"{tag}: stored day 0 differs from the exchange calendar (predictive)"
        excluded[key] = excluded.get(key, 0) + int((~agree).sum())
    return obs[agree]


def _groups(
    obs: pd.DataFrame, by: str | None, themes: Iterable[tuple[int, str]]
) -> Iterable[tuple[str, pd.DataFrame]]:
    import pandas as pd

    yield "all", obs
    if by is None:
        return
    if by == "theme":
        th = pd.DataFrame(list(themes), columns=["article_id", "theme"])
        joined = obs.merge(th, on="article_id")
        for key, part in joined.groupby("theme", sort=True):
            yield str(key), part
        return
    column = {"link": "link_type", "language": "language", "source": "source", "entity": "entity"}[
        by
    ]
    for key, part in obs.groupby(column, sort=True):
        yield str(key), part


def study(
    data: SignalData,
    windows: Sequence[tuple[int, int]],
    *,
    by: str | None = None,
    novel_only: bool = False,
    n_boot: int = N_BOOT,
    seed: int = 0,
    min_days: int = MIN_DAYS,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> SignalReport:
    """Every figure for `windows` (one variant each), grouped `by`, plus the long-short portfolio."""
    if by is not None and by not in GROUPINGS:
        raise ValueError(f"--by must be one of {', '.join(GROUPINGS)}, got {by!r}")
    excluded: dict[str, int] = {}
    rows: list[SignalRow] = []
    fr = frames(data)
    cache: dict[tuple[int, int], pd.DataFrame] = {}
    for window in windows:
        obs = cache[window] = observations(fr, window, excluded=excluded)
        if novel_only:
            keep = obs["novel"].eq(True).to_numpy()
            key = f"{window[0]},{window[1]}: not the first report of its story"
            excluded[key] = excluded.get(key, 0) + int((~keep).sum())
            obs = obs[keep]
        for key, part in _groups(obs, by, data.themes):
            rows.append(
                group_row(
                    variant_of(window),
                    window,
                    by or "all",
                    key,
                    part["score"].to_numpy(dtype=float),
                    part["label"].to_numpy(dtype=float),
                    part["ret"].to_numpy(dtype=float),
                    part["day"].to_numpy(),
                    n_boot=n_boot,
                    seed=seed,
                    min_days=min_days,
                )
            )
    port_obs = cache.get(PORTFOLIO_WINDOW)
    if port_obs is None:
        port_obs = observations(fr, PORTFOLIO_WINDOW, excluded={})
    if data.novelty_computed:
        port_obs = port_obs[port_obs["novel"].eq(True).to_numpy()]
    portfolio = long_short(
        port_obs["day"].to_numpy(),
        port_obs["ticker"].to_numpy(),
        port_obs["score"].to_numpy(dtype=float),
        port_obs["ret"].to_numpy(dtype=float),
        novel_only=data.novelty_computed,
    )
    if not data.novelty_computed:
        extra = "novelty not computed (run `airace stories`): the portfolio uses all news"
        portfolio = _with_note(portfolio, extra)
    return SignalReport(
        rows, portfolio, excluded, n_boot, seed, novel_only, data.novelty_computed, since, until
    )


def _with_note(p: Portfolio, extra: str) -> Portfolio:
    from dataclasses import replace

    return replace(p, note=f"{p.note}; {extra}" if p.note else extra)


def signal_report(
    sessions: sessionmaker[Session],
    *,
    windows: Sequence[tuple[int, int]] = ((0, 1), (1, 1)),
    by: str | None = None,
    novel_only: bool = False,
    since: dt.date | None = None,
    until: dt.date | None = None,
    n_boot: int = N_BOOT,
    seed: int = 0,
    min_days: int = MIN_DAYS,
) -> SignalReport:
    """Fetch what the study needs (db/signal.py) and compute every figure (`study`)."""
    from db.signal import signal_data

    for w in windows:
        if w not in WINDOWS:
            raise ValueError(
                f"window must be one of {', '.join(f'{a},{b}' for a, b in WINDOWS)}, got {w}"
            )
    stored = {DERIVED_WINDOWS.get(w, w) for w in [*windows, PORTFOLIO_WINDOW]}
    with sessions() as s:
        data = signal_data(s, sorted(stored), since=since, until=until, with_themes=by == "theme")
    return study(
        data,
        windows,
        by=by,
        novel_only=novel_only,
        n_boot=n_boot,
        seed=seed,
        min_days=min_days,
        since=since,
        until=until,
    )
