"""db.queries and db.search on a hand-written store, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from db import queries
from db.models import Article
from db.search import keyword_search, query_terms
from tests.query_data import populate

D = dt.date.fromisoformat


@pytest.fixture
def store(sessions: sessionmaker[Session]) -> dict[str, int]:
    return populate(sessions)


def _titles(rows: list[dict]) -> list[str]:
    return [r["title"] for r in rows]


def test_entity_names_resolve_through_aliases_case_insensitively(sessions, store) -> None:
    with sessions() as s:
        assert [e.key for e in queries.resolve_entity(s, "google")] == ["alphabet"]
        assert [e.key for e in queries.resolve_entity(s, "NVIDIA corporation")] == ["nvidia"]
        assert [e.key for e in queries.resolve_entity(s, "Google DeepMind")] == ["google-deepmind"]
        with pytest.raises(queries.LookupFailed, match="unknown entity"):
            queries.resolve_entity(s, "Anthropic")
        rows = queries.articles(s, entity="Google")
    assert [r["id"] for r in rows] == [store["gemini"]]
    alphabet = next(e for e in rows[0]["entities"] if e["key"] == "alphabet")
    assert alphabet == {
        "key": "alphabet",
        "name": "Alphabet",
        "type": "company",
        "ticker": "GOOGL",
        "mentions": 2,
        "salience": 0.8,
        "stance": "favourable",
        "stance_score": 0.5,
    }


def test_article_filters_combine(sessions, store) -> None:
    with sessions() as s:
        newest = queries.articles(s)
        assert [r["id"] for r in newest][:2] == [store["deepseek"], store["gemini"]]
        assert set(newest[0]) == set(queries.ARTICLE_FIELDS)
        assert newest[0]["published_at"] == dt.datetime(2025, 1, 27, 14, tzinfo=dt.UTC)
        assert newest[0]["source"] == "techwire"
        assert [t["theme"] for t in newest[0]["themes"]] == ["efficiency", "chips"]
        nvda = queries.articles(s, ticker="nvda")
        assert {r["id"] for r in nvda} == {store[k] for k in ("deepseek", "blackwell", "forecast")}
        # a child entity (Google DeepMind) counts for its parent's ticker
        assert [r["id"] for r in queries.articles(s, ticker="GOOGL")] == [store["gemini"]]
        assert _titles(queries.articles(s, entity="nvidia", stance="unfavourable")) == [
            "DeepSeek R1 rattles chip stocks as Nvidia sheds $600bn"
        ]
        assert [r["id"] for r in queries.articles(s, theme="compute", lang="en")] == [
            store["stargate"],
            store["partnership"],
        ]
        assert [r["id"] for r in queries.articles(s, source="LeMonde-Tech")] == [store["blackwell"]]
        window = queries.articles(s, since=D("2025-01-21"), until=D("2025-01-22"))
        assert {r["id"] for r in window} == {
            store[k] for k in ("gemini", "stargate", "partnership")
        }
        assert len(queries.articles(s, limit=2)) == 2
        with pytest.raises(queries.LookupFailed):
            queries.articles(s, ticker="TSLA")
        with pytest.raises(queries.LookupFailed):
            queries.articles(s, source="nowhere")
        with pytest.raises(ValueError):
            queries.articles(s, stance="positive")


def test_entities_trend_against_the_previous_period(sessions, store) -> None:
    with sessions() as s:
        rows = queries.entities(s, since=D("2025-01-20"), until=D("2025-01-27"))
        by_key = {r["key"]: r for r in rows}
        assert rows[0]["key"] == "nvidia" and set(rows[0]) == set(queries.ENTITY_FIELDS)
        nv = by_key["nvidia"]
        # two articles this period (one favourable, one not), one in the 8 days before
        assert (nv["articles"], nv["articles_prev"], nv["trend"]) == (2, 1, "up")
        assert (nv["favourable"], nv["unfavourable"]) == (1, 1)
        # net stance: (favourable - unfavourable) / articles with a stance
        assert nv["net_stance"] == pytest.approx(0.0)
        assert nv["net_stance_prev"] == pytest.approx(1.0)
        assert nv["stance_change"] == pytest.approx(-1.0)
        assert by_key["openai"]["trend"] == "new" and by_key["openai"]["articles"] == 2
        companies = queries.entities(
            s, since=D("2025-01-20"), until=D("2025-01-27"), type="company"
        )
        assert {r["key"] for r in companies} == {"nvidia", "alphabet", "microsoft"}
        assert queries.entities(s, since=D("2024-01-01"), until=D("2024-01-07")) == []


def test_reactions_biggest_moves_first(sessions, store) -> None:
    with sessions() as s:
        rows = queries.reactions(s)
        assert [r["ticker"] for r in rows] == ["NVDA", "GOOGL", "NVDA", "MSFT", "SMH"]
        top = rows[0]
        assert set(top) == set(queries.REACTION_FIELDS)
        assert top["car"] == pytest.approx(-0.15) and top["window"] == "0,1"
        assert (top["stance"], top["link_type"]) == ("unfavourable", "direct")
        assert rows[-1]["stance"] is None  # a theme link has no entity stance
        day0 = queries.reactions(s, window=(0, 0))
        assert [r["car"] for r in day0] == [pytest.approx(-0.1697)]
        assert [r["ticker"] for r in queries.reactions(s, min_abs_car=0.02)] == [
            "NVDA",
            "GOOGL",
            "NVDA",
        ]
        assert [r["article_id"] for r in queries.reactions(s, entity="OpenAI")] == [
            store["partnership"],
            store["stargate"],
        ]
        assert len(queries.reactions(s, ticker="nvda", since=D("2025-01-21"))) == 1
        assert len(queries.reactions(s, limit=1)) == 1
    assert queries.parse_window("-1,1") == (-1, 1)
    with pytest.raises(ValueError):
        queries.parse_window("1")


def test_keyword_search_finds_names_and_tickers_and_follows_edits(sessions, store) -> None:
    assert query_terms("What did $NVDA do after the DeepSeek news?") == ["nvda", "deepseek", "news"]
    with sessions() as s:
        assert [h.article_id for h in keyword_search(s, "NVDA")] == [store["deepseek"]]
        assert keyword_search(s, "Gemini developers")[0].article_id == store["gemini"]
        hits = keyword_search(s, "Nvidia")
        assert {h.article_id for h in hits} == {
            store[k] for k in ("deepseek", "blackwell", "forecast")
        }
        assert [h.rank for h in hits] == [1, 2, 3]
        since = dt.datetime(2025, 1, 21, tzinfo=dt.UTC)
        assert store["forecast"] not in {
            h.article_id for h in keyword_search(s, "Nvidia", since=since)
        }
        assert keyword_search(s, "the of and") == []
        assert keyword_search(s, 'AND OR NEAR( "') == []  # never read as query syntax
    # the index follows inserts, updates and deletes (triggers on SQLite, an expression on PG)
    with sessions.begin() as s:
        s.execute(update(Article).where(Article.id == store["stargate"]).values(title="Abilene"))
        s.delete(s.get(Article, store["gemini"]))
    with sessions() as s:
        assert [h.article_id for h in keyword_search(s, "abilene")] == [store["stargate"]]
        assert keyword_search(s, "Gemini") == []
