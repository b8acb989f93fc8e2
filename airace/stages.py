"""The stages, as functions of Settings: the one place where Settings meets the libraries.

    crawl -> analyze -> stories -> prices -> react -> report

Each stage takes the Settings (plus the explicit overrides a command may give), maps them to the
plain parameters of one pinned entry point (docs/architecture.md), imports its package lazily and
returns that entry point's structured summary. The CLI commands, `airace run` (airace/pipeline.py),
the scheduler and the demo all call these functions; the demo differs only by its settings preset
(`airace.demo.demo_settings`) and its fixed week.

A user's mistake found here (a bad sources file, a missing model) is raised as `UserError`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airace.config import Settings
from airace.errors import UserError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from crawler.ingest import IngestSummary
    from crawler.runner import CrawlOptions, CrawlSummary
    from crawler.sources import SourceConfig
    from db.readonly_sql import SQLResult
    from market.react import ReactSummary
    from market.signal import SignalReport
    from market.yahoo import PriceUpdateReport
    from nlp.analyze import AnalyzeSummary
    from nlp.annotate import Analyzer
    from nlp.embeddings import Embedder
    from nlp.kb import KnowledgeBase
    from nlp.query_encoder import NumpyMiniLM
    from nlp.stance_train import TrainReport
    from nlp.stories import StoriesSummary
    from reports.render import ReportResult

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# Our own labelled sets fitted with SEntFiN (the blind set is for reporting only, never here).
OWN_STANCE_SETS = ("tests/data/nlp_dev.jsonl", "tests/data/nlp_stance_long_train.jsonl")


# --------------------------------------------------------------------------------------------
# Settings -> plain parameters


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


def crawl_options(
    settings: Settings,
    *,
    source_names: Sequence[str] = (),
    since: dt.date | None = None,
    max_articles: int | None = None,
    http_cache: bool | None = None,
    log_level: str = "WARNING",
) -> CrawlOptions:
    """Map Settings (+ command options) to crawler.runner.CrawlOptions."""
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


def make_analyzer(
    settings: Settings, *, embeddings: bool = True, kb: KnowledgeBase | None = None
) -> Analyzer:
    """An Analyzer configured from Settings (models loaded on first use); `kb` None loads the
    bundled knowledge base."""
    from nlp.annotate import Analyzer
    from nlp.kb import KBError, load_kb

    if kb is None:
        try:
            kb = load_kb()
        except KBError as e:
            raise UserError(str(e)) from None
    return Analyzer(
        spacy_models={"en": settings.spacy_model_en, "fr": settings.spacy_model_fr},
        fallback_model=settings.spacy_model_fallback,
        embedding_model=settings.embedding_model if embeddings else None,
        kb=kb,
        stance_model=stance_model_option(settings),
        chunk_size=settings.analysis_batch_size,
    )


def stance_model_option(settings: Settings) -> str | None:
    """The Analyzer's `stance_model` for the setting: "bundled", a path, or None (rules)."""
    value = settings.stance_model.strip()
    if value.lower() in {"rules", "none", ""}:
        return None
    if value != "bundled" and not Path(value).expanduser().is_file():
        raise UserError(f"stance_model: no such file {value!r} (bundled, rules, or a path)")
    return value if value == "bundled" else str(Path(value).expanduser())


def load_analyzer(
    settings: Settings, *, embeddings: bool = True, kb: KnowledgeBase | None = None
) -> Analyzer:
    """`make_analyzer` with its models loaded now; a model that cannot load is a UserError."""
    from nlp.annotate import ModelError
    from nlp.embeddings import EmbeddingError
    from nlp.stance_model import StanceModelError

    analyzer = make_analyzer(settings, embeddings=embeddings, kb=kb)
    try:
        analyzer.load()
    except (ModelError, EmbeddingError, StanceModelError) as e:
        raise UserError(str(e)) from None
    return analyzer


