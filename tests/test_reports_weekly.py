"""Weekly briefing: a real SQLite file with a DeepSeek-like week (2025-W05), rendered to PDF."""

from __future__ import annotations

import datetime as dt
import http.server
import math
import re
import struct
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db.models import (
    Article,
    Embedding,
    Entity,
    Exposure,
    Instrument,
    Mention,
    Price,
    Reaction,
    Report,
    Source,
    Stance,
    Theme,
)
from reports.context import build_weekly_context, iso_week, significance_stars
from reports.render import ReportURLFetcher, render_weekly, write_pdf

WEEK = iso_week("2025-W05")
ACCENTED = "DeepSeek ébranle les géants américains de l'IA à Wall Street"
THEME_LABELS = {
    "compute_efficiency": "Compute efficiency",
    "chips_export": "Chips and export controls",
    "capex": "AI capital spending",
}
THEME_LABELS_FR = {
    "compute_efficiency": "Efficacité du calcul",
    "chips_export": "Puces et contrôles à l'exportation",
    "capex": "Investissements IA",
}
DIM = 8
HOMEPAGES = {
    "wire-one": "https://www.thewire.example/",
    "tech-ledger": "https://ledger.example/",
    "gazette-tech": "https://gazette.example/",
}


def _at(day: dt.date, hour: int = 14) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC)


def _vec(*values: float) -> bytes:
    padded = list(values) + [0.0] * (DIM - len(values))
    return struct.pack(f"<{DIM}f", *padded)


def _sessions_between(lo: dt.date, hi: dt.date) -> list[dt.date]:
    days, d = [], lo
    while d <= hi:
        if d.weekday() < 5:
            days.append(d)
        d += dt.timedelta(days=1)
    return days


