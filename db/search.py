"""Keyword search over article titles and texts: SQLite FTS5 or PostgreSQL full-text.

The index objects (`articles_fts` on SQLite, `articles_fts_gin` on PostgreSQL) are created by the
migration alembic/versions/0002_search.py. The query text is split into words here and the words
are OR-ed: BM25 (SQLite) or ts_rank (PostgreSQL) then puts articles holding more of them, more
often, first. Words are matched exactly (case and, on SQLite, accents ignored; no stemming), which
is what names and tickers need; fuzzy meaning is the semantic half's job (below).

`search` blends both halves. The semantic half needs an encoder (nlp.embeddings.Embedder): the
caller passes it in, so db/ imports nothing of nlp.

Semantic similarity is blended with keyword matching by reciprocal-rank fusion.

The semantic half embeds the query with the same model that embedded the articles and compares it
with every stored vector of that model (one query loads them into a numpy matrix; vectors of other
models are never compared). The keyword half (above: SQLite FTS5 or PostgreSQL full-text)
finds names and tickers exactly. Each half ranks its best `candidates`; an article's score is
sum(weight / (RRF_K + rank)) over the halves that found it, so an article both halves rank high
comes first, and an exact name match is never drowned by near-synonyms.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import TextClause, bindparam, select, text
from sqlalchemy.orm import Session

from db.base import UTCDateTime
from db.queries import article_basics

if TYPE_CHECKING:
    import numpy as np

# Kept identical to the expression of the GIN index in the 0002 migration, or PostgreSQL
# would not use the index.
PG_DOCUMENT = (
    "to_tsvector('simple'::regconfig, coalesce(a.title, '') || ' ' || coalesce(a.text, ''))"
)

# Words too common to say anything about an article (EN + FR); they would match most rows. In an
# AI-news store "AI"/"IA" match nearly everything too.
_STOPWORDS_TEXT = """a an and are as at be but by for from has have in into is it its of on or that the
this to was were will with do does did what which who how why when about after over than more most ai
au aux avec ce ces dans de des du elle en est et il ils la le les leur lui mais ne nous ou
par pas plus pour qu que qui sa se ses son sur un une vous d l s c n j ia"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
_WORD = re.compile(r"[\w$^][\w.&-]*", re.UNICODE)


@dataclass(frozen=True)
class KeywordHit:
    """An article matching the query and its rank (1 = best) among the matches."""

    article_id: int
    rank: int
    score: float


def query_terms(query: str) -> list[str]:
    """The words of `query` worth matching: lower-cased, stopwords dropped, order kept, unique.

    Tickers keep their inner dots and dashes (BRK.B, 9984.T); a leading `$` or `^` is dropped.
    """
    seen: dict[str, None] = {}
    for m in _WORD.finditer(query.lower()):
        word = m.group(0).lstrip("$^").strip(".-&")
        if word and word not in STOPWORDS and (len(word) > 1 or word.isdigit()):
            seen.setdefault(word, None)
    return list(seen)


def _fts5_match(terms: list[str]) -> str:
    # Each term is a quoted FTS5 string (a phrase when the tokenizer splits it, e.g. 9984.T),
    # so no user input is ever read as FTS5 syntax.
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)


def keyword_search(
    session: Session,
    query: str,
    *,
    limit: int = 100,
    since: dt.datetime | None = None,
) -> list[KeywordHit]:
    """Articles matching the words of `query`, best first (at most `limit`).

    `since` keeps articles published at or after that instant. Returns [] when the query has no
    searchable word or the database has no keyword index (an unknown backend).
    """
    terms = query_terms(query)
    if not terms:
        return []
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        rows = _sqlite(session, terms, limit, since)
    elif dialect == "postgresql":
        rows = _postgres(session, terms, limit, since)
    else:
        return []
    return [KeywordHit(int(aid), i + 1, float(score)) for i, (aid, score) in enumerate(rows)]


