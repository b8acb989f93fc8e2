"""CLI commands: crawl (news sources -> store), ingest (saved files -> store), extract (one page).

`airace crawl` has one mode per command: `airace crawl` (a local crawl), `airace crawl list`,
`airace crawl seed` and `airace crawl distributed` (the shared Redis frontier). The older
spellings `crawl --list`, `crawl --seed` and `crawl --distributed` still work, with a deprecation
note on stderr. Settings meet the crawler in airace/stages.py.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from airace import stages
from airace.commands.common import app_context, parse_date, stage_lock
from airace.errors import UserError

if TYPE_CHECKING:
    from crawler.runner import CrawlSummary
    from crawler.sources import SourceConfig

COLUMNS = ("fetched", "new", "duplicates", "irrelevant", "dropped", "errors")
LOG_LEVELS = ["WARNING", "INFO", "DEBUG"]

crawl_app = typer.Typer(
    help=(
        "Crawl the configured news sources and store new AI-race articles. Alone, a local "
        "crawl; `list`, `seed` and `distributed` are the other modes.\n\n"
        "Example: airace crawl --source techcrunch-ai --max-articles 50"
    ),
    invoke_without_command=True,
)

SOURCES_OPTION = typer.Option(
    None, "--sources", help="Sources file (TOML). Default: settings, then the bundled one."
)
SOURCE_OPTION = typer.Option([], "--source", "-s", help="Only this source (repeat for several).")
SINCE_OPTION = typer.Option(
    None, "--since", help="Skip articles published before this date (YYYY-MM-DD)."
)
MAX_OPTION = typer.Option(
    None, "--max-articles", min=1, help="Stop a source after this many new articles."
)
NO_CACHE_OPTION = typer.Option(False, "--no-cache", help="Do not use the HTTP cache.")
JSON_OPTION = typer.Option(False, "--json", help="Print the summary as JSON.")
REDIS_KEY_OPTION = typer.Option(
    None,
    "--redis-key",
    help="Prefix of the shared frontier's Redis keys (default: the redis_prefix setting).",
)
LEASE_OPTION = typer.Option(
    None,
    "--lease",
    min=1.0,
    help="Seconds before a dead worker's requests are re-queued (default: the crawl_lease "
    "setting).",
)
IDLE_EXIT_OPTION = typer.Option(False, "--idle-exit", help="Exit once the frontier is empty.")
# The deprecated `crawl --distributed` spelling takes the same three, hidden from its help.
HIDDEN_REDIS_KEY_OPTION = typer.Option(None, "--redis-key", hidden=True)
HIDDEN_LEASE_OPTION = typer.Option(None, "--lease", min=1.0, hidden=True)
HIDDEN_IDLE_EXIT_OPTION = typer.Option(False, "--idle-exit", hidden=True)


def _table(per_source: dict[str, dict[str, Any]], title: str) -> Any:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(title))
    table.add_column("source")
    for col in COLUMNS:
        table.add_column(col, justify="right")
    table.add_column("dropped / errors by reason")
    totals = dict.fromkeys(COLUMNS, 0)
    for name, counts in sorted(per_source.items()):
        reasons = {**counts.get("dropped_by_reason", {}), **counts.get("errors_by_reason", {})}
        table.add_row(  # Text: names and reasons are data, never rich markup
            Text(name),
            *(str(counts.get(c, 0)) for c in COLUMNS),
            Text(", ".join(f"{k} {v}" for k, v in sorted(reasons.items()))),
        )
        for c in COLUMNS:
            totals[c] += int(counts.get(c, 0))
    table.add_row("total", *(str(totals[c]) for c in COLUMNS), "", style="bold")
    return table


def crawl_with_display(run: Any, *, live: bool = True) -> CrawlSummary:
    """Call `run(progress)` (a crawl) with a live per-source table on stderr when it is a
    terminal and `live`; `run(None)` otherwise."""
    from rich.console import Console
    from rich.live import Live

    console = Console(stderr=True)
    if not (live and console.is_terminal):
        return run(None)  # type: ignore[no-any-return]
    per_source: dict[str, dict[str, Any]] = {}
    display = Live(
        _table(per_source, "crawling…"),
        console=console,
        refresh_per_second=4,
        transient=True,
        auto_refresh=False,
    )

    def progress(event: dict[str, Any]) -> None:
        if event.get("event") in ("progress", "source_done"):
            per_source[event["source"]] = event["counts"]
            display.update(_table(per_source, "crawling…"), refresh=True)

    with display:
        return run(progress)  # type: ignore[no-any-return]


def _print_summary(summary: CrawlSummary, as_json: bool, *, distributed: bool = False) -> None:
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "run_id": summary.run_id,
                    "status": summary.status,
                    "totals": summary.totals,
                    "per_source": summary.per_source,
                    "seconds": round(summary.elapsed, 2),
                },
                indent=2,
                default=str,
            )
        )
    elif distributed:
        counts = ", ".join(f"{k} {v}" for k, v in summary.totals.items())
        typer.echo(
            f"crawl run {summary.run_id} (distributed): {summary.status} in "
            f"{summary.elapsed:.1f}s: {counts}"
        )
    else:
        from rich.console import Console

        title = f"crawl run {summary.run_id}: {summary.status} in {summary.elapsed:.1f}s"
        Console(width=120).print(_table(summary.per_source, title))
    if summary.status != "finished":  # a failed run, not a user's mistake: exit 1
        typer.echo(f"airace: crawl run {summary.run_id} failed: {summary.message}", err=True)
        raise typer.Exit(1)


def _deprecated(old: str, new: str) -> None:
    typer.echo(f"airace: note: '{old}' is deprecated; use '{new}'", err=True)


def _sources(ctx: typer.Context, sources_file: Path | None) -> list[SourceConfig]:
    return stages.load_crawl_sources(app_context(ctx).settings, sources_file)


@crawl_app.callback()
def crawl_cmd(
    ctx: typer.Context,
    sources_file: Path | None = SOURCES_OPTION,
    source: list[str] = SOURCE_OPTION,
    since: str | None = SINCE_OPTION,
    max_articles: int | None = MAX_OPTION,
    no_cache: bool = NO_CACHE_OPTION,
    as_json: bool = JSON_OPTION,
    list_sources: bool = typer.Option(
        False, "--list", help="Deprecated spelling of 'airace crawl list'.", hidden=True
    ),
    seed: bool = typer.Option(
        False, "--seed", help="Deprecated spelling of 'airace crawl seed'.", hidden=True
    ),
    distributed: bool = typer.Option(
        False,
        "--distributed",
        help="Deprecated spelling of 'airace crawl distributed'.",
        hidden=True,
    ),
    redis_key: str | None = HIDDEN_REDIS_KEY_OPTION,
    lease: float | None = HIDDEN_LEASE_OPTION,
    idle_exit: bool = HIDDEN_IDLE_EXIT_OPTION,
) -> None:
    """Crawl the configured news sources and store new AI-race articles.

    A live table shows per-source progress; the final summary (fetched, new, duplicates,
    irrelevant, dropped and errors by reason) is printed and stored as a crawl run. The other
    modes are subcommands: `airace crawl list`, `airace crawl seed`, `airace crawl distributed`
    (the older `--list`, `--seed` and `--distributed` still work, with a deprecation note).

    Example: airace crawl --source techcrunch-ai --max-articles 50
    """
    if ctx.invoked_subcommand is not None:
        return
    if list_sources:
        _deprecated("crawl --list", "crawl list")
        crawl_list(ctx, sources_file)
        return
    if seed and distributed:
        raise UserError("--seed and --distributed: run them as two commands")
    if seed:
        _deprecated("crawl --seed", "crawl seed")
        crawl_seed(ctx, sources_file, source, redis_key, as_json)
        return
    if distributed:
        _deprecated("crawl --distributed", "crawl distributed")
        crawl_distributed(
            ctx,
            sources_file,
            source,
            since,
            max_articles,
            no_cache,
            as_json,
            redis_key,
            lease,
            idle_exit,
        )
        return
    app_ctx = app_context(ctx).creating()
    settings = app_ctx.settings
    sources = _sources(ctx, sources_file)
    since_date = parse_date(since, "--since")
    app_ctx.engine  # noqa: B018 - creates and upgrades the database before the child uses it
    with stage_lock(settings, "crawl", "airace crawl"):
        summary = crawl_with_display(
            lambda progress: stages.crawl(
                settings,
                sources=sources,
                source_names=source,
                since=since_date,
                max_articles=max_articles,
                http_cache=False if no_cache else None,
                log_level=LOG_LEVELS[min(app_ctx.verbose, 2)],
                progress=progress,
            ),
            live=not as_json,
        )
    _print_summary(summary, as_json)


@crawl_app.command("list")
def crawl_list(ctx: typer.Context, sources_file: Path | None = SOURCES_OPTION) -> None:
    """List the configured sources (name, kind, language, first URL), without crawling.

    Example: airace crawl list --sources my-sources.toml
    """
    for s in _sources(ctx, sources_file):
        flags = ("" if s.enabled else " (disabled)") + ("" if s.verified else " [unchecked]")
        typer.echo(f"{s.name}\t{s.kind}\t{s.language or '-'}\t{s.urls[0]}{flags}")


@crawl_app.command("seed")
def crawl_seed(
    ctx: typer.Context,
    sources_file: Path | None = SOURCES_OPTION,
    source: list[str] = SOURCE_OPTION,
    redis_key: str | None = REDIS_KEY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Push the sources' start URLs into the shared Redis frontier (setting redis_url).

    Run it from cron on one machine; `airace crawl distributed` workers then take requests from
    the shared queue and dupefilter (see docs/deployment.md).

    Example: airace crawl seed --source my-feed
    """
    settings = app_context(ctx).settings
    prefix = settings.redis_prefix if redis_key is None else redis_key
    pushed = stages.seed(settings, _sources(ctx, sources_file), source, prefix=prefix)
    if as_json:
        typer.echo(json.dumps({"prefix": prefix, "pushed": pushed}, indent=2))
        return
    total = sum(pushed.values())
    typer.echo(f"seeded {total} start URLs from {len(pushed)} sources into {prefix}:* (Redis)")


