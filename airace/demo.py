"""`airace demo`: the whole product, offline, on the bundled sample news site.

    site    start the sample site (airace/demo_server.py) on 127.0.0.1 and write a sources file
    crawl   crawl it with the real spiders (a feed, a sitemap index and a paginated listing)
    analyse entities, stance, themes and embeddings for every stored article
    prices  load the real daily prices bundled in market/data/prices
    react   event study of every analysed article against those prices
    report  the weekly briefing for 2025-W05 (the DeepSeek week) as PDF and HTML

Each stage calls airace/stages.py, as the CLI commands and `airace run` do: the demo differs only
by its settings preset (`demo_settings`) and its fixed week. `run_demo` returns a `DemoResult`; the command prints it.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airace.config import Settings
from airace.errors import UserError

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from airace.demo_site import DemoArticle

log = logging.getLogger(__name__)

WEEK_START = dt.date(2025, 1, 27)  # ISO week 2025-W05: DeepSeek Monday to Sunday
WEEK_END = dt.date(2025, 2, 2)
# --subset keeps the articles of these days: the week of R1's release and the DeepSeek week.
SUBSET_DAYS = (dt.date(2025, 1, 20), dt.date(2025, 2, 2))
DB_NAME = "airace.db"
SOURCES_NAME = "demo-sources.toml"
STAGES = ("site", "crawl", "analyse", "stories", "prices", "react", "report")


@dataclass
class Mover:
    """One of the week's biggest day-0 abnormal returns, as the briefing shows it."""

    ticker: str
    name: str | None
    event_date: dt.date
    abnormal_return: float


@dataclass
class DemoResult:
    """What the demo did and where it put things; `timings` holds seconds per stage."""

    out_dir: Path
    db_url: str
    site_url: str = ""
    sources_file: Path | None = None
    pdf_path: Path | None = None
    html_path: Path | None = None
    served_articles: int = 0
    crawl_totals: dict[str, int] = field(default_factory=dict)
    articles: int = 0
    by_language: dict[str, int] = field(default_factory=dict)
    analysed: int = 0
    entities: int = 0
    price_rows: int = 0
    reactions: int = 0
    report_articles: int = 0
    report_pages: int | None = None
    movers: list[Mover] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def total_seconds(self) -> float:
        return sum(self.timings.values())


# Called with (stage, message): message "" when the stage starts, else a progress or done line.
Progress = Callable[[str, str], None]


def prices_dir() -> Path:
    """The bundled real daily prices (package data of `market`)."""
    import market

    return Path(market.__file__).resolve().parent / "data" / "prices"


def demo_settings(settings: Settings, out_dir: Path, db_url: str) -> Settings:
    """The demo's preset: the user's settings with its database, sources file and report folder
    in `out_dir`, no delay, no HTTP cache.

    robots.txt is still obeyed (the sample site allows everything), so the demo crawls the way a
    real crawl does, only faster.
    """
    return settings.replace(
        database_url=db_url,
        data_dir=str(out_dir),
        sources_file=str(out_dir / SOURCES_NAME),
        report_dir=str(out_dir),
        download_delay=0.0,
        autothrottle=False,
        concurrent_requests_per_domain=8,
        download_timeout=10,
        http_cache=False,
        robots_obey=True,
    )


def sources_toml(base_url: str) -> str:
    """A sources file for the sample site: one feed, one sitemap index, one paginated listing."""
    return f"""# Sources of the airace demo: the sample site served on {base_url}
# (written by `airace demo`; the port changes on every run). always_relevant = false, so the
# AI-relevance filter runs and drops the site's off-topic local stories.

[[sources]]
name = "demo-feed"
kind = "feed"
urls = ["{base_url}/feed.xml"]
always_relevant = false

[[sources]]
name = "demo-sitemap"
kind = "sitemap"
urls = ["{base_url}/sitemap.xml"]
always_relevant = false

[[sources]]
name = "demo-listing"
kind = "listing"
urls = ["{base_url}/section/ai/"]
link_selector = "a.article-link"
next_selector = "a.next"
max_pages = 10
always_relevant = false
"""


