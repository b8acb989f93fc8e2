"""The sample news site of `airace demo`: articles written for the demo, as package data.

`articles.yaml` holds every article (EN and FR, January-February 2025). `load_articles()` reads it
into `DemoArticle` objects; airace/demo_server.py renders them to HTML, RSS and sitemaps on the fly.
Every price figure an article states is listed in its `claims`, checked against the bundled CSVs
by tests/test_airace_demo_site.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

DATA_FILE = "articles.yaml"
# How a broken page is served (the article is real; its page is not clean).
SERVE_MODES = ("normal", "malformed", "latin1-declared", "latin1-undeclared")


@dataclass(frozen=True)
class Claim:
    """A price figure stated in an article: a close, an open, or a close-to-close move in %.

    `change_pct` is the move from the close of `start` (default: the previous session in the
    ticker's CSV) to the close of `date`.
    """

    ticker: str
    date: dt.date
    close: float | None = None
    open: float | None = None
    change_pct: float | None = None
    start: dt.date | None = None


@dataclass(frozen=True)
class DemoArticle:
    """One article of the sample site. `published` is exact, a day, or a month (see precision)."""

    slug: str
    lang: str
    published: str
    section: str
    author: str
    title: str
    description: str
    body: str
    claims: tuple[Claim, ...] = ()
    serve: str = "normal"
    syndicated_path: str | None = None
    relevant: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def precision(self) -> str:
        """exact (date and time with offset), day, or month."""
        if "T" in self.published:
            return "exact"
        return "day" if len(self.published) == 10 else "month"

    @property
    def instant(self) -> dt.datetime | None:
        """The publication instant when the time is known, else None."""
        return dt.datetime.fromisoformat(self.published) if self.precision == "exact" else None

    @property
    def day(self) -> dt.date:
        """The local publication day (the 1st for a month-only date), for paths and sorting."""
        if self.precision == "month":
            return dt.date.fromisoformat(self.published + "-01")
        return dt.date.fromisoformat(self.published[:10])

    @property
    def path(self) -> str:
        """The article's URL path: /[fr/]YYYY/MM/[DD/]slug/ (no day for a month-only date)."""
        prefix = "/fr" if self.lang == "fr" else ""
        d = self.day
        if self.precision == "month":
            return f"{prefix}/{d:%Y/%m}/{self.slug}/"
        return f"{prefix}/{d:%Y/%m/%d}/{self.slug}/"

    @property
    def paragraphs(self) -> list[str]:
        """Body paragraphs; one starting with '## ' is a subheading."""
        return [p.strip() for p in self.body.strip().split("\n\n") if p.strip()]

    @property
    def word_count(self) -> int:
        return len(self.body.split())


def _claim(raw: dict[str, Any]) -> Claim:
    return Claim(
        ticker=str(raw["ticker"]),
        date=dt.date.fromisoformat(str(raw["date"])),
        close=raw.get("close"),
        open=raw.get("open"),
        change_pct=raw.get("change_pct"),
        start=dt.date.fromisoformat(str(raw["from"])) if raw.get("from") else None,
    )


def parse_articles(records: list[dict[str, Any]]) -> list[DemoArticle]:
    """DemoArticle objects from the YAML records, sorted by day then slug."""
    known = {
        "slug",
        "lang",
        "published",
        "section",
        "author",
        "title",
        "description",
        "body",
        "claims",
        "serve",
        "syndicated_path",
        "relevant",
    }
    articles = []
    for r in records:
        serve = r.get("serve", "normal")
        if serve not in SERVE_MODES:
            raise ValueError(f"{r.get('slug')}: unknown serve mode {serve!r}")
        articles.append(
            DemoArticle(
                slug=r["slug"],
                lang=r["lang"],
                published=str(r["published"]),
                section=r["section"],
                author=r["author"],
                title=r["title"],
                description=r["description"],
                body=r["body"],
                claims=tuple(_claim(c) for c in r.get("claims") or ()),
                serve=serve,
                syndicated_path=r.get("syndicated_path"),
                relevant=bool(r.get("relevant", True)),
                extra={k: v for k, v in r.items() if k not in known},
            )
        )
    return sorted(articles, key=lambda a: (a.day, a.slug))


@cache
def load_articles() -> tuple[DemoArticle, ...]:
    """Every article of the sample site, read once from the package data."""
    import yaml

    text = resources.files(__package__).joinpath(DATA_FILE).read_text(encoding="utf-8")
    return tuple(parse_articles(yaml.safe_load(text)))
