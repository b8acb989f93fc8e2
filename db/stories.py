"""Stories and novelty: what the stories stage reads and writes. Functions take a Session, never commit.

The stage itself (grouping, novelty rules) is nlp/stories.py; these are its queries.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, text, update
from sqlalchemy.orm import Session

from db.models import Article, Embedding, Entity, Mention, Novelty, Story, StoryArticle

_CHUNK = 900
# Characters of the body read for numbers and dates (the lede carries the facts of a report).
TEXT_HEAD = 1500


@dataclass(frozen=True)
class StoryInput:
    """What the grouping needs of one article (no body beyond its first TEXT_HEAD characters)."""

    id: int
    published_at: dt.datetime | None
    precision: str
    language: str | None
    title: str
    head: str
    simhash: int | None


def pending_start(
    session: Session, version: int, since: dt.datetime | None = None
) -> tuple[dt.datetime | None, bool]:
    """(earliest publication time of an analysed article with no story row at `version`,
    whether some pending article has no usable time). Only articles published at or after
    `since` count when it is given."""
    done = select(StoryArticle.article_id).where(
        StoryArticle.article_id == Article.id, StoryArticle.version == version
    )
    base = select(func.min(Article.published_at)).where(
        Article.status == "analysed", ~done.exists()
    )
    if since is not None:
        base = base.where(Article.published_at >= since)
    dated = base.where(Article.published_precision.in_(("exact", "day")))
    first = session.scalar(dated)
    undated = select(func.count()).where(
        Article.status == "analysed",
        ~done.exists(),
        or_(Article.published_at.is_(None), Article.published_precision.in_(("month", "unknown"))),
    )
    if since is not None:
        undated = undated.where(Article.published_at >= since)
    return first, bool(session.scalar(undated))


def story_inputs(
    session: Session, start: dt.datetime | None, *, undated: bool = False, version: int = 0
) -> list[StoryInput]:
    """Analysed articles with an exact or day publication time at or after `start`, oldest first
    (ties by id). With `undated`, instead: the analysed articles without a usable time that have
    no row at `version`."""
    cols = (
        Article.id,
        Article.published_at,
        Article.published_precision,
        Article.language,
        Article.title,
        func.coalesce(Article.description, "").label("description"),
        func.substr(Article.text, 1, TEXT_HEAD).label("head"),
        Article.simhash,
    )
    stmt = select(*cols).where(Article.status == "analysed")
    if undated:
        done = select(StoryArticle.article_id).where(
            StoryArticle.article_id == Article.id, StoryArticle.version == version
        )
        stmt = stmt.where(
            ~done.exists(),
            or_(
                Article.published_at.is_(None),
                Article.published_precision.in_(("month", "unknown")),
            ),
        ).order_by(Article.id)
    else:
        stmt = stmt.where(Article.published_precision.in_(("exact", "day")))
        if start is not None:
            stmt = stmt.where(Article.published_at >= start)
        stmt = stmt.order_by(Article.published_at, Article.id)
    return [
        StoryInput(
            r.id,
            r.published_at,
            r.published_precision,
            r.language,
            r.title or "",
            f"{r.description}\n{r.head or ''}",
            r.simhash,
        )
        for r in session.execute(stmt)
    ]


def article_entities(
    session: Session, ids: Sequence[int]
) -> dict[int, list[tuple[int, str | None]]]:
    """article id -> [(entity id, ticker)] of the entities it mentions."""
    out: dict[int, list[tuple[int, str | None]]] = defaultdict(list)
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        for aid, eid, ticker in session.execute(
            select(Mention.article_id, Mention.entity_id, Entity.ticker)
            .join(Entity, Entity.id == Mention.entity_id)
            .where(Mention.article_id.in_(chunk))
        ):
            out[aid].append((eid, ticker))
    return out


def article_vectors(session: Session, ids: Sequence[int]) -> dict[int, tuple[str, int, bytes]]:
    """article id -> (model, dim, float32 bytes) of its stored embedding."""
    out: dict[int, tuple[str, int, bytes]] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        for aid, model, dim, vector in session.execute(
            select(Embedding.article_id, Embedding.model, Embedding.dim, Embedding.vector).where(
                Embedding.article_id.in_(chunk)
            )
        ):
            out[aid] = (model, dim, bytes(vector))
    return out


def assigned_stories(session: Session, ids: Sequence[int]) -> dict[int, int]:
    """article id -> story id, for the articles `ids` that have one."""
    out: dict[int, int] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        out.update(
            session.execute(
                select(StoryArticle.article_id, StoryArticle.story_id).where(
                    StoryArticle.article_id.in_(chunk)
                )
            ).tuples()
        )
    return out


def clear_articles(session: Session, ids: Sequence[int]) -> set[int]:
    """Remove the story and novelty rows of the articles `ids`; return the stories they were in."""
    touched: set[int] = set()
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        touched.update(
            session.scalars(
                select(StoryArticle.story_id).where(StoryArticle.article_id.in_(chunk)).distinct()
            )
        )
        session.execute(delete(Novelty).where(Novelty.article_id.in_(chunk)))
        session.execute(delete(StoryArticle).where(StoryArticle.article_id.in_(chunk)))
    return touched


def next_story_id(session: Session) -> int:
    return int(session.scalar(select(func.coalesce(func.max(Story.id), 0))) or 0) + 1


def save_story_rows(
    session: Session,
    stories: Sequence[Mapping[str, Any]],
    story_articles: Sequence[Mapping[str, Any]],
    novelty: Sequence[Mapping[str, Any]],
) -> None:
    """Insert new stories (explicit ids), article assignments and novelty rows."""
    now = dt.datetime.now(dt.UTC)
    if stories:
        session.execute(
            insert(Story),
            [{"article_count": 0, "languages": [], "computed_at": now, **r} for r in stories],
        )
        if session.get_bind().dialect.name == "postgresql":
            # explicit ids do not move the sequence; keep it past them
            session.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('stories', 'id'), "
                    "(SELECT max(id) FROM stories))"
                )
            )
    for start in range(0, len(story_articles), 5000):
        session.execute(
            insert(StoryArticle),
            [{"computed_at": now, **r} for r in story_articles[start : start + 5000]],
        )
    for start in range(0, len(novelty), 5000):
        session.execute(
            insert(Novelty),
            list(novelty[start : start + 5000]),
        )


def refresh_stories(session: Session, story_ids: Iterable[int]) -> int:
    """Recompute first article, times, count and languages of `story_ids`; delete empty ones.

    Returns the number of stories deleted.
    """
    ids = sorted(set(story_ids))
    deleted = 0
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        members: dict[int, list[tuple[dt.datetime | None, int, str | None]]] = defaultdict(list)
        for sid, aid, when, lang in session.execute(
            select(StoryArticle.story_id, Article.id, Article.published_at, Article.language)
            .join(Article, Article.id == StoryArticle.article_id)
            .where(StoryArticle.story_id.in_(chunk))
        ):
            members[sid].append((when, aid, lang))
        empty = [sid for sid in chunk if sid not in members]
        if empty:
            session.execute(delete(Story).where(Story.id.in_(empty)))
            deleted += len(empty)
        for sid, rows in members.items():
            far = dt.datetime.max.replace(tzinfo=dt.UTC)
            rows.sort(key=lambda r: (r[0] or far, r[1]))
            times = [r[0] for r in rows if r[0] is not None]
            session.execute(
                update(Story)
                .where(Story.id == sid)
                .values(
                    first_article_id=rows[0][1],
                    started_at=times[0] if times else None,
                    last_at=times[-1] if times else None,
                    article_count=len(rows),
                    languages=sorted({r[2] for r in rows if r[2]}),
                )
            )
    return deleted


def novelty_of(
    session: Session, article_ids: Sequence[int]
) -> dict[tuple[int, int], tuple[bool, int]]:
    """(article id, entity id) -> (novel, story id) for the articles `article_ids`."""
    out: dict[tuple[int, int], tuple[bool, int]] = {}
    for start in range(0, len(article_ids), _CHUNK):
        chunk = list(article_ids[start : start + _CHUNK])
        for aid, eid, novel, sid in session.execute(
            select(Novelty.article_id, Novelty.entity_id, Novelty.novel, Novelty.story_id).where(
                Novelty.article_id.in_(chunk)
            )
        ):
            out[(aid, eid)] = (bool(novel), sid)
    return out


def stories_of(session: Session, article_ids: Sequence[int]) -> dict[int, tuple[int, str]]:
    """article id -> (story id, kind: first | follow_up | copy)."""
    out: dict[int, tuple[int, str]] = {}
    for start in range(0, len(article_ids), _CHUNK):
        chunk = list(article_ids[start : start + _CHUNK])
        for aid, sid, kind in session.execute(
            select(StoryArticle.article_id, StoryArticle.story_id, StoryArticle.kind).where(
                StoryArticle.article_id.in_(chunk)
            )
        ):
            out[aid] = (sid, kind)
    return out


def novel_article_filter(entity_ids: Sequence[int] | None = None) -> Any:
    """A WHERE clause on Article: the article is the first report of its story for at least one
    entity (of `entity_ids` when given); articles the stories stage has not seen are left out."""
    sub = select(Novelty.article_id).where(
        and_(Novelty.article_id == Article.id, Novelty.novel.is_(True))
    )
    if entity_ids is not None:
        sub = sub.where(Novelty.entity_id.in_(list(entity_ids)))
    return sub.exists()
