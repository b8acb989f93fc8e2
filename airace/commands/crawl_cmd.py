"""CLI commands: crawl (news sources -> store), ingest (saved files -> store), extract (one page).

The helpers `crawl_options`, `relevance_terms` and `load_crawl_sources` map Settings to the
crawler's plain parameters; `airace run`, the scheduler and the demo can reuse them.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from airace.commands.common import app_context, parse_date
from airace.config import Settings
from airace.errors import UserError

if TYPE_CHECKING:
    from crawler.runner import CrawlOptions, CrawlSummary
    from crawler.sources import SourceConfig

log = logging.getLogger(__name__)
COLUMNS = ("fetched", "new", "duplicates", "irrelevant", "dropped", "errors")


def relevance_terms() -> list[str]:
    """AI-race terms: the knowledge base's names and aliases (when nlp.kb loads) + built-ins."""
    from crawler.relevance import BUILTIN_TERMS, merge_terms

    kb_terms: list[str] = []
    try:
        from nlp.kb import load_kb

        kb_terms = list(load_kb().relevance_terms())
    except Exception as e:  # the knowledge base is optional for crawling
        log.info("knowledge base unavailable for relevance terms (%s); built-in list only", e)
    return merge_terms(kb_terms, BUILTIN_TERMS)


def load_crawl_sources(settings: Settings, sources_file: Path | None = None) -> list[SourceConfig]:
    """The sources file named on the command line, in settings, or the bundled default, with
    its query sources expanded from the knowledge base."""
    from airace.query_feeds import expand_sources
    from crawler.sources import SourcesError, load_sources

    path = sources_file or (Path(settings.sources_file) if settings.sources_file else None)
    try:
        return expand_sources(load_sources(path))
    except SourcesError as e:
        raise UserError(str(e)) from None


def _crawl_lock(settings: Settings) -> Any:
    """The crawl stage's lock on this database (the one `airace run` takes), or exit 1."""
    from airace.locks import LockHeld, database_lock

    lock = database_lock(
        settings.database_url,
        ["crawl"],
        "airace crawl",
        fallback_dir=settings.resolved_data_dir() / "locks",
    )
    try:
        return lock.acquire()
    except LockHeld as e:
        typer.echo(f"airace: not started: {e}", err=True)
        raise typer.Exit(1) from None


def crawl_options(
    settings: Settings,
    *,
    source_names: Sequence[str] = (),
    since: dt.date | None = None,
    max_articles: int | None = None,
    http_cache: bool | None = None,
    log_level: str = "WARNING",
) -> CrawlOptions:
    """Map airace Settings (+ command options) to crawler.runner.CrawlOptions."""
    from crawler.runner import CrawlOptions

    use_cache = settings.http_cache if http_cache is None else http_cache
    return CrawlOptions(
        user_agent=settings.user_agent,
        contact=settings.crawler_contact,
        robots_obey=settings.robots_obey,
        download_delay=settings.download_delay,
        concurrent_requests_per_domain=settings.concurrent_requests_per_domain,
        autothrottle=settings.autothrottle,
        download_timeout=settings.download_timeout,
        download_maxsize=settings.download_maxsize,
        retry_after=settings.crawl_retry_after,
        since=since,
        max_articles=max_articles,
        http_cache_dir=str(settings.resolved_data_dir() / "http-cache") if use_cache else None,
        source_names=tuple(source_names),
        log_level=log_level,
    )


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


def run_crawl_with_display(
    db_url: str,
    sources: list[SourceConfig],
    options: CrawlOptions,
    terms: Sequence[str],
    *,
    live: bool = True,
) -> CrawlSummary:
    """run_crawl with a live per-source table on stderr (when it is a terminal)."""
    from rich.console import Console
    from rich.live import Live

    from crawler.runner import run_crawl
    from crawler.sources import SourcesError

    console = Console(stderr=True)
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

    try:
        if live and console.is_terminal:
            with display:
                return run_crawl(db_url, sources, options, terms, progress)
        return run_crawl(db_url, sources, options, terms, None)
    except SourcesError as e:
        raise UserError(str(e)) from None


