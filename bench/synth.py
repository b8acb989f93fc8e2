"""Synthetic corpus generator: N analysed articles with everything around them, for benchmarks.

    python bench/synth.py --db sqlite:///tmp/airace-bench/synth-100k.db --articles 100000 [--seed 0]

or from Python:

    from bench.synth import generate
    counts = generate("sqlite:///x.db", 1000, seed=0)   # {"articles": 1000, ..., "seconds": 1.2}

It upgrades the schema (db.migrations.upgrade), then writes straight into the tables:

- sources: 30 invented outlets (16 English, 14 French, hosts under the reserved `.example` TLD);
- entities: about 80 real AI-race names (bench/synth_vocab.py) with aliases, parents, tickers;
  exposures for the private labs (OpenAI -> MSFT, Anthropic -> AMZN, ...);
- instruments and prices: the REAL bundled daily bars of market/data/prices (25 tickers);
- articles: published 2024-09-03 .. 2025-06-30, the window of the bundled prices, so every
  reaction is computed from real closes. About half English, half French; word counts lognormal
  (median 620, mean about 690); text made from templates (bench/synth_vocab.py), grouped in
  "stories" (a few anchored on real events such as DeepSeek-R1 on 2025-01-27) so the same event is
  covered by many sources over a few days. status "analysed", analysis_version 1;
- mentions (2-8 per article; count, first offset and in-title are those of the generated text),
  stances (score in [-1, 1], label, confidence, the evidence sentence from the text; for listed
  entities the score leans toward the sign of the real day-0 abnormal return), themes (1-3 of the
  ten theme names), embeddings (384 float32, model "synthetic": theme centroid + story vector +
  noise, L2-normalised, so stories form clusters);
- reactions: 1-4 tickers per article (direct, parent, exposure, theme basket) x windows (0,0),
  (0,1), (-1,1), (0,5); market-adjusted model against SMH (semiconductors) or QQQ (the rest;
  9984.T against the previous US session of QQQ); sigma from the session window [-60, -11] when
  it has at least 20 sessions (t_stat None before that); rows whose window runs past the bundled
  prices are left out, as the real event study would leave them pending.

Deterministic for a given (n_articles, seed). `simhash` is a random 64-bit value, not computed.
Rows are written through the driver in chunks of 5,000 articles: sqlite3's executemany, or
psycopg's COPY on PostgreSQL; explicit ids, then PostgreSQL sequences are moved past them.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import datetime as dt
import hashlib
import json
import math
import random
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # `python bench/synth.py` puts bench/, not the repo, on sys.path
    sys.path.insert(0, str(REPO))

from bench import synth_vocab as V  # noqa: E402
from db.engine import make_engine  # noqa: E402
from db.migrations import upgrade  # noqa: E402
from market.instruments import instrument_for  # noqa: E402

PRICES_DIR = REPO / "market" / "data" / "prices"
PERIOD_START = dt.date(2024, 9, 3)
PERIOD_END = dt.date(2025, 6, 30)
EMBEDDING_DIM = 384
EMBEDDING_MODEL = "synthetic"
CHUNK = 5_000
WINDOWS = ((0, 0), (0, 1), (-1, 1), (0, 5))
ESTIMATION = (-60, -11)
MIN_ESTIMATION_SESSIONS = 20
WORDS_MEDIAN = 620
WORDS_SIGMA = 0.45

Progress = Callable[[dict[str, Any]], None]

# Local close hour per calendar: a story published after it moves the next session.
CLOSE_HOUR = {"XNYS": 16, "XTKS": 15}
KIND_RANK = {"direct": 0, "parent": 1, "exposure": 2, "theme": 3}
CALENDAR_TZ = {"XNYS": ZoneInfo("America/New_York"), "XTKS": ZoneInfo("Asia/Tokyo")}

COLUMNS: dict[str, tuple[str, ...]] = {
    "sources": ("id", "name", "kind", "homepage", "language", "enabled", "created_at"),
    "entities": (
        "id", "key", "name", "type", "aliases", "ticker", "exchange", "country", "description",
        "parent_id", "origin", "kb_version",
    ),
    "exposures": ("id", "entity_id", "ticker", "relation", "weight", "note"),
    "instruments": ("ticker", "name", "kind", "exchange", "currency", "timezone", "calendar"),
    "prices": ("ticker", "date", "open", "high", "low", "close", "adj_close", "volume", "source"),
    "articles": (
        "id", "url", "original_url", "source_id", "title", "text", "description", "authors",
        "site_name", "language", "published_at", "published_precision", "fetched_at",
        "word_count", "content_hash", "simhash", "status", "analysis_version", "analysed_at",
    ),
    "mentions": (
        "article_id", "entity_id", "count", "first_offset", "in_title", "salience", "surface",
    ),
    "stances": ("article_id", "entity_id", "score", "label", "confidence", "evidence"),
    "themes": ("article_id", "theme", "score"),
    "embeddings": ("article_id", "model", "dim", "vector"),
    "reactions": (
        "id", "article_id", "ticker", "window_start", "window_end", "event_date", "time_note",
        "link_type", "link_weight", "via", "raw_return", "abnormal_return", "car", "t_stat",
        "benchmark", "model", "alpha", "beta", "sigma", "estimation_start", "estimation_end",
        "estimation_start_date", "estimation_end_date", "estimation_sessions", "version",
        "computed_at",
    ),
}  # fmt: skip


# --------------------------------------------------------------------------------------------
# Writing: the DB-API driver's executemany, values already in the storage format of the backend.


class _Writer:
    """Bulk inserts through the raw driver connection (sqlite3 executemany, psycopg COPY)."""

    def __init__(self, engine: Any) -> None:
        self.sqlite = engine.dialect.name == "sqlite"
        self.conn = engine.raw_connection()
        if self.sqlite:
            cur = self.conn.cursor()
            # A throw-away bulk load: durability of each chunk does not matter, speed does.
            cur.execute("PRAGMA synchronous=OFF")
            cur.execute("PRAGMA cache_size=-262144")
            cur.execute("PRAGMA temp_store=MEMORY")
            cur.close()

    def instant(self, naive_utc: dt.datetime) -> Any:
        """SQLite: the string SQLAlchemy's UTCDateTime stores; PostgreSQL: an aware datetime."""
        if self.sqlite:
            return naive_utc.strftime("%Y-%m-%d %H:%M:%S.%f")
        return naive_utc.replace(tzinfo=dt.UTC)

    def day(self, d: dt.date) -> Any:
        return d.isoformat() if self.sqlite else d

    def js(self, value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    def insert(self, table: str, rows: Sequence[tuple[Any, ...]]) -> int:
        if not rows:
            return 0
        cols = ", ".join(COLUMNS[table])
        cur = self.conn.cursor()
        if self.sqlite:
            placeholders = ", ".join(["?"] * len(COLUMNS[table]))
            cur.executemany(f"INSERT INTO {table} ({cols}) VALUES ({placeholders})", rows)
        else:
            # COPY is about 40 times faster than executemany on PostgreSQL.
            with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        cur.close()
        return len(rows)

    def count(self, table: str) -> int:
        cur = self.conn.cursor()
        cur.execute(f"SELECT count(*) FROM {table}")
        n = int(cur.fetchone()[0])
        cur.close()
        return n

    def commit(self) -> None:
        self.conn.commit()

    def finish(self) -> None:
        from db.entity_days import rebuild_sql

        cur = self.conn.cursor()
        # The per-day entity rollup that analyze keeps in step, built from what was written.
        cur.execute("DELETE FROM entity_days")
        cur.execute(rebuild_sql("sqlite" if self.sqlite else "postgresql"))
        if self.sqlite:
            self.conn.commit()
            cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            for table in ("sources", "entities", "exposures", "articles", "reactions"):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
                )
            self.conn.commit()
        cur.close()
        self.conn.close()


