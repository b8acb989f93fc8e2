"""The stages of `airace run` and of the scheduled jobs, as a list of small functions.

    crawl -> analyze -> prices -> react        (airace run)
    report                                     (the weekly job)

Each stage calls one function of airace/stages.py (where Settings meets the libraries) and
turns its structured summary into one line. `run_stages` runs a list of stages:
a stage that raises is reported and the next stages still run, except those that declared it in
`needs`. The default stages need nothing of each other: each works on what the database holds
(analyze reads the articles already stored, react the prices already stored), so a failed crawl
or a failed price download still lets the others do their part.

`run_job` wraps a list of stages with the cross-process lock (airace/locks.py) and records the job
and each stage in `job_runs`. Callers may pass their own `stages` (tests, plugins): any
`Stage(name, fn)` whose `fn(ctx) -> str` does the work.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airace.config import Settings
from airace.locks import AdvisoryLock, JobLock, LockHeld, database_lock

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

OK, FAILED, SKIPPED = "ok", "failed", "skipped"


@dataclass
class StageContext:
    """What a stage gets: the settings, the session factory, and the results so far."""

    settings: Settings
    sessions: sessionmaker[Session]
    results: dict[str, StageResult] = field(default_factory=dict)
    today: dt.date | None = None  # the report stage's reference day (None: today)


@dataclass(frozen=True)
class Stage:
    """A named step: `fn(ctx)` does the work and returns a one-line summary, or raises.

    `needs`: stages whose failure makes this one pointless; it is then skipped, not run.
    """

    name: str
    fn: Callable[[StageContext], str]
    needs: tuple[str, ...] = ()


@dataclass
class StageResult:
    name: str
    status: str  # ok | failed | skipped
    seconds: float
    summary: str


@dataclass
class JobResult:
    """The outcome of a job: one result per stage. `exit_code` is 0 when nothing failed."""

    job: str
    results: list[StageResult]
    status: str = OK  # ok | failed | skipped (lock held)
    message: str = ""

    @property
    def failed(self) -> list[StageResult]:
        return [r for r in self.results if r.status == FAILED]

    @property
    def exit_code(self) -> int:
        return 0 if self.status == OK and not self.failed else 1


# --------------------------------------------------------------------------------------------
# The stages


def crawl_stage(ctx: StageContext) -> str:
    """Crawl the sources file with the crawler settings (airace.stages.crawl)."""
    from airace import stages as st

    summary = st.crawl(ctx.settings)
    totals = ", ".join(f"{k} {v}" for k, v in summary.totals.items())
    if summary.status != "finished":
        raise RuntimeError(f"crawl run {summary.run_id} {summary.status}: {summary.message}")
    return f"crawl run {summary.run_id}: {totals}"


def analyze_stage(ctx: StageContext) -> str:
    """Analyse the articles waiting for it (airace.stages.analyze)."""
    from airace import stages as st

    summary = st.analyze(ctx.settings, ctx.sessions)
    skipped = sum(summary.skipped.values())
    return f"{summary.analysed} analysed, {skipped} skipped, {summary.failed} failed"


def stories_stage(ctx: StageContext) -> str:
    """Group the analysed articles into stories and flag first reports (airace.stages.stories)."""
    from airace import stages as st

    summary = st.stories(ctx.settings, ctx.sessions)
    return (
        f"{summary.articles} grouped, {summary.stories} new stories, "
        f"{summary.first} first reports, {summary.follow_up} follow-ups, {summary.copy} copies"
    )


def prices_stage(ctx: StageContext) -> str:
    """Update daily prices of the tickers the stored articles and themes need, plus benchmarks."""
    from airace import stages as st

    result = st.prices(ctx.settings, ctx.sessions)
    rows, failed = result.report.rows, result.report.failed
    if result.tickers and result.all_failed and len(failed) >= len(result.tickers):
        sample = "; ".join(f"{t}: {r}" for t, r in list(failed.items())[:3])
        raise RuntimeError(f"no price could be updated ({len(failed)} tickers failed: {sample})")
    return f"{len(result.tickers)} tickers, {sum(rows.values())} rows, {len(failed)} failed"


def react_stage(ctx: StageContext) -> str:
    """Compute the event study for analysed articles whose prices are in."""
    from airace import stages as st

    summary = st.react(ctx.settings, ctx.sessions)
    return f"{summary.computed} computed, {len(summary.pending)} pending, {summary.skipped} skipped"


def report_stage(ctx: StageContext) -> str:
    """Render last week's briefing (PDF + HTML) into `report_dir`, in `report_language`."""
    from airace import stages as st

    start, end = st.last_week(ctx.today or dt.datetime.now(dt.UTC).date())
    result = st.report(ctx.settings, ctx.sessions, start, end, html=True)
    return f"{start}..{end} -> {result.pdf_path}"


STAGES: dict[str, Stage] = {
    st.name: st
    for st in (
        Stage("crawl", crawl_stage),
        Stage("analyze", analyze_stage),
        Stage("stories", stories_stage),
        Stage("prices", prices_stage),
        Stage("react", react_stage),
        Stage("report", report_stage),
    )
}
RUN_STAGES = ("crawl", "analyze", "stories", "prices", "react")
# Global order of stage locks (and of stages within a job).
STAGE_ORDER = ("crawl", "analyze", "stories", "prices", "react", "report")


def stages(names: Sequence[str]) -> list[Stage]:
    """The built-in stages called `names`, in that order."""
    return [STAGES[n] for n in names]