def search_encoder(settings: Settings) -> Embedder | NumpyMiniLM:
    """The query encoder of settings.embedding_model, for `airace search`.

    The bundled all-MiniLM-L6-v2 runs on numpy (nlp/query_encoder.py: same vectors, no torch to
    import, so a cold `airace search` answers in well under 2 s); other models load through
    sentence-transformers.
    """
    model = settings.embedding_model
    try:
        from nlp import query_encoder
        from nlp.embeddings import Embedder
    except ImportError as e:  # the nlp package is missing a piece: search by keywords
        raise UserError(f"the embedding model cannot be loaded ({e}); try --keywords-only") from e
    try:
        if query_encoder.supports(model):
            return query_encoder.NumpyMiniLM(model)
        return Embedder(model)
    except (OSError, ValueError, RuntimeError) as e:  # nlp.embeddings.EmbeddingError included
        raise UserError(f"cannot load embedding model {model!r}: {e}") from None


def theme_baskets() -> dict[str, list[str]]:
    """Theme name -> tickers, from nlp.themes; empty (with a warning) when it is unavailable."""
    try:
        from nlp.themes import theme_baskets as baskets
    except ImportError as e:
        log.warning("theme baskets unavailable (%s); theme links skipped", e)
        return {}
    return {k: list(v) for k, v in baskets().items()}


def theme_labels(lang: str) -> dict[str, str] | None:
    """Theme labels from nlp.themes; None (title-cased names) when it is not available."""
    try:
        from nlp.themes import theme_labels as labels

        return dict(labels(lang))
    except Exception:  # a broken labels table must not stop the briefing
        return None


def report_stem(settings: Settings, start: dt.date, end: dt.date, lang: str) -> Path:
    """The one name of a briefing's files: <report_dir>/briefing-<period>-<lang> (no suffix).

    <period> is `2025-W05` for an ISO week, else `2025-01-27_2025-02-02`.
    """
    from reports.context import Period

    label = Period(start, end).label.replace(" – ", "_")
    return Path(settings.report_dir).expanduser() / f"briefing-{label}-{lang}"


# --------------------------------------------------------------------------------------------
# The stages


def _checked_options(
    settings: Settings,
    sources: Sequence[SourceConfig],
    source_names: Sequence[str],
    since: dt.date | None,
    max_articles: int | None,
    http_cache: bool | None,
    log_level: str,
) -> CrawlOptions:
    """crawl_options, once every name in `source_names` is known to be one of `sources`."""
    known = {s.name for s in sources}
    unknown = [n for n in source_names if n not in known]
    if unknown:
        raise UserError(f"--source: unknown source {unknown[0]!r} (see 'airace crawl list')")
    return crawl_options(
        settings,
        source_names=source_names,
        since=since,
        max_articles=max_articles,
        http_cache=http_cache,
        log_level=log_level,
    )


def crawl(
    settings: Settings,
    *,
    sources: list[SourceConfig] | None = None,
    sources_file: Path | None = None,
    source_names: Sequence[str] = (),
    since: dt.date | None = None,
    max_articles: int | None = None,
    http_cache: bool | None = None,
    log_level: str = "WARNING",
    progress: Callable[[dict[str, Any]], None] | None = None,
) -> CrawlSummary:
    """Crawl the sources (default: the settings' sources file) into settings.database_url."""
    from crawler.runner import run_crawl
    from crawler.sources import SourcesError

    chosen = sources if sources is not None else load_crawl_sources(settings, sources_file)
    options = _checked_options(
        settings, chosen, source_names, since, max_articles, http_cache, log_level
    )
    try:
        return run_crawl(settings.database_url, chosen, options, relevance_terms(), progress)
    except SourcesError as e:
        raise UserError(str(e)) from None


def seed(
    settings: Settings,
    sources: list[SourceConfig],
    source_names: Sequence[str] = (),
    *,
    prefix: str | None = None,
) -> dict[str, int]:
    """Push the chosen (default: every enabled) sources' start URLs into settings.redis_url,
    under the key prefix `prefix` (default: settings.redis_prefix)."""
    from crawler.distributed import DistributedError
    from crawler.distributed import seed as push
    from crawler.sources import SourcesError, select_sources

    try:
        return push(
            settings.redis_url,
            select_sources(sources, list(source_names)),
            settings.redis_prefix if prefix is None else prefix,
        )
    except (DistributedError, SourcesError) as e:
        raise UserError(str(e)) from None


