"""Entities, exposures and the analysis rows of an article (mentions, stances, themes, embedding).

Functions take a Session, add and select, and never commit: the caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from db.models import Article, Embedding, Entity, Exposure, Mention, Stance, Theme

_ENTITY_FIELDS = ("name", "type", "aliases", "ticker", "exchange", "country", "description")


def sync_kb(session: Session, records: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Upsert knowledge-base entities (origin "kb") and replace their exposures.

    `records` are plain dicts (see `nlp.kb.KnowledgeBase.records`): key, name, type, aliases,
    ticker, exchange, country, description, parent (a key), kb_version, exposures (list of
    {ticker, relation, weight, note}). A discovered entity with the same key becomes a KB entity.
    Returns key -> entity id for every record.
    """
    records = list(records)
    keys = [r["key"] for r in records]
    _insert_missing(
        session,
        [{"key": r["key"], "name": r["name"], "type": r["type"], "origin": "kb"} for r in records],
    )
    existing = {e.key: e for e in session.scalars(select(Entity).where(Entity.key.in_(keys)))}
    for r in records:
        e = existing[r["key"]]
        for f in _ENTITY_FIELDS:
            value = r.get(f)
            if f == "aliases":
                value = list(value or [])
            if getattr(e, f) != value:
                setattr(e, f, value)
        e.origin = "kb"
        e.kb_version = r.get("kb_version")
    session.flush()
    ids = {k: e.id for k, e in existing.items()}
    for r in records:
        e = existing[r["key"]]
        parent_id = ids.get(r.get("parent") or "")
        if e.parent_id != parent_id:
            e.parent_id = parent_id
    session.execute(delete(Exposure).where(Exposure.entity_id.in_(list(ids.values()))))
    for r in records:
        seen: set[str] = set()
        for x in r.get("exposures") or []:
            if x["ticker"] in seen:
                continue
            seen.add(x["ticker"])
            session.add(
                Exposure(
                    entity_id=ids[r["key"]],
                    ticker=x["ticker"],
                    relation=x["relation"],
                    weight=float(x["weight"]),
                    note=x.get("note") or None,
                )
            )
    session.flush()
    return ids


def entity_ids(session: Session, keys: Iterable[str]) -> dict[str, int]:
    """key -> id for the given keys that exist."""
    keys = list(set(keys))
    if not keys:
        return {}
    rows = session.execute(select(Entity.key, Entity.id).where(Entity.key.in_(keys)))
    return {k: i for k, i in rows}


