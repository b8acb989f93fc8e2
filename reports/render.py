"""Weekly briefing: context -> HTML (Jinja2, autoescaped) -> PDF (WeasyPrint), recorded in `reports`.

Article titles and URLs are untrusted. Autoescaping turns any markup in them into text, links are
kept only for http(s) URLs, and WeasyPrint gets a url_fetcher that serves the report's own assets
folder (charts, stylesheet, fonts) and refuses everything else: no network, no other file.
"""

from __future__ import annotations

import datetime as dt
import logging
import mimetypes
import shutil
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy.orm import Session, sessionmaker

from db.weekly import save_report
from reports import i18n
from reports.context import (
    MIN_SAMPLE,
    SUMMARY_WINDOW,
    Story,
    WeeklyContext,
    build_weekly_context,
    significance_stars,
)

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parent / "templates"
# DejaVu (Bitstream Vera licence, free to embed and redistribute), as shipped inside matplotlib.
# Three faces only: every embedded face is subset at write time, which costs about 0.4 s each.
FONT_FILES = {
    "DejaVuSans.ttf": ("airace-sans", "normal", "normal"),
    "DejaVuSans-Bold.ttf": ("airace-sans", "bold", "normal"),
    "DejaVuSerif-Bold.ttf": ("airace-serif", "bold", "normal"),
}


@dataclass
class ReportResult:
    """What `render_weekly` produced."""

    report_id: int | None
    start: dt.date
    end: dt.date
    language: str
    pdf_path: Path | None
    html_path: Path | None
    article_count: int
    pages: int | None
    missing_tickers: list[str]
    refused_urls: list[str]
    timings: dict[str, float] = field(default_factory=dict)
    context: WeeklyContext | None = None


class ReportURLFetcher:
    """A WeasyPrint url_fetcher that serves files under one folder and refuses anything else.

    Built lazily as a subclass of `weasyprint.URLFetcher` (see `make`), whose default network,
    data: and file handlers are never called. Every refused URL is kept in `refused`.
    """

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.refused: list[str] = []
        self.served: list[str] = []

    def resolve(self, url: str) -> Path | None:
        """The file under `root` that `url` names, or None when the URL must be refused."""
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            return None
        try:
            path = Path(unquote(parts.path)).resolve()
        except (OSError, ValueError):
            return None
        if not path.is_relative_to(self.root) or not path.is_file():
            return None
        return path

    def make(self) -> Any:
        """A `weasyprint.URLFetcher` instance bound to this policy."""
        from weasyprint.urls import URLFetcher, URLFetcherResponse

        policy = self

        class _Fetcher(URLFetcher):  # type: ignore[misc]
            def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
                path = policy.resolve(url)
                if path is None:
                    policy.refused.append(url)
                    raise ValueError(f"refused by the report's url_fetcher: {url[:200]}")
                policy.served.append(url)
                mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                if path.suffix == ".ttf":
                    mime = "font/ttf"
                return URLFetcherResponse(
                    path.as_uri(), body=path.read_bytes(), headers={"Content-Type": mime}
                )

        return _Fetcher(allowed_protocols=("file",), allow_redirects=False)


def _font_dir() -> Path | None:
    try:
        import matplotlib

        d = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    except Exception:  # pragma: no cover - matplotlib is a dependency
        return None
    return d if (d / "DejaVuSans.ttf").is_file() else None


def _safe_href(url: str | None) -> str | None:
    """The URL if it is plain http(s), else None (no javascript:, file:, data: links)."""
    if not url:
        return None
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url.strip() if scheme in ("http", "https") else None


def _domain(url: str | None) -> str:
    try:
        return urlsplit(url or "").netloc.removeprefix("www.")
    except ValueError:
        return ""


def _points(value: float | None, lang: str) -> str:
    """A change of share in percentage points: 0.052 -> `+5.2 pp` (en), `+5,2 pts` (fr)."""
    body = i18n.format_number(None if value is None else value * 100, lang, 1, sign=True)
    return f"{body}\u202f{'pts' if lang == 'fr' else 'pp'}"


