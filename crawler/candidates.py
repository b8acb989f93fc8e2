"""A fetched page turned into a candidate article, and the checks it must pass to be stored.

Scrapy's pipelines and `airace ingest` share these plain functions, so a page takes the same path
whether it came over HTTP or from a saved file.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from crawler.dates import UNKNOWN, PublishedDate
from crawler.extract import ExtractedArticle, extract_article
from crawler.fingerprints import content_hash, simhash
from crawler.relevance import RelevanceFilter
from crawler.urls import safe_canonical_url

MIN_WORDS = 40  # fewer words than this is a teaser, a paywall stub or an error page
TITLE_FROM_TEXT_CHARS = 120


@dataclass
class Candidate:
    """An article ready for relevance, dedupe and storage. `url` is canonical."""

    url: str
    original_url: str | None
    source: str | None
    title: str
    text: str
    authors: list[str] = field(default_factory=list)
    published: PublishedDate = UNKNOWN
    language: str | None = None
    description: str | None = None
    site_name: str | None = None
    top_image: str | None = None
    content_hash: str = ""
    simhash: int | None = None
    warnings: list[str] = field(default_factory=list)  # e.g. missing_date, missing_title
    # The page pointed (rel=canonical) to another URL than the one fetched.
    canonical_from_page: bool = False

    @property
    def word_count(self) -> int:
        return len(self.text.split())

    def article_fields(self) -> dict[str, Any]:
        """Column values for db.models.Article, without NUL characters (PostgreSQL refuses them
        in text; SQLite would store them)."""
        fields = self._fields()
        for key, value in fields.items():
            if isinstance(value, str):
                fields[key] = value.replace("\x00", "")
            elif isinstance(value, list):
                fields[key] = [v.replace("\x00", "") if isinstance(v, str) else v for v in value]
        return fields

    def _fields(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "original_url": self.original_url,
            "title": self.title,
            "text": self.text,
            "description": self.description,
            "authors": self.authors,
            "site_name": self.site_name,
            "top_image": self.top_image,
            "language": self.language,
            "published_at": self.published.when,
            "published_precision": self.published.precision,
            "word_count": self.word_count,
            "content_hash": self.content_hash,
            "simhash": self.simhash,
        }


def _pick_url(fetched: str, page_canonical: str | None) -> tuple[str, bool]:
    base = safe_canonical_url(fetched) or fetched
    if not page_canonical or page_canonical == base:
        return base, False
    # A canonical pointing at a home page from an article page is a template bug: ignore it.
    if urlsplit(page_canonical).path in ("", "/") and urlsplit(base).path not in ("", "/"):
        return base, False
    return page_canonical, True


def title_from_text(text: str) -> str:
    """A stand-in title: the first sentence or line of the text, cut at a word boundary."""
    first = re.split(r"(?<=[.!?])\s|\n", text.strip(), maxsplit=1)[0]
    if len(first) <= TITLE_FROM_TEXT_CHARS:
        return first
    return first[:TITLE_FROM_TEXT_CHARS].rsplit(" ", 1)[0] + "…"


def strip_headline(text: str, title: str) -> str:
    """Remove a first line that only repeats the title (trafilatura keeps the page's <h1>).

    Syndicated copies often change the headline, so fingerprints must not depend on it.
    """
    first, _, rest = text.strip().partition("\n")
    head, ttl = first.strip().casefold(), title.strip().casefold()
    if rest and head and ttl and (head == ttl or head in ttl or ttl in head):
        return rest.strip()
    return text


def from_extracted(art: ExtractedArticle, url: str, source: str | None = None) -> Candidate:
    """Candidate from an extraction result; `url` is where the page was fetched or read from."""
    canonical, from_page = _pick_url(url, art.canonical_url)
    warnings = []
    title = art.title
    if not title and art.text:
        title = title_from_text(art.text)
        warnings.append("missing_title")
    if not art.published.known:
        warnings.append("missing_date")
    fetched_canonical = safe_canonical_url(url)
    text = strip_headline(art.text, title or "") if art.text else ""
    return Candidate(
        url=canonical,
        original_url=url if url != canonical and fetched_canonical else None,
        source=source,
        title=title,
        text=text,
        authors=art.authors,
        published=art.published,
        language=art.language,
        description=art.description,
        site_name=art.site_name,
        top_image=art.top_image,
        content_hash=content_hash(text) if text else "",
        simhash=simhash(text) if text else None,
        warnings=warnings,
        canonical_from_page=from_page,
    )


def build_candidate(
    html: str | bytes,
    url: str,
    *,
    source: str | None = None,
    feed_entry: Mapping[str, Any] | None = None,
    language_hint: str | None = None,
) -> Candidate:
    """Extract a page and build its candidate (text may be empty: `drop_reason` says so)."""
    art = extract_article(html, url, feed_entry=feed_entry, language_hint=language_hint)
    return from_extracted(art, url, source)


def drop_reason(
    c: Candidate, *, since: dt.datetime | None = None, min_words: int = MIN_WORDS
) -> str | None:
    """Why a candidate is not stored ('no_text', 'too_short', 'too_old'), or None."""
    if not c.text.strip():
        return "no_text"
    if c.word_count < min_words:
        return "too_short"
    if since is not None and c.published.when is not None and c.published.when < since:
        return "too_old"
    return None


def is_relevant(
    c: Candidate,
    relevance: RelevanceFilter,
    keywords: tuple[str, ...] | list[str] = (),
    always: bool = False,
) -> bool:
    """Apply the AI-race relevance rule (and a source's keyword filter) to a candidate."""
    return relevance.check(c.title, c.text, keywords, always).relevant