def ensure_discovered(session: Session, candidates: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Insert candidate entities (origin "discovered") that do not exist yet; key -> id for all.

    Each candidate is {key, name, type, aliases?, parent?}; `parent` is the key of the entity it
    belongs to (a product's maker, an executive's company). An existing row is kept.
    """
    cands = {c["key"]: c for c in candidates}
    ids = entity_ids(session, cands)
    parents = entity_ids(session, [c["parent"] for c in cands.values() if c.get("parent")])
    _insert_missing(
        session,
        [
            {
                "key": key,
                "name": c["name"][:200],
                "type": c.get("type") or "other",
                "aliases": list(c.get("aliases") or [])[:10],
                "origin": "discovered",
                "parent_id": parents.get(c.get("parent") or ""),
            }
            for key, c in cands.items()
            if key not in ids
        ],
    )
    return entity_ids(session, cands)


def _insert_missing(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert entity rows whose key does not exist yet, tolerating a concurrent insert.

    `INSERT ... ON CONFLICT (key) DO NOTHING`: another process (an analysis beside this one)
    may insert the same new key between our SELECT and our INSERT; its row is then kept and the
    caller's next SELECT finds it, instead of this transaction failing on the unique key.
    """
    if not rows:
        return
    session.flush()
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt: Any = pg_insert(Entity).on_conflict_do_nothing(index_elements=[Entity.key])
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(Entity).on_conflict_do_nothing(index_elements=[Entity.key])
    else:  # no portable upsert: a plain insert (a concurrent insert fails this transaction)
        from sqlalchemy import insert

        stmt = insert(Entity)
    session.execute(stmt, [{"aliases": [], **row} for row in rows])


@dataclass
class MentionRow:
    """One mention row to store (entity by id)."""

    entity_id: int
    count: int
    first_offset: int
    in_title: bool
    salience: float
    surface: str | None


@dataclass
class StanceRow:
    entity_id: int
    score: float
    label: int
    confidence: float
    evidence: str | None


def clear_analysis(session: Session, article_ids: Sequence[int]) -> None:
    """Delete the mentions, stances, themes and embeddings of these articles (and take them out
    of the entity_days rollup)."""
    from db import entity_days

    ids = list(article_ids)
    if not ids:
        return
    entity_days.subtract_articles(session, ids)
    for model in (Mention, Stance, Theme, Embedding):
        session.execute(delete(model).where(model.article_id.in_(ids)))  # type: ignore[attr-defined]


def save_analysis(
    session: Session,
    article_id: int,
    *,
    mentions: Sequence[MentionRow],
    stances: Sequence[StanceRow],
    themes: Mapping[str, float],
    embedding: tuple[str, int, bytes] | None,
    version: int,
    language: str | None = None,
    now: dt.datetime | None = None,
    stance_model: str | None = None,
) -> None:
    """Replace an article's analysis rows and mark it analysed by pipeline `version` (and the
    stance model `stance_model`).

    `embedding` is (model name, dimension, little-endian float32 bytes) or None.
    """
    from db import entity_days

    clear_analysis(session, [article_id])
    entity_days.add_article(
        session,
        article_id,
        [(m.entity_id, m.count) for m in mentions],
        [(x.entity_id, x.label) for x in stances],
    )
    for m in mentions:
        session.add(
            Mention(
                article_id=article_id,
                entity_id=m.entity_id,
                count=m.count,
                first_offset=m.first_offset,
                in_title=m.in_title,
                salience=m.salience,
                surface=(m.surface or "")[:200] or None,
            )
        )
    for s in stances:
        session.add(
            Stance(
                article_id=article_id,
                entity_id=s.entity_id,
                score=s.score,
                label=s.label,
                confidence=s.confidence,
                evidence=s.evidence,
            )
        )
    for theme, score in themes.items():
        session.add(Theme(article_id=article_id, theme=theme, score=score))
    if embedding is not None:
        model, dim, vector = embedding
        session.add(Embedding(article_id=article_id, model=model[:200], dim=dim, vector=vector))
    mark_article(
        session,
        article_id,
        "analysed",
        None,
        version,
        language=language,
        now=now,
        stance_model=stance_model,
    )


def mark_article(
    session: Session,
    article_id: int,
    status: str,
    reason: str | None,
    version: int,
    *,
    language: str | None = None,
    now: dt.datetime | None = None,
    stance_model: str | None = None,
) -> None:
    """Set an article's status (analysed | skipped | failed), reason, analysis version and the
    stance model that decided it."""
    article = session.get(Article, article_id)
    if article is None:
        return
    article.status = status
    article.status_reason = reason
    article.analysis_version = version
    article.stance_model = stance_model
    article.analysed_at = now or dt.datetime.now(dt.UTC)
    if language and not article.language:
        article.language = language


# --- reading ---------------------------------------------------------------------------------


def mentions_of_article(session: Session, article_id: int) -> list[tuple[Mention, Entity]]:
    """The article's mentions with their entities, most salient first."""
    stmt = (
        select(Mention, Entity)
        .join(Entity, Entity.id == Mention.entity_id)
        .where(Mention.article_id == article_id)
        .order_by(Mention.salience.desc(), Entity.key)
    )
    return [(m, e) for m, e in session.execute(stmt)]


def stances_of_article(session: Session, article_id: int) -> list[tuple[Stance, Entity]]:
    stmt = (
        select(Stance, Entity)
        .join(Entity, Entity.id == Stance.entity_id)
        .where(Stance.article_id == article_id)
        .order_by(Entity.key)
    )
    return [(s, e) for s, e in session.execute(stmt)]


def themes_of_article(session: Session, article_id: int) -> dict[str, float]:
    rows = session.execute(select(Theme.theme, Theme.score).where(Theme.article_id == article_id))
    return {t: s for t, s in rows}