def _environment(lang: str) -> Any:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = lambda v, digits=1, sign=True: i18n.format_pct(v, lang, digits, sign)
    env.filters["num"] = lambda v, digits=0, sign=False: i18n.format_number(v, lang, digits, sign)
    env.filters["day"] = lambda d, long=False: i18n.format_date(d, lang, long=long)
    env.filters["pp"] = lambda v: _points(v, lang)
    env.filters["hhmm"] = lambda d: d.strftime("%H:%M") if d else "\u2007\u2007–\u2007\u2007"
    env.filters["count"] = lambda n, noun: i18n.count(int(n), noun, lang)
    env.filters["noun"] = lambda n, noun: i18n.noun(int(n), noun, lang)
    env.filters["href"] = _safe_href
    env.filters["domain"] = _domain
    env.filters["stars"] = significance_stars
    return env


def link_words(story: Story, lang: str, theme_labels: Mapping[str, str]) -> str:
    """Why a story is linked to a move, in words: `about Nvidia`, `via OpenAI (investor)`,
    `sector basket: Chips and export controls` (theme keys become their labels)."""
    t = i18n.labels(lang)
    via = story.via or ""
    if story.link_type == "theme":
        label = theme_labels.get(via) or via.replace("_", " ").capitalize()
        return t["link_theme"].format(via=label)
    if story.link_type == "exposure":
        relation = t.get(f"rel_{story.relation}") if story.relation else None
        if relation:
            return t["link_exposure"].format(via=via, relation=relation)
        return t["link_exposure_plain"].format(via=via)
    key = f"link_{story.link_type}"
    if key in t and via:
        return t[key].format(via=via)
    return story.link_type


def render_html(
    context: WeeklyContext,
    lang: str,
    assets: Path,
    asset_prefix: str = "",
    signal: Mapping[str, Any] | None = None,
) -> tuple[str, list[str]]:
    """Write charts (and fonts) into `assets` and return the HTML and the chart file names.

    `signal` (optional) is the plain data of the page "What the news said and what the market
    did" (see `render_weekly`)."""
    from reports.charts import long_short_chart, price_chart

    assets.mkdir(parents=True, exist_ok=True)
    charts: dict[str, str] = {}
    for series in context.charts:
        name = f"chart-{_slug(series.ticker)}.png"
        (assets / name).write_bytes(price_chart(series, lang=lang))
        charts[series.ticker] = asset_prefix + name
    signal_chart = None
    curve = ((signal or {}).get("portfolio") or {}).get("curve") or []
    if len(curve) >= 2:
        (assets / "chart-long-short.png").write_bytes(long_short_chart(curve, lang=lang))
        signal_chart = asset_prefix + "chart-long-short.png"
    fonts = []
    src = _font_dir()
    if src is not None:
        for file, (family, weight, style) in FONT_FILES.items():
            if (src / file).is_file():
                if not (assets / file).exists():
                    shutil.copyfile(src / file, assets / file)
                fonts.append(
                    {"family": family, "weight": weight, "style": style, "url": asset_prefix + file}
                )
    t = i18n.labels(lang)
    env = _environment(lang)
    env.filters["link"] = lambda story: link_words(story, lang, context.theme_labels)
    html = env.get_template("weekly.html").render(
        c=context,
        t=t,
        lang=lang,
        charts=charts,
        fonts=fonts,
        window=f"({SUMMARY_WINDOW[0]},{SUMMARY_WINDOW[1]})",
        min_sample=MIN_SAMPLE,
        signal=signal,
        signal_chart=signal_chart,
        css=(TEMPLATES / "weekly.css").read_text(encoding="utf-8"),
    )
    return html, list(charts.values()) + ([signal_chart] if signal_chart else [])


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in text)