@crawl_app.command("distributed")
def crawl_distributed(
    ctx: typer.Context,
    sources_file: Path | None = SOURCES_OPTION,
    source: list[str] = SOURCE_OPTION,
    since: str | None = SINCE_OPTION,
    max_articles: int | None = MAX_OPTION,
    no_cache: bool = NO_CACHE_OPTION,
    as_json: bool = JSON_OPTION,
    redis_key: str | None = REDIS_KEY_OPTION,
    lease: float | None = LEASE_OPTION,
    idle_exit: bool = IDLE_EXIT_OPTION,
) -> None:
    """Crawl from the shared Redis frontier (scrapy-redis) as one of several workers.

    Example: airace crawl distributed --idle-exit --source my-feed
    """
    app_ctx = app_context(ctx).creating()
    sources = _sources(ctx, sources_file)
    since_date = parse_date(since, "--since")
    app_ctx.engine  # noqa: B018 - creates and upgrades the database before the child uses it
    summary = stages.crawl_distributed(
        app_ctx.settings,
        sources,
        source_names=source,
        since=since_date,
        max_articles=max_articles,
        http_cache=False if no_cache else None,
        log_level=LOG_LEVELS[min(app_ctx.verbose, 2)],
        prefix=redis_key,
        lease=lease,
        idle_exit=idle_exit,
    )
    _print_summary(summary, as_json, distributed=True)


