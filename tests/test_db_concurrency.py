"""Several processes on one database: shared inserts, schema creation, and locks keyed by it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from airace.config import load_settings
from airace.pipeline import lock_for
from db.engine import make_engine, make_sessionmaker
from db.entities import ensure_discovered, sync_kb
from db.locks import LockHeld
from db.migrations import current_revision, head_revision
from db.models import Entity

REPO = Path(__file__).resolve().parent.parent


def _insert_first(engine, sessions, key: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Make another session insert and commit entity `key` just before this engine's first
    INSERT INTO entities: the race two analyses run when they discover the same new name."""
    done: list[str] = []

    def before(conn, cursor, statement, params, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if done or not statement.lstrip().upper().startswith("INSERT INTO ENTITIES"):
            return
        done.append(statement)
        other = make_engine(engine.url.render_as_string(hide_password=False))
        with make_sessionmaker(other).begin() as s:
            s.add(Entity(key=key, name="Inserted Elsewhere", type="org", origin="discovered"))
        other.dispose()

    event.listen(engine, "before_cursor_execute", before)
    return done


def test_a_concurrent_insert_of_a_discovered_entity_is_tolerated(engine) -> None:
    sessions = make_sessionmaker(engine)
    raced = _insert_first(engine, sessions, "quill-labs")
    with sessions.begin() as s:
        ids = ensure_discovered(
            s,
            [
                {"key": "quill-labs", "name": "Quill Labs", "type": "org"},
                {"key": "ferro-chips", "name": "Ferro Chips", "type": "org"},
            ],
        )
    assert raced, "the concurrent insert did not happen"
    with sessions() as s:
        rows = {e.key: e for e in s.scalars(select(Entity))}
    assert set(ids) == {"quill-labs", "ferro-chips"}
    assert ids["quill-labs"] == rows["quill-labs"].id
    assert rows["quill-labs"].name == "Inserted Elsewhere"  # the first writer's row is kept
    assert rows["ferro-chips"].name == "Ferro Chips"


def test_a_concurrent_kb_sync_is_tolerated(engine) -> None:
    sessions = make_sessionmaker(engine)
    raced = _insert_first(engine, sessions, "orbit-ai")
    record = {
        "key": "orbit-ai",
        "name": "Orbit AI",
        "type": "lab",
        "aliases": ["Orbit"],
        "kb_version": "7",
        "exposures": [{"ticker": "MSFT", "relation": "investor", "weight": 0.5}],
    }
    with sessions.begin() as s:
        ids = sync_kb(s, [record])
    assert raced
    with sessions() as s:
        e = s.scalar(select(Entity).where(Entity.key == "orbit-ai"))
        assert e is not None and e.id == ids["orbit-ai"]
        # the KB wins over whatever was inserted first
        assert (e.name, e.origin, e.aliases, e.kb_version) == ("Orbit AI", "kb", ["Orbit"], "7")


_OPEN = textwrap.dedent(
    """
    import sys, time
    from db.engine import make_engine
    from db.migrations import ensure_current
    start = float(sys.argv[2])
    while time.time() < start:
        pass
    engine = make_engine(sys.argv[1])
    ensure_current(engine)
    engine.dispose()
    print("ok")
    """
)


def test_first_uses_of_a_new_database_at_once_create_it_once(db_url) -> None:
    start = time.time() + 3.0  # all three start creating the schema in the same instant
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _OPEN, db_url, str(start)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0 and out.strip() == "ok", err[-2000:]
    engine = make_engine(db_url)
    try:
        assert current_revision(engine) == head_revision()
        with make_sessionmaker(engine)() as s:
            assert s.scalar(select(func.count()).select_from(Entity)) == 0
    finally:
        engine.dispose()


def test_stage_locks_belong_to_the_database_not_to_the_data_folder(db_url, tmp_path) -> None:
    one = load_settings(env={}, overrides={"database_url": db_url, "data_dir": str(tmp_path / "a")})
    two = load_settings(env={}, overrides={"database_url": db_url, "data_dir": str(tmp_path / "b")})
    other_db = load_settings(
        env={},
        overrides={"database_url": f"sqlite:///{tmp_path / 'other.db'}", "data_dir": one.data_dir},
    )
    held = lock_for(one, ["crawl", "analyze"], "airace run").acquire()
    try:
        with pytest.raises(LockHeld, match="analyze is already running") as info:
            lock_for(two, ["analyze"], "airace analyze").acquire(wait=0.3)
        assert "airace run" in info.value.holder
        # another database, even with the same data folder, is not blocked
        lock_for(other_db, ["analyze"], "airace analyze").acquire().release()
        # a stage the holder does not run is free
        lock_for(two, ["report"], "airace report").acquire().release()
    finally:
        held.release()
    lock_for(two, ["analyze"], "airace analyze").acquire().release()


def test_a_killed_holder_frees_the_database_lock(db_url, tmp_path) -> None:
    code = textwrap.dedent(
        f"""
        import time
        from pathlib import Path
        from airace.locks import database_lock
        lock = database_lock({db_url!r}, ["crawl"], "airace run", fallback_dir=Path({str(tmp_path)!r})
                             ).acquire()
        print("locked", flush=True)
        time.sleep(60)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        s = load_settings(env={}, overrides={"database_url": db_url, "data_dir": str(tmp_path)})
        with pytest.raises(LockHeld, match=f"pid {proc.pid}"):
            lock_for(s, ["crawl"], "test").acquire()
        proc.kill()
        proc.wait()
        lock_for(s, ["crawl"], "test").acquire(wait=5).release()
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize("command", ["analyze", "crawl"])
def test_bare_analyze_and_crawl_take_their_stage_lock(cli, db_url, tmp_path, command) -> None:
    """`airace analyze` / `airace crawl` beside a run (another data folder, same database) that
    holds the stage: one line, exit 1, nothing started."""
    code = textwrap.dedent(
        f"""
        import time
        from pathlib import Path
        from airace.locks import database_lock
        lock = database_lock({db_url!r}, [{command!r}], "airace run",
                             fallback_dir=Path({str(tmp_path / "other")!r})).acquire()
        print("locked", flush=True)
        time.sleep(60)
        """
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        r = cli("--db", db_url, command)
        assert r.exit_code == 1, r.stderr
        assert r.stderr.strip().splitlines() == [
            f"airace: not started: {command} is already running ("
            + r.stderr.split("(", 1)[1].strip()
        ]
        assert f"pid {holder.pid}" in r.stderr and "Traceback" not in r.stderr
    finally:
        holder.kill()
        holder.wait()
