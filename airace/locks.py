"""Job locks that work across processes and survive a crash, keyed by the database.

A job (`airace run`, a scheduled job, a bare `airace analyze`) locks one name per stage it runs,
always in the same order, so two jobs that share a stage never overlap and never deadlock. The
lock belongs to the database, not to the data folder: an advisory lock on PostgreSQL, a file lock
beside a SQLite file (db/locks.py). A crashed process leaves no stale lock behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from db.locks import AdvisoryLock, DatabaseLock, JobLock, LockHeld

__all__ = ["AdvisoryLock", "JobLock", "LockHeld", "database_lock"]


def database_lock(
    database_url: str, names: Sequence[str], owner: str, *, fallback_dir: Path
) -> JobLock | AdvisoryLock:
    """The lock on stages `names` of the store at `database_url`.

    `fallback_dir` holds the lock files of a store that has no file of its own (in-memory).
    """
    return DatabaseLock(database_url, names, owner, fallback_dir=fallback_dir)
