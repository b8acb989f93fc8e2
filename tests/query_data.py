"""A small, hand-written store for the query, search and sql tests: rows inserted with db.models.

Six articles (five English, one French) from two sources about Nvidia, Alphabet (alias "Google"),
Google DeepMind, OpenAI, Microsoft and DeepSeek, with mentions, stances, themes, prices and
reactions. Embeddings are added when the caller passes vectors computed with a real model.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlalchemy.orm import Session, sessionmaker

from db import entity_days
from db.models import (
    Article,
    Embedding,
    Entity,
    Instrument,
    Mention,
    Price,
    Reaction,
    Source,
    Stance,
    Theme,
)


def _at(day: str, hour: int = 14) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=dt.UTC)


# key: (source, language, published, title, text)
ARTICLES: dict[str, tuple[str, str, dt.datetime, str, str]] = {
    "deepseek": (
        "techwire",
        "en",
        _at("2025-01-27"),
        "DeepSeek R1 rattles chip stocks as Nvidia sheds $600bn",
        "A Chinese lab released an open reasoning model it says was trained for a fraction of the "
        "usual cost. Investors asked whether the giant orders for accelerators still made sense, "
        "and NVDA fell 17% in one session, the largest one-day loss of market value on record.",
    ),
    "gemini": (
        "techwire",
        "en",
        _at("2025-01-22"),
        "Google opens Gemini 2.0 to developers",
        "Alphabet's Google DeepMind unit made its newest multimodal model family available through "
        "its cloud platform, with lower prices for long context and a faster small version.",
    ),
    "blackwell": (
        "lemonde-tech",
        "fr",
        _at("2025-01-20"),
        "Nvidia : la Bourse salue les nouvelles puces Blackwell",
        "Les commandes de processeurs graphiques pour centres de données dépassent les attentes, "
        "et le titre du fabricant californien progresse nettement à Wall Street.",
    ),
    "partnership": (
        "techwire",
        "en",
        _at("2025-01-21"),
        "Microsoft and OpenAI rework their cloud partnership",
        "The software maker keeps a right of first refusal on new capacity while the lab is free "
        "to buy computing power from other providers for training its models.",
    ),
    "stargate": (
        "techwire",
        "en",
        _at("2025-01-22", 9),
        "Stargate: a $500bn plan to build data centers in Texas",
        "OpenAI, SoftBank and Oracle announced a joint venture to build power-hungry data centers "
        "for training frontier systems, starting with a campus in Abilene.",
    ),
    "forecast": (
        "techwire",
        "en",
        _at("2025-01-14"),
        "Nvidia sales forecast beats estimates on data center demand",
        "The chip designer guided revenue above what analysts expected, citing demand for its "
        "accelerators from cloud providers.",
    ),
}

ENTITIES = [
    # key, name, type, ticker, aliases, parent
    ("nvidia", "Nvidia", "company", "NVDA", ["NVIDIA Corporation"], None),
    ("alphabet", "Alphabet", "company", "GOOGL", ["Google", "Alphabet Inc."], None),
    ("google-deepmind", "Google DeepMind", "ai_lab", None, ["DeepMind"], "alphabet"),
    ("openai", "OpenAI", "ai_lab", None, ["Open AI"], None),
    ("microsoft", "Microsoft", "company", "MSFT", ["Microsoft Corporation"], None),
    ("deepseek", "DeepSeek", "ai_lab", None, ["DeepSeek AI"], None),
]

# article -> [(entity, count, in_title, salience, stance label or None, stance score)]
MENTIONS = {
    "deepseek": [("deepseek", 3, True, 0.9, 1, 0.6), ("nvidia", 2, True, 0.8, -1, -0.8)],
    "gemini": [("alphabet", 2, True, 0.8, 1, 0.5), ("google-deepmind", 1, False, 0.6, 1, 0.4)],
    "blackwell": [("nvidia", 2, True, 0.9, 1, 0.7)],
    "partnership": [("microsoft", 2, True, 0.8, 0, 0.0), ("openai", 2, True, 0.8, 0, 0.1)],
    "stargate": [("openai", 1, False, 0.6, 1, 0.5)],
    "forecast": [("nvidia", 2, True, 0.9, 1, 0.8)],
}
THEMES = {
    "deepseek": [("efficiency", 0.9), ("chips", 0.6)],
    "gemini": [("models", 0.8)],
    "blackwell": [("chips", 0.9)],
    "partnership": [("compute", 0.7)],
    "stargate": [("compute", 0.9)],
    "forecast": [("chips", 0.8)],
}
# article, ticker, window, link_type, via, car, t_stat
REACTIONS = [
    ("deepseek", "NVDA", (0, 0), "direct", "nvidia", -0.1697, -8.1),
    ("deepseek", "NVDA", (0, 1), "direct", "nvidia", -0.1500, -5.0),
    ("blackwell", "NVDA", (0, 1), "direct", "nvidia", 0.0250, 0.9),
    ("gemini", "GOOGL", (0, 1), "direct", "alphabet", 0.0310, 1.7),
    ("partnership", "MSFT", (0, 1), "direct", "microsoft", -0.0120, -0.6),
    ("stargate", "SMH", (0, 1), "theme", "compute", 0.0050, 0.3),
]


def url_of(key: str) -> str:
    return f"https://news.example.org/{key}"


def embedding_text(key: str) -> str:
    """The text whose vector the fixture stores for an article: title, then body."""
    title, body = ARTICLES[key][3:]
    return f"{title}. {body}"


def populate(
    sessions: sessionmaker[Session],
    vectors: Mapping[str, bytes] | None = None,
    model: str = "all-MiniLM-L6-v2",
    dim: int = 384,
) -> dict[str, int]:
    """Insert the fixture rows; returns article ids by key. `vectors`: float32 bytes by key."""
    with sessions.begin() as s:
        sources = {
            "techwire": Source(name="techwire", kind="feed", language="en"),
            "lemonde-tech": Source(name="lemonde-tech", kind="listing", language="fr"),
        }
        s.add_all(sources.values())
        ents: dict[str, Entity] = {}
        for key, name, typ, ticker, aliases, parent in ENTITIES:
            ents[key] = Entity(
                key=key,
                name=name,
                type=typ,
                ticker=ticker,
                aliases=aliases,
                parent=ents[parent] if parent else None,
            )
        s.add_all(ents.values())
        arts: dict[str, Article] = {}
        for key, (src, lang, published, title, body) in ARTICLES.items():
            arts[key] = Article(
                url=url_of(key),
                source=sources[src],
                title=title,
                text=body,
                language=lang,
                published_at=published,
                published_precision="exact",
                word_count=len(body.split()),
                content_hash=key.ljust(64, "0"),
                status="analysed",
                analysis_version=1,
            )
        s.add_all(arts.values())
        s.flush()
        for key, rows in MENTIONS.items():
            for ent, count, in_title, salience, label, score in rows:
                s.add(
                    Mention(
                        article_id=arts[key].id,
                        entity_id=ents[ent].id,
                        count=count,
                        first_offset=0,
                        in_title=in_title,
                        salience=salience,
                        surface=ents[ent].name,
                    )
                )
                if label is not None:
                    s.add(
                        Stance(
                            article_id=arts[key].id,
                            entity_id=ents[ent].id,
                            score=score,
                            label=label,
                            confidence=0.8,
                        )
                    )
        for key, themes in THEMES.items():
            for theme, score in themes:
                s.add(Theme(article_id=arts[key].id, theme=theme, score=score))
        for ticker, kind in [("NVDA", "equity"), ("GOOGL", "equity"), ("MSFT", "equity")]:
            s.add(Instrument(ticker=ticker, kind=kind, exchange="NASDAQ", currency="USD"))
        s.add(Instrument(ticker="SPY", kind="etf", exchange="NYSEARCA", currency="USD"))
        s.flush()
        for day, close in [("2025-01-24", 142.62), ("2025-01-27", 118.42)]:
            s.add(
                Price(ticker="NVDA", date=dt.date.fromisoformat(day), close=close, source="csv:t")
            )
        for key, ticker, (w0, w1), link, via, car, t in REACTIONS:
            published = ARTICLES[key][2]
            s.add(
                Reaction(
                    article_id=arts[key].id,
                    ticker=ticker,
                    window_start=w0,
                    window_end=w1,
                    event_date=published.date(),
                    link_type=link,
                    link_weight=1.0,
                    via=via,
                    raw_return=car,
                    abnormal_return=car,
                    car=car,
                    t_stat=t,
                    benchmark="SMH",
                    model="market_model",
                )
            )
        if vectors:
            for key, vec in vectors.items():
                s.add(Embedding(article_id=arts[key].id, model=model, dim=dim, vector=vec))
        s.flush()
        # Mentions and stances were written directly, not through db.entities.save_analysis:
        # build the entity_days rollup from them as the migration's backfill does.
        entity_days.rebuild(s)
        return {k: a.id for k, a in arts.items()}


def build_store(url: str, *, rows: bool = True) -> str:
    """Create the schema at `url` (upgrade to head) and, with `rows`, `populate` it; returns `url`."""
    from db.engine import make_engine, make_sessionmaker
    from db.migrations import upgrade

    engine = make_engine(url)
    try:
        upgrade(engine)
        if rows:
            populate(make_sessionmaker(engine))
    finally:
        engine.dispose()
    return url
