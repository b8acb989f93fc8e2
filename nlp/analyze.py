"""Analyse stored articles: the `airace analyze` stage.

`analyze_pending` picks the articles that are new or were analysed by an older pipeline version
(all of them with `reprocess`), claims a batch (db.claims, so PostgreSQL workers can share the
backlog), analyses it with an `Analyzer`, and writes each article's mentions, stances, themes and
embedding together with its status in ONE transaction per batch. A run killed at any point leaves
every article either fully analysed or untouched; the next run picks up the rest (claims left by
a dead process on this host are released at start; other hosts' expire with their lease).

`run_worker` is the same loop for `airace analyze --worker`: several processes (on PostgreSQL)
share the backlog; each renews its batch's lease while analysing it, so only a dead worker's
claims expire, and writes of shared rows (entities) are serialised by `db.claims`.

A bad article (empty, binary, too long, no sentence) is marked `skipped` with the reason; one whose
analysis raised is marked `failed`. Both are counted and keep the current analysis version, so
they are not retried until the pipeline changes (or `--reprocess`).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, and_, func, or_, select, update

from db.claims import (
    claim_articles,
    finish_claims,
    held_claims,
    lock_shared_writes,
    renew_claims,
)
from db.entities import (
    MentionRow,
    StanceRow,
    ensure_discovered,
    mark_article,
    save_analysis,
    sync_kb,
)
from db.models import Article
from nlp.annotate import ANALYSIS_VERSION, Analyzer, ArticleAnalysis

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

__all__ = ["ANALYSIS_VERSION", "AnalyzeSummary", "analyze_pending", "run_worker"]

log = logging.getLogger(__name__)
LEASE = dt.timedelta(minutes=10)


@dataclass
class AnalyzeSummary:
    """What a run did: analysed count, skipped by reason, failed count (with a few reasons)."""

    analysed: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    failed: int = 0
    failures: list[str] = field(default_factory=list)
    total: int = 0

    @property
    def processed(self) -> int:
        return self.analysed + sum(self.skipped.values()) + self.failed


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def pending_condition(
    *,
    since: dt.date | dt.datetime | None,
    reprocess: bool,
    started: dt.datetime,
    version: int,
    stance_model: str | None = None,
) -> ColumnElement[bool]:
    """SQL condition of the articles this run should analyse: never analysed, analysed by an
    older pipeline version, or (when `stance_model` is given) decided by another stance model."""
    if reprocess:
        cond = or_(Article.analysed_at.is_(None), Article.analysed_at < started)
    else:
        cond = or_(Article.analysis_version.is_(None), Article.analysis_version < version)
        if stance_model is not None:
            cond = or_(
                cond,
                and_(
                    Article.status == "analysed",
                    or_(Article.stance_model.is_(None), Article.stance_model != stance_model),
                ),
            )
    if since is not None:
        if not isinstance(since, dt.datetime):
            since = dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC)
        cond = and_(cond, func.coalesce(Article.published_at, Article.fetched_at) >= since)
    return cond


def _release_dead_claims(session: Session) -> int:
    """Release claims held by processes of this host that no longer run."""
    host = socket.gethostname()
    held = session.execute(
        select(Article.claimed_by)
        .where(Article.claimed_by.like(f"{host}:%"))
        .group_by(Article.claimed_by)
    ).scalars()
    dead = []
    for worker in held:
        if worker is None:
            continue
        try:
            pid = int(worker.rsplit(":", 1)[1])
        except (ValueError, IndexError):
            continue
        if pid != os.getpid() and not _pid_alive(pid):
            dead.append(worker)
    if not dead:
        return 0
    result = session.execute(
        update(Article)
        .where(Article.claimed_by.in_(dead))
        .values(claimed_by=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def analyze_pending(
    sessions: sessionmaker[Session],
    analyzer: Analyzer,
    *,
    since: dt.date | dt.datetime | None = None,
    reprocess: bool = False,
    limit: int | None = None,
    batch_size: int = 64,
    progress: Callable[[AnalyzeSummary], None] | None = None,
    lease: dt.timedelta = LEASE,
) -> AnalyzeSummary:
    """Analyse pending articles in batches, committing each batch; see the module docstring.

    `progress` is called after each batch with the running summary (its `.total` is the number
    of articles the run expects to process).
    """
    started = dt.datetime.now(dt.UTC)
    version = analyzer.version
    worker = worker_name()
    condition = pending_condition(
        since=since,
        reprocess=reprocess,
        started=started,
        version=version,
        stance_model=analyzer.stance_model_id,
    )
    summary = AnalyzeSummary()
    entity_ids = _prepare(sessions, analyzer)
    with sessions.begin() as s:
        summary.total = int(
            s.scalar(select(func.count()).select_from(Article).where(condition)) or 0
        )
    if limit is not None:
        summary.total = min(summary.total, limit)
    if progress:
        progress(summary)

    while limit is None or summary.processed < limit:
        size = batch_size if limit is None else min(batch_size, limit - summary.processed)
        claimed = _run_batch(
            sessions, analyzer, worker, condition, size, lease, entity_ids, summary
        )
        if not claimed:
            break
        if progress:
            progress(summary)
    return summary


def run_worker(
    sessions: sessionmaker[Session],
    analyzer: Analyzer,
    *,
    lease: dt.timedelta = LEASE,
    idle_exit: bool = False,
    poll: float = 2.0,
    batch_size: int = 64,
    progress: Callable[[AnalyzeSummary], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> AnalyzeSummary:
    """Analyse batches as one of several workers sharing the backlog (`airace analyze --worker`).

    Claims batches until none is free, then polls every `poll` seconds for new articles and for
    claims whose lease expired (a dead worker's). With `idle_exit` it returns once no article is
    pending at all, claimed or not, so the last workers standing also finish a dead worker's
    batch. `should_stop` is checked between batches (a signal handler sets it).
    """
    version = analyzer.version
    worker = worker_name()
    condition = pending_condition(
        since=None,
        reprocess=False,
        started=dt.datetime.now(dt.UTC),
        version=version,
        stance_model=analyzer.stance_model_id,
    )
    summary = AnalyzeSummary()
    entity_ids = _prepare(sessions, analyzer)
    while not should_stop():
        claimed = _run_batch(
            sessions, analyzer, worker, condition, batch_size, lease, entity_ids, summary
        )
        if claimed:
            if progress:
                progress(summary)
            continue
        if idle_exit:
            with sessions() as s:
                pending = s.scalar(select(func.count()).select_from(Article).where(condition))
            if not pending:
                break
        deadline = time.monotonic() + poll
        while time.monotonic() < deadline and not should_stop():
            time.sleep(min(0.2, poll))
    return summary


def _prepare(sessions: sessionmaker[Session], analyzer: Analyzer) -> dict[str, int]:
    """Release this host's dead claims and sync the knowledge base; key -> entity id."""
    with sessions.begin() as s:
        lock_shared_writes(s)
        _release_dead_claims(s)
        return sync_kb(s, analyzer.kb.records())


def _run_batch(
    sessions: sessionmaker[Session],
    analyzer: Analyzer,
    worker: str,
    condition: ColumnElement[bool],
    size: int,
    lease: dt.timedelta,
    entity_ids: dict[str, int],
    summary: AnalyzeSummary,
) -> int:
    """Claim, analyse and store one batch; returns how many articles were claimed (0: none)."""
    with sessions.begin() as s:
        ids = claim_articles(s, worker=worker, condition=condition, limit=size, lease=lease)
        if not ids:
            return 0
        rows = s.execute(
            select(Article.id, Article.title, Article.text, Article.language)
            .where(Article.id.in_(ids))
            .order_by(Article.id)
        ).all()
    items = [{"id": r.id, "title": r.title, "text": r.text, "language": r.language} for r in rows]
    try:
        with _LeaseKeeper(sessions, worker, ids, lease):
            try:
                results = list(analyzer.analyze(items))
            except Exception as e:  # a model-level failure: mark the batch failed, go on
                log.exception("batch analysis failed")
                results = [
                    ArticleAnalysis(i["id"], None, error=f"{type(e).__name__}: {e}") for i in items
                ]
            with sessions.begin() as s:
                lock_shared_writes(s)
                held = set(held_claims(s, worker=worker, ids=ids))
                if len(held) < len(ids):
                    log.warning(
                        "lost %d claims (lease expired): not storing them", len(ids) - len(held)
                    )
                kept = [r for r in results if r.id in held]
                _store(s, kept, analyzer, entity_ids, analyzer.version, summary)
                finish_claims(s, worker=worker, ids=ids)
    except BaseException:
        _release_claims(sessions, worker, ids)  # nothing stored: free the batch for the next run
        raise
    return len(ids)


def _release_claims(sessions: sessionmaker[Session], worker: str, ids: list[int]) -> None:
    """Best effort after a failed batch: a lost connection leaves the claims to their lease."""
    try:
        with sessions.begin() as s:
            finish_claims(s, worker=worker, ids=ids)
    except Exception:
        log.warning("could not release the claims of a failed batch", exc_info=True)


class _LeaseKeeper:
    """Renews a batch's claims every third of the lease while the batch is being analysed.

    A live worker keeps its batch however long the analysis takes; a dead one (SIGKILL, lost
    machine) stops renewing and its rows are free once the lease has passed.
    """

    def __init__(
        self, sessions: sessionmaker[Session], worker: str, ids: list[int], lease: dt.timedelta
    ) -> None:
        self.sessions, self.worker, self.ids, self.lease = sessions, worker, ids, lease
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="lease-keeper", daemon=True)

    def _run(self) -> None:
        every = max(self.lease.total_seconds() / 3, 0.05)
        while not self.stop.wait(every):
            try:
                with self.sessions.begin() as s:
                    held = renew_claims(s, worker=self.worker, ids=self.ids, lease=self.lease)
            except Exception:  # a database hiccup: try again at the next tick
                log.warning("could not renew claims", exc_info=True)
                continue
            if not held:
                return

    def __enter__(self) -> _LeaseKeeper:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