# --------------------------------------------------------------------------------------------
# Running


def run_stages(
    ctx: StageContext,
    stage_list: Sequence[Stage],
    echo: Callable[[str], None] = lambda _m: None,
) -> list[StageResult]:
    """Run each stage in turn; a failure is caught, logged and reported, and the run goes on."""
    results: list[StageResult] = []
    for stage in stage_list:
        blocked = [n for n in stage.needs if ctx.results.get(n) and ctx.results[n].status != OK]
        if blocked:
            res = StageResult(stage.name, SKIPPED, 0.0, f"skipped: {', '.join(blocked)} failed")
        else:
            echo(f"[{stage.name}] running")
            t0 = time.perf_counter()
            try:
                res = StageResult(stage.name, OK, 0.0, stage.fn(ctx))
            except Exception as e:  # a stage's fault must not stop the others
                log.debug("stage %s failed:\n%s", stage.name, traceback.format_exc())
                res = StageResult(stage.name, FAILED, 0.0, _one_line(e))
            res.seconds = time.perf_counter() - t0
        ctx.results[stage.name] = res
        results.append(res)
        echo(f"[{stage.name}] {res.status} ({res.seconds:.1f}s): {res.summary}")
    return results


def _one_line(e: BaseException) -> str:
    text = " ".join(str(e).split()) or "(no message)"
    return f"{type(e).__name__}: {text[:300]}"


def lock_for(settings: Settings, stage_names: Sequence[str], owner: str) -> JobLock | AdvisoryLock:
    """The lock a job running `stage_names` takes: one per stage, keyed by the database."""
    return database_lock(
        settings.database_url,
        stage_names,
        owner,
        fallback_dir=settings.resolved_data_dir() / "locks",
    )


def run_job(
    settings: Settings,
    sessions: sessionmaker[Session],
    *,
    job: str = "run",
    stage_list: Sequence[Stage] | None = None,
    trigger: str = "manual",
    wait: bool | float = False,
    echo: Callable[[str], None] = lambda _m: None,
    today: dt.date | None = None,
) -> JobResult:
    """Run `stage_list` (default: crawl, analyze, stories, prices, react) as job `job`, under its lock.

    With `wait` False a held lock gives a JobResult with status "skipped" (recorded, exit code
    1); True waits for it, a number waits that many seconds. The job and each stage get a row in
    `job_runs` with their status and summary.
    """
    chosen = list(stage_list) if stage_list is not None else stages(RUN_STAGES)
    lock = lock_for(settings, [s.name for s in chosen], f"airace {job}")
    try:
        lock.acquire(wait=wait)
    except LockHeld as e:
        message = f"not started: {e}"
        _record(sessions, job, trigger, SKIPPED, message, started=_now())
        return JobResult(job, [], status=SKIPPED, message=message)
    try:
        _mark_dead_runs(sessions)
        started = _now()
        job_id = _record(sessions, job, trigger, "running", None, started=started, finished=False)
        ctx = StageContext(settings, sessions, today=today)
        results = run_stages(ctx, chosen, echo)
        for r in results:
            _record(sessions, r.name, trigger, r.status, r.summary, started=started, parent=job)
        failed = [r.name for r in results if r.status == FAILED]
        status = FAILED if failed else OK
        message = f"failed: {', '.join(failed)}" if failed else f"{len(results)} stages ok"
        _finish(sessions, job_id, status, message)
        return JobResult(job, results, status=status, message=message)
    finally:
        lock.release()


# --------------------------------------------------------------------------------------------
# job_runs


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _record(
    sessions: sessionmaker[Session],
    job: str,
    trigger: str,
    status: str,
    message: str | None,
    *,
    started: dt.datetime,
    finished: bool = True,
    parent: str | None = None,
) -> int | None:
    """Insert a job_runs row; a database that cannot be written is logged, never fatal."""
    from db.jobs import add_job_run

    if parent:
        message = f"[{parent}] {message or ''}".strip()
    try:
        with sessions.begin() as session:
            return add_job_run(
                session,
                job=job,
                trigger=trigger,
                status=status,
                message=message,
                started_at=started,
                finished_at=_now() if finished else None,
                host=socket.gethostname(),
                pid=os.getpid(),
            )
    except Exception as e:  # the run itself matters more than its record
        log.warning("cannot record job %s in job_runs: %s", job, _one_line(e))
        return None


def _mark_dead_runs(sessions: sessionmaker[Session]) -> None:
    """Mark job_runs rows left "running" by dead processes of this host as died."""
    from db.jobs import mark_dead_job_runs

    try:
        with sessions.begin() as session:
            mark_dead_job_runs(session)
    except Exception as e:
        log.warning("cannot mark dead jobs in job_runs: %s", _one_line(e))


def _finish(sessions: sessionmaker[Session], job_id: int | None, status: str, message: str) -> None:
    from db.jobs import finish_job_run

    if job_id is None:
        return
    try:
        with sessions.begin() as session:
            finish_job_run(session, job_id, status, message, _now())
    except Exception as e:
        log.warning("cannot record the end of job %s: %s", job_id, _one_line(e))


def summary_rows(result: JobResult) -> list[dict[str, Any]]:
    """One row per stage for `emit`: stage, status, seconds, summary."""
    return [
        {"stage": r.name, "status": r.status, "seconds": round(r.seconds, 1), "summary": r.summary}
        for r in result.results
    ]