def crawl_distributed(
    settings: Settings,
    sources: list[SourceConfig],
    *,
    source_names: Sequence[str] = (),
    since: dt.date | None = None,
    max_articles: int | None = None,
    http_cache: bool | None = None,
    log_level: str = "WARNING",
    prefix: str | None = None,
    lease: float | None = None,
    idle_exit: bool = False,
) -> CrawlSummary:
    """One crawl worker on the shared Redis frontier (settings.redis_url); `prefix` and `lease`
    default to settings.redis_prefix and settings.crawl_lease."""
    from crawler.distributed import DistributedError, run_distributed
    from crawler.sources import SourcesError

    options = _checked_options(
        settings, sources, source_names, since, max_articles, http_cache, log_level
    )
    try:
        return run_distributed(
            settings.database_url,
            sources,
            options,
            relevance_terms(),
            redis_url=settings.redis_url,
            prefix=settings.redis_prefix if prefix is None else prefix,
            lease=settings.crawl_lease if lease is None else lease,
            idle_exit=idle_exit,
        )
    except (DistributedError, SourcesError) as e:
        raise UserError(str(e)) from None


def ingest(
    settings: Settings,
    sessions: sessionmaker[Session],
    paths: Sequence[Path | str],
    *,
    since: dt.date | None = None,
    always_relevant: bool = False,
    source: str | None = None,
) -> IngestSummary:
    """Import saved files through the crawl's path (crawler.ingest); a file or record larger
    than settings.download_maxsize is refused. crawler.ingest.IngestError and IngestStoreError
    pass through (the caller tells a bad input from a failed store)."""
    from crawler.ingest import ingest_paths

    return ingest_paths(
        sessions,
        paths,
        relevance_terms(),
        since=since,
        always_relevant=always_relevant,
        source=source,
        max_bytes=settings.download_maxsize,
    )


def sql(
    settings: Settings, statement: str, *, limit: int, timeout: float | None = None
) -> SQLResult:
    """Run one read-only SQL statement on settings.sql_database_url (else database_url) with
    `timeout` seconds (default settings.sql_timeout); a refused statement is a UserError."""
    from airace.context import check_database_url
    from db.readonly_sql import ReadOnlySQLError, run_readonly_sql

    seconds = settings.sql_timeout if timeout is None else timeout
    if seconds <= 0:
        raise UserError(f"--timeout must be positive, got {seconds:g}")
    url = settings.sql_database_url or settings.database_url
    check_database_url(url, must_exist=True)
    try:
        return run_readonly_sql(url, statement, limit=limit, timeout=seconds)
    except ReadOnlySQLError as e:
        raise UserError(str(e)) from None


def analyze(
    settings: Settings,
    sessions: sessionmaker[Session],
    *,
    analyzer: Analyzer | None = None,
    since: dt.date | None = None,
    reprocess: bool = False,
    limit: int | None = None,
    progress: Callable[[AnalyzeSummary], None] | None = None,
) -> AnalyzeSummary:
    """Analyse the stored articles waiting for it (entities, stance, themes, embeddings)."""
    from nlp.analyze import analyze_pending

    return analyze_pending(
        sessions,
        analyzer if analyzer is not None else load_analyzer(settings),
        since=since,
        reprocess=reprocess,
        limit=limit,
        batch_size=settings.analysis_batch_size,
        progress=progress,
    )


def analyze_worker(
    settings: Settings,
    sessions: sessionmaker[Session],
    *,
    lease: float | None = None,
    idle_exit: bool = False,
    should_stop: Callable[[], bool] = lambda: False,
    analyzer: Analyzer | None = None,
) -> AnalyzeSummary:
    """`analyze --worker`: claim batches of the shared backlog until stopped; a claim lasts
    `lease` seconds (default: settings.analyze_lease)."""
    from nlp.analyze import run_worker

    return run_worker(
        sessions,
        analyzer if analyzer is not None else load_analyzer(settings),
        lease=dt.timedelta(seconds=settings.analyze_lease if lease is None else lease),
        idle_exit=idle_exit,
        batch_size=settings.analysis_batch_size,
        should_stop=should_stop,
    )