def build_week(sessions: sessionmaker[Session], extra_titles: tuple[str, ...] = ()) -> None:
    """Fill every table the briefing reads with a small, hand-made week and its history."""
    with sessions.begin() as s:
        src = {
            name: Source(name=name, kind="feed", language=lang, homepage=HOMEPAGES[name])
            for name, lang in [("wire-one", "en"), ("tech-ledger", "en"), ("gazette-tech", "fr")]
        }
        s.add_all(src.values())
        ent = {
            "nvidia": Entity(key="nvidia", name="NVIDIA", type="company", ticker="NVDA"),
            "microsoft": Entity(key="microsoft", name="Microsoft", type="company", ticker="MSFT"),
            "asml": Entity(key="asml", name="ASML", type="company", ticker="ASML"),
            "deepseek": Entity(key="deepseek", name="DeepSeek", type="ai_lab"),
            "openai": Entity(key="openai", name="OpenAI", type="ai_lab"),
        }
        s.add_all(ent.values())
        for ticker, name in [
            ("NVDA", "NVIDIA Corp"),
            ("MSFT", "Microsoft Corp"),
            ("AVGO", "Broadcom Inc"),
            ("SMH", None),
        ]:
            s.add(Instrument(ticker=ticker, name=name, kind="etf" if name is None else "equity"))
        s.flush()
        # MSFT is an investor in OpenAI: OpenAI stories reach MSFT as exposure links.
        s.add(Exposure(entity_id=ent["openai"].id, ticker="MSFT", relation="investor", weight=0.5))

        # Prices: NVDA falls 17% on Monday 27 January; SMH falls 9%; ASML has no prices at all.
        days = _sessions_between(dt.date(2024, 12, 2), dt.date(2025, 2, 14))
        level = {"NVDA": 140.0, "MSFT": 420.0, "AVGO": 220.0, "SMH": 250.0}
        for i, day in enumerate(days):
            for ticker in level:
                drift = 1 + 0.004 * math.sin(i + len(ticker))
                if day == dt.date(2025, 1, 27):
                    drift = {"NVDA": 0.83, "SMH": 0.91, "MSFT": 0.979, "AVGO": 0.83}[ticker]
                level[ticker] *= drift
                s.add(Price(ticker=ticker, date=day, close=level[ticker], source="test"))

        week_articles = [
            # (title, source, lang, day, entity stances, themes, vector)
            (
                "DeepSeek's cheap model sends chip stocks tumbling",
                "wire-one",
                "en",
                dt.date(2025, 1, 27),
                {"nvidia": -1, "deepseek": 1},
                {"compute_efficiency": 0.9},
                _vec(1, 0.05),
            ),
            (
                "Nvidia loses record market value after DeepSeek shock",
                "tech-ledger",
                "en",
                dt.date(2025, 1, 27),
                {"nvidia": -1, "deepseek": 0},
                {"compute_efficiency": 0.7, "chips_export": 0.5},
                _vec(1, 0.1),
            ),
            (
                ACCENTED,
                "gazette-tech",
                "fr",
                dt.date(2025, 1, 27),
                {"nvidia": -1, "deepseek": 1},
                {"compute_efficiency": 0.8},
                _vec(0.97, 0.02, 0.1),
            ),
            (
                "Microsoft keeps its AI capital spending plan intact",
                "wire-one",
                "en",
                dt.date(2025, 1, 29),
                {"microsoft": 1, "openai": 0},
                {"capex": 0.9},
                _vec(0, 1),
            ),
            (
                "Microsoft cloud growth disappoints investors",
                "tech-ledger",
                "en",
                dt.date(2025, 1, 30),
                {"microsoft": -1},
                {"capex": 0.6},
                _vec(0, 0.2, 1),
            ),
            (
                "OpenAI answers DeepSeek with a faster reasoning model",
                "wire-one",
                "en",
                dt.date(2025, 1, 31),
                {"openai": 1, "deepseek": 0},
                {"compute_efficiency": 0.4},
                _vec(0, 0, 0, 1),
            ),
            (
                "ASML orders hold up despite export curbs",
                "tech-ledger",
                "en",
                dt.date(2025, 1, 29),
                {"asml": 1},
                {"chips_export": 0.9},
                _vec(0, 0, 0, 0, 1),
            ),
            (
                "Nvidia rebounds as buyers return to AI chips",
                "wire-one",
                "en",
                dt.date(2025, 1, 28),
                {"nvidia": 1},
                {"chips_export": 0.5},
                _vec(0, 0, 0, 0, 0, 1),
            ),
        ]
        week_articles += [
            (title, "wire-one", "en", dt.date(2025, 1, 30), {"nvidia": 0}, {}, None)
            for title in extra_titles
        ]
        prev_articles = [
            (
                "Stargate joint venture promises huge AI data centres",
                "wire-one",
                "en",
                dt.date(2025, 1, 22),
                {"openai": 1, "microsoft": 1},
                {"capex": 0.9},
                None,
            ),
            (
                "Nvidia shares hit a new high on AI demand",
                "tech-ledger",
                "en",
                dt.date(2025, 1, 23),
                {"nvidia": 1},
                {"chips_export": 0.8},
                None,
            ),
            (
                "Les fabricants de puces profitent de la demande en IA",
                "gazette-tech",
                "fr",
                dt.date(2025, 1, 21),
                {"nvidia": 1},
                {"chips_export": 0.7},
                None,
            ),
        ]
        made: dict[str, Article] = {}
        for n, (title, source, lang, day, stances, themes, vector) in enumerate(
            week_articles + prev_articles
        ):
            # The Rebound story is known only to the day; the French site names itself.
            day_only = title.startswith("Nvidia rebounds")
            a = Article(
                url=f"https://news.example/{source}/{n}",
                source_id=src[source].id,
                site_name="La Gazette Tech" if source == "gazette-tech" else None,
                title=title,
                text=title,
                language=lang,
                published_at=_at(day, 0 if day_only else 8 + n % 8),
                published_precision="day" if day_only else "exact",
                content_hash=f"h{n}",
                status="analysed",
            )
            s.add(a)
            s.flush()
            made[title] = a
            for key, label in stances.items():
                s.add(
                    Mention(
                        article_id=a.id,
                        entity_id=ent[key].id,
                        count=2,
                        first_offset=0,
                        in_title=True,
                        salience=0.8,
                    )
                )
                s.add(
                    Stance(
                        article_id=a.id,
                        entity_id=ent[key].id,
                        score=0.6 * label,
                        label=label,
                        confidence=0.8,
                    )
                )
            for theme, score in themes.items():
                s.add(Theme(article_id=a.id, theme=theme, score=score))
            if vector is not None:
                s.add(Embedding(article_id=a.id, model="test", dim=DIM, vector=vector))

        def react(
            article: Article,
            ticker: str,
            day: dt.date,
            ar: float,
            cars: dict,
            link: str = "direct",
            via: str | None = None,
            raw: float | None = None,
        ) -> None:
            for (w0, w1), (car, t) in cars.items():
                s.add(
                    Reaction(
                        article_id=article.id,
                        ticker=ticker,
                        window_start=w0,
                        window_end=w1,
                        event_date=day,
                        link_type=link,
                        link_weight=1.0,
                        via=via,
                        raw_return=ar if raw is None else raw,
                        abnormal_return=ar,
                        car=car,
                        t_stat=t,
                        benchmark="SMH",
                        model="market_model",
                    )
                )

        nvda_cars = {
            (0, 0): (-0.068, -3.2),
            (0, 1): (-0.155, -4.7),
            (-1, 1): (-0.149, -3.7),
            (0, 5): (-0.121, -2.1),
        }
        # NVDA fell 17% on the day, SMH 9%: the abnormal return is -6.8%.
        for title in list(made)[:3]:
            react(
                made[title],
                "NVDA",
                dt.date(2025, 1, 27),
                -0.068,
                nvda_cars,
                via="NVIDIA",
                raw=-0.17,
            )
        # AVGO's move reaches it only through the chips theme basket (a story about Nvidia).
        react(
            made["Nvidia loses record market value after DeepSeek shock"],
            "AVGO",
            dt.date(2025, 1, 27),
            -0.062,
            {(0, 1): (-0.07, -2.0), (0, 0): (-0.062, -2.4)},
            link="theme",
            via="chips_export",
            raw=-0.17,
        )
        react(
            made["Nvidia rebounds as buyers return to AI chips"],
            "NVDA",
            dt.date(2025, 1, 28),
            0.041,
            {(0, 1): (0.052, 1.8), (0, 0): (0.041, 2.9)},
            via="NVIDIA",
        )
        react(
            made["Microsoft cloud growth disappoints investors"],
            "MSFT",
            dt.date(2025, 1, 31),
            -0.058,
            {(0, 1): (-0.061, -2.2), (0, 0): (-0.058, -2.9)},
            via="Microsoft",
        )
        react(
            made["Microsoft keeps its AI capital spending plan intact"],
            "MSFT",
            dt.date(2025, 1, 29),
            0.004,
            {(0, 1): (0.006, 0.2)},
            via="Microsoft",
        )
        react(
            made["OpenAI answers DeepSeek with a faster reasoning model"],
            "MSFT",
            dt.date(2025, 1, 31),
            -0.058,
            {(0, 1): (-0.061, -2.2)},
            link="exposure",
            via="OpenAI",
        )

        # History for the reaction summary: six favourable and six unfavourable NVDA sessions.
        for k in range(12):
            day = dt.date(2024, 10, 28) + dt.timedelta(days=7 * k)
            label = 1 if k % 2 == 0 else -1
            a = Article(
                url=f"https://news.example/hist/{k}",
                source_id=src["wire-one"].id,
                title=f"Nvidia history story {k}",
                language="en",
                published_at=_at(day),
                content_hash=f"hist{k}",
                status="analysed",
            )
            s.add(a)
            s.flush()
            s.add(
                Stance(
                    article_id=a.id,
                    entity_id=ent["nvidia"].id,
                    score=label * 0.5,
                    label=label,
                    confidence=0.7,
                )
            )
            s.add(Theme(article_id=a.id, theme="chips_export", score=0.8))
            car = 0.012 * label + 0.002 * k
            react(a, "NVDA", day, car, {(0, 1): (car, 1.0)}, via="NVIDIA")


