"""Job runs (`airace run`, the scheduled jobs): one row per job and per stage. No commits."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from db.models import JobRun


def add_job_run(
    session: Session,
    *,
    job: str,
    trigger: str,
    status: str,
    message: str | None,
    started_at: dt.datetime,
    finished_at: dt.datetime | None,
    host: str,
    pid: int,
) -> int:
    """Insert a job_runs row; returns its id (names longer than the columns are cut)."""
    row = JobRun(
        job=job[:40],
        trigger=trigger,
        started_at=started_at,
        finished_at=finished_at,
        status=status,
        message=message,
        host=host[:200],
        pid=pid,
    )
    session.add(row)
    session.flush()
    return row.id


def finish_job_run(
    session: Session, job_id: int, status: str, message: str, finished_at: dt.datetime
) -> bool:
    """Set the outcome of a running job; False when the row is gone."""
    row = session.get(JobRun, job_id)
    if row is None:
        return False
    row.status, row.message, row.finished_at = status, message, finished_at
    return True
