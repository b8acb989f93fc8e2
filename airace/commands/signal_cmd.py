"""`airace eval signal` (does the stance say anything about prices?) and `airace stories`.

Both are module-level functions: `eval_signal` is registered on the `eval` sub-app by
airace/commands/eval_cmd.py, `stories` on the root app by `register`. JSON field names are
documented in docs/signal.md and are stable.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import typer

from airace.commands.common import app_context, parse_date
from airace.errors import UserError
from airace.output import Format, emit

WINDOW_HELP = (
    "Event window as session offsets: 0,0 | 0,1 | 0,5 | -1,1 (contemporaneous) or 1,1 | 1,5 "
    "(predictive). Default: 0,1 and 1,1."
)
SIGNAL_COLUMNS = [
    "variant",
    "window",
    "by",
    "group",
    "n",
    "days",
    "ic",
    "ic_low",
    "ic_high",
    "ic_method",
    "hit_n",
    "hit_rate",
    "hit_low",
    "hit_high",
    "favourable_n",
    "unfavourable_n",
    "favourable_mean_car",
    "unfavourable_mean_car",
    "spread",
    "spread_t",
    "note",
]
PORTFOLIO_COLUMNS = ["day", "longs", "shorts", "ret", "cumulative", "turnover"]


def _window(value: str) -> tuple[int, int]:
    from db.queries import parse_window
    from market.signal import WINDOWS

    try:
        window = parse_window(value)
    except ValueError as e:
        raise UserError(f"--window: {e}") from None
    if window not in WINDOWS:
        allowed = " | ".join(f"{a},{b}" for a, b in WINDOWS)
        raise UserError(f"--window must be one of {allowed}, got {value!r}")
    return window


def _interval(value: float | None, low: float | None, high: float | None, pct: bool) -> str:
    if value is None:
        return "n/a"
    f = (lambda v: f"{v * 100:.1f}%") if pct else (lambda v: f"{v:+.3f}")
    if low is None or high is None:
        return f(value)
    return f"{f(value)} [{f(low)}, {f(high)}]"


def eval_signal(
    ctx: typer.Context,
    since: str | None = typer.Option(None, "--since", help="First day 0, YYYY-MM-DD."),
    until: str | None = typer.Option(None, "--until", help="Last day 0, YYYY-MM-DD."),
    window: str | None = typer.Option(None, "--window", "-w", help=WINDOW_HELP),
    novel_only: bool = typer.Option(
        False, "--novel-only", help="Only first reports of a story (run `airace stories` first)."
    ),
    by: str | None = typer.Option(
        None, "--by", help="Also per group: link, theme, language, source or entity."
    ),
    portfolio: bool = typer.Option(
        False,
        "--portfolio",
        help="Print the long-short portfolio day by day (jsonl/csv/table) instead of the figures.",
    ),
    fmt: Format = typer.Option(Format.table, "--format", "-f", help="table, json, jsonl or csv."),
) -> None:
    """Does the news move with the market? IC, hit rate, favourable vs unfavourable CAR, long-short.

    Each figure says its variant: contemporaneous (windows from day 0) or predictive (windows
    from +1: only news out before the close of day 0, so no look-ahead). Intervals are 95%
    bootstrap intervals resampling event days; t-statistics are clustered by day. The
    portfolio goes long tickers with net favourable novel news and short net unfavourable, on
    the predictive [+1,+1] return. Statistics and assumptions: docs/signal.md.

    JSON fields: rows [variant, window, by, group, n, days, ic, ic_low, ic_high, ic_method,
    hit_n, hit_rate, hit_low, hit_high, favourable_n, unfavourable_n, favourable_mean_car,
    unfavourable_mean_car, spread, spread_t, note], portfolio {...}, excluded, n_boot, seed.

    Example: airace eval signal --since 2025-01-01 --window 1,1 --by language --format json
    """
    from airace import stages
    from market.signal import GROUPINGS

    actx = app_context(ctx)
    first = parse_date(since, "--since")
    last = parse_date(until, "--until")
    if first and last and first > last:
        raise UserError(f"--since {first} is after --until {last}")
    if by is not None and by not in GROUPINGS:
        raise UserError(f"--by must be one of {', '.join(GROUPINGS)}, got {by!r}")
    windows = [_window(window)] if window else [(0, 1), (1, 1)]
    report = stages.signal(
        actx.settings,
        actx.sessions,
        windows=windows,
        by=by,
        novel_only=novel_only,
        since=first,
        until=last,
    )
    if novel_only and not report.novelty_computed:
        typer.echo("warning: no novelty computed yet; run `airace stories` first", err=True)
    if portfolio:
        curve = report.portfolio.curve if report.portfolio else []
        if fmt is Format.json:
            typer.echo(json.dumps(report.portfolio.as_dict() if report.portfolio else None,
                                  default=str, indent=2))  # fmt: skip
            return
        emit([vars(p) for p in curve], fmt, columns=PORTFOLIO_COLUMNS)
        return
    if fmt is Format.json:
        typer.echo(json.dumps(report.as_dict(), default=str, ensure_ascii=False, indent=2))
        return
    rows = [vars(r) for r in report.rows]
    if fmt is not Format.table:
        emit(rows, fmt, columns=SIGNAL_COLUMNS)
        return
    _print_table(report, rows)


def _print_table(report: Any, rows: list[dict[str, Any]]) -> None:
    table = [
        {
            "variant": f"{r['variant']} {r['window']}",
            "group": r["group"] if r["group"] == "all" else f"{r['by']}={r['group']}",
            "n": r["n"],
            "days": r["days"],
            "IC [95%]": _interval(r["ic"], r["ic_low"], r["ic_high"], False),
            "hit rate [95%]": _interval(r["hit_rate"], r["hit_low"], r["hit_high"], True),
            "fav-unfav": "n/a" if r["spread"] is None else f"{r['spread'] * 100:+.2f}%",
            "t": "n/a" if r["spread_t"] is None else f"{r['spread_t']:+.2f}",
        }
        for r in rows
    ]
    emit(table, Format.table, title="Stance vs abnormal returns (CAR of the window)")
    typer.echo(
        "IC: Spearman, 95% interval from a bootstrap of event days; hit rate: sign agreement; "
        "fav-unfav: mean CAR of favourable minus unfavourable news, t clustered by day."
    )
    for r in rows:
        if r["note"]:
            typer.echo(f"note ({r['variant']} {r['window']}, {r['group']}): {r['note']}")
    p = report.portfolio
    if p is not None:
        if p.days:
            typer.echo(
                f"long-short ({p.variant} [{p.window}], "
                f"{'novel news' if p.novel_only else 'all news'}): {p.days} day(s) "
                f"{p.first_day}..{p.last_day}, cumulative {p.cumulative_return * 100:+.2f}%, "
                f"mean daily {p.mean_daily_return * 100:+.3f}% "
                f"(t {'n/a' if p.daily_t is None else f'{p.daily_t:+.2f}'}), "
                f"turnover {p.mean_turnover:.2f}/day, "
                f"{p.mean_longs:.1f} long / {p.mean_shorts:.1f} short on average"
            )
        if p.note:
            typer.echo(f"note: {p.note}")
    for reason, n in sorted(report.excluded.items()):
        typer.echo(f"left out {n}: {reason}", file=sys.stderr)


def stories(
    ctx: typer.Context,
    since: str | None = typer.Option(
        None, "--since", help="Only articles published on or after this day (YYYY-MM-DD)."
    ),
    recompute: bool = typer.Option(
        False, "--recompute", help="Re-group articles whose story rows are current."
    ),
) -> None:
    """Group articles into stories and flag the first report of each story per entity.

    Uses the stored embeddings, entities, tickers, numbers, dates and publication times (no
    model is loaded); English and French reports of one event land in one story through shared
    entities, numbers and dates. Only what is new or older than the current version is redone.

    Example: airace stories --since 2025-01-01
    """
    from airace import stages

    actx = app_context(ctx)
    summary = stages.stories(
        actx.settings, actx.sessions, since=parse_date(since, "--since"), recompute=recompute
    )
    typer.echo(
        f"{summary.articles} article(s) grouped: {summary.stories} new story(ies); "
        f"{summary.first} first report(s), {summary.follow_up} follow-up(s), {summary.copy} "
        f"copy(ies); {summary.novel_pairs} novel and {summary.repeated_pairs} repeated "
        f"(article, entity) pair(s)"
    )


def register(app: typer.Typer) -> None:
    """Register `airace stories` on the root app (`eval signal` is registered by eval_cmd)."""
    app.command("stories")(stories)