@pytest.fixture
def week_db(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    build_week(sessions)
    return sessions


def _pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u2212", "-"))


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_weekly_pdf_has_every_section_the_top_mover_and_accents(
    week_db: sessionmaker[Session], tmp_path: Path
) -> None:
    pdf, html = tmp_path / "w05.pdf", tmp_path / "out" / "w05.html"
    result = render_weekly(
        week_db, WEEK.start, WEEK.end, pdf_path=pdf, html_path=html, theme_labels=THEME_LABELS
    )
    assert result.article_count == 8 and result.pages and result.pages >= 5
    assert result.missing_tickers == ["ASML"]
    assert result.refused_urls == []
    text = _norm(_pdf_text(pdf))
    for section in [
        "Weekly briefing",
        "Top stories",
        "Market moves",
        "Entities",
        "Narratives",
        "Story clusters",
        "Reaction summary",
        "Appendix",
    ]:
        assert section in text, section
    assert "2025-W05" in text
    assert "NVDA" in text and "-6.8%" in text and "-15.5%***" in text
    assert "No price data this week for: ASML" in text
    assert ACCENTED in text
    assert "Compute efficiency" in text and "Too few events" in text
    assert re.search(r"Page 2 of \d+", text)
    # The HTML is written with its charts beside it.
    assert (html.parent / "w05_assets" / "chart-NVDA.png").is_file()
    assert "chart-NVDA.png" in html.read_text(encoding="utf-8")
    # Recorded in the reports table.
    with week_db() as s:
        row = s.scalars(select(Report)).one()
    assert (row.kind, row.period_start, row.language, row.article_count) == (
        "weekly",
        WEEK.start,
        "en",
        8,
    )
    assert row.pdf_path == str(pdf.resolve())
    # Page 1 as an image, for a person to look at.
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    image = doc[0].render(scale=1).to_pil()
    image.save(tmp_path / "page1.png")
    doc.close()
    assert (tmp_path / "page1.png").stat().st_size > 10_000


def test_context_top_mover_shares_one_move_and_ranks_stories(
    week_db: sessionmaker[Session],
) -> None:
    c = build_weekly_context(week_db, WEEK.start, WEEK.end, theme_labels=THEME_LABELS)
    top = c.moves[0]
    assert (top.ticker, top.event_date, top.n_stories) == ("NVDA", dt.date(2025, 1, 27), 3)
    assert top.main_car is not None and significance_stars(top.main_car.t_stat) == "***"
    assert {s.stance for s in top.stories} == {-1}
    assert [m.ticker for m in c.moves] == ["NVDA", "AVGO", "MSFT"]  # one move per ticker
    msft = c.moves[2]
    assert {s.link_type for s in msft.stories} == {"direct", "exposure"}
    assert c.charts and c.charts[0].ticker == "NVDA" and c.charts[0].benchmark == "SMH"
    assert c.top_stories[0].n_sources == 3  # the DeepSeek cluster spans three sources
    nvidia = next(e for e in c.entities if e.name == "NVIDIA")
    assert (nvidia.articles, nvidia.prev_articles) == (4, 2)
    assert any(e.name == "NVIDIA" for e in c.losers)
    by_entity = {r.label: r for r in c.reactions_by_entity}
    assert by_entity["NVIDIA"].favourable.n >= 6 and by_entity["NVIDIA"].unfavourable.n >= 6
    assert by_entity["Microsoft"].too_small


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def loopback() -> Iterator[tuple[str, list[str]]]:
    hits: list[str] = []
    handler = type("Handler", (_Recorder,), {"hits": hits})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_untrusted_article_markup_fetches_nothing(
    sessions: sessionmaker[Session], tmp_path: Path, loopback: tuple[str, list[str]]
) -> None:
    base, hits = loopback
    hostile = (
        f'Chip rout <img src="{base}/pixel.png"> deepens',
        '<img src="file:///etc/passwd"> <link rel="stylesheet" href="file:///etc/passwd">',
        f'<style>@import url("{base}/x.css");</style>',
    )
    build_week(sessions, extra_titles=hostile)
    pdf = tmp_path / "hostile.pdf"
    render_weekly(sessions, WEEK.start, WEEK.end, pdf_path=pdf)
    assert hits == []
    assert 'Chip rout <img src="' in _pdf_text(pdf)  # shown as text, never parsed as markup

    # Even markup that reached WeasyPrint unescaped is refused by the url_fetcher.
    assets = tmp_path / "assets"
    assets.mkdir()
    (assets / "ok.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', encoding="utf-8"
    )
    raw = (
        f'<p>x</p><img src="{base}/direct.png"><img src="file:///etc/passwd">'
        f'<img src="../../../../etc/passwd"><link rel="stylesheet" href="{base}/s.css">'
        '<img src="assets/ok.svg">'
    )
    pages, refused = write_pdf(raw, assets, tmp_path, tmp_path / "raw.pdf")
    assert pages == 1 and hits == []
    assert any(u.startswith(base) for u in refused)
    assert any(u.startswith("file:///etc/passwd") for u in refused)
    assert not any(u.endswith("ok.svg") for u in refused)

    policy = ReportURLFetcher(assets)
    assert policy.resolve((assets / "ok.svg").as_uri()) == (assets / "ok.svg").resolve()
    for url in [
        f"{base}/a.png",
        "file:///etc/passwd",
        (assets / ".." / "raw.pdf").as_uri(),
        "data:image/png;base64,AAAA",
        "ftp://127.0.0.1/x",
        "file://evil.example/x",
    ]:
        assert policy.resolve(url) is None, url


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_empty_week_is_short_and_says_so(week_db: sessionmaker[Session], tmp_path: Path) -> None:
    pdf = tmp_path / "empty.pdf"
    period = iso_week("2023-W10")
    result = render_weekly(week_db, period.start, period.end, pdf_path=pdf)
    assert result.article_count == 0 and result.pages == 1
    text = _norm(_pdf_text(pdf))
    assert "Nothing to report" in text and "2023-W10" in text


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_french_labels(week_db: sessionmaker[Session], tmp_path: Path) -> None:
    pdf = tmp_path / "fr.pdf"
    render_weekly(week_db, WEEK.start, WEEK.end, lang="fr", pdf_path=pdf)
    text = _norm(_pdf_text(pdf))
    for label in [
        "Note hebdomadaire",
        "Mouvements de marché",
        "Entités",
        "Récits",
        "Synthèse des réactions",
        "Annexe",
        "27 janvier 2025",
        "-6,8",
    ]:
        assert label in text, label
    assert "Market moves" not in text


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_cli_report_weekly_list_and_mistakes(
    cli, week_db: sessionmaker[Session], sqlite_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "cli.pdf"
    r = cli("--db", sqlite_url, "report", "weekly", "--week", "2025-W05", "-o", str(out))
    assert r.exit_code == 0, r.stderr
    assert out.is_file() and "8 articles" in r.stdout and "ASML" in r.stderr
    r = cli("--db", sqlite_url, "report")
    assert r.exit_code == 0 and "weekly" in r.stdout and "2025-W05" in r.stdout
    assert str(out.resolve()) in r.stdout
    for args, message in [
        (["--week", "2025-W99"], "--week"),
        (["--week", "last"], "--week"),
        (["--start", "2025-02-02", "--end", "2025-01-27"], "is after"),
        (["--week", "2025-W05", "--start", "2025-01-27"], "either"),
        (["--lang", "de"], "--lang"),
    ]:
        r = cli("--db", sqlite_url, "report", "weekly", *args, "-o", str(tmp_path / "x.pdf"))
        assert r.exit_code == 2 and message in r.stderr, (args, r.stderr)
        assert r.stderr.count("\n") == 1


# ---------------------------------------------------------------------------------------------
# What a reader sees (issue 15, items 15-19): PDF text and word boxes, in English and French.


def _pages(path: Path) -> list[str]:
    return [_norm(page.extract_text() or "") for page in PdfReader(str(path)).pages]


def _render(sessions: sessionmaker[Session], tmp_path: Path, lang: str) -> tuple[Path, list[str]]:
    pdf = tmp_path / f"w05-{lang}.pdf"
    labels = THEME_LABELS if lang == "en" else THEME_LABELS_FR
    render_weekly(sessions, WEEK.start, WEEK.end, lang=lang, pdf_path=pdf, theme_labels=labels)
    return pdf, _pages(pdf)


WORDS = {
    "en": {
        "basket": "sector basket: Chips and export controls",
        "direct": "about NVIDIA",
        "exposure": "via OpenAI (investor)",
        "one_article": "28 January 2025 · 1 article",
        "gap": (
            "NVDA moved -17.0% on 27 January 2025, while its benchmark SMH moved -9.0% in the "
            "same session: against the benchmark the move is -6.8%."
        ),
        "marks": "Coloured marks on 27 January 2025: the 3 stories listed below, by stance.",
        "basket_title": "Moves linked only through a sector basket",
        "weaker": "Weaker evidence",
        "flag": "sector basket only",
        "continued": "Narratives, continued",
    },
    "fr": {
        "basket": "panier sectoriel : Puces et contrôles à l'exportation",
        "direct": "sur NVIDIA",
        "exposure": "via OpenAI (investisseur)",
        "one_article": "28 janvier 2025 · 1 article",
        "gap": (
            "NVDA a varié de -17,0 % le 27 janvier 2025, et son indice de référence SMH de "
            "-9,0 % sur la même séance : face à l'indice, le mouvement est de -6,8 %."
        ),
        "marks": "Repères colorés le 27 janvier 2025 : un par article listé ci-dessous (3 articles)",
        "basket_title": "Mouvements rattachés par un panier sectoriel seulement",
        "weaker": "Indice plus faible",
        "flag": "panier sectoriel seul",
        "continued": "Récits (suite)",
    },
}


def _nb(text: str) -> str:
    return text.replace("\u202f", " ").replace("\u00a0", " ")


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_no_internal_names_on_the_pages(
    week_db: sessionmaker[Session], tmp_path: Path, lang: str
) -> None:
    """Item 15: theme keys, link types and source slugs become words."""
    _, pages = _render(week_db, tmp_path, lang)
    text = _nb(" ".join(pages))
    w = WORDS[lang]
    assert w["basket"] in text and w["direct"] in text and w["exposure"] in text
    for internal in ("chips_export", "compute_efficiency", "wire-one", "tech-ledger", "gazette-"):
        assert internal not in text, internal
    # Sites by name: the page's own site name, else the host of the source's homepage.
    assert "La Gazette Tech" in text and "thewire.example" in text and "ledger.example" in text
    assert not re.search(r"(OpenAI|NVIDIA|Microsoft) ?(exposure|exposition|direct)\b", text)


def _word_boxes(pdf: Path, page: int) -> tuple[float, list[tuple[str, float, float]]]:
    """(page width, [(word, xMin, xMax)]) of one page, from poppler's pdftotext -bbox."""
    import shutil
    import subprocess
    import xml.etree.ElementTree as ET

    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils (pdftotext) is not installed")
    out = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    root = ET.fromstring(out.replace('xmlns="http://www.w3.org/1999/xhtml"', ""))
    page_el = root.find(".//page")
    assert page_el is not None
    words = [
        (w.text or "", float(w.get("xMin", 0)), float(w.get("xMax", 0)))
        for w in page_el.iter("word")
    ]
    return float(page_el.get("width", 0)), words


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_layout_margins_plurals_times_and_breaks(
    week_db: sessionmaker[Session], tmp_path: Path, lang: str
) -> None:
    """Item 16: the cover inside its margins, plurals, no 00:00, no orphan list heading, no
    forced break before the appendix."""
    pdf, pages = _render(week_db, tmp_path, lang)
    width, words = _word_boxes(pdf, 1)
    margin = 15 / 25.4 * 72  # 15 mm, the page's side margins
    assert words and max(x1 for _, _, x1 in words) <= width - margin + 0.5
    assert min(x0 for _, x0, _ in words) >= margin - 0.5
    text = " ".join(pages)
    assert WORDS[lang]["one_article"] in text
    assert not re.search(r"\b1 articles\b", text)
    assert "00:00" not in text  # the rebound story is known only to the day
    rising, fading = ("Rising", "Fading") if lang == "en" else ("En hausse", "En recul")
    assert any(rising in p and fading in p for p in pages)  # kept side by side, one block
    appendix = "Appendix" if lang == "en" else "Annexe"
    method = "Method" if lang == "en" else "Méthode"
    assert any(appendix in p and method in p for p in pages)  # no near-empty page between


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_table_across_pages_says_continued(
    week_db: sessionmaker[Session], tmp_path: Path, lang: str
) -> None:
    """Item 16: a table that breaks repeats its header, announced as continued, on the pages
    after the one where it starts, and only there."""
    from reports.context import ThemeRow
    from reports.render import render_html

    labels = THEME_LABELS if lang == "en" else THEME_LABELS_FR
    c = build_weekly_context(week_db, WEEK.start, WEEK.end, theme_labels=labels)
    c.themes = [ThemeRow(f"t{i}", f"Theme number {i}", 80 - i, 3, 0.4, 0.1) for i in range(80)]
    html, _ = render_html(c, lang, tmp_path / "assets", "assets/")
    pages_n, _ = write_pdf(html, tmp_path / "assets", tmp_path, tmp_path / "long.pdf")
    pages = _pages(tmp_path / "long.pdf")
    cont = WORDS[lang]["continued"]
    header = "THEME" if lang == "en" else "THÈME"
    # Table rows (label, articles), not the cover's rising list.
    first = next(i for i, p in enumerate(pages) if "Theme number 0 80 " in p)
    last = next(i for i, p in enumerate(pages) if "Theme number 79 1 " in p)
    assert last > first + 1 and pages_n == len(pages)
    marker = ", continued" if lang == "en" else "(suite)"
    assert marker not in pages[first]
    for p in pages[first + 1 : last + 1]:
        assert cont in p and header in p
    # No other table of this week breaks: no page after the long one announces a continuation.
    assert all(marker not in p for p in pages[last + 1 :])


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_top_mover_is_charted_and_its_marks_are_its_stories(
    week_db: sessionmaker[Session], tmp_path: Path, lang: str
) -> None:
    """Item 17: a chart per top move with stories; the chart's coloured marks are the listed
    stories, one each with its stance, and the caption counts them and the other ticks."""
    c = build_weekly_context(week_db, WEEK.start, WEEK.end, theme_labels=THEME_LABELS)
    assert [m.ticker for m in c.moves if m.stories] == [s.ticker for s in c.charts]
    for move, series in zip(c.moves, c.charts, strict=True):
        assert [(m.day, m.stance) for m in series.listed] == [
            (st.event_date, st.stance) for st in move.stories
        ]
    nvda = c.charts[0]
    # the rebound (28 January) and the three history stories within the drawn four weeks
    assert nvda.ticker == "NVDA" and len(nvda.others) == 4
    _, pages = _render(week_db, tmp_path, lang)
    text = _nb(" ".join(pages))
    assert WORDS[lang]["marks"] in text
    from reports.render import render_html

    html, files = render_html(c, lang, tmp_path / "assets", "assets/")
    assert files == [f"assets/chart-{t}.png" for t in ("NVDA", "AVGO", "MSFT")]
    assert html.count('<img class="chart"') == 3
    assert all((tmp_path / f).stat().st_size > 5_000 for f in files)


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_cover_explains_raw_against_abnormal_and_basket_moves_stand_apart(
    week_db: sessionmaker[Session], tmp_path: Path, lang: str
) -> None:
    """Items 18 and 19: the cover explains NVDA's -17% day against its -6.8% abnormal return;
    AVGO, linked only through the chips basket, is flagged and shown after the direct links."""
    _, pages = _render(week_db, tmp_path, lang)
    cover = _nb(pages[0])
    w = WORDS[lang]
    assert w["gap"] in cover
    assert w["flag"] in cover
    text = _nb(" ".join(pages[1:]))
    assert w["basket_title"] in text and w["weaker"] in text
    details = text.split(w["basket_title"])
    # In the moves table and in the detail sections, AVGO comes after the group title.
    assert "AVGO" not in details[0] and "AVGO" in details[-1]
    assert "NVDA" in details[0] and "MSFT" in details[0]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_theme_key_reaches_the_briefing_with_its_label(lang: str) -> None:
    """The labels come from nlp.themes through airace.stages (reports never imports nlp): every
    stored theme key has a label in both languages, so none is shown as a key."""
    from airace.stages import theme_labels
    from nlp.themes import THEMES

    labels = theme_labels(lang)
    assert labels is not None and set(labels) == set(THEMES)
    assert all(label and "_" not in label and label != key for key, label in labels.items())


def test_counts_take_the_form_of_their_number() -> None:
    from reports.i18n import count, noun

    assert [count(n, "article", "en") for n in (0, 1, 2)] == [
        "0 articles",
        "1 article",
        "2 articles",
    ]
    assert [count(n, "article", "fr") for n in (0, 1, 2)] == [
        "0 article",
        "1 article",
        "2 articles",
    ]
    assert count(1, "story", "en") == "1 story" and count(3, "story", "en") == "3 stories"
    assert noun(1, "entity_tracked", "fr") == "entité suivie"
    assert count(1200, "source", "fr") == "1\u202f200 sources"