@dataclass(frozen=True)
class PricesResult:
    """What the prices stage asked for and what it got."""

    tickers: list[str]  # empty with from_csv: every file of the folder
    report: PriceUpdateReport

    @property
    def all_failed(self) -> bool:
        """Nothing stored and every ticker asked for failed."""
        report = self.report
        return bool(report.failed) and not any(report.rows.values())


def needed_tickers(settings: Settings, sessions: sessionmaker[Session]) -> list[str]:
    """Every ticker linked to stored articles or themes, plus settings.benchmark_tickers."""
    from market.exposure import tickers_for_update

    with sessions.begin() as s:
        return tickers_for_update(s, theme_baskets(), settings.benchmark_tickers)


def prices(
    settings: Settings,
    sessions: sessionmaker[Session],
    *,
    tickers: Sequence[str] = (),
    start: dt.date | None = None,
    end: dt.date | None = None,
    from_csv: Path | None = None,
    max_tries: int | None = None,
) -> PricesResult:
    """Update daily prices: `tickers`, else those the stored articles and themes need plus the
    benchmarks (settings.benchmark_tickers); from Yahoo (`max_tries` per ticker, default
    settings.price_max_tries), or from the CSV folder `from_csv`."""
    from market.yahoo import load_prices_csv, update_prices

    if from_csv is not None:
        return PricesResult(
            list(tickers), load_prices_csv(sessions, from_csv, list(tickers) or None)
        )
    names = list(tickers) or needed_tickers(settings, sessions)
    tries = settings.price_max_tries if max_tries is None else max_tries
    return PricesResult(names, update_prices(sessions, names, start, end, max_tries=tries))


def react(
    settings: Settings,
    sessions: sessionmaker[Session],
    *,
    since: dt.date | None = None,
    recompute: bool = False,
    progress: Callable[[dict[str, Any]], None] | None = None,
) -> ReactSummary:
    """Event study of the analysed articles whose prices are in; rows into `reactions`."""
    from market.react import react as run

    return run(
        sessions, theme_baskets=theme_baskets(), since=since, recompute=recompute, progress=progress
    )


def stories(
    settings: Settings,
    sessions: sessionmaker[Session],
    *,
    since: dt.date | None = None,
    recompute: bool = False,
) -> StoriesSummary:
    """Group analysed articles into stories and flag first reports per entity (nlp.stories)."""
    from nlp.stories import assign_stories

    return assign_stories(
        sessions,
        window_hours=settings.novelty_window_hours,
        similarity=settings.story_similarity,
        since=since,
        recompute=recompute,
    )


