"""`airace run` (one full cycle) and `airace schedule` (the cron jobs in one process)."""

from __future__ import annotations

import typer

from airace.commands.common import app_context
from airace.errors import UserError
from airace.output import Format, emit


def _echo(message: str) -> None:
    typer.echo(message, err=True)


def _wait_value(wait: bool, timeout: float | None) -> bool | float:
    if timeout is not None:
        if timeout < 0:
            raise UserError(f"--timeout must be positive, got {timeout}")
        return timeout
    return wait


def run_cmd(
    ctx: typer.Context,
    wait: bool = typer.Option(
        False, "--wait", help="If another run holds the lock, wait for it instead of exiting."
    ),
    timeout: float | None = typer.Option(
        None, "--timeout", help="With --wait: give up after this many seconds."
    ),
    only: str | None = typer.Option(
        None,
        "--stages",
        help="Comma-separated stages to run, in order (crawl, analyze, stories, "
        "prices, react, report); default: crawl,analyze,stories,prices,react.",
    ),
    fmt: Format = typer.Option(
        Format.table, "--format", "-f", help="Summary as table, json, jsonl or csv."
    ),
) -> None:
    """One full cycle: crawl, analyze, stories, prices update, react; a summary at the end.

    A failing stage is reported and the others still run; the exit code is 1 when any stage
    failed or another run (or scheduled job) holds the lock, 0 otherwise. Progress goes to
    stderr, the summary to stdout; every run is recorded in the job_runs table.

    `--stages` runs a subset under the same locks, which is how cron or a systemd timer can
    replace `airace schedule` (see the README).

    Example: airace run --wait --timeout 600
    """
    from airace.pipeline import STAGES, run_job, stages, summary_rows

    names = [n.strip() for n in (only or "").split(",") if n.strip()]
    unknown = [n for n in names if n not in STAGES]
    if unknown or (only is not None and not names):
        raise UserError(
            f"--stages: unknown {', '.join(unknown) or 'empty list'}; "
            f"choose from {', '.join(STAGES)}"
        )
    actx = app_context(ctx).creating()
    result = run_job(
        actx.settings,
        actx.sessions,
        job="run",
        stage_list=stages(names) if names else None,
        trigger="manual",
        wait=_wait_value(wait, timeout),
        echo=_echo,
    )
    if result.status == "skipped":
        waited = _wait_value(wait, timeout)
        hint = (
            f"still running after waiting {waited:g}s"
            if waited is not False and waited is not True
            else "use --wait to wait for it"
        )
        typer.echo(f"airace: {result.message}; {hint}", err=True)
        raise typer.Exit(1)
    emit(summary_rows(result), fmt, columns=["stage", "status", "seconds", "summary"])
    if fmt is Format.table:
        typer.echo(result.message)
    raise typer.Exit(result.exit_code)


def schedule_cmd(
    ctx: typer.Context,
    list_: bool = typer.Option(
        False, "--list", help="Print the jobs and their next run times, then exit."
    ),
    once: bool = typer.Option(False, "--once", help="Run every job once now, then exit."),
    fmt: Format = typer.Option(
        Format.table, "--format", "-f", help="Output of --list: table, json, jsonl or csv."
    ),
) -> None:
    """Run the jobs on their cron schedules (settings schedule_*) until SIGTERM or Ctrl-C.

    Jobs: crawl (crawl + analyze + stories), prices (prices update + react), report (last week's
    briefing). A job never overlaps itself nor a manual `airace run` in another process;
    each run is recorded in job_runs.

    Example: airace schedule --list
    """
    from airace.scheduler import ScheduleError, list_jobs, run_once, serve

    actx = app_context(ctx).creating()
    try:
        if list_:
            emit(list_jobs(actx.settings), fmt)
            return
        if once:
            results = run_once(actx.settings, actx.sessions, echo=_echo)
            for r in results:
                typer.echo(f"{r.job}: {r.status} - {r.message}")
            raise typer.Exit(max(r.exit_code for r in results))
        rows = list_jobs(actx.settings)
        for row in rows:
            _echo(f"{row['job']}: {row['cron']} ({row['timezone']}), next {row['next_run']}")
        serve(actx.settings, actx.sessions, echo=_echo)
    except ScheduleError as e:
        raise UserError(str(e)) from None


def register(app: typer.Typer) -> None:
    app.command("run")(run_cmd)
    app.command("schedule")(schedule_cmd)
