"""Extraction of text and metadata from the fixture pages (EN, FR, broken encodings, no metadata)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from scrapy.http import HtmlResponse

from crawler.candidates import build_candidate, drop_reason
from crawler.extract import decode_html, extract_article, extract_text, guess_language
from crawler.spiders.listing import heuristic_links, select_links

SITE = Path(__file__).parent / "data" / "sites" / "news"
BASE = "http://127.0.0.1:8765"


def _page(rel: str) -> bytes:
    return (SITE / rel).read_bytes()


def test_jsonld_metadata_wins() -> None:
    art = extract_article(_page("2025/01/chip-export-limits.html"), f"{BASE}/x?utm_source=a")
    assert art.title == "Washington widens AI chip export limits"
    assert art.authors == ["Dana Whitfield"]
    assert art.published.precision == "exact"
    assert art.published.when == dt.datetime(2025, 1, 13, 19, 30, tzinfo=dt.UTC)
    assert art.language == "en"
    assert art.canonical_url == f"{BASE}/2025/01/chip-export-limits.html"
    assert art.description == "New licence rules for AI accelerators."
    assert art.site_name == "Loopback News"
    assert art.top_image == f"{BASE}/img/chips.jpg"
    assert "export of advanced AI chips" in art.text
    assert "Most read" not in art.text and "All rights reserved" not in art.text


def test_opengraph_and_time_dates() -> None:
    og = extract_article(_page("2025/01/open-weight-reasoning-model.html"), BASE + "/a")
    assert og.published.when == dt.datetime(2025, 1, 27, 6, tzinfo=dt.UTC)
    assert og.authors == ["Sam Ortega"]
    day = extract_article(_page("2025/01/utilities-power-ai-data-centers.html"), BASE + "/b")
    assert day.published.precision == "day"
    assert day.published.when == dt.datetime(2025, 1, 28, tzinfo=dt.UTC)


def test_feed_date_used_when_page_has_none() -> None:
    page = _page("2025/02/agent-startup-no-metadata.html")
    assert extract_article(page, BASE + "/c").published.precision == "unknown"
    art = extract_article(page, BASE + "/c", feed_entry={"published": "2025-02-05T07:45:00Z"})
    assert art.published.when == dt.datetime(2025, 2, 5, 7, 45, tzinfo=dt.UTC)
    # No title anywhere: the candidate takes its first sentence, and says so.
    c = build_candidate(page, BASE + "/c")
    assert "missing_title" in c.warnings and "missing_date" in c.warnings
    assert c.title.startswith("The agent startup says")


def test_french_pages_in_latin1_and_cp1252() -> None:
    latin1 = extract_article(_page("fr/2025/02/puces-ia-europe-latin1.html"), BASE + "/d")
    assert latin1.title == "Les industriels réclament des puces IA européennes"
    assert "processeurs graphiques utilisés" in latin1.text
    assert latin1.language == "fr"
    cp = extract_article(_page("fr/2025/02/budget-ia-administrations.html"), BASE + "/e")
    assert cp.title == "Un budget révisé pour l’IA dans les services publics"
    assert "déploiement" in cp.text
    assert guess_language(cp.text) == "fr"


def test_malformed_and_empty_pages() -> None:
    broken = build_candidate(_page("2025/02/malformed-page.html"), BASE + "/f")
    assert "Electric utilities" in broken.text and drop_reason(broken) is None
    empty = build_candidate(b"", BASE + "/g")
    assert drop_reason(empty) == "no_text"
    junk = build_candidate(b"\x00\xff\xfe garbage \x00", BASE + "/h")
    assert drop_reason(junk) in ("no_text", "too_short")
    assert extract_text("") == ""
    assert decode_html(b"caf\xe9") == "café"


def test_headline_not_part_of_fingerprint() -> None:
    a = build_candidate(_page("2025/01/chip-export-limits.html"), BASE + "/i")
    b = build_candidate(_page("partners/wire-chip-export.html"), BASE + "/j")
    assert a.title != b.title
    assert a.content_hash == b.content_hash


def test_listing_links_by_selector_and_heuristics() -> None:
    response = HtmlResponse(
        url=f"{BASE}/section/index.html", body=_page("section/index.html"), encoding="utf-8"
    )
    links = select_links(response, "a.article-link")
    assert len(links) == 3 and links[0] == "/2025/01/chip-export-limits.html"
    assert select_links(response, "xpath://a[@class='next']/@href") == ["/section/page-2.html"]
    found = heuristic_links(response)
    assert f"{BASE}/2025/01/chip-export-limits.html" in found
    assert not any("/tag/" in u for u in found)
