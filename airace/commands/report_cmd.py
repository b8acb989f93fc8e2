"""`airace report`: render briefings (weekly PDF) from the database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from airace import stages
from airace.commands.common import app_context, parse_date
from airace.errors import UserError

KINDS = {"weekly": "One ISO week (or any --start/--end period): PDF, optionally HTML."}


report_app = typer.Typer(
    help=(
        "Render briefings from the database. Alone, lists what it can render.\n\n"
        "Example: airace report weekly --week 2025-W05 -o w05.pdf"
    ),
    invoke_without_command=True,
)


@report_app.callback()
def report_root(ctx: typer.Context) -> None:
    """Render briefings (weekly PDF). Alone, lists what it can render.

    Example: airace report weekly --week 2025-W05 -o w05.pdf
    """
    if ctx.invoked_subcommand is None:
        _list(ctx)


@report_app.command("list")
def report_list(ctx: typer.Context) -> None:
    """List the report kinds, the recent weeks with articles, and the last rendered reports.

    Example: airace report list
    """
    _list(ctx)


@report_app.command("weekly")
def report_weekly(
    ctx: typer.Context,
    week: str | None = typer.Option(
        None, "--week", help="ISO week, e.g. 2025-W05 (default: the last complete week)."
    ),
    start: str | None = typer.Option(None, "--start", help="First day, e.g. 2025-01-27."),
    end: str | None = typer.Option(None, "--end", help="Last day (inclusive)."),
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        help="PDF file (default: <report_dir>/briefing-<week>-<lang>.pdf).",
    ),
    html: Path | None = typer.Option(
        None, "--html", help="Also write the HTML (its charts go in <name>_assets/)."
    ),
    lang: str | None = typer.Option(
        None, "--lang", help="Language of the briefing: en or fr (default: report_language)."
    ),
) -> None:
    """Render the weekly briefing as a PDF: market moves, entities, narratives, reactions.

    Example: airace report weekly --week 2025-W05 -o w05.pdf --lang fr
    """
    from reports.context import iso_week, last_complete_week

    appctx = app_context(ctx)
    if week and (start or end):
        raise UserError("give either --week or --start/--end, not both")
    if week:
        try:
            period = iso_week(week)
        except ValueError as e:
            raise UserError(f"--week: {e}") from None
        first, last = period.start, period.end
    elif start or end:
        first_d = parse_date(start, "--start")
        last_d = parse_date(end, "--end")
        if first_d is None or last_d is None:
            raise UserError("--start and --end go together")
        if first_d > last_d:
            raise UserError(f"--start {first_d} is after --end {last_d}")
        first, last = first_d, last_d
    else:
        period = last_complete_week(dt.date.today())
        first, last = period.start, period.end
    result = stages.report(
        appctx.settings,
        appctx.sessions,
        first,
        last,
        lang=lang,
        pdf_path=output,
        html=html or False,
    )
    language = result.language
    typer.echo(
        f"{result.pdf_path}: {result.pages} pages, {result.article_count} articles, "
        f"{first} to {last} ({language}) in {result.timings.get('total', 0):.1f}s"
    )
    if result.html_path:
        typer.echo(f"{result.html_path}: HTML")
    if result.missing_tickers:
        typer.echo(f"no prices this week for: {', '.join(result.missing_tickers)}", err=True)


def _list(ctx: typer.Context) -> None:
    """Print the report kinds, recent weeks with articles, and the last rendered reports."""
    from db.articles import articles_per_week
    from db.weekly import recent_reports

    typer.echo("Report kinds:")
    for kind, text in KINDS.items():
        typer.echo(f"  {kind:<8} {text}")
    sessions = app_context(ctx).sessions
    with sessions() as s:
        weeks = articles_per_week(s, limit=12)
        last = recent_reports(s, limit=5)
    if weeks:
        typer.echo("Weeks with articles (most recent first):")
        for (year, wk), n in weeks:
            typer.echo(
                f"  {year}-W{wk:02d}  {n:>7} articles   airace report weekly --week "
                f"{year}-W{wk:02d}"
            )
    else:
        typer.echo("No dated article in the database yet: crawl first (airace crawl).")
    if last:
        typer.echo("Last rendered:")
        for r in last:
            typer.echo(
                f"  #{r.id} {r.kind} {r.period_start}..{r.period_end} {r.language} "
                f"{r.article_count} articles  {r.pdf_path or r.html_path}"
            )


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")
