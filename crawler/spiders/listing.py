"""Section listing pages: article links by CSS/XPath selector or by heuristics, with pagination."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from scrapy.http import Response, TextResponse

from crawler.spiders.base import SourceSpider

_NOT_ARTICLE = re.compile(
    r"/(tag|tags|category|categories|categorie|author|auteur|page|search|recherche|login|"
    r"account|newsletter|about|contact|privacy|feed|rss)(/|$)",
    re.IGNORECASE,
)
_DATED = re.compile(r"/20\d\d/|/\d{4}-\d{2}-\d{2}|\d{6,}")


def select_links(response: TextResponse, selector: str) -> list[str]:
    """hrefs matched by a CSS selector, or by an XPath when it starts with 'xpath:'."""
    if selector.startswith("xpath:"):
        nodes = response.xpath(selector[len("xpath:") :])
    else:
        nodes = response.css(selector)
    hrefs = []
    for node in nodes:
        href = node.attrib.get("href") if hasattr(node, "attrib") else None
        if href is None:
            href = node.xpath("@href").get() or node.get()
        if href:
            hrefs.append(href)
    return hrefs


def looks_like_article(url: str, page_host: str) -> bool:
    """Heuristic: same host, not a section/tag/author page, a dated path or a long slug."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or (parts.hostname or "") != page_host:
        return False
    path = parts.path
    if _NOT_ARTICLE.search(path) or path in ("", "/"):
        return False
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return bool(_DATED.search(path)) or last.count("-") >= 3


def heuristic_links(response: TextResponse) -> list[str]:
    """Article-looking links, preferring those inside <article> and headings."""
    host = urlsplit(response.url).hostname or ""
    preferred = response.css(
        "article a::attr(href), h1 a::attr(href), h2 a::attr(href), h3 a::attr(href)"
    ).getall()
    others = response.css("a::attr(href)").getall()
    links = []
    for href in [*preferred, *others]:
        url = response.urljoin(href)
        if looks_like_article(url, host) and url not in links:
            links.append(url)
    return links


class ListingSpider(SourceSpider):
    """Crawl a source of kind `listing`: `scrapy crawl listing -a source=NAME`."""

    name = "listing"
    expected_kind = "listing"

    def parse_start(self, response: Response) -> Iterator[Any]:
        self.count("feeds_fetched")
        if not isinstance(response, TextResponse):
            self.error("not_html", response.url)
            return
        page = response.meta.get("listing_page", 1)
        if self.source.link_selector:
            links = select_links(response, self.source.link_selector)
        else:
            links = heuristic_links(response)
        if not links and page == 1:
            self.error("no_links", response.url)
        for href in links:
            request = self.article_request(href, response.url)
            if request is not None:
                yield request
        if page >= self.source.max_pages:
            return
        if self.source.next_selector:
            nexts = select_links(response, self.source.next_selector)
        else:
            nexts = response.css("a[rel~=next]::attr(href), link[rel~=next]::attr(href)").getall()
        if nexts:
            yield self.start_request(
                response.urljoin(nexts[0]), self.parse_start, listing_page=page + 1
            )