def _sqlite(
    session: Session, terms: list[str], limit: int, since: dt.datetime | None
) -> list[tuple[int, float]]:
    # bm25() is lower-is-better; the title counts three times as much as the body.
    where = ""
    params: dict[str, object] = {"q": _fts5_match(terms), "limit": limit}
    if since is not None:
        where = "AND a.published_at >= :since"
        params["since"] = since
    sql = f"""
        SELECT f.rowid, -bm25(articles_fts, 3.0, 1.0) AS score
        FROM articles_fts AS f JOIN articles AS a ON a.id = f.rowid
        WHERE articles_fts MATCH :q {where}
        ORDER BY bm25(articles_fts, 3.0, 1.0)
        LIMIT :limit
    """
    return [(r[0], r[1]) for r in session.execute(_typed(sql), params)]


def _postgres(
    session: Session, terms: list[str], limit: int, since: dt.datetime | None
) -> list[tuple[int, float]]:
    # websearch_to_tsquery never raises on odd input; "or" between the words makes it a union.
    where = ""
    params: dict[str, object] = {"q": " or ".join(terms), "limit": limit}
    if since is not None:
        where = "AND a.published_at >= :since"
        params["since"] = since
    sql = f"""
        SELECT a.id, ts_rank({PG_DOCUMENT}, q) AS score
        FROM articles AS a, websearch_to_tsquery('simple'::regconfig, :q) AS q
        WHERE {PG_DOCUMENT} @@ q {where}
        ORDER BY score DESC, a.id DESC
        LIMIT :limit
    """
    return [(r[0], r[1]) for r in session.execute(_typed(sql), params)]


def _typed(sql: str) -> TextClause:
    # `since` goes through the column's own type, so SQLite gets the exact stored text format.
    stmt = text(sql)
    if ":since" in sql:
        stmt = stmt.bindparams(bindparam("since", type_=UTCDateTime))
    return stmt


# ---------------------------------------------------------------------------------------------
# Entities named in the query: a ticker, a name, a key or an alias of the knowledge base


@dataclass(frozen=True)
class EntityHit:
    article_id: int
    rank: int
    entity_id: int


def _fold(value: str) -> str:
    return " ".join(value.casefold().split())


def _phrases(query: str, longest: int = 4) -> set[str]:
    """The query, and every run of up to `longest` of its words, folded ("nvidia corporation")."""
    words = [w.lstrip("$^").strip(".,;:!?()[]\"'") for w in query.split()]
    words = [w.casefold() for w in words if w]
    out = {" ".join(words)}
    for n in range(1, longest + 1):
        out.update(" ".join(words[i : i + n]) for i in range(len(words) - n + 1))
    return {p for p in out if p and p not in STOPWORDS}


def named_entities(session: Session, query: str) -> list[int]:
    """Ids of the entities the query names: a ticker (NVDA, 9984.T), a name, key or alias (case
    ignored), plus the children of an entity named by its ticker (GOOGL: Google DeepMind)."""
    from db.models import Entity

    phrases = _phrases(query)
    if not phrases:
        return []
    rows = session.execute(
        select(Entity.id, Entity.key, Entity.name, Entity.ticker, Entity.aliases, Entity.parent_id)
    ).all()
    by_ticker = {r.id for r in rows if r.ticker and r.ticker.casefold() in phrases}
    named = {
        r.id
        for r in rows
        if _fold(r.name) in phrases
        or _fold(r.key) in phrases
        or any(_fold(a) in phrases for a in (r.aliases or []) if len(a) > 1)
    }
    children = {r.id for r in rows if r.parent_id in by_ticker}
    return sorted(by_ticker | named | children)


