"""`airace schedule`: the jobs on cron schedules from the settings, in one long-running process.

    crawl   schedule_crawl   (default "0 * * * *")     crawl + analyze + stories
    prices  schedule_prices  (default "30 22 * * 1-5") prices update + react, after the US close
    report  schedule_report  (default "0 7 * * 1")     last week's briefing, Monday morning

Cron expressions follow crontab(5): day of week 0 or 7 is Sunday, 1 Monday. (APScheduler 3 reads
numbers in that field as 0 = Monday, so they are translated to names before it sees them.)
APScheduler's BlockingScheduler fires each job with max_instances=1 and coalesce (a backlog of
missed runs becomes one run). Each job takes the same per-stage locks as `airace run`
(airace/pipeline.py, keyed by the database), so a scheduled crawl never overlaps a manual run in another process: the
later one is recorded as skipped. SIGTERM and SIGINT stop the scheduler; a job already running
finishes first.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airace.config import Settings
from airace.pipeline import JobResult, Stage, run_job, stages

if TYPE_CHECKING:
    from apscheduler.triggers.cron import CronTrigger
    from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobSpec:
    name: str
    setting: str  # the Settings field holding its cron expression
    stages: tuple[str, ...]
    description: str


JOBS: tuple[JobSpec, ...] = (
    JobSpec(
        "crawl", "schedule_crawl", ("crawl", "analyze", "stories"), "crawl + analyze + stories"
    ),
    JobSpec("prices", "schedule_prices", ("prices", "react"), "prices update + react"),
    JobSpec("report", "schedule_report", ("report",), "weekly briefing"),
)

_DOW_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


class ScheduleError(ValueError):
    """A cron expression or timezone in the settings that cannot be used."""


def _dow_to_names(field: str) -> str:
    """Translate a crontab day-of-week field (0/7 = Sunday) to APScheduler's day names."""
    out: list[str] = []
    for part in field.split(","):
        part = part.strip().lower()
        base, _, step_text = part.partition("/")
        if not any(c.isdigit() for c in base) and not step_text:
            out.append(part)  # '*', 'mon-fri', 'sun': the same in both
            continue
        step = int(step_text) if step_text else 1
        if base == "*":
            lo, hi = 0, 6
        elif "-" in base:
            lo_text, hi_text = base.split("-", 1)
            lo, hi = _dow_number(lo_text), _dow_number(hi_text)
        else:
            lo = hi = _dow_number(base)
            if step_text:
                hi = 6
        if hi < lo:
            raise ScheduleError(f"day-of-week range {part!r} runs backwards")
        days = sorted({d % 7 for d in range(lo, hi + 1, step)})
        out.extend(_DOW_NAMES[d] for d in days)
    return ",".join(dict.fromkeys(out))


def _dow_number(text: str) -> int:
    if text in _DOW_NAMES:
        return _DOW_NAMES.index(text)
    if not text.isdigit() or int(text) > 7:
        raise ScheduleError(f"bad day of week {text!r}")
    return int(text)


def cron_trigger(expression: str, timezone: str) -> CronTrigger:
    """A CronTrigger for a five-field crontab expression in `timezone` (crontab(5) semantics)."""
    from apscheduler.triggers.cron import CronTrigger

    fields = expression.split()
    if len(fields) != 5:
        raise ScheduleError(f"cron expression {expression!r} must have five fields")
    minute, hour, day, month, dow = fields
    try:
        return CronTrigger(
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=_dow_to_names(dow),
            timezone=timezone,
        )
    except ScheduleError:
        raise
    except Exception as e:  # ValueError, or an unknown timezone from zoneinfo
        raise ScheduleError(f"cron expression {expression!r} ({timezone}): {e}") from None


def list_jobs(settings: Settings, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Each job with its cron expression, stages and next fire time (ISO, schedule timezone)."""
    now = now or dt.datetime.now(dt.UTC)
    rows = []
    for spec in JOBS:
        expr = getattr(settings, spec.setting)
        trigger = cron_trigger(expr, settings.schedule_timezone)
        nxt = trigger.get_next_fire_time(None, now.astimezone(trigger.timezone))
        rows.append(
            {
                "job": spec.name,
                "cron": expr,
                "timezone": settings.schedule_timezone,
                "stages": ", ".join(spec.stages),
                "what": spec.description,
                "next_run": nxt.isoformat() if nxt else None,
            }
        )
    return rows


def _job_stages(spec: JobSpec, overrides: Mapping[str, Sequence[Stage]] | None) -> list[Stage]:
    if overrides and spec.name in overrides:
        return list(overrides[spec.name])
    return stages(spec.stages)


def run_once(
    settings: Settings,
    sessions: sessionmaker[Session],
    *,
    jobs: Mapping[str, Sequence[Stage]] | None = None,
    wait: bool | float = False,
    echo: Callable[[str], None] = lambda _m: None,
    today: dt.date | None = None,
) -> list[JobResult]:
    """Run every job once, in order (crawl, prices, report), now; returns their results.

    `jobs` replaces the stages of the jobs it names (for tests and custom set-ups).
    """
    results = []
    for spec in JOBS:
        echo(f"== {spec.name}: {spec.description}")
        results.append(
            run_job(
                settings,
                sessions,
                job=spec.name,
                stage_list=_job_stages(spec, jobs),
                trigger="schedule",
                wait=wait,
                echo=echo,
                today=today,
            )
        )
    return results


def build_scheduler(
    settings: Settings,
    sessions: sessionmaker[Session],
    *,
    jobs: Mapping[str, Sequence[Stage]] | None = None,
    echo: Callable[[str], None] = lambda _m: None,
) -> Any:
    """A BlockingScheduler with one cron job per JobSpec, not started."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = BlockingScheduler(timezone=settings.schedule_timezone)
    for spec in JOBS:
        scheduler.add_job(
            _fire,
            cron_trigger(getattr(settings, spec.setting), settings.schedule_timezone),
            args=(settings, sessions, spec, _job_stages(spec, jobs), echo),
            id=spec.name,
            name=f"{spec.name}: {spec.description}",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=3600,
        )
    return scheduler


def _fire(
    settings: Settings,
    sessions: sessionmaker[Session],
    spec: JobSpec,
    stage_list: list[Stage],
    echo: Callable[[str], None],
) -> None:
    result = run_job(
        settings, sessions, job=spec.name, stage_list=stage_list, trigger="schedule", echo=echo
    )
    echo(f"== {spec.name}: {result.status} {result.message}")


def serve(
    settings: Settings,
    sessions: sessionmaker[Session],
    *,
    jobs: Mapping[str, Sequence[Stage]] | None = None,
    echo: Callable[[str], None] = lambda _m: None,
) -> None:
    """Run the scheduler until SIGTERM or SIGINT; a job already running finishes first."""
    from apscheduler.events import EVENT_SCHEDULER_STARTED
    from apscheduler.schedulers import SchedulerNotRunningError

    scheduler = build_scheduler(settings, sessions, jobs=jobs, echo=echo)
    stop_requested = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stop_requested
        echo(f"received {signal.Signals(signum).name}: stopping after the running job")
        stop_requested = True
        try:
            scheduler.shutdown(wait=False)
        except SchedulerNotRunningError:
            pass  # not started yet: the start listener below stops it at once

    def started(_event: object) -> None:
        if stop_requested:
            scheduler.shutdown(wait=False)
        else:
            echo("scheduler running (SIGTERM or Ctrl-C stops it)")

    scheduler.add_listener(started, EVENT_SCHEDULER_STARTED)
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        scheduler.start()  # blocks until shutdown
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    echo("scheduler stopped")
