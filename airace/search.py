"""`airace search`: semantic similarity blended with keyword matching by reciprocal-rank fusion.

The semantic half embeds the query with the same model that embedded the articles and compares it
with every stored vector of that model (one query loads them into a numpy matrix; vectors of other
models are never compared). The keyword half (db/search.py: SQLite FTS5 or PostgreSQL full-text)
finds names and tickers exactly. Each half ranks its best `candidates`; an article's score is
sum(weight / (RRF_K + rank)) over the halves that found it, so an article both halves rank high
comes first, and an exact name match is never drowned by near-synonyms.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from db.base import UTCDateTime
from db.queries import article_basics
from db.search import keyword_search

if TYPE_CHECKING:
    import numpy as np

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
) -> list[dict[str, Any]]:
    """Articles for `query`, best first, as rows with SEARCH_FIELDS.

    `encoder` None searches by keywords only. `since` keeps articles published on or after that
    UTC day. `similarity` is the cosine of the query and the article (None when only the keyword
    half found it); `semantic_rank`/`keyword_rank` are the article's rank in each half (None when
    that half did not find it among its `candidates`).
    """
    since_at = dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC) if since else None
    semantic = (
        semantic_search(session, query, encoder, limit=candidates, since=since_at)
        if encoder is not None
        else []
    )
    keyword = keyword_search(session, query, limit=candidates, since=since_at)
    scores: dict[int, float] = {}
    sem_by_id = {h.article_id: h for h in semantic}
    kw_by_id = {h.article_id: h for h in keyword}
    for h in semantic:
        scores[h.article_id] = scores.get(h.article_id, 0.0) + semantic_weight / (RRF_K + h.rank)
    for k in keyword:
        scores[k.article_id] = scores.get(k.article_id, 0.0) + keyword_weight / (RRF_K + k.rank)
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
            }
        )
    return out
