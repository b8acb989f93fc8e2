"""The sources file (TOML): which feeds, sitemaps, section listings and query feeds to crawl.

The format is documented in docs/architecture.md and in the bundled crawler/sources.toml. Every
problem is reported as one `SourcesError` line naming the file, the source and the field.

A `query` source is a feed whose URL is a template naming `{entity}`, `{query}` or `{ticker}`
(a news-search feed per entity, a headline feed per ticker). The crawler knows no entities: the
caller passes (name, ticker) pairs to `expand_query_sources`, which turns each query source into
a plain feed source with at most `max_queries` URLs.
"""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

from crawler.urls import host_of, is_http_url

DEFAULT_SOURCES_FILE = Path(__file__).resolve().parent / "sources.toml"
KINDS = ("feed", "sitemap", "listing", "query")
PLACEHOLDERS = ("entity", "query", "ticker")
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
_FIELDS = {
    "name",
    "kind",
    "urls",
    "language",
    "allowed_domains",
    "keywords",
    "always_relevant",
    "enabled",
    "verified",
    "link_selector",
    "next_selector",
    "max_pages",
    "max_queries",
    "follow_offsite",
    "homepage",
}


class SourcesError(ValueError):
    """A mistake in a sources file; the message is one line that says where."""


@dataclass(frozen=True)
class SourceConfig:
    """One news source, validated."""

    name: str
    kind: str
    urls: tuple[str, ...]
    language: str | None = None
    allowed_domains: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    always_relevant: bool = False
    enabled: bool = True
    verified: bool = False
    link_selector: str = ""
    next_selector: str = ""
    max_pages: int = 5
    max_queries: int = 20  # query only: URLs per run after expansion
    # Follow article links to any domain (default for query sources: their entries link to the
    # publishers' sites); otherwise `allowed_domains` defaults to the hosts of `urls`.
    follow_offsite: bool = False
    homepage: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (to hand the source to the crawl child process)."""
        d = asdict(self)
        d.pop("extra")
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SourceConfig:
        """Inverse of `to_dict`."""
        return _validate(data, "<json>", 0)


def _strings(value: Any, where: str, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise SourcesError(f"{where}: {key!r} must be a list of strings")
    return tuple(v.strip() for v in value if v.strip())


def _validate(raw: Any, path: str, index: int) -> SourceConfig:
    if not isinstance(raw, dict):
        raise SourcesError(f"{path}: sources[{index}] must be a table")
    name = raw.get("name")
    where = f"{path}: source {name!r}" if isinstance(name, str) else f"{path}: sources[{index}]"
    unknown = sorted(set(raw) - _FIELDS)
    if unknown:
        raise SourcesError(f"{where}: unknown field {unknown[0]!r}")
    if not isinstance(name, str) or not _NAME.match(name):
        raise SourcesError(f"{where}: 'name' must be lower-case letters, digits and dashes")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise SourcesError(f"{where}: 'kind' must be one of {', '.join(KINDS)}, got {kind!r}")
    urls = _strings(raw.get("urls", []), where, "urls")
    if not urls:
        raise SourcesError(f"{where}: 'urls' needs at least one URL")
    for url in urls:
        if kind == "query":
            _check_template(url, where)
        elif not is_http_url(url):
            raise SourcesError(f"{where}: {url!r} is not an http(s) URL")
    for key in ("always_relevant", "enabled", "verified", "follow_offsite"):
        if key in raw and not isinstance(raw[key], bool):
            raise SourcesError(f"{where}: {key!r} must be true or false")
    language = raw.get("language")
    if language is not None and (not isinstance(language, str) or not language.isalpha()):
        raise SourcesError(f"{where}: 'language' must be a code like 'en' or 'fr'")
    max_pages = raw.get("max_pages", 5)
    if isinstance(max_pages, bool) or not isinstance(max_pages, int) or max_pages < 1:
        raise SourcesError(f"{where}: 'max_pages' must be a positive integer")
    max_queries = raw.get("max_queries", 20)
    if isinstance(max_queries, bool) or not isinstance(max_queries, int) or max_queries < 1:
        raise SourcesError(f"{where}: 'max_queries' must be a positive integer")
    for key in ("link_selector", "next_selector", "homepage"):
        if key in raw and not isinstance(raw[key], str):
            raise SourcesError(f"{where}: {key!r} must be a string")
    domains = _strings(raw.get("allowed_domains", []), where, "allowed_domains")
    follow_offsite = raw.get("follow_offsite", kind == "query")
    if not domains and not follow_offsite:
        domains = tuple(dict.fromkeys(host_of(u) for u in urls))
    return SourceConfig(
        name=name,
        kind=kind,
        urls=urls,
        language=language.lower() if language else None,
        allowed_domains=tuple(d.lower() for d in domains),
        keywords=_strings(raw.get("keywords", []), where, "keywords"),
        always_relevant=raw.get("always_relevant", False),
        enabled=raw.get("enabled", True),
        verified=raw.get("verified", False),
        link_selector=raw.get("link_selector", ""),
        next_selector=raw.get("next_selector", ""),
        max_pages=max_pages,
        max_queries=max_queries,
        follow_offsite=follow_offsite,
        homepage=raw.get("homepage"),
    )


def _check_template(url: str, where: str) -> None:
    """A query URL template: http(s), placeholders among PLACEHOLDERS, at least one of them."""
    try:
        names = {f for _, f, _, _ in string.Formatter().parse(url) if f is not None}
    except ValueError:
        raise SourcesError(f"{where}: {url!r} is not a valid URL template") from None
    unknown = sorted(names - set(PLACEHOLDERS))
    if unknown:
        raise SourcesError(
            f"{where}: {url!r} names {{{unknown[0]}}}; use {{entity}}, {{query}} or {{ticker}}"
        )
    if not names:
        raise SourcesError(f"{where}: {url!r} names none of {{entity}}, {{query}}, {{ticker}}")
    if not is_http_url(url.format(entity="x", query="x", ticker="X")):
        raise SourcesError(f"{where}: {url!r} is not an http(s) URL template")


def expand_template(template: str, name: str, ticker: str | None) -> str | None:
    """One query URL: `{entity}` is the name, `{query}` the name as a quoted phrase, `{ticker}`
    the ticker, each URL-encoded; None when the template needs a ticker the entity lacks."""
    if "{ticker}" in template and not ticker:
        return None
    return template.format(
        entity=quote_plus(name),
        query=quote_plus(f'"{name}"'),
        ticker=quote(ticker or "", safe=""),
    )


def expand_query_sources(
    sources: Sequence[SourceConfig],
    targets: Sequence[tuple[str, str | None]],
    *,
    cap: int | None = None,
    rotate: int = 0,
) -> list[SourceConfig]:
    """Turn every `query` source into a `feed` source over `targets` ((name, ticker) pairs, most
    important first); other sources are returned as they are.

    Each query source gets at most `max_queries` URLs (or `cap`, when smaller). `rotate` shifts
    the window over the targets (e.g. the day number), so successive runs cover all of them
    under the cap. A query source with no usable target is left out.
    """
    out: list[SourceConfig] = []
    for source in sources:
        if source.kind != "query":
            out.append(source)
            continue
        urls: list[str] = []
        for name, ticker in targets:  # target by target, so the cap keeps the first targets
            for template in source.urls:
                url = expand_template(template, name, ticker)
                if url is not None and url not in urls:
                    urls.append(url)
        limit = min(source.max_queries, cap) if cap is not None else source.max_queries
        if not urls:
            continue
        if len(urls) > limit:
            start = (rotate * limit) % len(urls)
            urls = (urls[start:] + urls[:start])[:limit]
        out.append(replace(source, kind="feed", urls=tuple(urls)))
    return out


def parse_sources(text: str, path: str = "<sources>") -> list[SourceConfig]:
    """Validate the TOML text of a sources file."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise SourcesError(f"{path}: not valid TOML: {e}") from None
    raw_sources = data.get("sources")
    if not isinstance(raw_sources, list) or not raw_sources:
        raise SourcesError(f"{path}: no [[sources]] entries")
    extra = sorted(set(data) - {"sources"})
    if extra:
        raise SourcesError(f"{path}: unknown top-level key {extra[0]!r}")
    sources = [_validate(raw, path, i) for i, raw in enumerate(raw_sources)]
    seen: set[str] = set()
    for s in sources:
        if s.name in seen:
            raise SourcesError(f"{path}: source name {s.name!r} is used twice")
        seen.add(s.name)
    return sources


def load_sources(path: Path | None = None) -> list[SourceConfig]:
    """Read and validate a sources file; None means the default file bundled with the crawler."""
    path = Path(path).expanduser() if path else DEFAULT_SOURCES_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SourcesError(f"sources file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise SourcesError(f"cannot read sources file {path}: {e}") from None
    return parse_sources(text, str(path))


def select_sources(sources: list[SourceConfig], names: list[str] | None) -> list[SourceConfig]:
    """The enabled sources, or exactly the named ones (enabled or not); unknown names raise."""
    if not names:
        return [s for s in sources if s.enabled]
    by_name = {s.name: s for s in sources}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise SourcesError(
            f"unknown source {unknown[0]!r} (known: {', '.join(sorted(by_name)) or 'none'})"
        )
    return [by_name[n] for n in dict.fromkeys(names)]
