"""`airace crawl --seed` and `airace crawl --distributed`: the shared Redis frontier.

Helpers of crawl_cmd (no command of their own): they map Settings and the crawl options to
crawler.distributed's plain parameters and print the result.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import typer

from airace.errors import UserError

if TYPE_CHECKING:
    from airace.config import Settings
    from crawler.runner import CrawlOptions
    from crawler.sources import SourceConfig


def seed_frontier(
    settings: Settings,
    sources: list[SourceConfig],
    names: list[str],
    *,
    prefix: str,
    as_json: bool,
) -> None:
    """Push the chosen (default: every enabled) sources' start URLs into Redis."""
    from crawler.distributed import DistributedError, seed
    from crawler.sources import SourcesError, select_sources

    try:
        chosen = select_sources(sources, names)
        pushed = seed(settings.redis_url, chosen, prefix)
    except (DistributedError, SourcesError) as e:
        raise UserError(str(e)) from None
    if as_json:
        typer.echo(json.dumps({"prefix": prefix, "pushed": pushed}, indent=2))
        return
    total = sum(pushed.values())
    typer.echo(f"seeded {total} start URLs from {len(pushed)} sources into {prefix}:* (Redis)")


def distributed_crawl(
    settings: Settings,
    sources: list[SourceConfig],
    options: CrawlOptions,
    terms: list[str],
    *,
    prefix: str,
    lease: float,
    idle_exit: bool,
    as_json: bool,
) -> None:
    """Run one crawl worker on the shared frontier and print its summary."""
    from crawler.distributed import DistributedError, run_distributed
    from crawler.sources import SourcesError

    try:
        summary = run_distributed(
            settings.database_url,
            sources,
            options,
            terms,
            redis_url=settings.redis_url,
            prefix=prefix,
            lease=lease,
            idle_exit=idle_exit,
        )
    except (DistributedError, SourcesError) as e:
        raise UserError(str(e)) from None
    result: dict[str, Any] = {
        "run_id": summary.run_id,
        "status": summary.status,
        "totals": summary.totals,
        "seconds": round(summary.elapsed, 2),
    }
    if as_json:
        typer.echo(json.dumps({**result, "per_source": summary.per_source}, indent=2))
    else:
        counts = ", ".join(f"{k} {v}" for k, v in summary.totals.items())
        typer.echo(
            f"crawl run {summary.run_id} (distributed): {summary.status} in "
            f"{summary.elapsed:.1f}s: {counts}"
        )
    if summary.status != "finished":
        raise UserError(f"crawl run {summary.run_id} failed: {summary.message}")
