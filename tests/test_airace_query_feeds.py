"""Query sources expanded from the real knowledge base (the wiring the crawl commands use)."""

from __future__ import annotations

import datetime as dt

from airace.query_feeds import expand_sources, kb_targets
from crawler.sources import parse_sources

TOML = """
[[sources]]
name = "tickers"
kind = "query"
urls = ["https://quotes.example/rss?s={ticker}"]
max_queries = 200

[[sources]]
name = "search"
kind = "query"
urls = ["https://news.example/rss?q={query}"]
max_queries = 5
"""


def test_query_sources_expand_over_the_key_entities_and_rotate_by_day() -> None:
    targets = kb_targets()
    names = [name for name, _ in targets]
    assert ("Nvidia", "NVDA") in targets and "OpenAI" in names and "Mistral AI" in names
    assert names.index("Nvidia") < names.index("OpenAI")  # listed companies first
    tickers, search = expand_sources(parse_sources(TOML), today=dt.date(2025, 1, 27))
    assert tickers.kind == search.kind == "feed"
    assert "https://quotes.example/rss?s=NVDA" in tickers.urls
    assert len(tickers.urls) == sum(1 for _, t in targets if t)  # entities without ticker skipped
    assert len(search.urls) == 5
    next_day = expand_sources(parse_sources(TOML), today=dt.date(2025, 1, 28))[1]
    assert set(next_day.urls).isdisjoint(search.urls)  # the window moved on
