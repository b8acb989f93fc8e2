"""The crawler's memory of URLs it did not store: not fetched again, failures retried on a
backoff, pages refetched when their feed entry changes. Over HTTP on 127.0.0.1, SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crawler.runner import CrawlOptions, run_crawl
from crawler.sources import SourceConfig
from crawler.url_memory import UrlMemory, entry_fingerprint
from db.models import UrlDecision
from tests.crawl_options import loopback_options

SITES = Path(__file__).parent / "data" / "sites"
sys.path.insert(0, str(SITES))
from loopback import LoopbackServer  # noqa: E402

IRRELEVANT = "/2025/01/container-tomatoes.html"
NO_TEXT = "/2025/02/empty.html"
FAILING = ("/2025/01/missing.html", "/error/500", "/loop/a", "/big.html", "/slow.html")
STORED = "/2025/01/chip-export-limits.html"
RETRY_AFTER = 600.0


@pytest.fixture
def site_dir(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    shutil.copytree(SITES / "news", root)
    return root


@pytest.fixture
def site(site_dir: Path) -> Iterator[LoopbackServer]:
    server = LoopbackServer(site_dir, slow_seconds=3.0).start()
    yield server
    server.stop()


def _options(tmp_path: Path) -> CrawlOptions:
    return loopback_options(tmp_path / "http-cache", retry_after=RETRY_AFTER)


def _decisions(sessions: sessionmaker[Session]) -> dict[str, UrlDecision]:
    with sessions() as s:
        return {d.url.split("/", 3)[3]: d for d in s.scalars(select(UrlDecision))}


def test_second_crawl_skips_decided_pages_retries_failures_and_changed_entries(
    site: LoopbackServer,
    site_dir: Path,
    sessions: sessionmaker[Session],
    db_url: str,
    tmp_path: Path,
) -> None:
    feed = SourceConfig(
        name="loop-feed",
        kind="feed",
        urls=(site.base + "/feed.xml",),
        allowed_domains=("127.0.0.1",),
    )
    options = _options(tmp_path)
    first = run_crawl(db_url, [feed], options)
    assert first.status == "finished" and first.totals["new"] == 8
    for path in (IRRELEVANT, NO_TEXT, *FAILING):
        assert site.hits[path] >= 1, path  # the redirect loop: several hits
    decided = _decisions(sessions)
    assert decided[IRRELEVANT.lstrip("/")].decision == "irrelevant"
    assert (decided[NO_TEXT.lstrip("/")].decision, decided[NO_TEXT.lstrip("/")].reason) == (
        "dropped",
        "no_text",
    )
    reasons = {p: decided[p.lstrip("/")].reason for p in FAILING}
    assert reasons == {
        "/2025/01/missing.html": "http_404",
        "/error/500": "http_500",
        "/loop/a": "redirect_loop",
        "/big.html": "too_large",
        "/slow.html": "timeout",
    }
    assert all(decided[p.lstrip("/")].decision == "failed" for p in FAILING)
    assert STORED.lstrip("/") not in decided  # stored pages are articles, not decisions

    # Second crawl at once: nothing decided is fetched again, failures wait for their backoff.
    site.hits.clear()
    second = run_crawl(db_url, [feed], options)
    assert second.status == "finished" and second.totals["fetched"] == 0
    assert second.per_source["loop-feed"]["skipped_decided"] == 7
    for path in (IRRELEVANT, NO_TEXT, *FAILING, STORED):
        assert site.hits[path] == 0, path

    # The backoff passes (the clock moved by RETRY_AFTER): the failures are tried once more, the
    # decided pages still are not.
    with sessions.begin() as s:
        for d in s.scalars(select(UrlDecision).where(UrlDecision.decision == "failed")):
            assert d.next_retry_at is not None
            assert (d.next_retry_at - d.updated_at).total_seconds() == pytest.approx(RETRY_AFTER)
            d.next_retry_at -= dt.timedelta(seconds=RETRY_AFTER)
            d.updated_at -= dt.timedelta(seconds=RETRY_AFTER)
    site.hits.clear()
    third = run_crawl(db_url, [feed], options)
    assert third.per_source["loop-feed"]["refetched"] == {"retry": 5}
    for path in FAILING:
        assert site.hits[path] >= 1, path
    assert site.hits[IRRELEVANT] == 0 and site.hits[NO_TEXT] == 0
    retried = _decisions(sessions)["error/500"]
    assert retried.attempts == 2 and retried.next_retry_at is not None
    wait = (retried.next_retry_at - retried.updated_at).total_seconds()
    assert wait == pytest.approx(2 * RETRY_AFTER, abs=0.01)  # the backoff doubled

    # The feed entry of the irrelevant page changes: it is fetched again.
    feed_file = site_dir / "feed.xml"
    feed_file.write_text(
        feed_file.read_text().replace("Watering tomatoes in pots", "Watering tomatoes, revised")
    )
    site.hits.clear()
    fourth = run_crawl(db_url, [feed], options)
    assert site.hits[IRRELEVANT] == 1 and site.hits[NO_TEXT] == 0
    assert fourth.per_source["loop-feed"]["refetched"].get("entry_changed") == 1
    assert fourth.totals["irrelevant"] == 1


def test_backoff_doubles_is_capped_and_workers_share_decisions(
    sessions: sessionmaker[Session],
) -> None:
    url = "https://example.org/a"
    now = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    one = UrlMemory(sessions, retry_after=60, max_retry_after=200, batch_size=1)
    assert one.should_fetch(url) == (True, "new")
    waits = []
    for attempt in range(1, 5):
        d = one.record(url, "failed", "http_503", now=now)
        assert d.attempts == attempt and d.next_retry_at is not None
        waits.append((d.next_retry_at - now).total_seconds())
    assert waits == [60, 120, 200, 200]
    assert one.should_fetch(url, now=now + dt.timedelta(seconds=199)) == (False, "backoff")
    assert one.should_fetch(url, now=now + dt.timedelta(seconds=200)) == (True, "retry")
    # A second worker (its own memory, same database) sees the decision and may overwrite it.
    two = UrlMemory(sessions, batch_size=1)
    assert two.decided[url].attempts == 4
    entry = {"title": "A title", "published": "2025-03-01"}
    two.record(url, "irrelevant", "irrelevant", entry)
    assert two.should_fetch(url, entry) == (False, "irrelevant")
    assert two.should_fetch(url, {**entry, "title": "Another"}) == (True, "entry_changed")
    three = UrlMemory(sessions)
    assert three.decided[url].decision == "irrelevant"
    assert three.decided[url].entry_fingerprint == entry_fingerprint(entry)
    three.forget(url)
    three.flush()
    assert url not in UrlMemory(sessions).decided
