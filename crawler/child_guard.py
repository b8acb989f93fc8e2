"""Make a child process end with its parent, however the parent ends (SIGKILL included).

The crawl runs Scrapy in a child process; a parent killed with SIGKILL cannot stop it, and an
orphaned crawl would go on fetching and writing beside the next run (whose lock is already
free). `die_with_parent` asks Linux to SIGKILL this process when its parent dies
(`prctl(PR_SET_PDEATHSIG)`) and, for other systems and as a second guard, starts a thread that
watches the parent's pid and ends the process when it changes. What the child committed stays:
the crawl writes in committed batches, and the next run skips what is stored.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

PARENT_PID_ENV = "AIRACE_PARENT_PID"  # set by the parent: its pid, known before the child runs
_PR_SET_PDEATHSIG = 1


def _set_pdeathsig(sig: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        return bool(libc.prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def die_with_parent(parent_pid: int | None = None, *, poll: float = 0.5) -> None:
    """End this process (SIGKILL) as soon as the parent `parent_pid` is gone.

    `parent_pid` defaults to `$AIRACE_PARENT_PID`, then to the current parent. A parent that
    died before this call is noticed at once.
    """
    if parent_pid is None:
        env = os.environ.get(PARENT_PID_ENV, "")
        parent_pid = int(env) if env.isdigit() else os.getppid()
    _set_pdeathsig(signal.SIGKILL)
    if os.getppid() != parent_pid:  # the parent died before the guard was in place
        os.kill(os.getpid(), signal.SIGKILL)

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(poll)
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def child_env_for(parent_pid: int | None = None) -> dict[str, str]:
    """The environment entry that tells a child who its parent is."""
    return {PARENT_PID_ENV: str(os.getpid() if parent_pid is None else parent_pid)}