def _store(
    s: Session,
    results: list[ArticleAnalysis],
    analyzer: Analyzer,
    entity_ids: dict[str, int],
    version: int,
    summary: AnalyzeSummary,
) -> None:
    now = dt.datetime.now(dt.UTC)
    candidates = [
        {
            "key": h.key,
            "name": h.name,
            "type": h.type,
            "aliases": list(dict.fromkeys([*h.surfaces, *h.aliases])),
            "parent": h.parent,
        }
        for r in results
        for h in r.entities
        if h.candidate and h.key not in entity_ids
    ]
    ids = {**entity_ids, **(ensure_discovered(s, candidates) if candidates else {})}
    embedder = analyzer.embedder if analyzer.embedding_model else None
    skipped: Counter[str] = Counter()
    for r in results:
        if r.skipped:
            mark_article(s, r.id, "skipped", r.skipped, version, now=now)
            skipped[r.skipped] += 1
            continue
        if r.error:
            mark_article(s, r.id, "failed", r.error[:500], version, now=now)
            summary.failed += 1
            if len(summary.failures) < 10:
                summary.failures.append(f"article {r.id}: {r.error[:200]}")
            continue
        mentions = [
            MentionRow(ids[h.key], h.count, h.first_offset, h.in_title, h.salience, h.surface)
            for h in r.entities
            if h.key in ids
        ]
        stances = [
            StanceRow(ids[x.key], float(x.score), int(x.label), float(x.confidence), x.evidence)
            for x in r.stances
            if x.key in ids
        ]
        embedding = None
        if r.embedding is not None and embedder is not None:
            from nlp.embeddings import to_bytes

            embedding = (embedder.name, int(r.embedding.shape[0]), to_bytes(r.embedding))
        save_analysis(
            s,
            r.id,
            mentions=mentions,
            stances=stances,
            themes=r.themes,
            embedding=embedding,
            version=version,
            language=r.language,
            now=now,
            stance_model=analyzer.stance_model_id,
        )
        summary.analysed += 1
    for reason, n in skipped.items():
        summary.skipped[reason] = summary.skipped.get(reason, 0) + n
