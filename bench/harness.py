"""A tiny benchmark harness shared by the bench/bench_*.py scripts.

Time a Python callable or a command N times, summarise (median, p95, min), measure a child's peak
RSS, print a table with a ratio against a baseline measured in the same run, and append one JSON
line per result to bench/results/<bench>.jsonl (gitignored) so runs can be compared later.

    from bench.harness import measure, measure_cmd, measure_cmds, print_table, save_results

    base = measure_cmd([sys.executable, "-c", "pass"], repeat=10, name="python -c pass")
    cli = measure_cmd(["airace", "--help"], repeat=10, name="airace --help")
    print_table([base, cli], baseline=base, title="CLI start")
    save_results("cli_start", [base, cli])

`measure_cmds({name: argv, ...})` interleaves several commands round by round (fairer ratios on a
busy machine).

Only the standard library is imported here, so importing the harness costs nothing measurable.
"""

from __future__ import annotations

import json
import math
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

REPO = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass
class Timing:
    """The wall-clock samples (seconds) of one measured thing, plus optional extras.

    `peak_rss_mb` is the largest peak resident set size seen among the runs of a command (None for
    callables, which run in this process). `extra` holds anything a script wants in the table and
    the JSON line (rows processed, sizes, ...).
    """

    name: str
    samples: list[float]
    peak_rss_mb: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.samples)

    @property
    def median(self) -> float:
        return statistics.median(self.samples) if self.samples else math.nan

    @property
    def p95(self) -> float:
        """Nearest-rank 95th percentile (the maximum when there are fewer than 20 samples)."""
        if not self.samples:
            return math.nan
        ordered = sorted(self.samples)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]

    @property
    def min(self) -> float:
        return min(self.samples) if self.samples else math.nan

    @property
    def mean(self) -> float:
        return statistics.fmean(self.samples) if self.samples else math.nan

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "n": self.n,
            "median_s": self.median,
            "p95_s": self.p95,
            "min_s": self.min,
            "mean_s": self.mean,
            "peak_rss_mb": self.peak_rss_mb,
            "samples_s": self.samples,
            **({"extra": self.extra} if self.extra else {}),
        }


def measure(
    fn: Callable[[], object], repeat: int = 10, *, name: str | None = None, warmup: int = 1
) -> Timing:
    """Call `fn()` `warmup` times untimed, then `repeat` times timed with perf_counter."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return Timing(name or getattr(fn, "__name__", "callable"), samples)


def run_cmd(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | Path | None = None,
    check: bool = True,
) -> tuple[float, float, int]:
    """Run a command once (output discarded): (wall seconds, peak RSS in MB, exit status).

    The peak RSS is the child's own (`wait4` rusage), not this process's.
    """
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        list(argv),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=dict(env) if env is not None else None,
        cwd=cwd,
    )
    _pid, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if check and proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, list(argv))
    # ru_maxrss is in KiB on Linux, bytes on macOS.
    rss_mb = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return elapsed, rss_mb, proc.returncode


def measure_cmd(
    argv: Sequence[str],
    repeat: int = 10,
    *,
    name: str | None = None,
    warmup: int = 1,
    env: Mapping[str, str] | None = None,
    cwd: str | Path | None = None,
    check: bool = True,
) -> Timing:
    """Run a command `warmup` times untimed, then `repeat` times: wall time and peak RSS."""
    for _ in range(warmup):
        run_cmd(argv, env=env, cwd=cwd, check=check)
    samples, peak = [], 0.0
    for _ in range(repeat):
        elapsed, rss, _code = run_cmd(argv, env=env, cwd=cwd, check=check)
        samples.append(elapsed)
        peak = max(peak, rss)
    return Timing(name or " ".join(argv), samples, peak_rss_mb=peak)


def measure_cmds(
    commands: Mapping[str, Sequence[str]],
    repeat: int = 10,
    *,
    warmup: int = 1,
    env: Mapping[str, str] | None = None,
    cwd: str | Path | None = None,
    check: bool = True,
) -> list[Timing]:
    """Like measure_cmd for several commands, interleaved round by round ({name: argv} order).

    On a shared machine the load changes during a run; interleaving spreads it evenly over the
    commands, so the ratios stay fair.
    """
    for _ in range(warmup):
        for argv in commands.values():
            run_cmd(argv, env=env, cwd=cwd, check=check)
    timings = {name: Timing(name, [], peak_rss_mb=0.0) for name in commands}
    for _ in range(repeat):
        for name, argv in commands.items():
            elapsed, rss, _code = run_cmd(argv, env=env, cwd=cwd, check=check)
            t = timings[name]
            t.samples.append(elapsed)
            t.peak_rss_mb = max(t.peak_rss_mb or 0.0, rss)
    return list(timings.values())


def _fmt_s(seconds: float) -> str:
    if math.isnan(seconds):
        return "-"
    if seconds < 1:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds:.2f} s"


def print_table(
    rows: Sequence[Timing],
    baseline: Timing | None = None,
    *,
    title: str | None = None,
    file: TextIO | None = None,
) -> None:
    """Print one line per Timing: n, median, p95, min, peak RSS, and median / baseline median."""
    out = file or sys.stdout
    extra_keys: list[str] = []
    for r in rows:
        extra_keys += [k for k in r.extra if k not in extra_keys]
    header = ["name", "n", "median", "p95", "min", "peak RSS", "x baseline", *extra_keys]
    table = [header]
    for r in rows:
        ratio = "-"
        if baseline is not None and baseline.median > 0:
            ratio = "1.00 (base)" if r is baseline else f"{r.median / baseline.median:.2f}"
        rss = f"{r.peak_rss_mb:.0f} MB" if r.peak_rss_mb is not None else "-"
        cells = [r.name, str(r.n), _fmt_s(r.median), _fmt_s(r.p95), _fmt_s(r.min), rss, ratio]
        cells += [str(r.extra.get(k, "")) for k in extra_keys]
        table.append(cells)
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    if title:
        print(title, file=out)
    for i, row in enumerate(table):
        line = "  ".join(
            c.ljust(w) if j == 0 else c.rjust(w)
            for j, (c, w) in enumerate(zip(row, widths, strict=True))
        )
        print(line.rstrip(), file=out)
        if i == 0:
            print("  ".join("-" * w for w in widths), file=out)
    out.flush()


def _git_commit() -> str | None:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def save_results(
    bench: str,
    rows: Sequence[Timing],
    *,
    baseline: Timing | None = None,
    params: Mapping[str, Any] | None = None,
    results_dir: Path | None = None,
) -> Path:
    """Append one JSON line per Timing to `<results_dir>/<bench>.jsonl`; returns the file path.

    Each line carries the time, git commit, host, Python version, the script's `params` and the
    ratio to `baseline`, so `jq` or pandas can compare runs.
    """
    directory = results_dir or RESULTS_DIR
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{bench}.jsonl"
    common = {
        "bench": bench,
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "commit": _git_commit(),
        "host": socket.gethostname(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "params": dict(params or {}),
    }
    with path.open("a", encoding="utf-8") as f:
        for r in rows:
            line = {**common, **r.as_dict()}
            if baseline is not None and baseline.median > 0:
                line["baseline"] = baseline.name
                line["ratio"] = r.median / baseline.median
            f.write(json.dumps(line) + "\n")
    return path
