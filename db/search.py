"""Keyword search over article titles and texts: SQLite FTS5 or PostgreSQL full-text.

The index objects (`articles_fts` on SQLite, `articles_fts_gin` on PostgreSQL) are created by the
migration alembic/versions/0002_search.py. The query text is split into words here and the words
are OR-ed: BM25 (SQLite) or ts_rank (PostgreSQL) then puts articles holding more of them, more
often, first. Words are matched exactly (case and, on SQLite, accents ignored; no stemming), which
is what names and tickers need; fuzzy meaning is the semantic half's job (airace/search.py).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import TextClause, bindparam, text
from sqlalchemy.orm import Session

from db.base import UTCDateTime

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
