"""db.jobs (job_runs rows) and db.queries.store_counts, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session, sessionmaker

from db.jobs import add_job_run, finish_job_run
from db.models import Article, Entity, JobRun, Mention
from db.queries import store_counts

NOW = dt.datetime(2025, 2, 3, 7, 0, tzinfo=dt.UTC)


def test_a_job_run_is_added_then_finished(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        job_id = add_job_run(
            s,
            job="x" * 50,
            trigger="manual",
            status="running",
            message=None,
            started_at=NOW,
            finished_at=None,
            host="h" * 300,
            pid=42,
        )
    with sessions.begin() as s:
        assert finish_job_run(s, job_id, "ok", "4 stages ok", NOW + dt.timedelta(minutes=3))
        assert not finish_job_run(s, job_id + 1, "ok", "", NOW)
    with sessions() as s:
        row = s.get(JobRun, job_id)
        assert row is not None and (row.status, row.message) == ("ok", "4 stages ok")
        assert len(row.job) == 40 and len(row.host) == 200 and row.pid == 42
        assert row.finished_at == NOW + dt.timedelta(minutes=3)


def test_store_counts(sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        assert store_counts(s) == ({}, 0)
    with sessions.begin() as s:
        arts = [
            Article(
                url=f"https://example.org/{n}",
                title="t",
                text="x",
                content_hash=f"h{n}",
                language=lang,
            )
            for n, lang in enumerate(("en", "en", "fr", None))
        ]
        nvidia = Entity(key="nvidia", name="Nvidia", type="company")
        s.add_all([*arts, nvidia])
        s.flush()
        s.add_all(
            Mention(article_id=a.id, entity_id=nvidia.id, count=1, first_offset=0, salience=0.5)
            for a in arts[:2]
        )
    with sessions() as s:
        assert store_counts(s) == ({"en": 2, "fr": 1, "?": 1}, 1)
