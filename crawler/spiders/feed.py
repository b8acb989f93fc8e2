"""RSS and Atom feeds: every entry's link is an article request carrying the entry's metadata."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scrapy.http import Response

from crawler.dates import parse_date
from crawler.spiders.base import SourceSpider


def feed_entries(body: bytes, content_type: str = "") -> tuple[list[dict[str, Any]], str | None]:
    """(entries, problem) from a feed body; an entry has link, title, published, authors, summary.

    `problem` is 'empty_feed' or 'bad_feed' when nothing usable was found.
    """
    import feedparser

    if not body.strip():
        return [], "empty_feed"
    parsed = feedparser.parse(body, response_headers={"content-type": content_type or "text/xml"})
    entries = []
    for e in parsed.entries:
        link = e.get("link") or next(
            (lnk.get("href") for lnk in e.get("links", []) if lnk.get("href")), None
        )
        if not link:
            continue
        authors = [a.get("name") for a in e.get("authors", []) if a.get("name")]
        if not authors and e.get("author"):
            authors = [e.get("author")]
        entries.append(
            {
                "link": link.strip(),
                "title": (e.get("title") or "").strip(),
                "published": e.get("published") or e.get("updated") or "",
                "authors": authors,
                "summary": (e.get("summary") or "")[:1000],
            }
        )
    if entries:
        return entries, None
    if parsed.get("bozo"):
        return [], "bad_feed"
    return [], "empty_feed"


class FeedSpider(SourceSpider):
    """Crawl a source of kind `feed`: `scrapy crawl feed -a source=NAME`."""

    name = "feed"
    expected_kind = "feed"

    def parse_start(self, response: Response) -> Iterator[Any]:
        self.count("feeds_fetched")
        entries, problem = feed_entries(
            response.body, response.headers.get("Content-Type", b"").decode("latin-1")
        )
        if problem:
            self.error(problem, response.url)
            return
        for entry in entries:
            date = parse_date(entry["published"])
            if self.ctx.since and date.when is not None and date.when < self.ctx.since:
                self.count("dropped/too_old")
                continue
            request = self.article_request(entry["link"], response.url, entry)
            if request is not None:
                yield request