def entity_search(
    session: Session,
    query: str,
    *,
    limit: int = 100,
    since: dt.datetime | None = None,
) -> list[EntityHit]:
    """Articles linked to an entity the query names (see `named_entities`), the ones where it is
    most salient first, then the newest (highest id).

    One ordered, limited read per entity on ix_mentions_entity_salience (migration 0008), so a
    popular entity costs `limit` rows, not all its mentions; the lists are merged here.
    """
    from db.models import Article, Mention

    hits: list[tuple[float, int, int]] = []
    for eid in named_entities(session, query):
        stmt = select(Mention.salience, Mention.article_id).where(Mention.entity_id == eid)
        if since is not None:
            stmt = stmt.where(
                select(Article.id)
                .where(Article.id == Mention.article_id, Article.published_at >= since)
                .exists()
            )
        stmt = stmt.order_by(Mention.salience.desc(), Mention.article_id.desc()).limit(limit)
        hits.extend((float(sal), int(aid), eid) for sal, aid in session.execute(stmt))
    hits.sort(key=lambda h: (-h[0], -h[1]))
    seen: dict[int, int] = {}
    for _, aid, eid in hits:
        seen.setdefault(aid, eid)
        if len(seen) == limit:
            break
    return [EntityHit(aid, n + 1, eid) for n, (aid, eid) in enumerate(seen.items())]


# ---------------------------------------------------------------------------------------------
# Semantic search and the fusion of the halves


# The usual constant of reciprocal-rank fusion (Cormack et al., 2009): damps the top ranks.
RRF_K = 60
SEARCH_FIELDS = (
    "id",
    "url",
    "title",
    "source",
    "language",
    "published_at",
    "score",
    "similarity",
    "semantic_rank",
    "keyword_rank",
    "entity_rank",
)


