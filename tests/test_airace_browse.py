"""`airace browse` stopped with SIGTERM (or killed) takes its Datasette server along."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from db.engine import make_engine
from db.migrations import upgrade

pytest.importorskip("datasette")


def _children(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait(predicate, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())


def _start(sqlite_url: str, tmp_path: Path) -> tuple[subprocess.Popen[str], int, Path]:
    engine = make_engine(sqlite_url)
    upgrade(engine)
    engine.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRACE_")}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg")
    proc = subprocess.Popen(
        [sys.executable, "-m", "airace", "--db", sqlite_url, "browse", "--port", "0"],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    for line in proc.stderr:  # Datasette (uvicorn) says when it listens
        if "running on" in line.lower():
            break
    else:
        raise AssertionError("datasette did not start")
    (child,) = _children(proc.pid)
    argv = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
    metadata = Path(argv[argv.index(b"--metadata") + 1].decode())
    assert metadata.is_file()
    return proc, child, metadata


def test_sigterm_stops_datasette_and_removes_the_temporary_file(sqlite_url, tmp_path) -> None:
    proc, child, metadata = _start(sqlite_url, tmp_path)
    try:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        assert _wait(lambda: not _running(child), 5), "datasette outlived airace browse"
        assert not metadata.exists()
    finally:
        proc.kill()
        proc.wait()
        if _running(child):
            os.kill(child, signal.SIGKILL)


def test_a_killed_browse_takes_datasette_along(sqlite_url, tmp_path) -> None:
    proc, child, metadata = _start(sqlite_url, tmp_path)
    try:
        proc.kill()  # SIGKILL: no code of airace runs
        proc.wait()
        assert _wait(lambda: not _running(child), 10), "datasette outlived airace browse"
    finally:
        if _running(child):
            os.kill(child, signal.SIGKILL)
        metadata.unlink(missing_ok=True)  # nothing can remove it after a SIGKILL
