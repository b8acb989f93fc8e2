"""Blended search with real all-MiniLM-L6-v2 vectors: the right article comes first."""

from __future__ import annotations

import json

import numpy as np
import pytest

from db import search as search_mod
from db.engine import make_engine, make_sessionmaker
from db.migrations import upgrade
from db.models import Article, Embedding
from db.search import entity_search, named_entities, search
from tests.query_data import ARTICLES, embedding_text, populate

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def encoder():  # type: ignore[no-untyped-def]
    from nlp.embeddings import Embedder

    return Embedder("all-MiniLM-L6-v2")


@pytest.fixture(scope="module")
def vectors(encoder) -> dict[str, bytes]:  # type: ignore[no-untyped-def]
    keys = list(ARTICLES)
    matrix = encoder.encode([embedding_text(k) for k in keys]).astype("<f4")
    return {k: matrix[i].tobytes() for i, k in enumerate(keys)}


@pytest.fixture
def store(db_url: str, vectors, encoder):  # type: ignore[no-untyped-def]
    engine = make_engine(db_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    ids = populate(sessions, vectors, model=encoder.name, dim=encoder.dim)
    search_mod._CACHE.clear()
    yield sessions, ids
    engine.dispose()


@pytest.mark.parametrize(
    "query, expected",
    [
        # meaning, no shared keyword with the title
        ("cheap Chinese open model crashes semiconductor shares", "deepseek"),
        ("search giant releases multimodal AI to programmers", "gemini"),
        ("joint venture building giant computing campuses", "stargate"),
        # exact names and tickers, found by the keyword half
        ("NVDA", "deepseek"),
        ("Blackwell", "blackwell"),
        ("Abilene", "stargate"),
    ],
)
def test_the_right_article_ranks_first(store, encoder, query, expected) -> None:
    sessions, ids = store
    with sessions() as s:
        rows = search(s, query, encoder=encoder, limit=3)
    assert rows[0]["id"] == ids[expected], [r["title"] for r in rows]
    assert set(rows[0]) == set(search_mod.SEARCH_FIELDS)


def test_fields_since_and_other_models(store, encoder) -> None:
    sessions, ids = store
    with sessions.begin() as s:  # a vector of another model must never be compared
        e = s.get(Embedding, ids["forecast"])
        e.model = "some-other-model"
    search_mod._CACHE.clear()
    with sessions() as s:
        rows = search(s, "Nvidia data center demand forecast", encoder=encoder, limit=10)
        by_id = {r["id"]: r for r in rows}
        assert by_id[ids["forecast"]]["similarity"] is None  # found by keywords only
        assert by_id[ids["forecast"]]["keyword_rank"] is not None
        top = rows[0]
        assert top["similarity"] is not None and -1.0 <= top["similarity"] <= 1.0
        assert top["semantic_rank"] >= 1 and top["score"] > 0
        recent = search(
            s, "Nvidia", encoder=encoder, limit=10, since=ARTICLES["deepseek"][2].date()
        )
        assert [r["id"] for r in recent] == [ids["deepseek"]]


def test_the_vector_cache_sees_new_articles(store, encoder, vectors) -> None:
    sessions, _ids = store
    with sessions() as s:
        search(s, "reasoning model", encoder=encoder, limit=10)
        cached_ids, unit = search_mod.unit_vectors(s, encoder.name)
    assert len(cached_ids) == len(ARTICLES)
    assert np.allclose(np.linalg.norm(unit, axis=1), 1.0, atol=1e-5)
    with sessions.begin() as s:
        twin = Article(
            url="https://news.example.org/twin",
            title="A later copy",
            text="Same vector as the DeepSeek story.",
            content_hash="t" * 64,
        )
        s.add(twin)
        s.flush()
        s.add(
            Embedding(
                article_id=twin.id, model=encoder.name, dim=encoder.dim, vector=vectors["deepseek"]
            )
        )
        twin_id = twin.id
    with sessions() as s:
        rows = search(s, "cheap Chinese open model crashes semiconductor shares", encoder=encoder)
    twin_row = next(r for r in rows if r["id"] == twin_id)  # only the semantic half can find it
    assert twin_row["semantic_rank"] <= 2 and twin_row["keyword_rank"] is None


def test_search_command_loads_the_model(cli, store, db_url) -> None:
    _sessions, ids = store
    r = cli("--db", db_url, "search", "reasoning model trained cheaply", "-n", "2", "-f", "json")
    assert r.exit_code == 0, r.stderr
    rows = json.loads(r.stdout)
    assert rows[0]["id"] == ids["deepseek"] and rows[0]["similarity"] > 0.2


# --------------------------------------------------------------------------------------------
# A ticker, name or alias in the query finds the articles linked to the entity


@pytest.fixture
def any_sessions_store(db_url: str):  # type: ignore[no-untyped-def]
    engine = make_engine(db_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    ids = populate(sessions)
    yield sessions, ids
    engine.dispose()


def test_a_ticker_finds_the_entitys_stories_without_the_word(any_sessions_store) -> None:
    sessions, ids = any_sessions_store
    with sessions() as s:
        rows = search(s, "NVDA", encoder=None, limit=10)
    got = [r["id"] for r in rows]
    # only the DeepSeek story prints "NVDA"; the Blackwell (French) and forecast stories are
    # linked to Nvidia through their mentions
    assert set(got) == {ids["deepseek"], ids["blackwell"], ids["forecast"]}
    assert got[0] == ids["deepseek"]  # found by both lists
    by_id = {r["id"]: r for r in rows}
    assert by_id[ids["blackwell"]]["keyword_rank"] is None
    assert by_id[ids["blackwell"]]["entity_rank"] is not None


@pytest.mark.parametrize(
    "query, wanted",
    [
        ("nvidia corporation results", {"deepseek", "blackwell", "forecast"}),  # an alias
        ("GOOGL", {"gemini"}),  # the ticker and its child entity Google DeepMind
        ("$nvda", {"deepseek", "blackwell", "forecast"}),
    ],
)
def test_aliases_and_tickers_name_entities(any_sessions_store, query, wanted) -> None:
    sessions, ids = any_sessions_store
    with sessions() as s:
        linked = {h.article_id for h in entity_search(s, query)}
    assert linked == {ids[k] for k in wanted}


def test_plain_words_name_no_entity(any_sessions_store) -> None:
    sessions, _ = any_sessions_store
    with sessions() as s:
        assert named_entities(s, "cheaper training of reasoning models") == []
        assert named_entities(s, "the") == []
