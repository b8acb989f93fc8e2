"""Run a helper program (Datasette for `airace browse`) in the foreground, tied to this process.

`run_tied(argv)` starts the child so that it ends with airace however airace ends: SIGTERM,
SIGHUP and Ctrl-C are passed on to the child and waited for (then the caller's `finally` runs,
e.g. to remove temporary files), and on Linux the child gets SIGTERM from the kernel if airace
is killed outright (`PR_SET_PDEATHSIG`), so no server is left listening behind a dead command.
"""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Sequence
from types import FrameType

from crawler.child_guard import parent_death_signal_setter

GRACE_SECONDS = 5.0  # how long the child gets to stop before it is killed


def run_tied(argv: Sequence[str]) -> int:
    """Run `argv` until it exits or this process is told to stop; the child's exit code
    (0 when it was stopped on our behalf)."""
    proc = subprocess.Popen(list(argv), preexec_fn=parent_death_signal_setter(signal.SIGTERM))
    stopping: list[int] = []

    def forward(signum: int, _frame: FrameType | None) -> None:
        stopping.append(signum)
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)

    wanted = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)
    previous = {sig: signal.signal(sig, forward) for sig in wanted}
    try:
        while True:
            try:
                code = proc.wait(timeout=GRACE_SECONDS if stopping else None)
                break
            except subprocess.TimeoutExpired:
                proc.kill()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return 0 if stopping else code