def signal(
    settings: Settings,
    sessions: sessionmaker[Session],
    *,
    windows: Sequence[tuple[int, int]] = ((0, 1), (1, 1)),
    by: str | None = None,
    novel_only: bool = False,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> SignalReport:
    """Stance against abnormal returns (market.signal), with settings.signal_bootstrap_samples
    replicates and settings.signal_min_days as the smallest sample worth a conclusion."""
    from market.signal import signal_report

    return signal_report(
        sessions,
        windows=list(windows),
        by=by,
        novel_only=novel_only,
        since=since,
        until=until,
        n_boot=settings.signal_bootstrap_samples,
        min_days=settings.signal_min_days,
    )


def briefing_signal(
    settings: Settings, sessions: sessionmaker[Session], end: dt.date, *, weeks: int = 13
) -> dict[str, Any]:
    """The plain data of the briefing page "What the news said and what the market did":
    contemporaneous [0,1] and predictive [1,1] figures over the `weeks` weeks to `end` and since
    the start of the data, and the long-short portfolio since the start (reports.render's
    `signal` parameter)."""
    n_boot, min_days = settings.signal_bootstrap_samples, settings.signal_min_days
    since = end - dt.timedelta(weeks=weeks) + dt.timedelta(days=1)
    periods = []
    portfolio = None
    for key, first in (("recent", since), ("all", None)):
        result = signal(settings, sessions, since=first, until=end)
        rows = [vars(r) for r in result.rows if r.group == "all"]
        periods.append({"key": key, "since": first, "until": end, "rows": rows})
        if key == "all" and result.portfolio is not None:
            portfolio = result.portfolio.as_dict()
    return {"periods": periods, "portfolio": portfolio, "min_days": min_days, "n_boot": n_boot}


def report(
    settings: Settings,
    sessions: sessionmaker[Session],
    start: dt.date,
    end: dt.date,
    *,
    lang: str | None = None,
    pdf_path: Path | None = None,
    html: bool | Path = False,
) -> ReportResult:
    """Render the briefing of start..end (inclusive) in `lang` (default: report_language).

    `pdf_path` None: `report_stem(...)`.pdf. `html` True writes the HTML beside the PDF under
    the same stem; a Path writes it there.
    """
    from reports.render import render_weekly

    language = (lang or settings.report_language).lower()
    if language not in ("en", "fr"):
        raise UserError(f"--lang: expected en or fr, got {lang!r}")
    stem = report_stem(settings, start, end, language)
    pdf = pdf_path or stem.with_suffix(".pdf")
    if pdf.suffix.lower() != ".pdf":
        raise UserError(f"-o: expected a .pdf file, got {str(pdf)!r}")
    html_path = html if isinstance(html, Path) else (pdf.with_suffix(".html") if html else None)
    pdf.parent.mkdir(parents=True, exist_ok=True)
    return render_weekly(
        sessions,
        start,
        end,
        lang=language,
        pdf_path=pdf,
        html_path=html_path,
        theme_labels=theme_labels(language),
        signal=briefing_signal(settings, sessions, end),
    )


def default_sentfin(settings: Settings) -> Path:
    """The SEntFiN file: settings.stance_train_data, else ../shared/data/entity-stance/SEntFiN.csv
    beside the checkout (or beside a folder above it: a worktree sits one level deeper)."""
    if settings.stance_train_data:
        return Path(settings.stance_train_data).expanduser()
    relative = Path("shared", "data", "entity-stance", "SEntFiN.csv")
    for folder in PROJECT_ROOT.parents:
        if (folder / relative).is_file():
            return folder / relative
    return PROJECT_ROOT.parent / relative


def train_stance(
    settings: Settings,
    *,
    data: Path | None = None,
    own: Sequence[Path] | None = None,
    progress: Callable[[str], None] | None = None,
) -> TrainReport:
    """Fit the per-entity stance model (nlp.stance_train) on SEntFiN (`data`, default
    `default_sentfin`) and our labelled sets (`own`, default OWN_STANCE_SETS), with the
    settings' spaCy pipelines and embedding model. Writes nothing: the caller saves
    `report.model.as_json()`."""
    from nlp.annotate import Analyzer, ModelError
    from nlp.embeddings import Embedder, EmbeddingError
    from nlp.stance_train import TrainDataError, train

    sentfin = data or default_sentfin(settings)
    if not sentfin.is_file():
        raise UserError(
            f"SEntFiN data not found at {sentfin}: pass --data PATH or set stance_train_data"
        )
    own_paths = list(own) if own is not None else [PROJECT_ROOT / p for p in OWN_STANCE_SETS]
    for p in own_paths:
        if not p.is_file():
            raise UserError(f"labelled set not found: {p}")
    analyzer = Analyzer(
        spacy_models={"en": settings.spacy_model_en, "fr": settings.spacy_model_fr},
        fallback_model=settings.spacy_model_fallback,
        embedding_model=None,
        stance_model=None,
    )
    analyzer.keep_stance_inputs = True
    try:
        analyzer.load()
        embedder = Embedder(settings.embedding_model)
        return train(analyzer, embedder, sentfin, own_paths, progress=progress or (lambda _: None))
    except (ModelError, EmbeddingError, TrainDataError) as e:
        raise UserError(str(e)) from None


def last_week(today: dt.date) -> tuple[dt.date, dt.date]:
    """Monday..Sunday of the last complete ISO week before `today` (reports.context)."""
    from reports.context import last_complete_week

    period = last_complete_week(today)
    return period.start, period.end
