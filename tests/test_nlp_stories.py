"""Stories and novelty on real stored embeddings (the bundled English model), SQLite and PostgreSQL.

The sample articles are written for this test (an invented deal): an English first report, a
French report of the same event, a syndicated copy, a follow-up that brings in a new company,
an unrelated story about the same company, and a re-report two days later.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import pytest
from sqlalchemy import func, select

from db.models import Article, Embedding, Entity, Mention, Novelty, Story, StoryArticle
from nlp import stories as stories_mod
from nlp.stories import assign_stories, story_facts

UTC = dt.UTC
T0 = dt.datetime(2025, 3, 12, 8, 0, tzinfo=UTC)

DEAL_EN = (
    "Paris-based Mistral AI said on 12 March that it will buy 18,000 Nvidia accelerators in a "
    "deal worth €1.2 billion, the largest purchase the start-up has made so far. The chips will "
    "be installed in a data centre south of Paris over the next year, and Mistral AI expects the "
    "new cluster to triple the computing power it uses to train its language models."
)
ARTICLES = {
    "first": (
        "en",
        0,
        "Mistral AI signs €1.2 billion compute deal with Nvidia",
        DEAL_EN,
        ("mistral", "nvidia"),
    ),
    "french": (
        "fr",
        2,
        "Mistral AI achète 18 000 puces Nvidia pour 1,2 milliard d'euros",
        "La jeune pousse parisienne Mistral AI a annoncé le 12 mars l'achat de 18 000 "
        "accélérateurs Nvidia, pour un montant de 1,2 milliard d'euros. Les puces seront "
        "installées dans un centre de données au sud de Paris au cours de l'année.",
        ("mistral", "nvidia"),
    ),
    "copy": (
        "en",
        3,
        "Mistral AI agrees €1.2bn Nvidia chip purchase",
        DEAL_EN,
        ("mistral", "nvidia"),
    ),
    "microsoft": (
        "en",
        5,
        "Microsoft backs Mistral AI's Nvidia purchase",
        "Microsoft, an investor in Mistral AI, welcomed the €1.2 billion deal for Nvidia chips "
        "announced on 12 March and said the models trained on the new cluster would be offered "
        "to customers of its cloud.",
        ("microsoft", "mistral", "nvidia"),
    ),
    "singapore": (
        "en",
        6,
        "Mistral AI opens a Singapore office",
        "Mistral AI is opening an office in Singapore, its first in Asia, and plans to hire sales "
        "and support staff there to serve banks and telecom operators in the region.",
        ("mistral",),
    ),
    "later": (
        "en",
        40,
        "Mistral AI's Nvidia deal, two days on",
        "Two days after Mistral AI agreed to spend €1.2 billion on 18,000 Nvidia accelerators, "
        "analysts are asking how the start-up will pay for the power the new cluster needs.",
        ("mistral", "nvidia"),
    ),
}


@lru_cache(maxsize=1)
def _embedder():  # type: ignore[no-untyped-def]
    from nlp.embeddings import Embedder

    return Embedder()


def _add(sessions, name: str, lang: str, hours: float, title: str, body: str, keys) -> int:  # type: ignore[no-untyped-def]
    from nlp.embeddings import embedding_input, to_bytes

    vector = _embedder().encode([embedding_input(f"{title}\n\n{body}")])[0]
    with sessions.begin() as s:
        ids = {k: i for k, i in s.execute(select(Entity.key, Entity.id))}
        a = Article(
            url=f"https://news.example/{name}",
            title=title,
            text=body,
            content_hash=name,
            status="analysed",
            language=lang,
            published_at=T0 + dt.timedelta(hours=hours),
            published_precision="exact",
        )
        s.add(a)
        s.flush()
        for k in keys:
            s.add(Mention(article_id=a.id, entity_id=ids[k], count=1, first_offset=0, salience=0.5))
        s.add(Embedding(article_id=a.id, model=_embedder().name, dim=384, vector=to_bytes(vector)))
        return a.id


@pytest.fixture
def corpus(sessions):  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        for key, name, ticker in [
            ("mistral", "Mistral AI", None),
            ("nvidia", "Nvidia", "NVDA"),
            ("microsoft", "Microsoft", "MSFT"),
        ]:
            s.add(Entity(key=key, name=name, type="company", ticker=ticker))
    ids = {name: _add(sessions, name, *spec) for name, spec in ARTICLES.items()}
    return sessions, ids


def _state(sessions):  # type: ignore[no-untyped-def]
    with sessions() as s:
        members = {a: (sid, kind, ev) for a, sid, kind, ev in s.execute(
            select(StoryArticle.article_id, StoryArticle.story_id, StoryArticle.kind,
                   StoryArticle.evidence))}  # fmt: skip
        novel = {
            (a, k): n
            for a, k, n in s.execute(
                select(Novelty.article_id, Entity.key, Novelty.novel).join(
                    Entity, Entity.id == Novelty.entity_id
                )
            )
        }
    return members, novel


@pytest.mark.slow
def test_one_event_in_two_languages_copies_and_follow_ups(corpus) -> None:  # type: ignore[no-untyped-def]
    sessions, ids = corpus
    summary = assign_stories(sessions)
    assert summary.articles == 6
    members, novel = _state(sessions)
    story = {name: members[i][0] for name, i in ids.items()}
    kind = {name: members[i][1] for name, i in ids.items()}

    # English, French, the copy and the follow-up are one story; the rest are their own
    assert story["first"] == story["french"] == story["copy"] == story["microsoft"]
    assert len({story["first"], story["singapore"], story["later"]}) == 3
    assert kind == {
        "first": "first",
        "french": "follow_up",
        "copy": "copy",
        "microsoft": "follow_up",
        "singapore": "first",
        "later": "first",  # 40 h on: no earlier report of the event within 24 h
    }
    assert members[ids["french"]][2] == "facts"  # the English-only model cannot say it

    assert novel[(ids["first"], "mistral")] and novel[(ids["first"], "nvidia")]
    assert not novel[(ids["french"], "mistral")] and not novel[(ids["french"], "nvidia")]
    assert not novel[(ids["copy"], "nvidia")]
    # the follow-up is the first report of the event about Microsoft, and only about it
    assert novel[(ids["microsoft"], "microsoft")]
    assert not novel[(ids["microsoft"], "mistral")]
    assert novel[(ids["singapore"], "mistral")]
    assert novel[(ids["later"], "mistral")] and novel[(ids["later"], "nvidia")]

    with sessions() as s:
        row = s.get(Story, story["first"])
        assert row is not None and row.article_count == 4 and row.languages == ["en", "fr"]
        assert row.first_article_id == ids["first"] and row.started_at == T0


@pytest.mark.slow
def test_rerun_is_idempotent_late_articles_and_new_versions_redo_the_tail(  # type: ignore[no-untyped-def]
    corpus, monkeypatch
) -> None:
    sessions, ids = corpus
    assign_stories(sessions)
    before = _state(sessions)
    assert assign_stories(sessions).articles == 0
    assert _state(sessions) == before

    # A report published an hour before the "first" one arrives late: it becomes the first
    # report, and everything from its time on is regrouped.
    early = _add(
        sessions,
        "early",
        "en",
        -1,
        "Mistral AI close to a €1.2 billion Nvidia chip order",
        "Mistral AI is about to order 18,000 Nvidia accelerators for about €1.2 billion, people "
        "familiar with the talks said, with an announcement expected on 12 March.",
        ("mistral", "nvidia"),
    )
    summary = assign_stories(sessions)
    assert summary.articles == 7  # the late one and the six after it
    members, novel = _state(sessions)
    assert members[early][1] == "first" and novel[(early, "nvidia")]
    assert members[ids["first"]][1] != "first" and not novel[(ids["first"], "nvidia")]
    assert members[ids["first"]][0] == members[early][0]
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Story)) == 3  # no empty story left
        assert s.scalar(select(func.sum(Story.article_count))) == 7

    # a new version of the stage re-processes everything
    monkeypatch.setattr(stories_mod, "VERSION", 2)
    assert assign_stories(sessions).articles == 7
    with sessions() as s:
        assert set(s.scalars(select(StoryArticle.version))) == {2}


@pytest.mark.slow
def test_query_articles_novel_only_and_stories_cli(corpus, cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    sessions, ids = corpus
    url = str(sessions.kw["bind"].url.render_as_string(hide_password=False))
    result = cli("--db", url, "stories")
    assert result.exit_code == 0, result.stderr
    assert "6 article(s) grouped" in result.stdout
    result = cli("--db", url, "query", "articles", "--novel-only", "--format", "json")
    assert result.exit_code == 0, result.stderr
    got = {r["id"] for r in json.loads(result.stdout)}
    assert got == {ids["first"], ids["microsoft"], ids["singapore"], ids["later"]}
    result = cli("--db", url, "query", "articles", "--format", "json")
    assert len(json.loads(result.stdout)) == 6


def test_facts_read_the_same_in_english_and_french() -> None:
    en = story_facts("Shares fell 16.9% to $118.42 on January 27 after a $589 billion loss", "en")
    fr = story_facts(
        "L'action a perdu 16,9 % à 118,42 dollars le 27 janvier, soit 589 milliards", "fr"
    )
    assert {"pct:16.9", "num:118.42", "date:01-27", "amt:5.89e+11"} <= en & fr
    # years and small counts are not distinctive facts; thousands separators by language
    assert story_facts("In 2025 the 3 labs hired 1,500 people", "en") == {"num:1500"}
    assert story_facts("En 2025, 1 500 personnes et 1,5 milliard", "fr") == {
        "num:1500",
        "amt:1.5e+09",
    }


def _vector_article(sessions, name: str, hours: float, keys, vector) -> int:  # type: ignore[no-untyped-def]
    from nlp.embeddings import to_bytes

    with sessions.begin() as s:
        ids = {k: i for k, i in s.execute(select(Entity.key, Entity.id))}
        a = Article(
            url=f"https://news.example/{name}",
            title=name,
            content_hash=name,
            status="analysed",
            language="en",
            published_at=T0 + dt.timedelta(hours=hours),
            published_precision="exact",
        )
        s.add(a)
        s.flush()
        for k in keys:
            s.add(Mention(article_id=a.id, entity_id=ids[k], count=1, first_offset=0, salience=0.5))
        s.add(
            Embedding(article_id=a.id, model="hand-made", dim=len(vector), vector=to_bytes(vector))
        )
        return a.id


@pytest.mark.parametrize("window_hours", [24.0, 48.0])
def test_novelty_window_inside_a_long_running_story(sessions, window_hours: float) -> None:  # type: ignore[no-untyped-def]
    """A story carried on for 30 hours: its last article names a company whose previous report
    in the story is 30 hours old -- a first report again with a 24-hour window, not with 48."""
    import numpy as np

    with sessions.begin() as s:
        s.add_all([Entity(key=k, name=k.upper(), type="company") for k in ("acme", "globex")])
    rng = np.random.default_rng(0)
    base = rng.normal(size=32)

    def near() -> np.ndarray:  # cosine about 0.9 with one another
        v = base + 0.35 * rng.normal(size=32)
        return v / np.linalg.norm(v)

    b1 = _vector_article(sessions, "b1", 0, ("acme", "globex"), near())
    b2 = _vector_article(sessions, "b2", 20, ("acme",), near())
    b3 = _vector_article(sessions, "b3", 30, ("acme", "globex"), near())
    assign_stories(sessions, window_hours=window_hours)
    members, novel = _state(sessions)
    assert members[b1][0] == members[b2][0] == members[b3][0]
    assert [members[i][1] for i in (b1, b2, b3)] == ["first", "follow_up", "follow_up"]
    assert not novel[(b3, "acme")]  # named 10 hours earlier by b2
    assert novel[(b3, "globex")] is (window_hours < 30)
