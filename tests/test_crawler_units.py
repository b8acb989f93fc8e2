"""Crawler building blocks: URLs, sources file, dates, relevance, fingerprints, feeds, sitemaps."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from crawler.dates import parse_date
from crawler.errors import failure_reason
from crawler.fingerprints import content_hash, hamming, simhash
from crawler.relevance import BUILTIN_TERMS, RelevanceFilter, merge_terms
from crawler.runner import CrawlOptions, scrapy_settings
from crawler.sources import SourcesError, load_sources, parse_sources, select_sources
from crawler.spiders.feed import feed_entries
from crawler.spiders.sitemap import parse_sitemap
from crawler.urls import canonical_url, safe_canonical_url

SITE = Path(__file__).parent / "data" / "sites" / "news"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "HTTPS://Example.COM:443/a/b/?utm_source=x&b=2&a=1#frag",
            "https://example.com/a/b?a=1&b=2",
        ),
        ("http://m.example.com/story/amp/", "http://example.com/story"),
        ("https://amp.example.co.uk/news/x.amp.html", "https://example.co.uk/news/x.html"),
        ("https://example.com/x?fbclid=1&gclid=2&id=7", "https://example.com/x?id=7"),
        ("https://www.example.fr/article?xtor=RSS-1&amp=1", "https://www.example.fr/article"),
        ("http://127.0.0.1:8765//a//b", "http://127.0.0.1:8765/a/b"),
        ("https://example.com", "https://example.com/"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_canonical_url_refuses_other_schemes() -> None:
    for url in ("ftp://example.com/a", "file:///etc/passwd", "javascript:alert(1)", "/relative"):
        assert safe_canonical_url(url) is None
    with pytest.raises(ValueError):
        canonical_url("data:text/html,hi")


def test_default_sources_file_is_valid_and_bilingual() -> None:
    sources = load_sources()
    assert len(sources) >= 15
    assert {s.language for s in sources} >= {"en", "fr"}
    assert {s.kind for s in sources} == {"feed", "sitemap", "listing", "query"}
    assert all(not s.verified for s in sources)  # nothing could be checked from here
    assert len({s.name for s in sources}) == len(sources)


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("x = 1", "no [[sources]]"),
        ('[[sources]]\nname = "Bad Name"\nkind = "feed"\nurls = ["http://a/"]', "lower-case"),
        ('[[sources]]\nname = "a"\nkind = "rss"\nurls = ["http://a/"]', "'kind' must be one of"),
        ('[[sources]]\nname = "a"\nkind = "feed"\nurls = []', "at least one URL"),
        ('[[sources]]\nname = "a"\nkind = "feed"\nurls = ["ftp://a/"]', "not an http(s) URL"),
        ('[[sources]]\nname = "a"\nkind = "feed"\nurls = ["http://a/"]\nenabled = "yes"', "true"),
        (
            '[[sources]]\nname = "a"\nkind = "feed"\nurls = ["http://a/"]\ncolour = 1',
            "unknown field",
        ),
        ('[[sources]]\nname = "a"\nkind = "feed"\nurls = ["http://a/"]\nmax_pages = 0', "positive"),
        ("[[sources]\n", "not valid TOML"),
        (
            '[[sources]]\nname = "a"\nkind = "feed"\nurls = ["http://a/"]\n'
            '[[sources]]\nname = "a"\nkind = "feed"\nurls = ["http://b/"]',
            "used twice",
        ),
    ],
)
def test_sources_errors_are_one_clear_line(toml: str, message: str) -> None:
    with pytest.raises(SourcesError) as err:
        parse_sources(toml, "my.toml")
    assert message in str(err.value)
    assert "\n" not in str(err.value) or "TOML" in str(err.value)
    assert str(err.value).startswith("my.toml")


def test_sources_defaults_and_selection(tmp_path: Path) -> None:
    text = (
        '[[sources]]\nname = "one"\nkind = "listing"\nurls = ["http://News.example/ai"]\n'
        '[[sources]]\nname = "two"\nkind = "feed"\nurls = ["http://b.example/f"]\nenabled = false\n'
    )
    sources = parse_sources(text)
    assert sources[0].allowed_domains == ("news.example",)
    assert sources[0].max_pages == 5 and not sources[0].always_relevant
    assert [s.name for s in select_sources(sources, None)] == ["one"]
    assert [s.name for s in select_sources(sources, ["two"])] == ["two"]
    with pytest.raises(SourcesError, match="unknown source 'three'"):
        select_sources(sources, ["three"])
    with pytest.raises(SourcesError, match="not found"):
        load_sources(tmp_path / "missing.toml")


def test_dates_carry_their_precision_and_are_utc() -> None:
    exact = parse_date("2025-01-27T06:00:00+01:00")
    assert exact.precision == "exact" and exact.when == dt.datetime(2025, 1, 27, 5, tzinfo=dt.UTC)
    naive = parse_date("2025-01-27T06:00:00")
    assert naive.when is not None and naive.when.tzinfo is dt.UTC  # documented: no zone means UTC
    assert parse_date("2025-01-27").precision == "day"
    month = parse_date("2025-02")
    assert month.precision == "month" and month.when == dt.datetime(2025, 2, 1, tzinfo=dt.UTC)
    rfc = parse_date("Wed, 05 Feb 2025 08:45:00 +0100")
    assert rfc.when == dt.datetime(2025, 2, 5, 7, 45, tzinfo=dt.UTC)
    assert parse_date("not a date").precision == "unknown"
    assert parse_date("2025-13-45").when is None


def test_relevance_in_english_and_french() -> None:
    rel = RelevanceFilter()
    assert rel.check("Nvidia shares jump", "").relevant
    assert rel.check(
        "", "Les modèles de langage et l'intelligence artificielle progressent."
    ).relevant
    assert rel.check("", "The new AI chips arrive in data centers this spring.").relevant
    assert not rel.check("Watering tomatoes", "Tomatoes need water and mulch in July.").relevant
    # Lower-case "ai"/"ia" inside ordinary words or text does not count as AI.
    assert not rel.check("Une via ferrata", "Il y a une via ferrata, mais pas d'ia ici.").relevant
    # One weak term in the body is not enough; two distinct ones are.
    assert not rel.check("Sports", "The inference from the referee's call was clear.").relevant
    # A source's keyword filter must match too.
    assert not rel.check("Nvidia", "Nvidia earnings.", keywords=["Mistral"]).relevant
    assert rel.check("x", "Anything about Mistral.", keywords=["mistral"], always=True).relevant
    assert rel.check("x", "nothing relevant", always=True).relevant
    # Terms from the knowledge base extend the list.
    assert RelevanceFilter(["Acme Robotics"]).check("Acme Robotics raises", "").relevant
    assert merge_terms(["A", " a ", ""], ["A", "B"]) == ["A", "a", "B"]
    assert "intelligence artificielle" in BUILTIN_TERMS


def test_fingerprints() -> None:
    a = "The lab released a model. It is fast, cheap and open. " * 10
    assert content_hash(a) == content_hash(a.upper().replace(".", " ."))
    assert content_hash(a) != content_hash(a + " More.")
    edited = a.replace("cheap", "inexpensive", 1)
    assert hamming(simhash(a), simhash(edited)) <= 3
    other = "Tomatoes grow in pots on the balcony when watered every morning. " * 10
    assert hamming(simhash(a), simhash(other)) > 10
    assert -(1 << 63) <= simhash(a) < (1 << 63)  # fits a signed BIGINT


def test_feed_entries_good_bad_and_empty() -> None:
    body = (SITE / "feed.xml").read_bytes().replace(b"{BASE}", b"http://127.0.0.1:1")
    entries, problem = feed_entries(body, "application/rss+xml")
    assert problem is None and len(entries) == 18
    first = entries[0]
    assert first["title"] == "Washington widens AI chip export limits"
    assert first["authors"] == ["Dana Whitfield"]
    assert parse_date(first["published"]).precision == "exact"
    assert feed_entries((SITE / "bad-feed.xml").read_bytes())[1] == "bad_feed"
    assert feed_entries(b"")[1] == "empty_feed"
    assert feed_entries(b"<rss version='2.0'><channel></channel></rss>")[1] == "empty_feed"


def test_parse_sitemap_index_and_news() -> None:
    kind, entries = parse_sitemap((SITE / "sitemap-index.xml").read_bytes())
    assert kind == "sitemapindex" and entries[0]["loc"].endswith("/sitemap-news.xml")
    kind, entries = parse_sitemap((SITE / "sitemap-news.xml").read_bytes())
    assert kind == "urlset" and len(entries) == 4
    assert entries[0]["published"] == "2025-01-13T19:30:00Z"
    assert entries[0]["title"].startswith("Washington")
    import gzip

    assert parse_sitemap(gzip.compress((SITE / "sitemap-news.xml").read_bytes()))[0] == "urlset"
    assert parse_sitemap(b"not xml at all")[0] in ("", "html")
    assert parse_sitemap(b"") == ("", [])


def test_scrapy_settings_are_safe_and_mapped() -> None:
    import crawler.settings as project

    assert project.REMOTE_CONTROL_ENABLED is False and project.TELNETCONSOLE_ENABLED is False
    assert project.ROBOTSTXT_OBEY is True and project.AUTOTHROTTLE_ENABLED is True
    assert project.REDIRECT_MAX_TIMES <= 10
    assert set(project.DOWNLOAD_HANDLERS) == {"file", "data", "s3", "ftp"}
    assert list(project.ITEM_PIPELINES.values()) == sorted(project.ITEM_PIPELINES.values())
    s = scrapy_settings(
        CrawlOptions(contact="mailto:me@example.org", download_maxsize=1000, max_articles=5)
    )
    assert s["USER_AGENT"].endswith("contact: mailto:me@example.org")
    assert s["DOWNLOAD_MAXSIZE"] == 1000 and s["CLOSESPIDER_ITEMCOUNT"] == 5
    assert s["REMOTE_CONTROL_ENABLED"] is False and s["HTTPCACHE_ENABLED"] is False


def test_crawl_options_from_settings(settings) -> None:  # type: ignore[no-untyped-def]
    from airace.commands.crawl_cmd import crawl_options

    changed = settings.replace(
        crawler_contact="mailto:x@example.org",
        robots_obey=False,
        download_delay=0.5,
        concurrent_requests_per_domain=3,
        autothrottle=False,
        download_timeout=7,
        download_maxsize=1234,
    )
    opts = crawl_options(changed, source_names=["a"], since=dt.date(2025, 1, 1), max_articles=3)
    assert (opts.contact, opts.robots_obey, opts.download_delay) == (
        "mailto:x@example.org",
        False,
        0.5,
    )
    assert (opts.concurrent_requests_per_domain, opts.autothrottle) == (3, False)
    assert (opts.download_timeout, opts.download_maxsize, opts.max_articles) == (7, 1234, 3)
    assert opts.http_cache_dir is not None and opts.http_cache_dir.endswith("http-cache")
    assert CrawlOptions.from_json(opts.to_json()) == opts


def test_failure_reasons() -> None:
    from scrapy.exceptions import IgnoreRequest
    from twisted.python.failure import Failure

    assert failure_reason(Failure(IgnoreRequest("Forbidden by robots.txt"))) == "robots_disallowed"
    assert failure_reason(Failure(IgnoreRequest("max redirections reached"))) == "redirect_loop"