def ingest_cmd(
    ctx: typer.Context,
    paths: list[str] = typer.Argument(
        ..., help="Files or folders: .html, .txt, .jsonl, .warc, .warc.gz."
    ),
    since: str | None = typer.Option(
        None, "--since", help="Skip articles published before this date (YYYY-MM-DD)."
    ),
    source: str | None = typer.Option(
        None, "--source", help="Record the articles under this source name."
    ),
    always_relevant: bool = typer.Option(
        False, "--all", help="Store every article, without the AI-relevance filter."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Import articles you already have (.html, .txt, .jsonl, .warc).

    A .txt file may start with a line like `date 2025-02 Title` (date to the month, then the
    title). Records take the crawl's path: extraction, relevance, dedupe, storage.

    Example: airace ingest saved/*.html notes.txt
    """
    from crawler.ingest import IngestError, IngestStoreError

    app_ctx = app_context(ctx).creating()
    since_date = parse_date(since, "--since")
    if source is not None and not source.replace("-", "").isalnum():
        raise UserError(f"--source: use letters, digits and dashes, got {source!r}")
    try:
        summary = stages.ingest(
            app_ctx.settings,
            app_ctx.sessions,
            paths,
            since=since_date,
            always_relevant=always_relevant,
            source=source,
        )
    except IngestError as e:
        raise UserError(str(e)) from None
    except IngestStoreError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(1) from None
    result = summary.as_dict()
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        if result["errors"]:
            raise typer.Exit(1)
        return
    typer.echo(
        "read {read}, new {new}, duplicates {duplicates}, irrelevant {irrelevant}, "
        "dropped {dropped}, errors {errors}".format(**result)
    )
    for reason, n in sorted(result["dropped_by_reason"].items()):
        typer.echo(f"  dropped {reason}: {n}")
    for error in result["error_samples"]:
        typer.echo(f"  error: {error}", err=True)
    if result["errors"]:
        raise typer.Exit(1)  # some input could not be read: a failed run


def extract_cmd(
    file: str = typer.Argument("-", help="HTML file, or - for stdin."),
    url: str | None = typer.Option(None, "--url", help="The page's URL (helps extraction)."),
    as_json: bool = typer.Option(
        False, "--json", help="Print text and metadata as JSON instead of the text alone."
    ),
) -> None:
    """Print the main text of one HTML page (stdin by default), and nothing else.

    Example: curl -s URL | airace extract
    """
    from crawler.extract import decode_html, extract_article, extract_text

    if file == "-":
        stream = getattr(sys.stdin, "buffer", None)
        raw: str | bytes = stream.read() if stream is not None else sys.stdin.read()
    else:
        try:
            raw = Path(file).expanduser().read_bytes()
        except OSError as e:
            raise UserError(f"cannot read {file}: {e.strerror or e}") from None
    html = decode_html(raw) if isinstance(raw, bytes) else raw
    if not as_json:
        text = extract_text(html, url=url)
        if text:
            typer.echo(text)
        return
    art = extract_article(html, url)
    typer.echo(
        json.dumps(
            {
                "title": art.title,
                "authors": art.authors,
                "published": art.published.when.isoformat() if art.published.when else None,
                "published_precision": art.published.precision,
                "language": art.language,
                "canonical_url": art.canonical_url,
                "description": art.description,
                "site_name": art.site_name,
                "top_image": art.top_image,
                "text": art.text,
            },
            ensure_ascii=False,
            indent=2,
        )
    )


def register(app: typer.Typer) -> None:
    app.add_typer(crawl_app, name="crawl")
    app.command("ingest")(ingest_cmd)
    app.command("extract")(extract_cmd)
