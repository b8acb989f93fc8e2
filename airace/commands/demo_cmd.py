"""CLI command: demo (the whole product offline on the bundled sample news site)."""

from __future__ import annotations

import shlex
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from airace.commands.common import app_context
from airace.errors import UserError

if TYPE_CHECKING:
    from airace.demo import DemoResult

STAGE_LABELS = {
    "site": "sample site",
    "crawl": "crawl",
    "analyse": "analysis",
    "prices": "prices",
    "react": "reactions",
    "report": "briefing",
}


def escape(text: str) -> str:
    """`text` as rich markup that prints literally (stage messages carry names and paths)."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


class StageDisplay:
    """Progress on stderr: a spinner with the running stage's last message, a line per stage."""

    def __init__(self) -> None:
        from rich.console import Console

        self.console = Console(stderr=True, highlight=False, soft_wrap=True)
        self.status: Any = None
        self.stage: str | None = None
        self.message = ""
        self.started = 0.0

    def __call__(self, stage: str, message: str) -> None:
        if message == "":
            self._finish()
            self.stage, self.message, self.started = stage, "", time.perf_counter()
            self.status = self.console.status(f"{STAGE_LABELS.get(stage, stage)}…")
            self.status.start()
            return
        self.message = message
        if self.status is not None:
            self.status.update(f"{STAGE_LABELS.get(stage, stage)}: {escape(message)}")

    def _finish(self, ok: bool = True) -> None:
        if self.stage is None:
            return
        if self.status is not None:
            self.status.stop()
        mark = "[green]✓[/]" if ok else "[red]✗[/]"
        seconds = time.perf_counter() - self.started
        label = STAGE_LABELS.get(self.stage, self.stage)
        self.console.print(f"{mark} {label:<12} {seconds:5.1f}s  {escape(self.message)}")
        self.stage, self.status = None, None

    def close(self, ok: bool = True) -> None:
        self._finish(ok)


def print_summary(result: DemoResult) -> None:
    """The demo's outcome and the commands to explore the database further."""
    from rich.console import Console

    # markup off: names, paths and notes are data ("[x]" in one must print as written)
    console = Console(highlight=False, soft_wrap=True, markup=False)
    langs = ", ".join(f"{n} {lang}" for lang, n in sorted(result.by_language.items()))
    crawl = result.crawl_totals
    console.print()
    console.print("airace demo: done", style="bold")
    console.print(
        f"  articles stored  {result.articles} ({langs}) out of {result.served_articles} "
        f"served; {crawl.get('duplicates', 0)} duplicates, {crawl.get('irrelevant', 0)} "
        f"off-topic, {crawl.get('dropped', 0)} dropped, {crawl.get('errors', 0)} errors "
        "(the site has a 404 on purpose)"
    )
    console.print(f"  entities found   {result.entities} distinct entities mentioned")
    console.print(f"  reactions        {result.reactions} event-study rows")
    if result.movers:
        console.print("  top movers of 2025-W05 (day-0 abnormal return):")
        for m in result.movers:
            name = f" {m.name}" if m.name and m.name != m.ticker else ""
            console.print(
                f"    {m.ticker:<7}{name:<22} {m.event_date}  {m.abnormal_return * 100:+6.2f}%"
            )
    console.print(f"  briefing         {result.pdf_path}")
    console.print(f"                   {result.html_path}")
    console.print(f"  database         {result.db_url}")
    console.print(f"  sources file     {result.sources_file}")
    stages = ", ".join(f"{k} {v:.1f}s" for k, v in result.timings.items())
    console.print(f"  time             {result.total_seconds:.1f}s ({stages})")
    for note in result.notes[:10]:
        console.print(f"  note: {note}")
    prog = invoked_as()
    console.print()
    console.print("Explore further: point this shell at the demo's database, then query it")
    console.print(f"  export AIRACE_DATABASE_URL={shlex.quote(result.db_url)}")
    for cmd in explore_commands(prog):
        console.print(f"  {cmd}")
    console.print(
        f"(or add --db {shlex.quote(result.db_url)} after {prog}; docs: README.md, docs/queries.md)"
    )


def explore_commands(prog: str = "airace") -> list[str]:
    """The commands the demo suggests, as typed after `export AIRACE_DATABASE_URL=...`."""
    return [
        f"{prog} query articles --entity Nvidia",
        f"{prog} query reactions --ticker NVDA --window 0,0 --since 2025-01-27 --until 2025-01-27",
        f"{prog} query entities --since 2025-01-27 --until 2025-02-02",
        f'{prog} search "cheaper training of reasoning models"',
        f"{prog} search NVDA --keywords-only",
        f'{prog} sql "select title, published_at from articles order by published_at limit 10"',
        f"{prog} report weekly --week 2025-W05 --lang fr",
        f"{prog} browse",
    ]


def invoked_as() -> str:
    """How to type airace in this shell: `airace` when that name finds this very script on PATH
    (an activated venv, pipx), else the script's path as run (`.venv/bin/airace`)."""
    import shutil
    import sys

    script = Path(sys.argv[0])
    if script.name != "airace" or not script.is_file():
        return "airace"  # python -m airace, or a caller that is not the script
    found = shutil.which("airace")
    if found and Path(found).resolve() == script.resolve():
        return "airace"
    try:
        return str(script.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(script.resolve())


def demo_cmd(
    ctx: typer.Context,
    out: Path = typer.Option(
        Path("airace-demo"), "--out", "-o", help="Folder for the database, PDF and HTML."
    ),
    db: str | None = typer.Option(
        None,
        "--db",
        help="Database URL to fill instead of a fresh SQLite file <out>/airace.db.",
    ),
    subset: bool = typer.Option(
        False,
        "--subset",
        help="Serve only the articles of 2025-01-20..2025-02-02 (faster; used by the tests).",
    ),
    lang: str | None = typer.Option(
        None, "--lang", help="Language of the briefing: en or fr (default: report_language)."
    ),
) -> None:
    """The whole product offline: sample site, crawl, analysis, prices, briefing.

    Starts a sample news site on 127.0.0.1 (45 articles written for the demo, EN and FR,
    January-February 2025), crawls it with the real spiders, analyses the articles, loads
    the real daily prices bundled with airace, computes the stock reactions and writes the
    weekly briefing for 2025-W05 (the DeepSeek week) as PDF and HTML into --out. Needs no
    network. The global --db works too: `airace --db URL demo`.

    Example: airace demo --out ./airace-demo
    """
    from airace.demo import run_demo

    appctx = app_context(ctx)
    if lang is not None and lang not in ("en", "fr"):
        raise UserError(f"--lang: expected en or fr, got {lang!r}")
    if db is None and appctx.origins.get("database_url") == "cli":
        db = appctx.settings.database_url  # `airace --db URL demo`
    settings = appctx.settings.replace(report_language=lang or appctx.settings.report_language)
    display = StageDisplay()
    ok = False
    try:
        result = run_demo(settings, out, db, subset=subset, progress=display)
        ok = True
    finally:
        display.close(ok)
    print_summary(result)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_cmd)
