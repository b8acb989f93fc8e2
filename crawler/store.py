"""ArticleStore: dedupe and store candidates in small committed batches.

One store serves a whole crawl (all sources) or an ingest. It keeps the URLs and fingerprints
already in the database in memory, so a URL stored before is not fetched again and a syndicated
copy (same content hash, or a SimHash within 3 bits) becomes a `duplicates` row of the first
article. Writes go into a batch that is committed every `batch_size` articles or `batch_seconds`:
a crawl killed with SIGKILL keeps every committed batch, and the next run fetches the rest.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from crawler.candidates import Candidate
from crawler.fingerprints import NEAR_DUPLICATE_DISTANCE, hamming
from db import articles as db_articles
from db.models import Article

ArticleRef = int | Article

log = logging.getLogger(__name__)
SIMHASH_MIN_WORDS = 50  # below this, SimHash is too coarse to call two texts the same story
_BANDS = 4  # 64 bits in 4 bands of 16: texts within 3 bits share at least one band exactly


def _bands(value: int) -> list[tuple[int, int]]:
    unsigned = value & ((1 << 64) - 1)
    return [(i, (unsigned >> (16 * i)) & 0xFFFF) for i in range(_BANDS)]


class ArticleStore:
    """The database side of a crawl or an ingest. Not thread-safe (Scrapy runs in one thread)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        run_id: int | None = None,
        sources: Iterable[Mapping[str, Any]] = (),
        batch_size: int = 20,
        batch_seconds: float = 2.0,
    ) -> None:
        self.sessions = sessions
        self.run_id = run_id
        self.batch_size = batch_size
        self.batch_seconds = batch_seconds
        with sessions.begin() as session:
            self.source_ids = db_articles.save_sources(session, sources)
            self.source_ids.update(db_articles.source_ids(session))
            self.known: set[str] = db_articles.known_urls(session)
            prints = db_articles.fingerprints(session)
        # Article refs: a stored id, or an Article of the open batch not flushed yet (its id is
        # only needed when a duplicate points at it; then the batch is flushed).
        self.by_url: dict[str, ArticleRef] = {}
        self.by_hash: dict[str, ArticleRef] = {}
        self.by_band: dict[tuple[int, int], list[tuple[int, ArticleRef]]] = defaultdict(list)
        for article_id, chash, shash in prints:
            self._index(article_id, chash, shash)
        self._session: Session | None = None
        self._pending = 0
        self._articles: list[Article] = []
        self._batch_started = 0.0
        self.committed = 0

    # ------------------------------------------------------------------ lookups
    def _index(self, article_id: ArticleRef, chash: str, shash: int | None) -> None:
        self.by_hash.setdefault(chash, article_id)
        if shash is not None:
            for band in _bands(shash):
                self.by_band[band].append((shash, article_id))

    def is_known(self, url: str) -> bool:
        """True when the (canonical) URL is already stored as an article or a duplicate."""
        return url in self.known

    def find_duplicate(self, c: Candidate) -> tuple[str, int] | None:
        """(method, article id) when the candidate repeats a stored article, else None."""
        if c.url in self.known:
            ref = self.by_url.get(c.url)
            article_id = self._resolve(ref) if ref is not None else self._article_id_by_url(c.url)
            if article_id is not None:
                return "canonical", article_id
        if c.content_hash and c.content_hash in self.by_hash:
            return "content_hash", self._resolve(self.by_hash[c.content_hash])
        if c.simhash is not None and c.word_count >= SIMHASH_MIN_WORDS:
            for band in _bands(c.simhash):
                for other, ref in self.by_band.get(band, ()):
                    if hamming(other, c.simhash) <= NEAR_DUPLICATE_DISTANCE:
                        return "simhash", self._resolve(ref)
        return None

    def _resolve(self, ref: ArticleRef) -> int:
        if isinstance(ref, int):
            return ref
        if ref.id is None and self._session is not None:
            self._session.flush()
        assert ref.id is not None
        return ref.id

    def _article_id_by_url(self, url: str) -> int | None:
        session = self._batch()
        return db_articles.article_id_by_url(session, url)

    # ------------------------------------------------------------------ writes
    def _batch(self) -> Session:
        if self._session is None:
            self._session = self.sessions()
            self._session.begin()
            self._batch_started = time.monotonic()
        return self._session

    def add(self, c: Candidate) -> Article:
        """Store a new article in the current batch (its id is set once the batch is flushed)."""
        session = self._batch()
        article = db_articles.add_article(
            session,
            flush=False,
            source_id=self.source_ids.get(c.source or ""),
            crawl_run_id=self.run_id,
            **c.article_fields(),
        )
        self.known.add(c.url)
        if c.original_url:
            self.known.add(c.original_url)
        self.by_url[c.url] = article
        self._articles.append(article)
        self._index(article, c.content_hash, c.simhash)
        self._pending += 1
        self.maybe_commit()
        return article

    def add_duplicate(self, url: str, article_id: int, method: str, source: str | None) -> None:
        """Record a URL as a duplicate of a stored article."""
        if url in self.known:
            return
        session = self._batch()
        db_articles.add_duplicate(
            session, url, article_id, method, self.source_ids.get(source or "")
        )
        self.known.add(url)
        self._pending += 1
        self.maybe_commit()

    def write_in_batch(self, write: Callable[[Session], None], rows: int) -> None:
        """Run `write(session)` in the current batch, so its rows commit with the articles (one
        writer: SQLite allows no second one while the batch is open)."""
        write(self._batch())
        self._pending += rows
        self.maybe_commit()

    def maybe_commit(self) -> None:
        """Commit when the batch is full or old enough."""
        if self._session is None:
            return
        if (
            self._pending >= self.batch_size
            or time.monotonic() - self._batch_started >= self.batch_seconds
        ):
            self.commit()

    def commit(self) -> int:
        """Commit the current batch; returns how many rows it held (0 when it failed)."""
        if self._session is None:
            return 0
        session, pending, articles = self._session, self._pending, self._articles
        self._session, self._pending, self._articles = None, 0, []
        try:
            session.commit()
            self._freeze_refs(articles)
        except IntegrityError as e:  # another writer stored the same URL meanwhile
            session.rollback()
            log.warning("batch of %d rows rolled back: %s", pending, e.orig)
            self._reload()
            pending = 0
        finally:
            session.close()
        self.committed += pending
        return pending

    def _freeze_refs(self, articles: list[Article]) -> None:
        """After a commit, index the batch's articles by plain id instead of by object."""
        for article in articles:
            if self.by_url.get(article.url) is article:
                self.by_url[article.url] = article.id
            if self.by_hash.get(article.content_hash) is article:
                self.by_hash[article.content_hash] = article.id
            if article.simhash is not None:
                for band in _bands(article.simhash):
                    entries = self.by_band[band]
                    for i, (shash, ref) in enumerate(entries):
                        if ref is article:
                            entries[i] = (shash, article.id)

    def _reload(self) -> None:
        """Rebuild the in-memory indexes from the database (after a failed batch)."""
        with self.sessions.begin() as session:
            self.known = db_articles.known_urls(session)
            prints = db_articles.fingerprints(session)
        self.by_url, self.by_hash = {}, {}
        self.by_band = defaultdict(list)
        for article_id, chash, shash in prints:
            self._index(article_id, chash, shash)

    def write_run(
        self,
        totals: Mapping[str, int],
        stats: Mapping[str, Any],
        status: str | None = None,
        finished: bool = False,
    ) -> None:
        """Commit the batch, then the crawl run's counters (its own small transaction)."""
        self.commit()
        if self.run_id is None:
            return
        with self.sessions.begin() as session:
            db_articles.update_crawl_run(session, self.run_id, totals, stats, status, finished)

    def close(self) -> None:
        """Commit what is pending."""
        self.commit()
