"""CLI commands: `prices update` (Yahoo or CSV files) and `react` (event study of each story)."""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from airace import stages
from airace.commands.common import app_context, parse_date
from airace.errors import UserError

prices_app = typer.Typer(
    help="Keep daily prices in the database.\n\nExample: airace prices update --tickers NVDA SMH",
    no_args_is_help=True,
)


@prices_app.command("update")
def prices_update(
    ctx: typer.Context,
    extra: list[str] | None = typer.Argument(None, show_default=False),
    tickers: list[str] | None = typer.Option(
        None,
        "--tickers",
        "-t",
        help="Tickers to update (repeat or comma-separate). Default: every ticker linked to "
        "analysed articles plus the benchmarks.",
    ),
    start: str | None = typer.Option(None, "--start", help="First day, YYYY-MM-DD."),
    end: str | None = typer.Option(
        None, "--end", help="Last day, YYYY-MM-DD (default: the last closed session)."
    ),
    from_csv: Path | None = typer.Option(
        None,
        "--from-csv",
        help="Load CSV files (Date,Open,High,Low,Close,Adj Close,Volume; one <TICKER>.csv "
        "per ticker, IDX_<NAME>.csv for ^NAME) instead of asking Yahoo.",
    ),
    max_tries: int | None = typer.Option(
        None, "--max-tries", min=1, help="Tries per ticker (default: the price_max_tries setting)."
    ),
) -> None:
    """Fetch the daily prices the database is missing, from Yahoo Finance or CSV files.

    Only the date ranges not stored yet are fetched; rate limits and network errors are
    retried with backoff, and each ticker gets a line at the end saying what happened.

    Example: airace prices update --tickers NVDA SMH --start 2024-09-01
    """
    from market.csv_prices import PriceSourceError

    actx = app_context(ctx).creating()  # prices may come before any crawl
    names = [t.strip() for raw in (tickers or []) + (extra or []) for t in raw.split(",")]
    names = [t for t in names if t]
    first = parse_date(start, "--start")
    last = parse_date(end, "--end")
    if first and last and first > last:
        raise UserError(f"--start {first} is after --end {last}")
    if from_csv is None:
        names = names or stages.needed_tickers(actx.settings, actx.sessions)
        typer.echo(f"updating {len(names)} ticker(s) from Yahoo Finance", err=True)
        if actx.verbose == 0:  # the per-ticker account below says what went wrong
            logging.getLogger("yfinance").setLevel(logging.CRITICAL)
    try:
        report = stages.prices(
            actx.settings,
            actx.sessions,
            tickers=names,
            start=first,
            end=last,
            from_csv=from_csv,
            max_tries=max_tries,
        ).report
    except PriceSourceError as e:
        raise UserError(f"--from-csv: {e}") from None
    for line in report.lines():
        typer.echo(line)
    stored = sum(report.rows.values())
    typer.echo(f"{stored} row(s) stored; {len(report.failed)} ticker(s) failed", err=True)
    if report.failed and not report.rows:
        raise typer.Exit(1)


def react_cmd(
    ctx: typer.Context,
    since: str | None = typer.Option(
        None, "--since", help="Only articles published on or after this day (YYYY-MM-DD)."
    ),
    recompute: bool = typer.Option(
        False, "--recompute", help="Recompute pairs already stored (after a price revision)."
    ),
) -> None:
    """Compute abnormal returns around each analysed article and store them.

    Day 0 is the session a story could move on each linked ticker's exchange; articles whose
    prices are not there yet are listed and picked up by a later run.

    Example: airace react --since 2025-01-01
    """
    actx = app_context(ctx)
    day = parse_date(since, "--since")
    summary = stages.react(actx.settings, actx.sessions, since=day, recompute=recompute)
    typer.echo(
        f"{summary.computed} (article, ticker) pair(s) computed, {summary.rows} row(s) "
        f"stored, {len(summary.pending)} article(s) pending ({summary.waiting} waiting for "
        f"prices), {summary.skipped} skipped"
    )
    for reason, n in sorted(summary.skipped_reasons.items()):
        typer.echo(f"  skipped {n}: {reason}")
    for aid, reason in list(summary.pending.items())[:20]:
        typer.echo(f"  pending article {aid}: {reason}")
    if len(summary.pending) > 20:
        typer.echo(f"  ... and {len(summary.pending) - 20} more pending")


def register(app: typer.Typer) -> None:
    app.add_typer(prices_app, name="prices")
    app.command("react")(react_cmd)
