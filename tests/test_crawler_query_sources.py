"""`query` sources: URL templates naming {entity}, {query} or {ticker}, expanded from a list of
(name, ticker) pairs with a cap, then crawled as feeds (over HTTP on 127.0.0.1)."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crawler.runner import run_crawl
from crawler.sources import (
    SourceConfig,
    SourcesError,
    expand_query_sources,
    load_sources,
    parse_sources,
)
from db.models import Article
from tests.crawl_options import loopback_options

SITES = Path(__file__).parent / "data" / "sites"
sys.path.insert(0, str(SITES))
from loopback import LoopbackServer  # noqa: E402

TARGETS = [("Nvidia", "NVDA"), ("OpenAI", None), ("Mistral AI", None), ("SAP", "SAP.DE")]


def _query(urls: list[str], **kw: object) -> SourceConfig:
    lines = [
        "[[sources]]",
        'name = "q"',
        'kind = "query"',
        "urls = [" + ", ".join(f'"{u}"' for u in urls) + "]",
    ]
    lines += [f"{k} = {v}" for k, v in kw.items()]
    return parse_sources("\n".join(lines))[0]


def test_templates_expand_per_target_with_a_cap_and_a_rotation() -> None:
    src = _query(
        ["https://news.example/rss?q={query}", "https://quotes.example/{ticker}/rss"],
        max_queries=3,
    )
    assert src.follow_offsite and src.allowed_domains == ()
    plain = parse_sources('[[sources]]\nname = "f"\nkind = "feed"\nurls = ["https://a.example/f"]')
    (expanded, feed) = expand_query_sources([src, *plain], TARGETS)
    assert feed == plain[0]  # other kinds pass through
    assert expanded.kind == "feed" and expanded.name == "q"
    assert expanded.urls == (
        "https://news.example/rss?q=%22Nvidia%22",
        "https://quotes.example/NVDA/rss",
        "https://news.example/rss?q=%22OpenAI%22",
    )
    everything = expand_query_sources([src], TARGETS, cap=100)[0].urls
    assert len(everything) == 3  # max_queries still caps
    uncapped = _query(["https://quotes.example/{ticker}/rss"], max_queries=10)
    tickers = expand_query_sources([uncapped], TARGETS)[0].urls
    assert tickers == ("https://quotes.example/NVDA/rss", "https://quotes.example/SAP.DE/rss")
    entity = _query(["https://n.example/s?e={entity}"], max_queries=2)
    day0 = expand_query_sources([entity], TARGETS, rotate=0)[0].urls
    day1 = expand_query_sources([entity], TARGETS, rotate=1)[0].urls
    assert day0 == ("https://n.example/s?e=Nvidia", "https://n.example/s?e=OpenAI")
    assert day1 == ("https://n.example/s?e=Mistral+AI", "https://n.example/s?e=SAP")
    # Round trip to the crawl process keeps "any domain".
    assert SourceConfig.from_dict(expanded.to_dict()) == expanded
    assert expand_query_sources([src], []) == []  # nothing to ask about: left out


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://n.example/rss", "names none of"),
        ("https://n.example/rss?q={name}", "names {name}"),
        ("ftp://n.example/{ticker}", "not an http(s) URL template"),
        ("https://n.example/{ticker", "not a valid URL template"),
    ],
)
def test_bad_templates_are_one_line_errors(url: str, message: str) -> None:
    with pytest.raises(SourcesError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _query([url])


def test_default_sources_have_market_news_and_query_feeds() -> None:
    sources = load_sources()
    by_name = {s.name: s for s in sources}
    queries = [s for s in sources if s.kind == "query"]
    assert {"google-news-entities", "yahoo-finance-tickers"} <= {s.name for s in queries}
    assert any("{ticker}" in u for s in queries for u in s.urls)
    assert any("{query}" in u or "{entity}" in u for s in queries for u in s.urls)
    assert all(s.max_queries <= 20 for s in queries)
    market_en = {"reuters-news-sitemap", "cnbc-markets", "marketwatch", "yahoo-finance-news"}
    market_fr = {"les-echos-marches", "le-monde-economie", "boursorama-actualites"}
    assert market_en <= set(by_name) and market_fr <= set(by_name)
    assert {by_name[n].language for n in market_fr} == {"fr"}
    assert all(not s.verified for s in sources)
    expanded = expand_query_sources(sources, TARGETS)
    assert not any(s.kind == "query" for s in expanded)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[LoopbackServer, Path]]:
    root = tmp_path / "site"
    shutil.copytree(SITES / "news", root)
    server = LoopbackServer(root).start()
    yield server, root
    server.stop()


def test_query_source_crawls_one_feed_per_ticker_and_follows_offsite_links(
    site: tuple[LoopbackServer, Path],
    sessions: sessionmaker[Session],
    db_url: str,
    tmp_path: Path,
) -> None:
    server, root = site
    port = server.server_address[1]
    # Ticker headline feeds on 127.0.0.1 whose entries link to a publisher on another host name.
    (root / "tickers").mkdir()
    stories = {
        "NVDA": "2025/01/open-weight-reasoning-model.html",
        "MSFT": "2025/01/utilities-power-ai-data-centers.html",
        "AMD": "2025/01/chip-export-limits.html",
    }
    for ticker, story in stories.items():
        (root / "tickers" / f"{ticker}.xml").write_text(
            '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
            f"<item><title>Headline for {ticker}</title>"
            f"<link>http://localhost:{port}/{story}</link></item></channel></rss>"
        )
    query = parse_sources(
        "[[sources]]\n"
        'name = "ticker-feeds"\nkind = "query"\n'
        f'urls = ["{server.base}/tickers/{{ticker}}.xml"]\nmax_queries = 2\n'
    )
    targets = [("Nvidia", "NVDA"), ("OpenAI", None), ("Microsoft", "MSFT"), ("AMD", "AMD")]
    sources = expand_query_sources(query, targets)
    options = loopback_options(
        concurrent_requests_per_domain=2, download_timeout=5, download_maxsize=5_000_000
    )
    summary = run_crawl(db_url, sources, options)
    assert summary.status == "finished", summary.message
    assert server.hits["/tickers/NVDA.xml"] == 1 and server.hits["/tickers/MSFT.xml"] == 1
    assert server.hits["/tickers/AMD.xml"] == 0  # over the cap of 2
    assert summary.totals["new"] == 2
    with sessions() as s:
        urls = sorted(s.scalars(select(Article.url)))
    assert urls == [f"http://localhost:{port}/{stories[t]}" for t in ("NVDA", "MSFT")]
