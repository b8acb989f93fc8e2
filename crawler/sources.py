"""The sources file (TOML): which feeds, sitemaps and section listings to crawl.

The format is documented in docs/architecture.md and in the bundled crawler/sources.toml. Every
problem is reported as one `SourcesError` line naming the file, the source and the field.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from crawler.urls import host_of, is_http_url

DEFAULT_SOURCES_FILE = Path(__file__).resolve().parent / "sources.toml"
KINDS = ("feed", "sitemap", "listing")
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
        if not is_http_url(url):
            raise SourcesError(f"{where}: {url!r} is not an http(s) URL")
    for key in ("always_relevant", "enabled", "verified"):
        if key in raw and not isinstance(raw[key], bool):
            raise SourcesError(f"{where}: {key!r} must be true or false")
    language = raw.get("language")
    if language is not None and (not isinstance(language, str) or not language.isalpha()):
        raise SourcesError(f"{where}: 'language' must be a code like 'en' or 'fr'")
    max_pages = raw.get("max_pages", 5)
    if isinstance(max_pages, bool) or not isinstance(max_pages, int) or max_pages < 1:
        raise SourcesError(f"{where}: 'max_pages' must be a positive integer")
    for key in ("link_selector", "next_selector", "homepage"):
        if key in raw and not isinstance(raw[key], str):
            raise SourcesError(f"{where}: {key!r} must be a string")
    domains = _strings(raw.get("allowed_domains", []), where, "allowed_domains")
    if not domains:
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
        homepage=raw.get("homepage"),
    )


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
