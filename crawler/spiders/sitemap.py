"""XML sitemaps, Google News sitemaps and sitemap indexes (gzipped or not)."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from typing import Any

from lxml import etree
from scrapy.http import Response

from crawler.dates import parse_date
from crawler.spiders.base import SourceSpider

MAX_SITEMAP_BYTES = 50_000_000  # the sitemaps.org limit, uncompressed


def _local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def parse_sitemap(body: bytes) -> tuple[str, list[dict[str, Any]]]:
    """('urlset'|'sitemapindex'|'', entries). An entry has loc, and lastmod/title/published."""
    if body[:2] == b"\x1f\x8b":
        try:
            body = gzip.decompress(body)[:MAX_SITEMAP_BYTES]
        except (OSError, EOFError):
            return "", []
    if not body.strip():
        return "", []
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError:
        return "", []
    if root is None:
        return "", []
    kind = _local(root.tag)
    entries = []
    for node in root:
        if _local(node.tag) not in ("url", "sitemap"):
            continue
        entry: dict[str, Any] = {}
        for child in node.iter():
            name = _local(child.tag)
            text = (child.text or "").strip()
            if name == "loc" and text and "loc" not in entry:
                entry["loc"] = text
            elif name == "lastmod" and text:
                entry["lastmod"] = text
            elif name == "publication_date" and text:
                entry["published"] = text
            elif name == "title" and text:
                entry["title"] = text
            elif name == "language" and text:
                entry["language"] = text
        if "loc" in entry:
            entries.append(entry)
    return kind, entries


class SitemapSpider(SourceSpider):
    """Crawl a source of kind `sitemap`: `scrapy crawl sitemap -a source=NAME`."""

    name = "sitemap"
    expected_kind = "sitemap"

    def parse_start(self, response: Response) -> Iterator[Any]:
        self.count("feeds_fetched")
        kind, entries = parse_sitemap(response.body)
        if kind not in ("urlset", "sitemapindex"):
            self.error("bad_sitemap", response.url)
            return
        if not entries:
            self.error("empty_sitemap", response.url)
            return
        if kind == "sitemapindex":
            # Newest child sitemaps first; at most max_pages of them.
            entries.sort(key=lambda e: e.get("lastmod", ""), reverse=True)
            for entry in entries[: self.source.max_pages]:
                date = parse_date(entry.get("lastmod"))
                if self.ctx.since and date.when is not None and date.when < self.ctx.since:
                    continue
                yield self.start_request(response.urljoin(entry["loc"]), self.parse_start)
            return
        for entry in entries:
            date = parse_date(entry.get("published") or entry.get("lastmod"))
            if self.ctx.since and date.when is not None and date.when < self.ctx.since:
                self.count("dropped/too_old")
                continue
            feed_entry = {"title": entry.get("title", ""), "published": entry.get("published", "")}
            request = self.article_request(entry["loc"], response.url, feed_entry)
            if request is not None:
                yield request