# --------------------------------------------------------------------------------------------
# Market data: the bundled CSVs, returns and abnormal returns for the reaction tickers.


def _ticker_of(path: Path) -> str:
    stem = path.stem
    return "^" + stem[4:] if stem.startswith("IDX_") else stem


def _num(value: str) -> float | None:
    return float(value) if value not in ("", None) else None


def load_price_files(directory: Path = PRICES_DIR) -> dict[str, list[tuple[Any, ...]]]:
    """ticker -> [(date, open, high, low, close, adj_close, volume, source file)] from the CSVs."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    for path in sorted(directory.glob("*.csv")):
        rows = []
        with path.open(newline="", encoding="utf-8") as f:
            for r in csv.DictReader(f):
                rows.append(
                    (
                        dt.date.fromisoformat(r["Date"][:10]),
                        _num(r["Open"]),
                        _num(r["High"]),
                        _num(r["Low"]),
                        float(r["Close"]),
                        _num(r["Adj Close"]),
                        _num(r["Volume"]),
                        f"csv:{path.name}",
                    )
                )
        out[_ticker_of(path)] = rows
    return out


@dataclass
class _Series:
    """One reaction ticker: sessions, prices, and market-adjusted abnormal returns."""

    ticker: str
    benchmark: str
    calendar: str
    dates: list[dt.date]
    price: list[float]
    ar: list[float]  # ar[i] = r[i] - b[i]; ar[0] is nan
    cum_ar: list[float]  # cum_ar[i] = sum(ar[1..i]); cum_ar[0] = 0
    sigma: list[float]  # std of ar over [i-60, i-11] (nan when < 20 sessions)
    est_n: list[int]


def _series(ticker: str, rows: list[tuple[Any, ...]], bench_rows: list[tuple[Any, ...]]) -> _Series:
    calendar = instrument_for(ticker).calendar
    dates = [r[0] for r in rows]
    price = np.array([r[5] if r[5] is not None else r[4] for r in rows], dtype=float)
    r = np.full(len(price), np.nan)
    r[1:] = price[1:] / price[:-1] - 1
    b_dates = [x[0] for x in bench_rows]
    b_price = np.array([x[5] if x[5] is not None else x[4] for x in bench_rows], dtype=float)
    b_ret = np.full(len(b_price), np.nan)
    b_ret[1:] = b_price[1:] / b_price[:-1] - 1
    b = np.full(len(price), np.nan)
    same_day = calendar == "XNYS"
    for i, d in enumerate(dates):
        # US tickers: the same session; Tokyo: the last US session strictly before (it closed first).
        j = bisect.bisect_right(b_dates, d) - 1 if same_day else bisect.bisect_left(b_dates, d) - 1
        if j >= 0 and (not same_day or b_dates[j] == d):
            b[i] = b_ret[j]
    ar = r - b
    cum = np.zeros(len(price))
    cum[1:] = np.nancumsum(ar[1:])
    sigma = np.full(len(price), np.nan)
    est_n = np.zeros(len(price), dtype=int)
    for i in range(len(price)):
        lo, hi = max(1, i + ESTIMATION[0]), i + ESTIMATION[1]
        if hi - lo + 1 >= MIN_ESTIMATION_SESSIONS:
            window = ar[lo : hi + 1]
            window = window[~np.isnan(window)]
            if len(window) >= MIN_ESTIMATION_SESSIONS:
                sigma[i] = float(np.std(window, ddof=1))
                est_n[i] = len(window)
    bench = V.BENCHMARK_SEMIS if ticker in V.SEMI_TICKERS else V.BENCHMARK_DEFAULT
    return _Series(
        ticker, bench, calendar, dates, price.tolist(), ar.tolist(), cum.tolist(),
        sigma.tolist(), est_n.tolist(),
    )  # fmt: skip


# --------------------------------------------------------------------------------------------
# Text.


def _filler_pool(lang: str) -> list[str]:
    subjects, verbs, objects, tails = V.FILLER_PARTS[lang]
    return [
        _polish(lang, f"{s} {v} {o} {t}")
        for s in subjects
        for v in verbs
        for o in objects
        for t in tails
    ]


def _theme_pool(lang: str, theme: str) -> list[str]:
    return [
        _polish(lang, tpl.format(t=phrase))
        for tpl in V.THEME_SENTENCES[lang]
        for phrase in V.THEME_PHRASES[theme][lang]
    ]


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


_FR_ELISION = re.compile(r"\b(de|que) (?=[AEIOUÉÈaeiouéèh])")
_FR_CONTRACTIONS = (
    (re.compile(r"\bde le (?=[a-zàâçéèêëîïôûù])"), "du "),
    (re.compile(r"\bà le (?=[a-zàâçéèêëîïôûù])"), "au "),
    (re.compile(r"\bde les "), "des "),
    (re.compile(r"\bà les "), "aux "),
    (re.compile(r"\bde des "), "de "),
)


def _fr(s: str) -> str:
    """Template French made grammatical: elision (d'Arthur) and contractions (du, aux)."""
    for pattern, repl in _FR_CONTRACTIONS:
        s = pattern.sub(repl, s)
    return _FR_ELISION.sub(lambda m: m.group(1)[:-1] + "'", s)


def _polish(lang: str, s: str, name: str = "") -> str:
    """Grammar fixes, then a capital first letter unless the sentence opens with a name (xAI)."""
    if lang == "fr":
        s = _fr(s)
    return s if name and s.startswith(name) else _cap(s)


@dataclass
class _Story:
    centre: dt.date
    primary: int  # entity index
    others: list[int]
    theme: int
    bias: float
    weight: float


@dataclass
class _Context:
    """Everything fixed before the article loop."""

    rng: np.random.Generator
    rnd: random.Random
    w: _Writer
    entity_ids: list[int]
    entity_weights: list[float]  # cumulative, for random.choices
    surfaces: list[list[str]]
    links: list[list[tuple[str, str, float, str]]]  # per entity: (ticker, link_type, weight, via)
    direct_ticker: list[str | None]
    series: dict[str, _Series]
    stories: list[_Story]
    story_p: np.ndarray
    story_vecs: np.ndarray
    theme_vecs: np.ndarray
    lang_vecs: dict[str, np.ndarray]
    sources_by_lang: dict[str, tuple[list[int], list[float]]]  # ids, cumulative volumes
    source_meta: dict[int, tuple[str, str]]  # id -> (host, display name)
    filler: dict[str, list[str]]
    theme_pools: dict[tuple[str, int], list[str]]


def _days_between(a: dt.date, b: dt.date) -> list[dt.date]:
    return [a + dt.timedelta(days=i) for i in range((b - a).days + 1)]


def _setup_entities(w: _Writer) -> tuple[list[int], dict[str, int]]:
    ids = list(range(1, len(V.ENTITIES) + 1))
    index = {e.key: i for i, e in enumerate(V.ENTITIES)}
    rows = []
    for i, e in enumerate(V.ENTITIES):
        parent_id = ids[index[e.parent]] if e.parent else None
        desc = f"{e.name} ({e.type.replace('_', ' ')})"
        rows.append(
            (
                ids[i], e.key, e.name, e.type, w.js(list(e.aliases)), e.ticker, e.exchange,
                e.country, desc, parent_id, "kb", "synthetic-1",
            )
        )  # fmt: skip

    def depth(e: V.EntityDef) -> int:
        return 0 if e.parent is None else 1 + depth(V.ENTITIES[index[e.parent]])

    # Parents before children: SQLite checks each row's foreign key as it is inserted.
    w.insert("entities", sorted(rows, key=lambda r: depth(V.ENTITIES[r[0] - 1])))
    exp_rows = [
        (n + 1, ids[index[key]], ticker, rel, weight, note)
        for n, (key, ticker, rel, weight, note) in enumerate(V.EXPOSURES)
    ]
    w.insert("exposures", exp_rows)
    return ids, index


def _entity_links(
    index: dict[str, int], tickers: set[str]
) -> list[list[tuple[str, str, float, str]]]:
    """Per entity, the tickers a story about it may move, most direct first."""
    exposures: dict[str, list[tuple[str, float]]] = {}
    for key, ticker, _rel, weight, _note in V.EXPOSURES:
        exposures.setdefault(key, []).append((ticker, weight))
    out = []
    for e in V.ENTITIES:
        links: list[tuple[str, str, float, str]] = []
        if e.ticker in tickers:
            links.append((e.ticker, "direct", 1.0, e.key))
        parent, depth = e.parent, 0
        while parent and depth < 3:
            p = V.ENTITIES[index[parent]]
            if p.ticker in tickers:
                links.append((p.ticker, "parent", 0.8 if depth == 0 else 0.6, e.key))
                break
            for ticker, weight in exposures.get(p.key, []):
                if ticker in tickers:
                    links.append((ticker, "exposure", weight * 0.8, e.key))
            parent, depth = p.parent, depth + 1
        for ticker, weight in exposures.get(e.key, []):
            if ticker in tickers:
                links.append((ticker, "exposure", weight, e.key))
        out.append(links)
    return out


def _make_stories(
    rng: np.random.Generator, n_articles: int, weights: np.ndarray, index: dict[str, int]
) -> list[_Story]:
    days = _days_between(PERIOD_START, PERIOD_END)
    day_w = np.array([0.35 if d.weekday() >= 5 else 1.0 for d in days])
    day_w /= day_w.sum()
    p_entity = weights / weights.sum()
    n_random = max(4, n_articles // 25)
    sizes = rng.lognormal(0.0, 0.9, size=n_random)
    # Anchored (real) events are big stories: together about a tenth of the corpus at any size.
    anchor_weight = 0.1 * float(sizes.sum()) / len(V.ANCHOR_EVENTS)
    stories = []
    for day, primary, others, theme, bias in V.ANCHOR_EVENTS:
        stories.append(
            _Story(
                day,
                index[primary],
                [index[k] for k in others],
                V.THEMES.index(theme),
                bias,
                anchor_weight * float(rng.uniform(0.5, 1.5)),
            )
        )
    centres = rng.choice(len(days), size=n_random, p=day_w)
    primaries = rng.choice(len(V.ENTITIES), size=n_random, p=p_entity)
    for k in range(n_random):
        theme = int(rng.integers(len(V.THEMES)))
        n_others = int(rng.integers(1, 4))
        others = [int(x) for x in rng.choice(len(V.ENTITIES), size=n_others, p=p_entity)]
        others = [o for o in dict.fromkeys(others) if o != primaries[k]]
        bias = float(np.clip(V.THEME_TONE[V.THEMES[theme]] + rng.normal(0, 0.45), -0.9, 0.9))
        stories.append(
            _Story(days[centres[k]], int(primaries[k]), others, theme, bias, float(sizes[k]))
        )
    return stories


def _event_day(published: dt.datetime, calendar: str) -> tuple[dt.date, str]:
    """The calendar day whose session (or the next one) a story published at `published` can move."""
    local = published.replace(tzinfo=dt.UTC).astimezone(CALENDAR_TZ[calendar])
    if local.hour >= CLOSE_HOUR[calendar]:
        return local.date() + dt.timedelta(days=1), "after the close: next session"
    return local.date(), "before the close"


# --------------------------------------------------------------------------------------------
# The article loop.


def _article(ctx: _Context, aid: int, story_i: int, lang: str) -> dict[str, Any]:
    """Build one article's rows (plain tuples) and the few numbers the chunk step needs."""
    rng, rnd, w = ctx.rng, ctx.rnd, ctx.w
    st = ctx.stories[story_i]
    n_ent = len(V.ENTITIES)

    # When: a few days around the story's centre, mostly after it.
    offset = rng.exponential(1.3) if rng.random() < 0.85 else -rng.exponential(1.0)
    day = st.centre + dt.timedelta(days=math.floor(offset))
    day = min(max(day, PERIOD_START), PERIOD_END)
    hour = int(rng.normal(9 if lang == "fr" else 15, 3.5)) % 24
    precision = "day" if rng.random() < 0.08 else "exact"
    if precision == "day":
        published = dt.datetime(day.year, day.month, day.day)
    else:
        published = dt.datetime(
            day.year, day.month, day.day, hour, int(rng.integers(60)), int(rng.integers(60))
        )

    # Who and what.
    k = int(rng.integers(2, 9))
    primary = st.primary if rng.random() < 0.9 or not st.others else st.others[0]
    chosen = [primary] + [o for o in st.others if o != primary and rng.random() < 0.7]
    while len(chosen) < k:
        e = int(rnd.choices(range(n_ent), cum_weights=ctx.entity_weights, k=1)[0])
        if e not in chosen:
            chosen.append(e)
    chosen = chosen[:k]
    n_themes = 1 + int(rng.random() < 0.6) + int(rng.random() < 0.25)
    themes = [st.theme]
    while len(themes) < n_themes:
        t = int(rng.integers(len(V.THEMES)))
        if t not in themes:
            themes.append(t)
    theme_scores = [float(rng.uniform(0.6, 0.97))] + [
        float(rng.uniform(0.2, 0.6)) for _ in themes[1:]
    ]

    # Event days (US and Tokyo) and the links to tickers.
    event_days = {cal: _event_day(published, cal) for cal in ("XNYS", "XTKS")}

    # Stances: story bias for the primary, theme tone for the others, pulled toward the sign of
    # the real day-0 abnormal return when the entity is listed.
    tone = V.THEME_TONE[V.THEMES[st.theme]]
    stance: list[tuple[float, int, float]] = []
    for j, e in enumerate(chosen):
        base = st.bias if j == 0 else 0.5 * tone + 0.3 * st.bias
        score = base + rng.normal(0, 0.3)
        ticker = ctx.direct_ticker[e]
        if ticker is not None:
            s = ctx.series[ticker]
            d = bisect.bisect_left(s.dates, event_days[s.calendar][0])
            if 1 <= d < len(s.dates):
                score = 0.5 * score + 0.6 * math.tanh(s.ar[d] / 0.015)
        score = float(min(1.0, max(-1.0, score)))
        label = 1 if score > 0.2 else (-1 if score < -0.2 else 0)
        conf = float(min(0.99, max(0.5, 0.55 + 0.4 * abs(score) + rng.normal(0, 0.05))))
        stance.append((round(score, 4), label, round(conf, 4)))

    # Text: title, lede on the primary, entity sentences by stance, theme and general filler.
    surfaces = [rnd.choice(ctx.surfaces[e]) for e in chosen]
    phrases = [rnd.choice(V.THEME_PHRASES[V.THEMES[t]][lang]) for t in themes]
    title = _polish(
        lang,
        rnd.choice(V.TITLE_TEMPLATES[lang]).format(
            e=surfaces[0], e2=surfaces[1] if len(surfaces) > 1 else surfaces[0], t=phrases[0]
        ),
        surfaces[0],
    )
    target = int(min(5000, max(80, rng.lognormal(math.log(WORDS_MEDIAN), WORDS_SIGMA))))
    scale = max(1.0, target / 700)
    evidence: list[str] = []
    ent_sentences: list[str] = []
    for j in range(len(chosen)):
        n = int((rng.integers(3, 7) if j == 0 else rng.integers(1, 4)) * scale)
        pool = V.ENTITY_SENTENCES[lang][stance[j][1]]
        for m in range(max(1, n)):
            s = _polish(
                lang, rnd.choice(pool).format(e=surfaces[j], t=rnd.choice(phrases)), surfaces[j]
            )
            if m == 0:
                evidence.append(s)
            ent_sentences.append(s)
    lede = evidence[0]
    rest = ent_sentences[1:]
    used = sum(s.count(" ") + 1 for s in ent_sentences)
    n_extra = max(0, round((target - used) / 13))
    n_theme = n_extra // 2
    for t in themes:
        rest += rnd.choices(ctx.theme_pools[(lang, t)], k=max(1, n_theme // len(themes)))
    rest += rnd.choices(ctx.filler[lang], k=n_extra - n_theme)
    rnd.shuffle(rest)
    sentences = [lede, *rest]
    paragraphs, i, step = [], 0, 3
    while i < len(sentences):
        paragraphs.append(" ".join(sentences[i : i + step]))
        i += step
        step = 3 + (i % 3)
    text = "\n\n".join(paragraphs)

    # Mentions from the text itself.
    text_len = max(1, len(text))
    counts = [max(1, text.count(sf)) for sf in surfaces]
    top = max(counts)
    mentions, stances = [], []
    for j, e in enumerate(chosen):
        first = text.find(surfaces[j])
        in_title = surfaces[j] in title
        salience = 0.3 * in_title + 0.5 * counts[j] / top + 0.2 * (1 - max(0, first) / text_len)
        eid = ctx.entity_ids[e]
        mentions.append(
            (aid, eid, counts[j], max(0, first), in_title, round(salience, 4), surfaces[j])
        )
        stances.append((aid, eid, stance[j][0], stance[j][1], stance[j][2], evidence[j]))

    # Reactions: direct, parent, exposure links of the entities (most salient first), then the
    # theme baskets; 1-4 tickers.
    ranked = sorted(
        (KIND_RANK[kind], -mentions[j][5], ticker, kind, weight, via)
        for j in range(len(chosen))
        for ticker, kind, weight, via in ctx.links[chosen[j]]
    )
    links: dict[str, tuple[str, float, str]] = {}
    for _rank, _sal, ticker, kind, weight, via in ranked:
        links.setdefault(ticker, (kind, weight, via))
    for t, sc in zip(themes, theme_scores, strict=True):
        for ticker in V.THEME_BASKETS[V.THEMES[t]]:
            links.setdefault(ticker, ("theme", round(0.5 * sc, 3), V.THEMES[t]))
    n_links = int(rng.integers(1, 5))
    reactions = []
    for ticker, (kind, weight, via) in list(links.items())[:n_links]:
        s = ctx.series[ticker]
        event_day, note = event_days[s.calendar]
        d = bisect.bisect_left(s.dates, event_day)
        if d >= len(s.dates):
            continue
        if s.dates[d] != event_day and note == "before the close":
            note = "non-trading day: next session"
        elif note == "before the close":
            note = "before the close: same session"
        sigma = s.sigma[d]
        for ws, we in WINDOWS:
            if d + ws - 1 < 1 or d + we >= len(s.dates):
                continue
            car = s.cum_ar[d + we] - s.cum_ar[d + ws - 1]
            raw = s.price[d + we] / s.price[d + ws - 1] - 1
            has_sigma = sigma == sigma  # not nan
            lo, hi = max(1, d + ESTIMATION[0]), d + ESTIMATION[1]
            reactions.append(
                (
                    ticker, ws, we, w.day(s.dates[d]), note, kind, weight, via, raw, s.ar[d],
                    car, car / (sigma * math.sqrt(we - ws + 1)) if has_sigma else None,
                    s.benchmark, "market_adjusted", 0.0, 1.0, sigma if has_sigma else None,
                    ESTIMATION[0] if has_sigma else None, ESTIMATION[1] if has_sigma else None,
                    w.day(s.dates[lo]) if has_sigma else None,
                    w.day(s.dates[hi]) if has_sigma else None,
                    s.est_n[d] if has_sigma else None,
                )
            )  # fmt: skip

    # The article row.
    src_ids, src_cum = ctx.sources_by_lang[lang]
    source_id = rnd.choices(src_ids, cum_weights=src_cum, k=1)[0]
    host, site = ctx.source_meta[source_id]
    slug = f"{V.THEMES[st.theme].replace('_', '-')}-{V.ENTITIES[primary].key}-{aid}"
    url = f"https://{host}/{day:%Y/%m/%d}/{slug}"
    first_names, last_names = V.AUTHOR_NAMES[lang]
    author = f"{rnd.choice(first_names)} {rnd.choice(last_names)}"
    fetched = published + dt.timedelta(minutes=int(rng.integers(5, 360)))
    analysed = fetched + dt.timedelta(minutes=int(rng.integers(1, 120)))
    article = (
        aid, url, url + "?utm_source=feed" if rng.random() < 0.3 else None, source_id, title,
        text, lede, w.js([author]), site, lang, w.instant(published), precision,
        w.instant(fetched), text.count(" ") + text.count("\n\n") + 1,
        hashlib.sha256(text.encode()).hexdigest(),
        int(rng.integers(-(2**63), 2**63 - 1, dtype=np.int64)), "analysed", 1,
        w.instant(analysed),
    )  # fmt: skip
    return {
        "article": article,
        "mentions": mentions,
        "stances": stances,
        "themes": [
            (aid, V.THEMES[t], round(sc, 4)) for t, sc in zip(themes, theme_scores, strict=True)
        ],
        "reactions": reactions,
        "theme": st.theme,
    }


def _embeddings(
    ctx: _Context, ids: list[int], themes: list[int], stories: list[int], langs: list[str]
) -> list[tuple[Any, ...]]:
    noise = ctx.rng.standard_normal((len(ids), EMBEDDING_DIM)) * (0.55 / math.sqrt(EMBEDDING_DIM))
    vec = ctx.theme_vecs[themes] + 0.8 * ctx.story_vecs[stories] + noise
    vec += np.stack([ctx.lang_vecs[lang] for lang in langs])
    vec /= np.linalg.norm(vec, axis=1, keepdims=True)
    vec = vec.astype("<f4")
    return [(aid, EMBEDDING_MODEL, EMBEDDING_DIM, vec[i].tobytes()) for i, aid in enumerate(ids)]


def _unit(rng: np.random.Generator, n: int) -> np.ndarray:
    v = rng.standard_normal((n, EMBEDDING_DIM))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def generate(
    db_url: str, n_articles: int, *, seed: int = 0, progress: Progress | None = None
) -> dict[str, Any]:
    """Fill the database at `db_url` with `n_articles` synthetic analysed articles.

    Upgrades the schema first; the database must hold no sources, entities, instruments or
    articles yet (ValueError otherwise). Returns the row count per table, plus "seconds" (wall
    time), "cpu_seconds" (this process) and "stage_seconds" (wall time per stage). `progress`, when given, receives dicts such as
    {"stage": "articles", "done": 5000, "total": 100000, "elapsed": 3.2}.
    """
    if n_articles < 0:
        raise ValueError("n_articles must be >= 0")
    t0, cpu0 = time.perf_counter(), time.process_time()
    stage_seconds: dict[str, float] = {}

    def report(stage: str, done: int, total: int) -> None:
        if progress:
            progress(
                {
                    "stage": stage,
                    "done": done,
                    "total": total,
                    "elapsed": round(time.perf_counter() - t0, 2),
                }
            )

    engine = make_engine(db_url)
    try:
        upgrade(engine)
        stage_seconds["schema"] = time.perf_counter() - t0
        w = _Writer(engine)
        try:
            for table in ("sources", "entities", "instruments", "articles"):
                if w.count(table):
                    raise ValueError(
                        f"{table} is not empty: generate into a fresh database ({db_url})"
                    )
            counts = _generate(w, n_articles, seed, report, stage_seconds)
            t_fin = time.perf_counter()
            w.finish()
            stage_seconds["finish"] = time.perf_counter() - t_fin
        except BaseException:
            w.conn.rollback()
            w.conn.close()
            raise
    finally:
        engine.dispose()
    counts["seconds"] = round(time.perf_counter() - t0, 3)
    # CPU time of this process (SQLite writes included): the figure to compare on a busy machine.
    counts["cpu_seconds"] = round(time.process_time() - cpu0, 3)
    counts["stage_seconds"] = {k: round(v, 3) for k, v in stage_seconds.items()}
    return counts


def _generate(
    w: _Writer,
    n_articles: int,
    seed: int,
    report: Callable[[str, int, int], None],
    stage_seconds: dict[str, float],
) -> dict[str, Any]:
    t = time.perf_counter()
    rng = np.random.default_rng(seed)
    rnd = random.Random(seed)
    now = w.instant(dt.datetime(2025, 7, 1))
    counts: dict[str, Any] = {}

    # Sources.
    src_rows, by_lang, meta = [], {"en": ([], []), "fr": ([], [])}, {}
    for i, (name, display, host, kind, lang, volume) in enumerate(V.SOURCES, start=1):
        src_rows.append((i, name, kind, f"https://{host}/", lang, True, now))
        by_lang[lang][0].append(i)
        by_lang[lang][1].append(volume)
        meta[i] = (host, display)
    counts["sources"] = w.insert("sources", src_rows)
    sources_by_lang = {
        lang: (ids, np.cumsum(vols).tolist()) for lang, (ids, vols) in by_lang.items()
    }

    # Entities, exposures.
    entity_ids, index = _setup_entities(w)
    counts["entities"] = len(entity_ids)
    counts["exposures"] = len(V.EXPOSURES)

    # Instruments and real prices.
    price_files = load_price_files()
    inst_rows, price_rows = [], []
    for ticker, rows in price_files.items():
        i = instrument_for(ticker)
        inst_rows.append((ticker, i.name, i.kind, i.exchange, i.currency, i.timezone, i.calendar))
        for d, o, h, lo, c, adj, vol, src in rows:
            price_rows.append((ticker, w.day(d), o, h, lo, c, adj, vol, src))
    counts["instruments"] = w.insert("instruments", inst_rows)
    counts["prices"] = w.insert("prices", price_rows)
    w.commit()
    stage_seconds["reference"] = time.perf_counter() - t
    report("reference", 1, 1)

    t = time.perf_counter()
    reaction_tickers = {k for k in price_files if instrument_for(k).kind == "equity"} - {"GOOG"}
    series = {
        k: _series(k, price_files[k], price_files[V.BENCHMARK_SEMIS if k in V.SEMI_TICKERS else V.BENCHMARK_DEFAULT])
        for k in sorted(reaction_tickers)
    }  # fmt: skip
    weights = np.array([e.weight for e in V.ENTITIES], dtype=float)
    stories = _make_stories(rng, n_articles, weights, index)
    story_w = np.array([s.weight for s in stories])
    ctx = _Context(
        rng=rng,
        rnd=rnd,
        w=w,
        entity_ids=entity_ids,
        entity_weights=np.cumsum(weights).tolist(),
        surfaces=[[e.name, e.name, e.name, *e.aliases] for e in V.ENTITIES],
        links=_entity_links(index, reaction_tickers),
        direct_ticker=[e.ticker if e.ticker in reaction_tickers else None for e in V.ENTITIES],
        series=series,
        stories=stories,
        story_p=story_w / story_w.sum(),
        story_vecs=_unit(rng, len(stories)),
        theme_vecs=_unit(rng, len(V.THEMES)),
        lang_vecs={lang: 0.15 * _unit(rng, 1)[0] for lang in ("en", "fr")},
        sources_by_lang=sources_by_lang,
        source_meta=meta,
        filler={lang: _filler_pool(lang) for lang in ("en", "fr")},
        theme_pools={
            (lang, i): _theme_pool(lang, th)
            for lang in ("en", "fr")
            for i, th in enumerate(V.THEMES)
        },
    )
    stage_seconds["setup"] = time.perf_counter() - t

    t = time.perf_counter()
    story_of = rng.choice(len(stories), size=n_articles, p=ctx.story_p)
    lang_of = np.where(rng.random(n_articles) < 0.5, "en", "fr")
    n_rows = dict.fromkeys(
        ("articles", "mentions", "stances", "themes", "embeddings", "reactions"), 0
    )
    reaction_id = 0
    computed_at = now
    for start in range(0, n_articles, CHUNK):
        stop = min(n_articles, start + CHUNK)
        rows: dict[str, list[tuple[Any, ...]]] = {k: [] for k in n_rows}
        ids, themes, stories_i, langs = [], [], [], []
        for n in range(start, stop):
            aid = n + 1
            lang = str(lang_of[n])
            a = _article(ctx, aid, int(story_of[n]), lang)
            rows["articles"].append(a["article"])
            rows["mentions"] += a["mentions"]
            rows["stances"] += a["stances"]
            rows["themes"] += a["themes"]
            for r in a["reactions"]:
                reaction_id += 1
                rows["reactions"].append((reaction_id, aid, *r, 1, computed_at))
            ids.append(aid)
            themes.append(a["theme"])
            stories_i.append(int(story_of[n]))
            langs.append(lang)
        rows["embeddings"] = _embeddings(ctx, ids, themes, stories_i, langs)
        for table in ("articles", "mentions", "stances", "themes", "embeddings", "reactions"):
            n_rows[table] += w.insert(table, rows[table])
        w.commit()
        report("articles", stop, n_articles)
    stage_seconds["articles"] = time.perf_counter() - t
    counts.update(n_rows)
    counts["stories"] = len(stories)
    return counts


# --------------------------------------------------------------------------------------------
# Command line.


def _db_url(value: str) -> str:
    return value if "://" in value else f"sqlite:///{Path(value).expanduser()}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write a synthetic airace corpus (articles, analysis, prices, reactions).",
        epilog="Example: python bench/synth.py --db sqlite:///tmp/airace-bench/synth-1k.db "
        "--articles 1000",
    )
    parser.add_argument("--db", required=True, help="database URL or a SQLite file path")
    parser.add_argument("--articles", type=int, default=1000, help="number of articles")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--replace", action="store_true", help="delete the SQLite file first if it exists"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)
    url = _db_url(args.db)
    sqlite_path: Path | None = None
    if url.startswith("sqlite:///"):
        sqlite_path = Path(url.removeprefix("sqlite:///"))
        if args.replace:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)

    def show(p: dict[str, Any]) -> None:
        if p["stage"] == "articles":
            print(f"  articles {p['done']:>7,}/{p['total']:,}  {p['elapsed']:7.1f} s", flush=True)

    print(f"generating {args.articles:,} articles into {url} (seed {args.seed})", flush=True)
    try:
        result = generate(url, args.articles, seed=args.seed, progress=None if args.quiet else show)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in result.pop("stage_seconds").items())
    seconds = result.pop("seconds")
    cpu = result.pop("cpu_seconds")
    print("rows: " + ", ".join(f"{k} {v:,}" for k, v in result.items()))
    size = ""
    if sqlite_path and sqlite_path.exists():
        size = f", file {sqlite_path.stat().st_size / 1e6:,.0f} MB"
    print(f"done in {seconds:.1f} s wall, {cpu:.1f} s CPU ({stages}){size}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
