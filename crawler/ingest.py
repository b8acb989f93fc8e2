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

A folder is walked for those types only (never databases, PDFs, hidden folders such as ``.venv``
or the HTML briefings airace writes itself). A file or record larger than ``max_bytes`` (the
crawler's ``download_maxsize``) is counted as ``too_large`` and never read whole. A record that
cannot be read (a truncated WARC record, a cut header, a file that is not a WARC, a line that is
not JSON) is an error naming the file and the record, and nothing of it is stored. NUL bytes are
removed before storing.
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

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from crawler.candidates import Candidate, build_candidate, drop_reason, from_extracted, is_relevant
from crawler.dates import UNKNOWN, parse_date, plausible
from crawler.extract import ExtractedArticle, decode_html, guess_language
from crawler.relevance import RelevanceFilter
from crawler.store import ArticleStore
from crawler.urls import safe_canonical_url

log = logging.getLogger(__name__)
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
TOO_LARGE = "too_large"
MAX_URL_CHARS = 2000  # articles.url
_OWN_REPORT_MARK = b'<meta name="generator" content="airace">'

SUFFIXES = (*HTML_SUFFIXES, ".txt", ".jsonl", ".warc", ".warc.gz")
_DATE_LINE = re.compile(r"^\s*date\s+(\d{4}-\d{2}(?:-\d{2})?)\s*(.*)$", re.IGNORECASE)


class IngestError(ValueError):
    """A path that cannot be ingested at all (empty, missing, unknown type)."""


class IngestStoreError(RuntimeError):
    """The database refused a batch; the message names the file and record that ended it."""


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


def _is_own_report(path: Path) -> bool:
    """True for an HTML briefing written by airace (its <head> names airace as generator)."""
    try:
        with path.open("rb") as f:
            head = f.read(4096)
    except OSError:
        return False
    return _OWN_REPORT_MARK in head


def _walk(folder: Path) -> list[Path]:
    """The supported files under a folder, skipping hidden folders/files and airace's reports."""
    found: list[Path] = []
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).parts
        if any(part.startswith(".") for part in rel) or not p.is_file():
            continue
        if _suffix(p) not in SUFFIXES:
            continue
        if _suffix(p) in HTML_SUFFIXES and _is_own_report(p):
            continue
        found.append(p)
    return found


def expand_paths(paths: Iterable[Path | str]) -> list[Path]:
    """Files to ingest: the given files, and the supported files found under folders.

    Raises IngestError for an empty path, a missing one, a file of another type, or a folder
    holding no supported file.
    """
    out: list[Path] = []
    for given in paths:
        if not str(given).strip():
            raise IngestError("an empty path was given: name a file or a folder")
        path = Path(given).expanduser()
        if path.is_dir():
            found = _walk(path)
            if not found:
                raise IngestError(
                    f"{path}: no file to ingest in this folder (expected {', '.join(SUFFIXES)})"
                )
            out += found
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


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


def _record_from_json(data: dict[str, Any], where: str) -> Candidate:
    data = {k: _without_nul(v) for k, v in data.items()}
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


class TooLarge(ValueError):
    """A file or record over the size cap: counted as too_large, never read whole."""


def _is_warc(path: Path) -> bool:
    """True when the file starts like a WARC (plain, or gzip whose first member does)."""
    import gzip
    import zlib

    with path.open("rb") as f:
        head = f.read(2)
        f.seek(0)
        if head != b"\x1f\x8b":
            return f.read(5) == b"WARC/"
        try:
            with gzip.GzipFile(fileobj=f) as g:
                return g.read(5) == b"WARC/"
        except (OSError, EOFError, zlib.error):
            return False


def _warc_records(path: Path, max_bytes: int) -> Iterator[tuple[str, bytes, str] | Exception]:
    """(target URI, body, content type) of each HTML 200 response, or the error of a record.

    A record whose payload stops before its declared length, bytes after the last complete
    record (a cut header) and a file that is not a WARC are errors; nothing of them is kept.
    """
    from warcio.archiveiterator import ArchiveIterator

    if not _is_warc(path):
        yield ValueError(f"{path}: not a WARC file")
        return
    size = path.stat().st_size
    with path.open("rb") as stream:
        records = ArchiveIterator(stream)
        n = 0
        try:
            for record in records:
                n += 1
                url = record.rec_headers.get_header("WARC-Target-URI") or ""
                where = f"{path} record {n} ({url or 'no target URI'})"
                if not record.format.startswith("warc"):
                    yield ValueError(f"{where}: not a WARC record")
                    continue
                if record.rec_type != "response" or record.http_headers is None:
                    continue
                status = record.http_headers.get_statuscode()
                ctype = record.http_headers.get_header("Content-Type") or ""
                if status != "200" or "html" not in ctype.lower():
                    continue
                if (record.length or 0) > max_bytes:
                    yield TooLarge(f"{where}: {record.length} bytes")
                    continue
                body = record.content_stream().read()
                if getattr(record.raw_stream, "limit", 0) > 0:
                    yield ValueError(f"{where}: truncated record (payload cut short)")
                    continue
                yield url, body, ctype
        except Exception as e:  # a cut or corrupt header: warcio fails in various ways
            log.debug("warcio: %r", e)
            yield ValueError(
                f"{path} after record {n}: truncated or corrupt WARC header "
                f"at byte {records.offset} of {size}"
            )
            return
        if records.offset < size:
            yield ValueError(
                f"{path} after record {n}: truncated record at byte {records.offset} of {size}"
            )


