"""The sample site of `airace demo`: its articles, their price claims, and the server over HTTP."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from functools import cache
from html import unescape
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import market
from airace.demo_server import REMOVED_PATH, DemoServer
from airace.demo_site import DemoArticle, load_articles

PRICES = Path(market.__file__).resolve().parent / "data" / "prices"
# These CSVs hold dividend-adjusted OHLC (see PROVENANCE.md): only moves in % are comparable.
ADJUSTED = {"ORCL", "SMCI", "VST", "SMH", "9984.T"}
NEW_YORK = ZoneInfo("America/New_York")
FOOTER = "written for the airace demo"

ARTICLES = load_articles()
RELEVANT = [a for a in ARTICLES if a.relevant]


@cache
def prices(ticker: str) -> dict[dt.date, dict[str, float]]:
    name = "IDX_" + ticker[1:] if ticker.startswith("^") else ticker
    with open(PRICES / f"{name}.csv", newline="") as f:
        return {
            dt.date.fromisoformat(r["Date"]): {"open": float(r["Open"]), "close": float(r["Close"])}
            for r in csv.DictReader(f)
        }


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


@pytest.fixture(scope="module")
def server() -> Iterator[DemoServer]:
    with DemoServer() as s:
        yield s


# ------------------------------------------------------------------------------ the articles
def test_at_least_40_articles_in_both_languages() -> None:
    langs = [a.lang for a in RELEVANT]
    assert len(RELEVANT) >= 40
    assert langs.count("en") >= 18 and langs.count("fr") >= 18
    assert len({a.slug for a in ARTICLES}) == len(ARTICLES)
    assert any(not a.relevant for a in ARTICLES), "an off-topic story exercises the filter"


def test_articles_are_120_to_400_words_in_jan_feb_2025() -> None:
    for a in ARTICLES:
        assert 120 <= a.word_count <= 400, (a.slug, a.word_count)
        assert dt.date(2025, 1, 1) <= a.day <= dt.date(2025, 2, 28), a.slug
        assert a.lang in ("en", "fr")


def test_publication_dates_mix_precisions() -> None:
    exact = [a for a in ARTICLES if a.precision == "exact"]
    assert len(exact) >= 5
    assert any(a.instant is not None and a.instant.weekday() == 5 for a in exact)  # a Saturday
    assert any(a.precision == "month" for a in ARTICLES)
    assert sum(a.precision == "day" for a in ARTICLES) >= 20
    for a in exact:
        assert a.instant is not None and a.instant.utcoffset() is not None, a.slug


def test_broken_and_syndicated_pages_are_declared() -> None:
    serves = {a.serve for a in ARTICLES}
    assert {"malformed", "latin1-declared", "latin1-undeclared"} <= serves
    assert sum(1 for a in ARTICLES if a.syndicated_path) == 1
    for a in ARTICLES:
        if a.serve.startswith("latin1"):
            a.body.encode("latin-1")  # the article itself must fit Latin-1
            a.title.encode("latin-1")


# ------------------------------------------------------------------------------ the figures
def _number(value: float, lang: str) -> str:
    text = f"{abs(value):.2f}"
    return text.replace(".", ",") if lang == "fr" else text


@pytest.mark.parametrize("article", [a for a in ARTICLES if a.claims], ids=lambda a: a.slug)
def test_claims_agree_with_the_csvs(article: DemoArticle) -> None:
    for c in article.claims:
        series = prices(c.ticker)
        assert c.date in series, f"{c.ticker} has no session on {c.date}"
        if c.close is not None:
            assert c.ticker not in ADJUSTED, f"{c.ticker} closes are adjusted: state a % move"
            assert round(series[c.date]["close"], 2) == c.close, c
        if c.open is not None:
            assert c.ticker not in ADJUSTED
            assert round(series[c.date]["open"], 2) == c.open, c
        if c.change_pct is not None:
            days = sorted(series)
            start = c.start or days[days.index(c.date) - 1]
            move = (series[c.date]["close"] / series[start]["close"] - 1) * 100
            assert round(move, 2) == c.change_pct, (c, round(move, 2))


@pytest.mark.parametrize("article", ARTICLES, ids=lambda a: a.slug)
def test_every_price_figure_in_the_text_is_a_checked_claim(article: DemoArticle) -> None:
    """Two-decimal percentages and 'NN.NN dollars' are price figures; each must be a claim."""
    pcts = {_number(c.change_pct, article.lang) for c in article.claims if c.change_pct is not None}
    levels = {_number(v, article.lang) for c in article.claims for v in (c.close, c.open) if v}
    text = " ".join([article.title, article.description, article.body])
    for found in re.findall(r"(\d+[.,]\d{2})\s?%", text):
        assert found in pcts, f"{found}% is not backed by a claim"
    for found in re.findall(r"(\d+[.,]\d{2}) dollars(?! per)", article.body):
        assert found in levels, f"{found} dollars is not backed by a claim"
    for figure in pcts | levels:
        assert figure in article.body, f"claim {figure} does not appear in the body"


@pytest.mark.parametrize("article", [a for a in ARTICLES if a.claims], ids=lambda a: a.slug)
def test_claims_were_known_when_the_article_was_published(article: DemoArticle) -> None:
    for c in article.claims:
        if article.precision == "month":
            assert c.date < dt.date(article.day.year, article.day.month + 1, 1)
            continue
        assert c.date <= article.day, c
        if article.instant is None or c.date < article.day or c.ticker.endswith(".T"):
            continue
        local = article.instant.astimezone(NEW_YORK)
        if c.date == local.date():
            needed = dt.time(9, 30) if c.close is None and c.change_pct is None else dt.time(16)
            assert local.time() >= needed, f"{c} not known at {local:%H:%M} New York time"


# ------------------------------------------------------------------------------ over HTTP
def test_robots_allows_everything(server: DemoServer) -> None:
    status, _, body = fetch(server.url + "/robots.txt")
    assert status == 200
    assert b"Allow: /" in body and b"Disallow: /" not in body
    assert f"Sitemap: {server.url}/sitemap.xml".encode() in body


def test_feed_is_rss_with_dates(server: DemoServer) -> None:
    import feedparser

    status, headers, body = fetch(server.url + "/feed.xml")
    assert status == 200 and "rss" in headers["Content-Type"]
    feed = feedparser.parse(body)
    assert not feed.bozo and feed.version == "rss20"
    links = {e.link for e in feed.entries}
    english = [a for a in ARTICLES if a.lang == "en"]
    assert {server.url + a.path for a in english} <= links
    assert server.url + REMOVED_PATH in links
    with_time = [e for e in feed.entries if e.get("published_parsed")]
    assert len(with_time) >= sum(a.instant is not None for a in english)


def test_sitemap_index_news_sitemap_and_pages(server: DemoServer) -> None:
    from lxml import etree

    ns = {
        "s": "http://www.sitemaps.org/schemas/sitemap/0.9",
        "n": "http://www.google.com/schemas/sitemap-news/0.9",
    }
    _, _, body = fetch(server.url + "/sitemap.xml")
    children = etree.fromstring(body).xpath("//s:sitemap/s:loc/text()", namespaces=ns)
    assert len(children) == 2
    locs: set[str] = set()
    news_dates = 0
    for child in children:
        status, _, xml = fetch(child)
        assert status == 200
        root = etree.fromstring(xml)
        locs |= set(root.xpath("//s:url/s:loc/text()", namespaces=ns))
        news_dates += len(root.xpath("//n:publication_date", namespaces=ns))
    assert {server.url + a.path for a in ARTICLES} <= locs
    assert news_dates >= 18


def test_listing_pagination_reaches_every_relevant_article(server: DemoServer) -> None:
    from parsel import Selector

    url: str | None = server.url + "/section/ai/"
    found: list[str] = []
    pages = 0
    while url:
        status, _, body = fetch(url)
        assert status == 200
        sel = Selector(text=body.decode("utf-8"))
        found += sel.css("a.article-link::attr(href)").getall()
        nxt = sel.css("a.next::attr(href)").get()
        url = server.url + nxt if nxt else None
        pages += 1
    assert pages >= 5
    syndicated = {a.syndicated_path for a in ARTICLES if a.syndicated_path}
    assert set(found) == {a.path for a in RELEVANT} | syndicated
    _, _, first = fetch(server.url + "/section/ai/")
    assert REMOVED_PATH.encode() in first  # a link to the 404 page


def _page_text(headers: dict[str, str], body: bytes) -> str:
    charset = re.search(r"charset=([\w-]+)", headers.get("Content-Type", ""))
    return body.decode(charset.group(1) if charset else "latin-1")


@pytest.mark.parametrize("article", ARTICLES, ids=lambda a: a.slug)
def test_article_page_is_served_with_metadata_and_footer(
    server: DemoServer, article: DemoArticle
) -> None:
    status, headers, body = fetch(server.url + article.path)
    assert status == 200
    html = _page_text(headers, body)
    assert FOOTER in html.lower()
    assert f'<time datetime="{article.published}">' in html
    assert f'content="{article.published}"' in html  # article:published_time
    assert 'property="og:title"' in html and article.author in html
    if article.serve != "malformed":
        raw = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
        assert raw is not None
        data = json.loads(raw.group(1))
        assert data["@type"] == "NewsArticle" and data["datePublished"] == article.published
    first_paragraph = article.paragraphs[0]
    assert first_paragraph in unescape(html)


def test_broken_pages(server: DemoServer) -> None:
    status, _, _ = fetch(server.url + REMOVED_PATH)
    assert status == 404
    by_serve = {a.serve: a for a in ARTICLES}

    _, headers, body = fetch(server.url + by_serve["malformed"].path)
    assert b"</html>" not in body and b"<b><i>" in body

    for mode, declared in (("latin1-declared", True), ("latin1-undeclared", False)):
        _, headers, body = fetch(server.url + by_serve[mode].path)
        with pytest.raises(UnicodeDecodeError):
            body.decode("utf-8")
        assert ("iso-8859-1" in headers["Content-Type"]) is declared
        assert (b'<meta charset="iso-8859-1">' in body) is declared
        assert b"charset" not in body or declared
        assert by_serve[mode].title.encode("latin-1") in body


def test_syndicated_copy_repeats_the_text_at_another_url(server: DemoServer) -> None:
    from parsel import Selector

    original = next(a for a in ARTICLES if a.syndicated_path)
    assert original.syndicated_path is not None
    texts = []
    for path in (original.path, original.syndicated_path):
        status, _, body = fetch(server.url + path)
        assert status == 200
        sel = Selector(text=body.decode("utf-8"))
        texts.append(sel.css("div.article-body p::text").getall())
        assert sel.css("link[rel=canonical]::attr(href)").get() == server.url + path
    assert texts[0] == texts[1] and len(texts[0]) >= 3


def test_unknown_paths_are_404(server: DemoServer) -> None:
    for path in ("/nope/", "/section/ai/page/99/", "/section/ai/page/x/", "/author/nobody/"):
        assert fetch(server.url + path)[0] == 404


def test_navigation_links_of_article_pages_resolve(server: DemoServer) -> None:
    """Header, byline and footer links lead somewhere, as on a real site."""
    from parsel import Selector

    article = next(a for a in ARTICLES if a.serve == "normal")
    _, _, body = fetch(server.url + article.path)
    sel = Selector(text=body.decode("utf-8"))
    hrefs = sel.css("header a::attr(href), .byline a::attr(href), footer a::attr(href)").getall()
    assert len(hrefs) >= 8
    for href in hrefs:
        assert fetch(server.url + href)[0] == 200, href
