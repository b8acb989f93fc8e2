"""Work claims: two workers never hold the same article; an expired lease frees the rows."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select

from db.claims import claim_articles, finish_claims, held_claims, supports_parallel_workers
from db.engine import make_engine, make_sessionmaker
from db.migrations import upgrade
from db.models import Article

LEASE = dt.timedelta(minutes=5)


def _fill(sessions, n: int) -> None:
    with sessions.begin() as s:
        s.add_all(Article(url=f"https://example.org/{i}", content_hash=str(i)) for i in range(n))


def test_claims_are_disjoint_and_expire(sessions) -> None:
    _fill(sessions, 10)
    new = Article.status == "new"
    with sessions.begin() as s:
        a = claim_articles(s, worker="a", condition=new, limit=4, lease=LEASE)
    with sessions.begin() as s:
        b = claim_articles(s, worker="b", condition=new, limit=100, lease=LEASE)
    assert len(a) == 4 and len(b) == 6 and not set(a) & set(b)
    # a dies: once its lease has passed, c takes its rows.
    later = dt.datetime.now(dt.UTC) + LEASE + dt.timedelta(seconds=1)
    with sessions.begin() as s:
        c = claim_articles(s, worker="c", condition=new, limit=100, lease=LEASE, now=later)
    assert sorted(c) == sorted(a + b)
    # a wakes up: it no longer holds anything and must not write results.
    with sessions.begin() as s:
        assert held_claims(s, worker="a", ids=a) == []
        assert finish_claims(s, worker="c", ids=c) == 10
    with sessions() as s:
        assert (
            s.scalars(select(Article.claimed_by).where(Article.claimed_by.is_not(None))).all() == []
        )


@pytest.mark.postgres
def test_skip_locked_under_concurrency(postgres_url) -> None:
    engine = make_engine(postgres_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    _fill(sessions, 200)
    with sessions() as s:
        assert supports_parallel_workers(s)
    got: dict[str, list[int]] = {}
    barrier = threading.Barrier(4)

    def worker(name: str) -> None:
        barrier.wait()
        mine: list[int] = []
        while True:
            with sessions.begin() as s:
                ids = claim_articles(
                    s, worker=name, condition=Article.status == "new", limit=7, lease=LEASE
                )
                if not ids:
                    break
                s.execute(
                    Article.__table__.update()
                    .where(Article.id.in_(ids))
                    .values(status="analysed", claimed_by=None, claimed_until=None)
                )
            mine += ids
        got[name] = mine

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = [i for ids in got.values() for i in ids]
    assert len(every) == 200 and len(set(every)) == 200
    assert sum(1 for ids in got.values() if ids) >= 2  # the work really was shared
    engine.dispose()