def _bounded_lines(path: Path, max_bytes: int) -> Iterator[tuple[int, bytes | None]]:
    """(line number, bytes) for each line; None for a line over max_bytes (skipped unread)."""
    with path.open("rb") as f:
        n = 0
        while True:
            chunk = f.readline(max_bytes + 1)
            if not chunk:
                return
            n += 1
            if len(chunk) > max_bytes and not chunk.endswith(b"\n"):
                while chunk and not chunk.endswith(b"\n"):  # skip the rest of the line
                    chunk = f.readline(1 << 20)
                yield n, None
                continue
            yield n, chunk


def read_records(path: Path, max_bytes: int = 5_000_000) -> Iterator[Candidate | Exception]:
    """Candidates (or the error that spoiled one record) from one file.

    Errors name the file and the record; a file or record over ``max_bytes`` yields TooLarge.
    """
    kind = _suffix(path)
    file_url = path.resolve().as_uri()
    if kind in HTML_SUFFIXES or kind == ".txt":
        size = path.stat().st_size
        if size > max_bytes:
            yield TooLarge(f"{path}: {size} bytes")
            return
        try:
            body = path.read_bytes()
            if kind == ".txt":
                yield text_record(decode_html(body, "text/plain"), file_url)
            else:
                yield build_candidate(body, file_url)
        except Exception as e:
            yield ValueError(f"{path}: {e}")
    elif kind == ".jsonl":
        for n, raw in _bounded_lines(path, max_bytes):
            if raw is None:
                yield TooLarge(f"{path}:{n}: line over {max_bytes} bytes")
                continue
            line = raw.decode("utf-8", errors="replace")
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
        for got in _warc_records(path, max_bytes):
            if isinstance(got, Exception):
                yield got
                continue
            url, body, ctype = got
            try:
                yield build_candidate(decode_html(body, ctype), url)
            except Exception as e:
                yield ValueError(f"{path} {url}: {e}")


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
    paths: Sequence[Path | str],
    relevance_terms: Sequence[str] = (),
    *,
    since: dt.date | None = None,
    min_words: int = 40,
    max_bytes: int = 5_000_000,
    always_relevant: bool = False,
    source: str | None = None,
    progress: Any = None,
) -> IngestSummary:
    """Ingest files (or folders of them) into the store; see the module docstring for formats.

    Raises IngestError before writing anything when a path is empty, missing or of an unknown
    type. A file or record over ``max_bytes`` is dropped as ``too_large`` without being read.
    """
    files = expand_paths(paths)
    store = ArticleStore(sessions, sources=[{"name": source, "kind": "ingest"}] if source else ())
    relevance = RelevanceFilter(relevance_terms)
    since_dt = dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC) if since else None
    summary = IngestSummary()
    for path in files:
        for record in read_records(path, max_bytes):
            summary.counts["read"] += 1
            if isinstance(record, TooLarge):
                summary.dropped_by_reason[TOO_LARGE] += 1
                log.warning("ingest: too large: %s", record)
                continue
            if isinstance(record, Exception):
                summary.errors.append(str(record))
                log.warning("ingest: %s", record)
                continue
            record.source = source
            if not record.url.startswith("file:") and safe_canonical_url(record.url) is None:
                summary.errors.append(f"{path}: {record.url[:200]}: not an http(s) URL")
                continue
            if len(record.url) > MAX_URL_CHARS:  # the column's size: PostgreSQL would refuse it
                summary.errors.append(
                    f"{path}: {record.url[:80]}...: URL longer than {MAX_URL_CHARS} characters"
                )
                continue
            try:
                outcome, _duplicate_of = process_candidate(
                    store,
                    record,
                    relevance,
                    since=since_dt,
                    min_words=min_words,
                    always_relevant=always_relevant,
                )
            except SQLAlchemyError as e:
                raise IngestStoreError(
                    f"{path}: storing the batch ending with record {summary.counts['read']} "
                    f"({record.url}) failed: {getattr(e, 'orig', None) or e}"
                ) from e
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
    try:
        store.close()
    except SQLAlchemyError as e:
        raise IngestStoreError(
            f"storing the last batch (ending with {files[-1] if files else 'nothing'}) failed: "
            f"{getattr(e, 'orig', None) or e}"
        ) from e
    return summary