def prepare_out_dir(out_dir: Path, db_url: str | None) -> str:
    """Create `out_dir` and return the database URL: `db_url`, or a fresh DIR/airace.db.

    An airace.db left there by a previous demo (next to its sources file) is replaced; any other
    airace.db is left alone and the user is asked for another folder.
    """
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"--out {out_dir}: exists and is not a folder")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UserError(f"--out {out_dir}: cannot create the folder ({e.strerror})") from None
    if db_url:
        if "://" not in db_url:
            db_url = f"sqlite:///{Path(db_url).expanduser().resolve()}"
        return db_url
    db_file = out_dir / DB_NAME
    if db_file.exists():
        if not (out_dir / SOURCES_NAME).exists():
            raise UserError(
                f"{db_file} exists and was not made by airace demo; choose another --out "
                "or pass --db"
            )
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{db_file}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{db_file.resolve()}"


def subset_articles() -> list[DemoArticle]:
    """The articles kept by --subset: those dated in SUBSET_DAYS (day precision or better)."""
    from airace.demo_site import load_articles

    first, last = SUBSET_DAYS
    return [a for a in load_articles() if a.precision != "month" and first <= a.day <= last]


@contextmanager
def _stage(name: str, result: DemoResult, progress: Progress | None) -> Iterator[None]:
    if progress:
        progress(name, "")
    t0 = time.perf_counter()
    try:
        yield
    finally:
        result.timings[name] = time.perf_counter() - t0


def run_demo(
    settings: Settings,
    out_dir: Path,
    db_url: str | None = None,
    *,
    subset: bool = False,
    progress: Progress | None = None,
) -> DemoResult:
    """Serve the sample site, crawl, analyse, load prices, react and brief, into `out_dir`.

    `db_url` None: a fresh SQLite database at out_dir/airace.db. `subset`: serve only the
    articles of 2025-01-20..2025-02-02 (faster; the briefing week is complete).
    """
    from airace.demo_server import DemoServer, DemoSite
    from db.engine import make_sessionmaker

    out_dir = out_dir.expanduser().resolve()
    url = prepare_out_dir(out_dir, db_url)
    result = DemoResult(out_dir=out_dir, db_url=url)
    settings = demo_settings(settings, out_dir, url)
    say = progress or (lambda _stage, _msg: None)

    site = DemoSite(subset_articles() if subset else None)
    server = DemoServer(site)
    engine: Engine | None = None
    try:
        with _stage("site", result, progress):
            result.site_url = server.start()
            result.served_articles = len(site.articles)
            result.sources_file = out_dir / SOURCES_NAME
            result.sources_file.write_text(sources_toml(result.site_url), encoding="utf-8")
            engine = _open_database(url)
            sessions = make_sessionmaker(engine)
            say("site", f"{len(site.articles)} articles on {result.site_url}/; database ready")
        with _stage("crawl", result, progress):
            _crawl(settings, result, say)
        server.stop()
        with _stage("analyse", result, progress):
            _analyse(settings, sessions, result, say)
        with _stage("stories", result, progress):
            _stories(settings, sessions, result, say)
        with _stage("prices", result, progress):
            _load_prices(settings, sessions, result, say)
        with _stage("react", result, progress):
            _react(settings, sessions, result, say)
        with _stage("report", result, progress):
            _report(settings, sessions, result, say)
        _count(sessions, result)
    finally:
        server.stop()
        if engine is not None:
            engine.dispose()
    return result


def _open_database(url: str) -> Engine:
    """An engine on `url`, upgraded to the current schema (a fresh SQLite file is created)."""
    from db.engine import make_engine
    from db.migrations import ensure_current

    engine: Engine | None = None
    try:
        engine = make_engine(url)
        ensure_current(engine)
    except Exception as e:  # a bad URL, a server that is down, a file that is not SQLite
        if engine is not None:
            engine.dispose()
        first_line = (str(e).splitlines() or [type(e).__name__])[0]
        raise UserError(f"cannot open the database {url}: {first_line}") from None
    return engine


