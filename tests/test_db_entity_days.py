"""The entity_days rollup: equal to the articles it sums, kept in step by analysis, backfilled by
its migration; and the one definition of net stance shared by the briefing, `query entities`
and the Datasette canned query."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections import defaultdict
from importlib.resources import files
from pathlib import Path

import pytest
from sqlalchemy import select

from bench.synth import generate
from db import entity_days, queries
from db.engine import make_engine, make_sessionmaker
from db.entities import MentionRow, StanceRow, clear_analysis, save_analysis
from db.migrations import upgrade
from db.models import Article, EntityDay, Mention, Stance
from db.weekly import Period, entity_rows
from tests.query_data import populate

D = dt.date.fromisoformat


def _oracle(session, since: dt.date, until: dt.date) -> dict[int, tuple]:
    """What `query entities` must say, summed in Python from articles, mentions and stances."""
    days = (until - since).days + 1
    prev = since - dt.timedelta(days=days)
    when = {
        aid: at.astimezone(dt.UTC).date()
        for aid, at in session.execute(select(Article.id, Article.published_at))
        if at is not None
    }
    acc: dict[int, list] = defaultdict(lambda: [0, 0, 0, 0, 0, 0, 0, 0])
    for aid, eid, count in session.execute(
        select(Mention.article_id, Mention.entity_id, Mention.count)
    ):
        day = when.get(aid)
        if day is not None and since <= day <= until:
            acc[eid][0] += 1
            acc[eid][1] += count
        elif day is not None and prev <= day < since:
            acc[eid][2] += 1
    for aid, eid, label in session.execute(
        select(Stance.article_id, Stance.entity_id, Stance.label)
    ):
        day = when.get(aid)
        base = 3 if day is not None and since <= day <= until else 6
        if day is None or not prev <= day <= until:
            continue
        if base == 3:
            acc[eid][3] += 1
            acc[eid][4] += label > 0
            acc[eid][5] += label < 0
        else:
            acc[eid][6] += 1
            acc[eid][7] += (label > 0) - (label < 0)
    out = {}
    for eid, (n, m, n_prev, st, fav, unfav, st_prev, net_prev) in acc.items():
        if n:
            out[eid] = (
                n,
                m,
                n_prev,
                fav,
                unfav,
                (fav - unfav) / st if st else None,
                net_prev / st_prev if st_prev else None,
            )
    return out


def _as_tuple(r: dict) -> tuple:
    return (
        r["articles"],
        r["mentions"],
        r["articles_prev"],
        r["favourable"],
        r["unfavourable"],
        r["net_stance"],
        r["net_stance_prev"],
    )


def _rollup(session) -> dict[tuple[int, dt.date], tuple[int, ...]]:
    return {
        (r.entity_id, r.day): (r.articles, r.mentions, r.stanced, r.favourable, r.unfavourable)
        for r in session.scalars(select(EntityDay))
        if any((r.articles, r.mentions, r.stanced, r.favourable, r.unfavourable))
    }


def test_query_entities_equals_the_articles_it_sums(db_url: str) -> None:
    generate(db_url, 400, seed=3)
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    try:
        with sessions() as s:
            newest = s.scalar(select(Article.published_at).order_by(Article.published_at.desc()))
            last = newest.astimezone(dt.UTC).date()
            for days in (1, 7, 30, 90):
                since = last - dt.timedelta(days=days - 1)
                want = _oracle(s, since, last)
                got = queries.entities(s, since=since, until=last, limit=10_000)
                assert want, days
                have = {r["id"]: _as_tuple(r) for r in got}
                assert set(have) == set(want), days
                for eid, row in want.items():
                    assert have[eid][:5] == row[:5], (days, eid)
                    for a, b in zip(have[eid][5:], row[5:], strict=True):
                        assert (a is None and b is None) or a == pytest.approx(b), (days, eid)
                # ordered by articles, then mentions
                keys = [(-r["articles"], -r["mentions"]) for r in got]
                assert keys == sorted(keys)
    finally:
        engine.dispose()


def test_analysis_keeps_the_rollup_in_step(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    ids = populate(sessions)
    try:
        with sessions.begin() as s:
            from db.models import Entity

            ent = {e.key: e.id for e in s.scalars(select(Entity))}
            # re-analysed: Nvidia now unfavourable in the Blackwell story, OpenAI added
            save_analysis(
                s,
                ids["blackwell"],
                mentions=[
                    MentionRow(ent["nvidia"], 3, 0, True, 0.9, "Nvidia"),
                    MentionRow(ent["openai"], 1, 10, False, 0.4, "OpenAI"),
                ],
                stances=[StanceRow(ent["nvidia"], -0.6, -1, 0.7, None)],
                themes={},
                embedding=None,
                version=2,
            )
            clear_analysis(s, [ids["partnership"]])
            # the same article written twice: counted once
            for _ in range(2):
                save_analysis(
                    s,
                    ids["stargate"],
                    mentions=[MentionRow(ent["openai"], 2, 0, True, 0.8, "OpenAI")],
                    stances=[StanceRow(ent["openai"], 0.5, 1, 0.8, None)],
                    themes={},
                    embedding=None,
                    version=2,
                )
        with sessions() as s:
            kept = _rollup(s)
        with sessions.begin() as s:
            entity_days.rebuild(s)
        with sessions() as s:
            rebuilt = _rollup(s)
            assert kept == rebuilt
            day = D("2025-01-20")
            assert rebuilt[(ent["nvidia"], day)] == (1, 3, 1, 0, 1)
            assert rebuilt[(ent["openai"], day)] == (1, 1, 0, 0, 0)
            assert (ent["microsoft"], D("2025-01-21")) not in rebuilt
    finally:
        engine.dispose()


def test_a_rolled_back_analysis_adds_nothing(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    ids = populate(sessions)
    with sessions() as s:
        before = _rollup(s)
    with sessions() as s:  # one session: a failed batch, then the next one commits
        clear_analysis(s, [ids["deepseek"]])
        s.rollback()
        s.add(Article(url="https://example.org/x", title="x", text="x", content_hash="x"))
        s.commit()
    with sessions() as s:
        assert _rollup(s) == before
    engine.dispose()


def test_the_migration_backfills_the_rollup(sqlite_url: str) -> None:
    from db.migrations import upgrade as migrate

    engine = make_engine(sqlite_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    populate(sessions)
    with sessions() as s:
        want = _rollup(s)
    assert want
    migrate(engine, "0007")  # the table goes
    migrate(engine, "head")  # and comes back filled from mentions and stances
    with sessions() as s:
        assert _rollup(s) == want
    engine.dispose()


def _canned(path: Path, since: str) -> dict[str, float | None]:
    meta = json.loads(files("airace").joinpath("datasette_metadata.json").read_text("utf-8"))
    sql = meta["databases"]["airace"]["queries"]["top_entities"]["sql"]
    with sqlite3.connect(path) as conn:
        conn.row_factory = sqlite3.Row
        return {r["name"]: r["net_stance"] for r in conn.execute(sql, {"since": since})}


def test_net_stance_has_one_definition(sqlite_url: str, cli) -> None:
    engine = make_engine(sqlite_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    populate(sessions)
    since, until = D("2025-01-21"), D("2025-01-27")  # the fixture's newest article: 01-27
    with sessions() as s:
        briefing = {
            r.name: r.net_stance for r in entity_rows(s, Period(since, until)) if r.articles
        }
    engine.dispose()
    r = cli(
        "--db",
        sqlite_url,
        "query",
        "entities",
        "--since",
        str(since),
        "--until",
        str(until),
        "--format",
        "json",
    )
    assert r.exit_code == 0, r.stderr
    query = {row["name"]: row["net_stance"] for row in json.loads(r.stdout)}
    datasette = _canned(Path(sqlite_url.removeprefix("sqlite:///")), str(since))
    assert set(briefing) == set(query) == set(datasette)
    for name in query:
        for value in (briefing[name], datasette[name]):
            assert (value is None) == (query[name] is None), name
            if value is not None:
                assert value == pytest.approx(query[name], abs=5e-4), name
    # Nvidia: one unfavourable story -> -1; OpenAI: one favourable, one
    # neutral -> 0.5 (a mean of the scores would say 0.3)
    assert query["Nvidia"] == -1.0 and query["OpenAI"] == 0.5
