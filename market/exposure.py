"""Linking: the listed tickers an article touches, each with why (link type), weight and via.

- **direct**: the article mentions a listed entity (Nvidia -> NVDA); weight = mention salience.
- **parent**: the entity is not listed but an ancestor is (Google DeepMind -> Alphabet -> GOOGL);
  weight = salience, via = the mentioned entity.
- **exposure**: a private entity (or its nearest ancestor with exposures) has listed investors,
  partners or suppliers in the `exposures` table (OpenAI -> MSFT, ORCL, 9984.T); weight =
  salience x exposure weight, via = the entity holding the exposure.
- **theme**: the article carries a theme (themes table, score >= `min_theme_score`) whose basket
  lists the ticker (cheaper training -> NVDA, AVGO, TSM, SMH, VST, CEG); weight = theme score,
  via = the theme name. Baskets are passed in (market never imports nlp).

One link per (article, ticker) -- the reactions table holds one row per window -- chosen by
priority direct > parent > exposure > theme, then by weight.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Article, Entity, Exposure, Mention, Theme
from market.instruments import benchmark_for

LINK_PRIORITY = {"direct": 0, "parent": 1, "exposure": 2, "theme": 3}
MIN_THEME_SCORE = 0.5
_MAX_DEPTH = 8
_CHUNK = 900


@dataclass(frozen=True)
class Link:
    """Why an article is linked to a ticker."""

    ticker: str
    link_type: str  # direct | parent | exposure | theme
    weight: float
    via: str


@dataclass(frozen=True)
class _Ent:
    id: int
    name: str
    ticker: str | None
    parent_id: int | None


class _Graph:
    """Entities, parents and exposures loaded once (the knowledge base is small)."""

    def __init__(self, session: Session) -> None:
        self.entities = {
            i: _Ent(i, n, t, p)
            for i, n, t, p in session.execute(
                select(Entity.id, Entity.name, Entity.ticker, Entity.parent_id)
            )
        }
        self.exposures: dict[int, list[tuple[str, float]]] = defaultdict(list)
        for eid, ticker, weight in session.execute(
            select(Exposure.entity_id, Exposure.ticker, Exposure.weight)
        ):
            self.exposures[eid].append((ticker, float(weight)))

    def entity_links(self, entity_id: int, salience: float) -> list[Link]:
        ent = self.entities.get(entity_id)
        if ent is None:
            return []
        links: list[Link] = []
        if ent.ticker:
            links.append(Link(ent.ticker, "direct", salience, ent.name))
        node: _Ent | None = ent
        found_ticker = bool(ent.ticker)
        found_exposure = False
        for _ in range(_MAX_DEPTH):
            if node is None:
                break
            if not found_exposure and self.exposures.get(node.id):
                links.extend(
                    Link(t, "exposure", salience * w, node.name) for t, w in self.exposures[node.id]
                )
                found_exposure = True
            if not found_ticker and node is not ent and node.ticker:
                links.append(Link(node.ticker, "parent", salience, ent.name))
                found_ticker = True
            if found_ticker and found_exposure:
                break
            node = self.entities.get(node.parent_id) if node.parent_id is not None else None
        return links


def _best(links: Iterable[Link]) -> list[Link]:
    best: dict[str, Link] = {}
    for link in links:
        cur = best.get(link.ticker)
        if cur is None or (LINK_PRIORITY[link.link_type], -link.weight) < (
            LINK_PRIORITY[cur.link_type],
            -cur.weight,
        ):
            best[link.ticker] = link
    return sorted(best.values(), key=lambda x: x.ticker)


def links_for_articles(
    session: Session,
    article_ids: Sequence[int],
    theme_baskets: Mapping[str, Sequence[str]],
    *,
    min_theme_score: float = MIN_THEME_SCORE,
) -> dict[int, list[Link]]:
    """The linked tickers of each article (articles with no link are absent)."""
    graph = _Graph(session)
    raw: dict[int, list[Link]] = defaultdict(list)
    ids = list(article_ids)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        for aid, eid, salience in session.execute(
            select(Mention.article_id, Mention.entity_id, Mention.salience).where(
                Mention.article_id.in_(chunk)
            )
        ):
            raw[aid].extend(graph.entity_links(eid, float(salience)))
        for aid, theme, score in session.execute(
            select(Theme.article_id, Theme.theme, Theme.score).where(
                Theme.article_id.in_(chunk), Theme.score >= min_theme_score
            )
        ):
            raw[aid].extend(
                Link(t, "theme", float(score), theme) for t in theme_baskets.get(theme, ())
            )
    return {aid: _best(links) for aid, links in raw.items() if links}


def tickers_for_update(
    session: Session,
    theme_baskets: Mapping[str, Sequence[str]],
    benchmarks: Iterable[str],
    *,
    min_theme_score: float = MIN_THEME_SCORE,
) -> list[str]:
    """Every ticker linked to analysed articles, their benchmarks, and `benchmarks`, sorted."""
    graph = _Graph(session)
    analysed = select(Article.id).where(Article.status == "analysed")
    tickers: set[str] = set(benchmarks)
    mentioned = session.scalars(
        select(Mention.entity_id).where(Mention.article_id.in_(analysed)).distinct()
    )
    for eid in mentioned:
        tickers.update(link.ticker for link in graph.entity_links(eid, 1.0))
    themes = session.scalars(
        select(Theme.theme)
        .where(Theme.article_id.in_(analysed), Theme.score >= min_theme_score)
        .distinct()
    )
    for theme in themes:
        tickers.update(theme_baskets.get(theme, ()))
    for ticker in list(tickers):
        bench = benchmark_for(ticker)
        if bench:
            tickers.add(bench)
    return sorted(tickers)