def _crawl(settings: Settings, result: DemoResult, say: Progress) -> None:
    from airace import stages

    seen: dict[str, dict[str, Any]] = {}

    def on_event(event: dict[str, Any]) -> None:
        if event.get("event") in ("progress", "source_done"):
            seen[event["source"]] = event.get("counts", {})
            fetched = sum(int(c.get("fetched", 0)) for c in seen.values())
            new = sum(int(c.get("new", 0)) for c in seen.values())
            say("crawl", f"{fetched} pages fetched, {new} new articles")

    summary = stages.crawl(settings, log_level="ERROR", progress=on_event)
    result.crawl_totals = dict(summary.totals)
    if summary.status != "finished":
        raise UserError(f"the demo crawl failed: {summary.message or summary.status}")
    totals = ", ".join(f"{k} {v}" for k, v in summary.totals.items())
    say("crawl", f"run {summary.run_id}: {totals}")


def _analyse(
    settings: Settings, sessions: sessionmaker[Session], result: DemoResult, say: Progress
) -> None:
    from airace import stages

    say("analyse", "loading the spaCy and embedding models")
    analyzer = stages.load_analyzer(settings)

    def on_batch(summary: Any) -> None:
        say("analyse", f"{summary.processed}/{summary.total} articles")

    summary = stages.analyze(settings, sessions, analyzer=analyzer, progress=on_batch)
    result.analysed = summary.analysed
    skipped = ", ".join(f"{k} {v}" for k, v in sorted(summary.skipped.items())) or "none"
    say("analyse", f"{summary.analysed} analysed, skipped {skipped}, {summary.failed} failed")
    result.notes += [f"analysis failed: {line}" for line in summary.failures]


def _stories(
    settings: Settings, sessions: sessionmaker[Session], result: DemoResult, say: Progress
) -> None:
    from airace import stages

    summary = stages.stories(settings, sessions)
    say(
        "stories",
        f"{summary.articles} articles in {summary.stories} stories: {summary.first} first "
        f"reports, {summary.follow_up} follow-ups, {summary.copy} copies",
    )


def _load_prices(
    settings: Settings, sessions: sessionmaker[Session], result: DemoResult, say: Progress
) -> None:
    from airace import stages

    report = stages.prices(settings, sessions, from_csv=prices_dir()).report
    result.price_rows = sum(report.rows.values())
    result.notes += [f"prices {t}: {why}" for t, why in report.failed.items()]
    say("prices", f"{len(report.rows)} tickers, {result.price_rows} daily bars (real closes)")


def _react(
    settings: Settings, sessions: sessionmaker[Session], result: DemoResult, say: Progress
) -> None:
    from airace import stages

    summary = stages.react(settings, sessions)
    result.reactions = summary.rows
    message = f"{summary.computed} article x ticker pairs, {summary.rows} rows"
    if summary.pending:
        # Articles also linked to tickers the bundled prices do not cover (INTC, ^N225, ...):
        # `airace prices update` fetches them online; offline they stay pending.
        missing = sorted(summary.missing_prices)
        message += (
            f"; {len(summary.pending)} articles also wait for prices of "
            + ", ".join(missing[:6])
            + (", ..." if len(missing) > 6 else "")
        )
    say("react", message)


def _report(
    settings: Settings, sessions: sessionmaker[Session], result: DemoResult, say: Progress
) -> None:
    from airace import stages

    report = stages.report(settings, sessions, WEEK_START, WEEK_END, html=True)
    result.pdf_path, result.html_path = report.pdf_path, report.html_path
    result.report_articles = report.article_count
    result.report_pages = report.pages
    if report.context is not None:
        result.movers = [
            Mover(m.ticker, m.name, m.event_date, m.abnormal_return)
            for m in report.context.moves[:5]
        ]
    say("report", f"{report.article_count} articles, {report.pages} pages")


def _count(sessions: sessionmaker[Session], result: DemoResult) -> None:
    from db.queries import store_counts

    with sessions() as s:
        result.by_language, result.entities = store_counts(s)
    result.articles = sum(result.by_language.values())