class TextEncoder(Protocol):
    """What search needs of nlp.embeddings.Embedder: a model name and normalised vectors."""

    name: str

    def encode(self, texts: list[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class SemanticHit:
    article_id: int
    rank: int
    similarity: float


def load_vectors(
    session: Session, model: str, *, since: dt.datetime | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(article ids, float32 matrix n x dim) of every stored vector of `model`, in one query.

    Rows of another dimension than the first (a model name reused for a different model) are
    left out rather than compared. The statement is plain text so the driver's bytes reach
    numpy without a per-row type conversion (100,000 vectors: about half the time).
    """
    import numpy as np

    sql = "SELECT e.article_id, e.dim, e.vector FROM embeddings AS e"
    params: dict[str, Any] = {"model": model}
    if since is not None:
        sql += " JOIN articles AS a ON a.id = e.article_id AND a.published_at >= :since"
        params["since"] = since
    stmt = text(sql + " WHERE e.model = :model")
    if since is not None:
        stmt = stmt.bindparams(bindparam("since", type_=UTCDateTime))
    rows = session.execute(stmt, params).all()
    if not rows:
        return np.empty(0, dtype=np.int64), np.empty((0, 0), dtype=np.float32)
    dim = rows[0][1]
    rows = [r for r in rows if r[1] == dim and len(r[2]) == 4 * dim]
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    matrix = np.frombuffer(b"".join(r[2] for r in rows), dtype="<f4").reshape(len(rows), dim)
    return ids, matrix


@dataclass
class _Cached:
    stamp: tuple[Any, ...]
    loaded: float
    ids: np.ndarray
    unit: np.ndarray  # rows scaled to unit length


# A process that searches many times (a server, the bench, a notebook) keeps the matrix between
# calls. It is reloaded when the newest vector of the model changes, and at least every
# CACHE_SECONDS (a vector re-computed in place keeps its article id).
CACHE_SECONDS = 300.0
_CACHE: dict[tuple[str, str, dt.datetime | None], _Cached] = {}


def _stamp(session: Session, model: str) -> tuple[Any, ...]:
    # Walks the primary key from the end: instant while the newest vectors are of this model.
    newest = session.execute(
        text(
            "SELECT article_id FROM embeddings WHERE model = :model "
            "ORDER BY article_id DESC LIMIT 1"
        ),
        {"model": model},
    ).scalar()
    return (newest,)


def unit_vectors(
    session: Session, model: str, *, since: dt.datetime | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(ids, unit-length matrix) for `model`, from the process cache when it is still current."""
    import time

    import numpy as np

    key = (str(session.get_bind().engine.url), model, since)
    stamp = _stamp(session, model)
    hit = _CACHE.get(key)
    if hit and hit.stamp == stamp and time.monotonic() - hit.loaded < CACHE_SECONDS:
        return hit.ids, hit.unit
    ids, matrix = load_vectors(session, model, since=since)
    if len(ids):
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        matrix = matrix / norms
    _CACHE[key] = _Cached(stamp, time.monotonic(), ids, matrix)
    return ids, matrix


def semantic_search(
    session: Session,
    query: str,
    encoder: TextEncoder,
    *,
    limit: int = 100,
    since: dt.datetime | None = None,
) -> list[SemanticHit]:
    """The `limit` articles whose vectors are closest (cosine) to the query's, best first."""
    import numpy as np

    ids, unit = unit_vectors(session, encoder.name, since=since)
    if not len(ids):
        return []
    q = _encode_query(encoder, query)
    if q.shape[0] != unit.shape[1]:
        return []  # stored vectors come from a model of another size under the same name
    sims = unit @ (q / (float(np.linalg.norm(q)) or 1.0))
    k = min(limit, len(sims))
    top = np.argpartition(-sims, k - 1)[:k]
    top = top[np.argsort(-sims[top], kind="stable")]
    return [SemanticHit(int(ids[i]), n + 1, float(sims[i])) for n, i in enumerate(top)]


def _encode_query(encoder: TextEncoder, query: str) -> np.ndarray:
    """The query's vector. One short text gains nothing from torch's intra-op threads, and on a
    busy machine their spin-waits cost 10-40x (measured: 1.7 s with 2 threads, 40 ms with 1), so
    the encoding runs on one thread and the previous setting is restored."""
    import sys

    import numpy as np

    torch = sys.modules.get("torch")
    threads = torch.get_num_threads() if torch is not None else None
    try:
        if torch is not None:
            torch.set_num_threads(1)
        return np.asarray(encoder.encode([query]), dtype=np.float32)[0]
    finally:
        if torch is not None and threads:
            torch.set_num_threads(threads)


def search(
    session: Session,
    query: str,
    *,
    encoder: TextEncoder | None,
    limit: int = 10,
    since: dt.date | None = None,
    candidates: int = 100,
    keyword_weight: float = 1.0,
    semantic_weight: float = 1.0,
    entity_weight: float = 1.0,
) -> list[dict[str, Any]]:
    """Articles for `query`, best first, as rows with SEARCH_FIELDS.

    `encoder` None searches by keywords only. `since` keeps articles published on or after that
    UTC day. `similarity` is the cosine of the query and the article (None when only the keyword
    half found it); `semantic_rank`/`keyword_rank` are the article's rank in each half (None when
    that half did not find it among its `candidates`). A third list, `entity_rank`, holds the
    articles linked to an entity the query names by ticker, name or alias (`entity_search`), so
    `NVDA` finds the Nvidia stories that never print the ticker.
    """
    since_at = dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC) if since else None
    semantic = (
        semantic_search(session, query, encoder, limit=candidates, since=since_at)
        if encoder is not None
        else []
    )
    keyword = keyword_search(session, query, limit=candidates, since=since_at)
    linked = entity_search(session, query, limit=candidates, since=since_at)
    scores: dict[int, float] = {}
    sem_by_id = {h.article_id: h for h in semantic}
    kw_by_id = {h.article_id: h for h in keyword}
    for h in semantic:
        scores[h.article_id] = scores.get(h.article_id, 0.0) + semantic_weight / (RRF_K + h.rank)
    for k in keyword:
        scores[k.article_id] = scores.get(k.article_id, 0.0) + keyword_weight / (RRF_K + k.rank)
    ent_by_id = {h.article_id: h for h in linked}
    for e in linked:
        scores[e.article_id] = scores.get(e.article_id, 0.0) + entity_weight / (RRF_K + e.rank)
    ranked = sorted(scores, key=lambda aid: (-scores[aid], aid))[:limit]
    base = article_basics(session, ranked)
    out = []
    for aid in ranked:
        if aid not in base:
            continue
        sem, kw = sem_by_id.get(aid), kw_by_id.get(aid)
        out.append(
            {
                **base[aid],
                "score": scores[aid],
                "similarity": sem.similarity if sem else None,
                "semantic_rank": sem.rank if sem else None,
                "keyword_rank": kw.rank if kw else None,
                "entity_rank": ent_by_id[aid].rank if aid in ent_by_id else None,
            }
        )
    return out
