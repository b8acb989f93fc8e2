"""Which stored articles `airace analyze` picks: the pipeline version and the stance model
recorded on each article (SQLite and PostgreSQL; no model is loaded)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from db.entities import mark_article
from db.models import Article
from nlp.analyze import pending_condition


def test_articles_decided_by_another_stance_model_are_analysed_again(sessions) -> None:  # type: ignore[no-untyped-def]
    now = dt.datetime.now(dt.UTC)
    rows = {
        "current": ("analysed", 2, "stance-b"),
        "older model": ("analysed", 2, "stance-a"),
        "rules only": ("analysed", 2, "rules"),
        "no model recorded": ("analysed", 2, None),
        "older pipeline": ("analysed", 1, "stance-b"),
        "skipped, same version": ("skipped", 2, None),
        "new": ("new", None, None),
    }
    with sessions.begin() as s:
        for i, (name, (status, version, model)) in enumerate(rows.items()):
            a = Article(url=f"https://x.example/{i}", title=name, text="t", content_hash=f"h{i}")
            s.add(a)
            s.flush()
            if version is not None:
                mark_article(s, a.id, status, None, version, now=now, stance_model=model)

    def picked(**kw: object) -> set[str]:
        cond = pending_condition(since=None, reprocess=False, started=now, version=2, **kw)  # type: ignore[arg-type]
        with sessions() as s:
            return set(s.scalars(select(Article.title).where(cond)))

    assert picked(stance_model="stance-b") == {
        "older model", "rules only", "no model recorded", "older pipeline", "new"
    }  # fmt: skip
    # without a model to compare (older callers), only the version counts
    assert picked() == {"older pipeline", "new"}
    with sessions() as s:
        a = s.scalars(select(Article).where(Article.title == "current")).one()
        assert a.stance_model == "stance-b"
