"""`airace schedule`: crontab semantics, --list, --once on a fixture database, clean SIGTERM stop."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from airace.config import Settings
from airace.pipeline import Stage, StageContext
from airace.scheduler import JOBS, ScheduleError, build_scheduler, cron_trigger, list_jobs, run_once
from airace.stages import last_week
from db.engine import make_engine, make_sessionmaker
from db.migrations import upgrade
from db.models import Article, JobRun
from tests.query_data import populate

REPO = Path(__file__).resolve().parent.parent
SUNDAY_NOON = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)


def _next(expr: str, now: dt.datetime = SUNDAY_NOON, tz: str = "UTC") -> dt.datetime:
    trigger = cron_trigger(expr, tz)
    nxt = trigger.get_next_fire_time(None, now)
    assert nxt is not None
    return nxt


def test_day_of_week_follows_crontab_not_apscheduler() -> None:
    assert _next("30 22 * * 1-5") == dt.datetime(2026, 11, 30, 22, 30, tzinfo=dt.UTC)  # Monday
    assert _next("0 7 * * 1") == dt.datetime(2026, 11, 30, 7, 0, tzinfo=dt.UTC)
    assert _next("0 13 * * 0") == dt.datetime(2026, 11, 29, 13, 0, tzinfo=dt.UTC)  # Sunday
    assert _next("0 13 * * 7") == dt.datetime(2026, 11, 29, 13, 0, tzinfo=dt.UTC)
    assert _next("0 9 * * sat") == dt.datetime(2026, 12, 5, 9, 0, tzinfo=dt.UTC)
    assert _next("0 9 * * */3").weekday() == 2  # 0,3,6 = sun,wed,sat: Wednesday comes first
    later = SUNDAY_NOON + dt.timedelta(minutes=1)
    assert _next("0 * * * *", later) == dt.datetime(2026, 11, 29, 13, 0, tzinfo=dt.UTC)
    paris = _next("0 7 * * 1", tz="Europe/Paris")
    assert paris.utcoffset() == dt.timedelta(hours=1) and paris.hour == 7
    for bad in ["0 7 * *", "0 25 * * *", "0 7 * * 8", "0 7 * * 5-1"]:
        with pytest.raises(ScheduleError):
            cron_trigger(bad, "UTC")
    with pytest.raises(ScheduleError):
        cron_trigger("0 7 * * 1", "Mars/Olympus")


def test_list_shows_every_job_and_its_next_run(cli, tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    r = cli("--db", url, "schedule", "--list", "--format", "json")
    assert r.exit_code == 0, r.stderr
    rows = json.loads(r.stdout)
    assert [x["job"] for x in rows] == ["crawl", "prices", "report"]
    assert rows[1]["cron"] == "30 22 * * 1-5" and rows[1]["stages"] == "prices, react"
    assert all(dt.datetime.fromisoformat(x["next_run"]) > dt.datetime.now(dt.UTC) for x in rows)
    assert list_jobs(Settings(schedule_report="0 8 * * 1"), SUNDAY_NOON)[2]["next_run"] == (
        "2026-11-30T08:00:00+00:00"
    )


def test_bad_cron_setting_is_a_user_error(cli, tmp_path) -> None:
    config = tmp_path / "airace.toml"
    config.write_text('schedule_crawl = "every hour"\n')
    r = cli("--config", str(config), "--db", f"sqlite:///{tmp_path / 'x.db'}", "schedule", "--list")
    assert r.exit_code == 2 and "five fields" in r.stderr


def test_scheduler_jobs_are_single_instance_and_coalesced(settings) -> None:
    scheduler = build_scheduler(settings, None)  # type: ignore[arg-type]
    jobs = {j.id: j for j in scheduler.get_jobs()}
    assert set(jobs) == {spec.name for spec in JOBS}
    assert all(j.max_instances == 1 and j.coalesce for j in jobs.values())


def test_once_runs_each_job_on_a_fixture_database(settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    populate(sessions)
    calls: list[str] = []

    def counting(name: str) -> Stage:
        def fn(ctx: StageContext) -> str:
            with ctx.sessions() as s:
                n = s.scalar(select(func.count()).select_from(Article))
            calls.append(name)
            return f"{n} articles"

        return Stage(name, fn)

    jobs = {
        "crawl": [counting("crawl"), counting("analyze")],
        "prices": [counting("prices"), counting("react")],
        "report": [counting("report")],
    }
    results = run_once(settings, sessions, jobs=jobs)
    assert calls == ["crawl", "analyze", "prices", "react", "report"]
    assert [r.job for r in results] == ["crawl", "prices", "report"]
    assert all(r.exit_code == 0 for r in results)
    with sessions() as s:
        runs = list(s.scalars(select(JobRun).order_by(JobRun.id)))
    assert {r.job for r in runs} == {"crawl", "analyze", "prices", "react", "report"}
    assert all(r.trigger == "schedule" and r.status == "ok" for r in runs)
    engine.dispose()


@pytest.mark.slow
def test_once_renders_the_real_weekly_report(settings: Settings, tmp_path) -> None:
    """The real report stage on the fixture database: last week's briefing as PDF and HTML."""
    engine = make_engine(settings.database_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    populate(sessions)
    out = tmp_path / "briefings"
    real = settings.replace(report_dir=str(out))
    from airace.pipeline import STAGES

    results = run_once(
        real,
        sessions,
        jobs={"crawl": [], "prices": [], "report": [STAGES["report"]]},
        today=dt.date(2025, 2, 3),
    )
    report = results[2]
    assert report.exit_code == 0, report.results
    assert last_week(dt.date(2025, 2, 3)) == (dt.date(2025, 1, 27), dt.date(2025, 2, 2))
    pdf = out / "briefing-2025-W05-en.pdf"
    assert pdf.read_bytes()[:4] == b"%PDF" and pdf.with_suffix(".html").exists()
    engine.dispose()


def test_sigterm_stops_the_scheduler_cleanly(tmp_path) -> None:
    env = {
        **os.environ,
        "AIRACE_DATABASE_URL": f"sqlite:///{tmp_path / 's.db'}",
        "AIRACE_DATA_DIR": str(tmp_path / "data"),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "airace", "schedule"],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    lines = [proc.stderr.readline() for _ in range(4)]
    assert lines[0].startswith("crawl: 0 * * * *"), lines
    assert lines[3].startswith("scheduler running"), lines
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "received SIGTERM" in err and "scheduler stopped" in err
