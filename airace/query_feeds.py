"""Expand the sources file's `query` sources (news search per entity, headlines per ticker) from
the knowledge base. The crawler takes the (name, ticker) list as plain data; this is the wiring.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from crawler.sources import SourceConfig, expand_query_sources

log = logging.getLogger(__name__)


def kb_targets() -> list[tuple[str, str | None]]:
    """(name, ticker) of the key entities, most important first: the listed companies in the
    knowledge base's order (platforms and chips lead), then the AI labs (no ticker)."""
    from nlp.kb import load_kb

    kb = load_kb()
    listed = [(e.name, e.ticker) for e in kb.entities if e.type == "company" and e.ticker]
    labs: list[tuple[str, str | None]] = [(e.name, None) for e in kb.entities if e.type == "ai_lab"]
    return listed + labs


def expand_sources(
    sources: Sequence[SourceConfig], today: dt.date | None = None
) -> list[SourceConfig]:
    """The sources with every `query` source expanded over the key entities; the window under
    each source's `max_queries` moves by one step a day, so a week of runs covers them all."""
    if not any(s.kind == "query" for s in sources):
        return list(sources)
    try:
        targets = kb_targets()
    except Exception as e:  # the knowledge base is optional for crawling
        log.warning("knowledge base unavailable: query sources skipped (%s)", e)
        targets = []
    day = (today or dt.date.today()).toordinal()
    return expand_query_sources(sources, targets, rotate=day)
