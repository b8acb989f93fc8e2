"""Import articles a user already has: .html, .txt, .jsonl and WARC files.

Each record takes the crawl's path without Scrapy: extraction (crawler.extract), the quality
checks, the relevance filter, dedupe and the batched store. Formats:

- ``.html``/``.htm``: one page; its URL is its ``rel=canonical``/``og:url`` when it has one,
  else the file's ``file://`` URI.
- ``.txt``: plain text. A first line like ``date 2025-02 Title of the article`` (or
  ``date 2025-02-14 ...``) gives the date (month or day precision) and the title; otherwise the
  first line is the title.
- ``.jsonl``: one JSON object per line with ``url`` and either ``html`` or ``text`` (+ optional
  ``title``, ``published``, ``language``, ``authors``, ``description``).
- ``.warc``/``.warc.gz``: every HTTP 200 ``text/html`` response record, with its target URI.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from crawler.candidates import Candidate, build_candidate, drop_reason, from_extracted, is_relevant
from crawler.dates import UNKNOWN, parse_date, plausible
from crawler.extract import ExtractedArticle, decode_html, guess_language
from crawler.relevance import RelevanceFilter
from crawler.store import ArticleStore
from crawler.urls import safe_canonical_url

log = logging.getLogger(__name__)
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
SUFFIXES = (*HTML_SUFFIXES, ".txt", ".jsonl", ".warc", ".warc.gz")
_DATE_LINE = re.compile(r"^\s*date\s+(\d{4}-\d{2}(?:-\d{2})?)\s*(.*)$", re.IGNORECASE)


class IngestError(ValueError):
    """A path that cannot be ingested at all (missing, unknown type)."""


@dataclass
class IngestSummary:
    """Counts over all records: read, new, duplicates, irrelevant, dropped, errors."""

    counts: Counter[str] = field(default_factory=Counter)
    dropped_by_reason: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            **{k: self.counts.get(k, 0) for k in ("read", "new", "duplicates", "irrelevant")},
            "dropped": sum(self.dropped_by_reason.values()),
            "errors": len(self.errors),
            "dropped_by_reason": dict(self.dropped_by_reason),
            "error_samples": self.errors[:20],
        }


def _suffix(path: Path) -> str:
    name = path.name.lower()
    return ".warc.gz" if name.endswith(".warc.gz") else path.suffix.lower()


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files to ingest: the given files, and the known file types found under directories."""
    out: list[Path] = []
    for path in paths:
        path = Path(path).expanduser()
        if path.is_dir():
            out += sorted(p for p in path.rglob("*") if p.is_file() and _suffix(p) in SUFFIXES)
        elif path.is_file():
            if _suffix(path) not in SUFFIXES:
                raise IngestError(f"{path}: unknown file type (expected {', '.join(SUFFIXES)})")
            out.append(path)
        else:
            raise IngestError(f"{path}: no such file or directory")
    return out


def text_record(text: str, url: str) -> Candidate:
    """A candidate from plain text, reading a leading `date YYYY-MM[-DD] title` line."""
    lines = text.lstrip("\ufeff").strip().splitlines()
    title, date = "", UNKNOWN
    if lines:
        m = _DATE_LINE.match(lines[0])
        if m:
            date, title = parse_date(m.group(1)), m.group(2).strip()
        else:
            title = lines[0].strip()
        lines = lines[1:]
    body = "\n".join(line.strip() for line in lines if line.strip())
    art = ExtractedArticle(
        title=title, text=body, published=plausible(date), language=guess_language(body)
    )
    return from_extracted(art, url)


def _record_from_json(data: dict[str, Any], where: str) -> Candidate:
    url = str(data.get("url") or where)
    entry = {
        "title": data.get("title") or "",
        "published": data.get("published") or data.get("date") or "",
        "authors": data.get("authors") or [],
        "summary": data.get("description") or "",
    }
    if data.get("html"):
        c = build_candidate(
            str(data["html"]), url, feed_entry=entry, language_hint=data.get("language")
        )
    else:
        art = ExtractedArticle(
            title=str(entry["title"]),
            text=str(data.get("text") or ""),
            authors=[str(a) for a in entry["authors"]],
            published=plausible(parse_date(entry["published"])),
            language=data.get("language") or guess_language(str(data.get("text") or "")),
            description=data.get("description"),
        )
        c = from_extracted(art, url)
    if data.get("language"):
        c.language = str(data["language"])
    return c


