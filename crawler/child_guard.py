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
import functools
import os
import signal
import sys
import threading
import time
from collections.abc import Callable

PARENT_PID_ENV = "AIRACE_PARENT_PID"  # set by the parent: its pid, known before the child runs
_PR_SET_PDEATHSIG = 1


@functools.cache
def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl  # type: ignore[no-any-return]
    except (OSError, AttributeError):
        return None


def set_parent_death_signal(sig: int) -> bool:
    """Ask Linux to send `sig` to this process when its parent dies; False elsewhere."""
    prctl = _prctl()
    return prctl is not None and prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0


def parent_death_signal_setter(sig: int) -> Callable[[], None]:
    """A `preexec_fn` for subprocess that sets the parent-death signal in the child (the C
    function is looked up here, in the parent, so the forked child only calls it)."""
    prctl = _prctl()

    def setter() -> None:
        if prctl is not None:
            prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)

    return setter


def die_with_parent(parent_pid: int | None = None, *, poll: float = 0.5) -> None:
    """End this process (SIGKILL) as soon as the parent `parent_pid` is gone.

    `parent_pid` defaults to `$AIRACE_PARENT_PID`, then to the current parent. A parent that
    died before this call is noticed at once.
    """
    if parent_pid is None:
        env = os.environ.get(PARENT_PID_ENV, "")
        parent_pid = int(env) if env.isdigit() else os.getppid()
    set_parent_death_signal(signal.SIGKILL)
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
