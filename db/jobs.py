"""Job runs (`airace run`, the scheduled jobs) and crawl runs: rows added and finished, and runs
left "running" by a process that died, found and marked "died".

`job_runs` and `crawl_runs` rows record the host and pid of the process that owns them. A
process killed with SIGKILL (or a lost machine) cannot finish its row, so the next run on the
same host marks every row whose owner no longer runs as "died", with the time it noticed. A pid
reused by a later process is told apart by the process start time: a process that started
after the row did is not its owner. Rows of other hosts are left alone (their liveness cannot be
checked from here).

Functions take a Session and never commit.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import CrawlRun, JobRun

RUNNING, DIED = "running", "died"
# A process may start a little after the row's clock reading: the row is written by the owner
# itself, so its start can precede started_at by at most the process's own setup time. Allow
# for clocks read in different ways (time.time vs /proc tick rounding).
_START_SLACK = dt.timedelta(seconds=2)


def this_host() -> str:
    return socket.gethostname()[:200]


def _boot_time() -> float | None:
    try:
        for line in Path("/proc/stat").read_text().splitlines():
            if line.startswith("btime "):
                return float(line.split()[1])
    except OSError:
        return None
    return None


def process_started(pid: int) -> dt.datetime | None:
    """When process `pid` started (Linux /proc), None when unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    boot = _boot_time()
    if boot is None:
        return None
    # Field 22 (starttime, in clock ticks since boot) counted after the ")" closing the name.
    fields = stat.rsplit(")", 1)[1].split()
    ticks = int(fields[19])
    return dt.datetime.fromtimestamp(boot + ticks / os.sysconf("SC_CLK_TCK"), dt.UTC)


def process_alive(pid: int, since: dt.datetime | None = None) -> bool:
    """True when process `pid` runs on this host (and, given `since`, started by then)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    if since is not None:
        started = process_started(pid)
        if since.tzinfo is None:
            since = since.replace(tzinfo=dt.UTC)
        if started is not None and started > since + _START_SLACK:
            return False  # the pid was reused by a later process
    return True


def mark_dead_job_runs(
    session: Session, *, host: str | None = None, now: dt.datetime | None = None
) -> list[int]:
    """Mark the job_runs rows of dead processes on `host` (this one) as died; their ids."""
    host = host or this_host()
    now = now or dt.datetime.now(dt.UTC)
    rows = session.scalars(
        select(JobRun).where(JobRun.status == RUNNING, JobRun.host == host)
    ).all()
    died = []
    for row in rows:
        if _dead(row.pid, row.started_at):
            row.status, row.finished_at = DIED, now
            row.message = _died_message(row.message, row.pid, now)
            died.append(row.id)
    return died


def mark_dead_crawl_runs(
    session: Session, *, host: str | None = None, now: dt.datetime | None = None
) -> list[int]:
    """Mark the crawl_runs rows of dead processes on `host` (this one) as died; their ids."""
    host = host or this_host()
    now = now or dt.datetime.now(dt.UTC)
    rows = session.scalars(
        select(CrawlRun).where(CrawlRun.status == RUNNING, CrawlRun.host == host)
    ).all()
    died = []
    for row in rows:
        if _dead(row.pid, row.started_at):
            row.status, row.finished_at = DIED, now
            row.stats = {**(row.stats or {}), "message": _died_message(None, row.pid, now)}
            died.append(row.id)
    return died


def _dead(pid: int | None, started_at: dt.datetime | None) -> bool:
    return pid is not None and pid != os.getpid() and not process_alive(pid, started_at)


def _died_message(message: str | None, pid: int | None, now: dt.datetime) -> str:
    note = f"process {pid} died before finishing (noticed {now:%Y-%m-%dT%H:%M:%SZ})"
    return f"{message} - {note}" if message else note


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
