"""`airace run`: failure isolation, job_runs records, and the cross-process lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from airace.config import Settings
from airace.locks import JobLock, LockHeld
from airace.pipeline import RUN_STAGES, STAGES, Stage, StageContext, lock_for, run_job
from db.engine import make_engine, make_sessionmaker
from db.locks import sqlite_lock_dir
from db.migrations import upgrade
from db.models import JobRun
from tests.query_data import populate

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def sessions(settings: Settings):  # type: ignore[no-untyped-def]
    engine = make_engine(settings.database_url)
    upgrade(engine)
    yield make_sessionmaker(engine)
    engine.dispose()


def _count_articles(ctx: StageContext) -> str:
    from sqlalchemy import func

    from db.models import Article

    with ctx.sessions() as s:
        return f"{s.scalar(select(func.count()).select_from(Article))} articles"


def _boom(_ctx: StageContext) -> str:
    raise RuntimeError("feed exploded\nsecond line")


def test_a_failing_stage_is_reported_and_the_others_run(settings, sessions) -> None:
    populate(sessions)
    seen: list[str] = []
    stage_list = [
        Stage("first", _count_articles),
        Stage("broken", _boom),
        Stage("independent", _count_articles),
        Stage("dependent", _count_articles, needs=("broken",)),
    ]
    result = run_job(settings, sessions, job="run", stage_list=stage_list, echo=seen.append)
    assert [(r.name, r.status) for r in result.results] == [
        ("first", "ok"),
        ("broken", "failed"),
        ("independent", "ok"),
        ("dependent", "skipped"),
    ]
    assert result.results[0].summary == "6 articles"
    assert result.results[1].summary == "RuntimeError: feed exploded second line"
    assert result.exit_code == 1 and result.status == "failed"
    assert any("[broken] failed" in line for line in seen)
    with sessions() as s:
        runs = {r.job: r for r in s.scalars(select(JobRun))}
    assert runs["run"].status == "failed" and runs["run"].finished_at is not None
    assert runs["run"].message == "failed: broken"
    assert runs["broken"].status == "failed" and runs["independent"].status == "ok"
    assert runs["run"].pid == os.getpid()


def test_real_stage_failure_is_isolated(settings, sessions, tmp_path) -> None:
    """The real crawl stage with a sources file that does not exist fails; the next stage runs."""
    broken = settings.replace(sources_file=str(tmp_path / "missing.toml"))
    result = run_job(
        broken,
        sessions,
        stage_list=[STAGES["crawl"], Stage("after", _count_articles)],
    )
    assert [(r.name, r.status) for r in result.results] == [("crawl", "failed"), ("after", "ok")]
    assert "missing.toml" in result.results[0].summary
    assert result.exit_code == 1


def test_all_ok_exits_0(settings, sessions) -> None:
    result = run_job(settings, sessions, stage_list=[Stage("one", _count_articles)])
    assert result.exit_code == 0 and result.message == "1 stages ok"


def _hold_lock(settings: Settings, names: tuple[str, ...]) -> subprocess.Popen[str]:
    """Another process holding the job locks, as a second `airace run` would."""
    code = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from airace.locks import database_lock
        lock = database_lock({settings.database_url!r}, {list(names)!r}, "airace run",
                             fallback_dir=Path({str(settings.resolved_data_dir() / "locks")!r}))
        lock.acquire()
        print("locked", flush=True)
        time.sleep(float(sys.argv[1]))
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "30"], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def test_second_run_says_already_running_and_exits_1(cli, settings, sessions) -> None:
    holder = _hold_lock(settings, RUN_STAGES)
    try:
        args = ["--db", settings.database_url]
        env_dir = ["--config", _config(settings)]
        r = cli(*args, *env_dir, "run")
        assert r.exit_code == 1
        assert "already running" in r.stderr and f"pid {holder.pid}" in r.stderr
        t0 = time.monotonic()
        r = cli(*args, *env_dir, "run", "--wait", "--timeout", "0.5")
        assert r.exit_code == 1 and time.monotonic() - t0 >= 0.5
        assert "use --wait" not in r.stderr
        assert "still running after waiting 0.5s" in r.stderr, r.stderr
        with sessions() as s:
            skipped = list(s.scalars(select(JobRun).where(JobRun.status == "skipped")))
        assert len(skipped) == 2 and "already running" in (skipped[0].message or "")
    finally:
        holder.kill()
        holder.wait()


def _config(settings: Settings) -> str:
    path = Path(settings.resolved_data_dir()).parent / "airace.toml"
    path.write_text(f'data_dir = "{settings.data_dir}"\n', encoding="utf-8")
    return str(path)


def test_waiting_run_starts_when_the_other_finishes(settings, sessions) -> None:
    holder = _hold_lock(settings, ("crawl",))
    try:
        started = time.monotonic()
        # release the lock in 1 s by ending the holder
        killer = subprocess.Popen(
            [
                sys.executable,
                "-c",
                f"import os,time,signal; time.sleep(1); os.kill({holder.pid}, signal.SIGTERM)",
            ]
        )
        result = run_job(settings, sessions, stage_list=[Stage("crawl", _count_articles)], wait=20)
        killer.wait()
        assert result.exit_code == 0
        assert time.monotonic() - started >= 0.9
    finally:
        holder.kill()
        holder.wait()


def test_a_crashed_holder_leaves_no_stale_lock(settings) -> None:
    holder = _hold_lock(settings, ("prices", "react"))
    lock = lock_for(settings, ["prices", "react"], "test")
    with pytest.raises(LockHeld, match="prices is already running"):
        lock.acquire(wait=False)
    os.kill(holder.pid, signal.SIGKILL)  # no cleanup code runs
    holder.wait()
    locks = sqlite_lock_dir(settings.database_url)
    assert locks is not None
    with lock.acquire(wait=2):
        assert (locks / "prices.lock").exists()
    # stages not shared do not block each other
    with JobLock(locks, ["crawl"], "a").acquire(), JobLock(locks, ["report"], "b").acquire():
        pass


def test_stages_option_is_checked(cli, settings) -> None:
    r = cli("--db", settings.database_url, "run", "--stages", "crawl,lunch")
    assert r.exit_code == 2 and "--stages: unknown lunch" in r.stderr


def test_stages_option_runs_a_subset_under_the_locks(cli, settings, sessions, tmp_path) -> None:
    holder = _hold_lock(settings, ("report",))
    try:
        r = cli(
            "--db",
            settings.database_url,
            "--config",
            _config(settings),
            "run",
            "--stages",
            "report",
        )
        assert r.exit_code == 1 and "report is already running" in r.stderr
    finally:
        holder.kill()
        holder.wait()