def register(app: typer.Typer) -> None:
    @app.command("crawl")
    def crawl_cmd(
        ctx: typer.Context,
        sources_file: Path | None = typer.Option(
            None, "--sources", help="Sources file (TOML). Default: settings, then the bundled one."
        ),
        source: list[str] = typer.Option(
            [], "--source", "-s", help="Only this source (repeat for several)."
        ),
        since: str | None = typer.Option(
            None, "--since", help="Skip articles published before this date (YYYY-MM-DD)."
        ),
        max_articles: int | None = typer.Option(
            None, "--max-articles", min=1, help="Stop a source after this many new articles."
        ),
        no_cache: bool = typer.Option(False, "--no-cache", help="Do not use the HTTP cache."),
        as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
        list_sources: bool = typer.Option(
            False, "--list", help="List the sources and exit, without crawling."
        ),
        seed: bool = typer.Option(
            False, "--seed", help="Push the sources' start URLs into Redis for --distributed."
        ),
        distributed: bool = typer.Option(
            False, "--distributed", help="Crawl from the shared Redis frontier (scrapy-redis)."
        ),
        redis_key: str = typer.Option(
            "airace", "--redis-key", help="Prefix of the Redis keys of --seed and --distributed."
        ),
        lease: float = typer.Option(
            30.0,
            "--lease",
            min=1.0,
            help="With --distributed: seconds before a dead worker's requests are re-queued.",
        ),
        idle_exit: bool = typer.Option(
            False, "--idle-exit", help="With --distributed: exit once the frontier is empty."
        ),
    ) -> None:
        """Crawl the configured news sources and store new AI-race articles.

        A live table shows per-source progress; the final summary (fetched, new, duplicates,
        irrelevant, dropped and errors by reason) is printed and stored as a crawl run.

        Several machines can share one crawl: `airace crawl --seed` pushes the start URLs into
        Redis (setting redis_url), and each `airace crawl --distributed` worker takes requests
        from the shared queue and dupefilter (see docs/deployment.md).

        Example: airace crawl --source techcrunch-ai --max-articles 50
        """
        app_ctx = app_context(ctx)
        settings = app_ctx.settings
        sources = load_crawl_sources(settings, sources_file)
        if list_sources:
            for s in sources:
                flags = ("" if s.enabled else " (disabled)") + (
                    "" if s.verified else " [unchecked]"
                )
                typer.echo(f"{s.name}\t{s.kind}\t{s.language or '-'}\t{s.urls[0]}{flags}")
            return
        since_date = parse_date(since, "--since")
        known = {s.name for s in sources}
        unknown = [n for n in source if n not in known]
        if unknown:
            raise UserError(f"--source: unknown source {unknown[0]!r} (see 'airace crawl --list')")
        options = crawl_options(
            settings,
            source_names=source,
            since=since_date,
            max_articles=max_articles,
            http_cache=False if no_cache else None,
            log_level=["WARNING", "INFO", "DEBUG"][min(app_ctx.verbose, 2)],
        )
        app_ctx.engine  # noqa: B018 - creates and upgrades the database before the child uses it
        if seed or distributed:
            from airace.commands import crawl_distributed

            if seed and distributed:
                raise UserError("--seed and --distributed: run them as two commands")
            if seed:
                crawl_distributed.seed_frontier(
                    settings, sources, source, prefix=redis_key, as_json=as_json
                )
                return
            crawl_distributed.distributed_crawl(
                settings,
                sources,
                options,
                relevance_terms(),
                prefix=redis_key,
                lease=lease,
                idle_exit=idle_exit,
                as_json=as_json,
            )
            return
        with _crawl_lock(settings):
            summary = run_crawl_with_display(
                settings.database_url, sources, options, relevance_terms(), live=not as_json
            )
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
        else:
            from rich.console import Console

            title = f"crawl run {summary.run_id}: {summary.status} in {summary.elapsed:.1f}s"
            Console(width=120).print(_table(summary.per_source, title))
        if summary.status != "finished":  # a failed run, not a user's mistake: exit 1
            typer.echo(f"airace: crawl run {summary.run_id} failed: {summary.message}", err=True)
            raise typer.Exit(1)

    @app.command("ingest")
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
        from crawler.ingest import IngestError, IngestStoreError, ingest_paths

        app_ctx = app_context(ctx)
        since_date = parse_date(since, "--since")
        if source is not None and not source.replace("-", "").isalnum():
            raise UserError(f"--source: use letters, digits and dashes, got {source!r}")
        try:
            summary = ingest_paths(
                app_ctx.sessions,
                paths,
                relevance_terms(),
                since=since_date,
                always_relevant=always_relevant,
                source=source,
                max_bytes=app_ctx.settings.download_maxsize,
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

    @app.command("extract")
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
