"""`react`: from analysed articles to stored reactions (links -> day 0 -> event study -> rows).

Kept apart from market/events.py so the numerical part stays free of database code; this module
imports events.py, never the other way round.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db.models import Article
from db.prices import instruments, select_prices
from db.reactions import complete_pairs, save_reactions
from market.calendar import sessions_for, trading_sessions
from market.events import VERSION, Event, Reason, ReasonKind, event_study, price_panel
from market.exposure import Link, links_for_articles
from market.instruments import benchmark_for, instrument_for

log = logging.getLogger(__name__)
SAVE_BATCH = 2000


@dataclass
class ReactSummary:
    """What `react` did: pairs computed, rows written, articles pending (with why), skipped.

    `reasons` holds the structured reasons per pending article; `pending` the same as one line
    per article (for people); `problems` counts reasons by kind; `missing_prices` names the
    tickers (or benchmarks) that have no stored price at all.
    """

    computed: int = 0
    rows: int = 0
    reasons: dict[int, list[Reason]] = field(default_factory=dict)
    skipped: int = 0
    skipped_reasons: dict[str, int] = field(default_factory=dict)
    waiting: int = 0  # pending articles that only wait for newer prices

    @property
    def pending(self) -> dict[int, str]:
        return {
            aid: "; ".join(dict.fromkeys(r.message for r in whys))
            for aid, whys in self.reasons.items()
        }

    @property
    def problems(self) -> dict[str, int]:
        return dict(Counter(str(r.kind) for whys in self.reasons.values() for r in whys))

    @property
    def missing_prices(self) -> set[str]:
        return {t for whys in self.reasons.values() for r in whys for t in r.missing}


def react(
    sessions: sessionmaker[Session],
    *,
    theme_baskets: Mapping[str, list[str]],
    since: dt.date | None = None,
    progress: Callable[[dict[str, Any]], None] | None = None,
    benchmark_overrides: Mapping[str, str] | None = None,
    recompute: bool = False,
) -> ReactSummary:
    """Compute and store reactions for analysed articles (published on or after `since`).

    Idempotent: pairs whose four windows are stored at the current version are skipped unless
    `recompute`. Pairs without prices yet are reported in `.pending` and picked up next run.
    """
    summary = ReactSummary()
    skipped: Counter[str] = Counter()
    with sessions.begin() as s:
        stmt = select(Article.id, Article.published_at, Article.published_precision).where(
            Article.status == "analysed"
        )
        if since is not None:
            stmt = stmt.where(
                Article.published_at >= dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC)
            )
        articles = {aid: (when, prec) for aid, when, prec in s.execute(stmt.order_by(Article.id))}
        links = links_for_articles(s, list(articles), theme_baskets)
        done = set() if recompute else complete_pairs(s, list(links), VERSION)
        todo: dict[int, list[Link]] = {}
        for aid in articles:
            article_links = links.get(aid)
            if not article_links:
                skipped["no listed ticker linked"] += 1
                continue
            rest = [ln for ln in article_links if (aid, ln.ticker) not in done]
            if not rest:
                skipped["already computed"] += 1
                continue
            todo[aid] = rest
        tickers = {ln.ticker for lns in todo.values() for ln in lns}
        bench = {t: benchmark_for(t, benchmark_overrides) for t in tickers}
        needed = tickers | {b for b in bench.values() if b}
        stored = instruments(s, needed)
        price_rows = select_prices(s, needed)

    calendar_of = {
        t: (stored[t].calendar if t in stored and stored[t].calendar else None)
        or instrument_for(t).calendar
        for t in tickers
    }
    by_ticker: dict[str, list[tuple[str, dt.date, float, float | None]]] = defaultdict(list)
    for price_row in price_rows:
        by_ticker[price_row[0]].append(price_row)

    reasons: dict[int, list[Reason]] = defaultdict(list)
    link_of: dict[tuple[int, str], Link] = {}
    per_calendar: dict[str, list[tuple[int, Link]]] = defaultdict(list)
    for aid, lns in todo.items():
        for ln in lns:
            link_of[(aid, ln.ticker)] = ln
            if not bench[ln.ticker]:
                reasons[aid].append(Reason(ReasonKind.NO_BENCHMARK, f"{ln.ticker}: no benchmark"))
                continue
            per_calendar[calendar_of[ln.ticker]].append((aid, ln))

    rows: list[dict[str, Any]] = []
    computed_pairs: set[tuple[int, str]] = set()
    month_only: set[int] = set()
    waiting: set[int] = set()
    for code, pairs in per_calendar.items():
        aids = sorted({aid for aid, _ in pairs})
        try:
            matches = dict(
                zip(
                    aids,
                    sessions_for(
                        [articles[a][0] for a in aids], [articles[a][1] for a in aids], code
                    ),
                    strict=True,
                )
            )
        except ValueError as err:
            for aid in aids:
                reasons[aid].append(Reason(ReasonKind.NO_DAY0, str(err)))
            continue
        events: list[Event] = []
        for aid, ln in pairs:
            m = matches[aid]
            if m.session is None:
                if articles[aid][1] in ("month", "unknown") or articles[aid][0] is None:
                    month_only.add(aid)
                else:
                    reasons[aid].append(Reason(ReasonKind.NO_DAY0, f"{ln.ticker}: {m.reason}"))
                continue
            events.append(Event((aid, ln.ticker), ln.ticker, bench[ln.ticker] or "", m.session))
        if not events:
            continue
        names = {ev.ticker for ev in events} | {ev.benchmark for ev in events}
        group_rows = [r for t in sorted(names) for r in by_ticker.get(t, [])]
        if not group_rows:
            for ev in events:
                reasons[ev.key[0]].append(
                    Reason(
                        ReasonKind.NO_PRICES,
                        f"no prices for {ev.ticker} or {ev.benchmark}",
                        (ev.ticker, ev.benchmark),
                    )
                )
            continue
        first = min(r[1] for r in group_rows)
        last = max(r[1] for r in group_rows)
        cal_sessions = trading_sessions(code, first, last)
        panel, last_dates, splits = price_panel(group_rows, cal_sessions)
        study = event_study(panel, events, last_dates=last_dates, splits=splits)
        for key, why in study.reasons.items():
            reasons[key[0]].append(why)
        waiting.update(key[0] for key in study.waiting)
        for row in study.rows:
            aid, ticker = row.pop("key")
            ln = link_of[(aid, ticker)]
            note = matches[aid].time_note
            rows.append(
                {
                    **row,
                    "article_id": aid,
                    "time_note": note,
                    "link_type": ln.link_type,
                    "link_weight": ln.weight,
                    "via": ln.via,
                }
            )
            computed_pairs.add((aid, ticker))
        if progress:
            progress({"stage": "react", "calendar": code, "events": len(events)})

    for start in range(0, len(rows), SAVE_BATCH):
        with sessions.begin() as s:
            summary.rows += save_reactions(s, rows[start : start + SAVE_BATCH])
        if progress:
            progress({"stage": "saved", "done": summary.rows, "total": len(rows)})

    for aid in month_only:
        if aid not in reasons:
            skipped["date known only to the month or unknown: no day-0 reaction"] += 1
    summary.computed = len(computed_pairs)
    summary.skipped = sum(skipped.values())
    summary.skipped_reasons = dict(skipped)
    summary.reasons = {aid: list(dict.fromkeys(whys)) for aid, whys in reasons.items()}
    summary.waiting = len(waiting)
    for aid, line in list(summary.pending.items())[:20]:
        log.info("article %s pending: %s", aid, line)
    return summary
