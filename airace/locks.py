"""Job locks that work across processes and survive a crash: `fcntl.flock` on files in the data dir.

A job (`airace run`, a scheduled job) locks one file per stage it runs, always in the same order,
so two jobs that share a stage never overlap and never deadlock. The kernel drops a flock when its
process dies, so a crashed run leaves no stale lock behind; the pid written in the file is only
there to say who holds it. The lock files live in `<data_dir>/locks/`: processes that should
exclude each other must share the data dir (the default is per user).
"""

from __future__ import annotations

import fcntl
import os
import socket
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO


class LockHeld(RuntimeError):
    """Another process holds one of the locks a job needs."""

    def __init__(self, name: str, holder: str) -> None:
        super().__init__(f"{name} is already running ({holder})")
        self.name = name
        self.holder = holder


class JobLock:
    """Exclusive locks on `names` under `directory`, taken in sorted order, all or none.

    Use as a context manager after `acquire()`, or `with JobLock(...).acquire(wait=...)`.
    `wait`: False fails at once with LockHeld, True waits forever, a number waits that many
    seconds.
    """

    def __init__(self, directory: Path, names: Sequence[str], owner: str) -> None:
        self.directory = Path(directory)
        self.names = sorted(set(names))
        self.owner = owner
        self._held: list[IO[str]] = []

    def acquire(self, wait: bool | float = False, poll: float = 0.2) -> JobLock:
        self.directory.mkdir(parents=True, exist_ok=True)
        deadline = None if wait is True else time.monotonic() + (0 if wait is False else wait)
        try:
            for name in self.names:
                self._held.append(self._take(name, deadline, poll))
        except BaseException:
            self.release()
            raise
        return self

    def _take(self, name: str, deadline: float | None, poll: float) -> IO[str]:
        path = self.directory / f"{name}.lock"
        f = path.open("a+", encoding="utf-8")
        while True:
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if deadline is not None and time.monotonic() >= deadline:
                    f.seek(0)
                    holder = f.read().strip() or "another process"
                    f.close()
                    raise LockHeld(name, holder) from None
                time.sleep(poll)
        f.seek(0)
        f.truncate()
        started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        f.write(f"{self.owner}, pid {os.getpid()} on {socket.gethostname()}, since {started}")
        f.flush()
        return f

    def release(self) -> None:
        while self._held:
            f = self._held.pop()
            try:
                f.seek(0)
                f.truncate()
                fcntl.flock(f.fileno(), fcntl.LOCK_UN)
            finally:
                f.close()

    def __enter__(self) -> JobLock:
        if not self._held:
            self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
