"""job_runs and crawl_runs rows of a killed process are marked died by the next run."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from sqlalchemy import select

from airace.pipeline import Stage, run_job
from db.jobs import mark_dead_job_runs, process_alive, this_host
from db.models import JobRun

REPO = Path(__file__).resolve().parent.parent


def test_process_alive_tells_a_reused_pid_apart() -> None:
    now = dt.datetime.now(dt.UTC)
    assert process_alive(os.getpid(), now)
    # a row written an hour before this process started was not written by this process
    assert not process_alive(os.getpid(), now - dt.timedelta(hours=1))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    assert not process_alive(dead.pid)


def _slow(_ctx) -> str:  # type: ignore[no-untyped-def]
    return "done"


def test_a_killed_run_is_marked_died_by_the_next_one(settings, db_url) -> None:
    from db.engine import make_engine, make_sessionmaker
    from db.migrations import upgrade

    engine = make_engine(db_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    settings = settings.replace(database_url=db_url)
    code = textwrap.dedent(
        f"""
        import time
        from airace.config import load_settings
        from airace.pipeline import Stage, run_job
        from db.engine import make_engine, make_sessionmaker

        def hang(ctx):
            print("running", flush=True)
            time.sleep(60)
            return "never"

        settings = load_settings(env={{}}, overrides={{"database_url": {db_url!r},
                                 "data_dir": {settings.data_dir!r}}})
        sessions = make_sessionmaker(make_engine({db_url!r}))
        run_job(settings, sessions, job="run", stage_list=[Stage("analyze", hang)])
        """
    )
    victim = subprocess.Popen(
        [sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        assert victim.stdout is not None and victim.stdout.readline().strip() == "running"
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
        with sessions() as s:
            (row,) = s.scalars(select(JobRun)).all()
        assert row.status == "running" and row.pid == victim.pid and row.host == this_host()

        before = dt.datetime.now(dt.UTC)
        result = run_job(settings, sessions, job="run", stage_list=[Stage("analyze", _slow)])
        assert result.exit_code == 0
        with sessions() as s:
            old = s.get(JobRun, row.id)
            assert old is not None and old.status == "died"
            assert old.finished_at is not None and old.finished_at >= before.replace(microsecond=0)
            assert f"process {victim.pid} died" in (old.message or "")
            statuses = sorted(r.status for r in s.scalars(select(JobRun)))
        assert statuses == ["died", "ok", "ok"]  # the new job and its stage
        # rows of a live process, or of another host, are left alone
        with sessions.begin() as s:
            s.add(JobRun(job="run", status="running", host=this_host(), pid=os.getpid()))
            s.add(JobRun(job="run", status="running", host="elsewhere", pid=victim.pid))
        with sessions.begin() as s:
            assert mark_dead_job_runs(s) == []
    finally:
        victim.kill()
        victim.wait()
        engine.dispose()