def _warc_records(path: Path) -> Iterator[tuple[str, bytes, str]]:
    from warcio.archiveiterator import ArchiveIterator

    with path.open("rb") as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type != "response" or record.http_headers is None:
                continue
            status = record.http_headers.get_statuscode()
            ctype = record.http_headers.get_header("Content-Type") or ""
            if status != "200" or "html" not in ctype.lower():
                continue
            url = record.rec_headers.get_header("WARC-Target-URI") or ""
            yield url, record.content_stream().read(), ctype


def read_records(path: Path) -> Iterator[Candidate | Exception]:
    """Candidates (or the error that spoiled one record) from one file."""
    kind = _suffix(path)
    file_url = path.resolve().as_uri()
    if kind in HTML_SUFFIXES:
        try:
            yield build_candidate(path.read_bytes(), file_url)
        except Exception as e:
            yield e
    elif kind == ".txt":
        yield text_record(decode_html(path.read_bytes(), "text/plain"), file_url)
    elif kind == ".jsonl":
        with path.open(encoding="utf-8", errors="replace") as lines:
            for n, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    data = json.loads(line)
                    if not isinstance(data, dict):
                        raise ValueError("not a JSON object")
                    yield _record_from_json(data, f"{file_url}#L{n}")
                except Exception as e:
                    yield ValueError(f"{path}:{n}: {e}")
    elif kind in (".warc", ".warc.gz"):
        try:
            for url, body, ctype in _warc_records(path):
                try:
                    yield build_candidate(decode_html(body, ctype), url)
                except Exception as e:
                    yield ValueError(f"{path} {url}: {e}")
        except Exception as e:  # a truncated or corrupt archive: keep what was read
            yield ValueError(f"{path}: {e}")


def process_candidate(
    store: ArticleStore,
    c: Candidate,
    relevance: RelevanceFilter,
    *,
    since: dt.datetime | None = None,
    min_words: int = 40,
    keywords: Sequence[str] = (),
    always_relevant: bool = False,
) -> tuple[str, int | None]:
    """The crawl pipeline's steps in order: ('new'|'duplicate'|'irrelevant'|reason, the id of the
    article a duplicate repeats or None)."""
    reason = drop_reason(c, since=since, min_words=min_words)
    if reason:
        return reason, None
    if not is_relevant(c, relevance, tuple(keywords), always_relevant):
        return "irrelevant", None
    found = store.find_duplicate(c)
    if found is not None:
        method, article_id = found
        store.add_duplicate(c.url, article_id, method, c.source)
        return "duplicate", article_id
    store.add(c)
    return "new", None


def ingest_paths(
    sessions: sessionmaker[Session],
    paths: Sequence[Path],
    relevance_terms: Sequence[str] = (),
    *,
    since: dt.date | None = None,
    min_words: int = 40,
    always_relevant: bool = False,
    source: str | None = None,
    progress: Any = None,
) -> IngestSummary:
    """Ingest files (or folders of them) into the store; see the module docstring for formats.

    Raises IngestError before writing anything when a path is missing or of an unknown type.
    """
    files = expand_paths(paths)
    store = ArticleStore(sessions, sources=[{"name": source, "kind": "ingest"}] if source else ())
    relevance = RelevanceFilter(relevance_terms)
    since_dt = dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC) if since else None
    summary = IngestSummary()
    for path in files:
        for record in read_records(path):
            summary.counts["read"] += 1
            if isinstance(record, Exception):
                summary.errors.append(str(record))
                log.warning("ingest: %s", record)
                continue
            record.source = source
            if not record.url.startswith("file:") and safe_canonical_url(record.url) is None:
                summary.errors.append(f"{record.url}: not an http(s) URL")
                continue
            outcome, _duplicate_of = process_candidate(
                store,
                record,
                relevance,
                since=since_dt,
                min_words=min_words,
                always_relevant=always_relevant,
            )
            if outcome == "new":
                summary.counts["new"] += 1
            elif outcome == "duplicate":
                summary.counts["duplicates"] += 1
            elif outcome == "irrelevant":
                summary.counts["irrelevant"] += 1
            else:
                summary.dropped_by_reason[outcome] += 1
            if progress is not None:
                progress({"event": "progress", "path": str(path), "outcome": outcome})
    store.close()
    return summary