def write_pdf(html: str, assets: Path, base_dir: Path, pdf_path: Path) -> tuple[int, list[str]]:
    """Render `html` to `pdf_path`; relative URLs resolve in `base_dir`, only `assets` is served.

    Returns the page count and the URLs the fetcher refused.
    """
    from weasyprint import HTML

    policy = ReportURLFetcher(assets)
    quiet = _QuietWeasyPrint()
    wp_log = logging.getLogger("weasyprint")
    wp_log.addFilter(quiet)
    try:
        doc = HTML(
            string=html, base_url=base_dir.resolve().as_uri() + "/", url_fetcher=policy.make()
        ).render()
        pdf_path.parent.mkdir(parents=True, exist_ok=True)
        doc.write_pdf(str(pdf_path))
    finally:
        wp_log.removeFilter(quiet)
    return len(doc.pages), policy.refused


class _QuietWeasyPrint(logging.Filter):
    """Drop WeasyPrint warnings that say nothing to a report's reader.

    The font-subsetting notice (fontTools is used when HarfBuzz-Subset is missing, once per face)
    and the warnings for URLs our own fetcher refused (counted and logged by `render_weekly`).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return "HarfBuzz-Subset" not in message and "refused by the report" not in message


def render_weekly(
    sessions: sessionmaker[Session],
    start: dt.date,
    end: dt.date,
    *,
    lang: str = "en",
    pdf_path: Path | str | None = None,
    html_path: Path | str | None = None,
    theme_labels: dict[str, str] | None = None,
    signal: Mapping[str, Any] | None = None,
) -> ReportResult:
    """Render the weekly briefing for `start`..`end` (inclusive) and record it in `reports`.

    `signal`, when given, adds the page "What the news said and what the market did". It is
    plain data computed by the caller (reports never imports market): {"periods": [{"key":
    "recent" | "all", "since": date | None, "until": date, "rows": [row dicts of
    market.signal.SignalRow, group "all"]}], "portfolio": market.signal.Portfolio.as_dict() or
    None, "min_days": int, "n_boot": int}.

    `pdf_path` and `html_path` are optional; with neither, the context is computed and the HTML
    rendered (useful for checks) but nothing is written. The HTML is written with its charts and
    fonts in a sibling folder `<name>_assets/`.
    """
    if lang not in i18n.LANGUAGES:
        raise ValueError(f"unsupported report language {lang!r}: use en or fr")
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    context = build_weekly_context(sessions, start, end, theme_labels=theme_labels)
    timings["context"] = time.perf_counter() - t0

    pdf = Path(pdf_path) if pdf_path else None
    html_file = Path(html_path) if html_path else None
    pages: int | None = None
    refused: list[str] = []
    with tempfile.TemporaryDirectory(prefix="airace-report-") as tmp:
        if html_file is not None:
            assets = html_file.parent / f"{html_file.stem}_assets"
            prefix = f"{assets.name}/"
            base_dir = html_file.parent
        else:
            assets = Path(tmp) / "assets"
            prefix = "assets/"
            base_dir = Path(tmp)
        t1 = time.perf_counter()
        html, _ = render_html(context, lang, assets, prefix, signal=signal)
        timings["html"] = time.perf_counter() - t1
        if html_file is not None:
            html_file.parent.mkdir(parents=True, exist_ok=True)
            html_file.write_text(html, encoding="utf-8")
        if pdf is not None:
            t2 = time.perf_counter()
            pages, refused = write_pdf(html, assets, base_dir, pdf)
            timings["pdf"] = time.perf_counter() - t2
    if refused:
        log.info("report: refused %d URL(s), e.g. %s", len(refused), refused[0][:120])

    report_id = None
    if pdf is not None or html_file is not None:
        with sessions.begin() as s:
            report_id = save_report(
                s,
                kind="weekly",
                period_start=start,
                period_end=end,
                language=lang,
                pdf_path=str(pdf.resolve()) if pdf else None,
                html_path=str(html_file.resolve()) if html_file else None,
                article_count=context.article_count,
            )
    timings["total"] = time.perf_counter() - t0
    return ReportResult(
        report_id=report_id,
        start=start,
        end=end,
        language=lang,
        pdf_path=pdf,
        html_path=html_file,
        article_count=context.article_count,
        pages=pages,
        missing_tickers=context.missing_tickers,
        refused_urls=refused,
        timings=timings,
        context=context,
    )
