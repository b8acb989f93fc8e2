"""CLI commands: analyze (stored articles) and annotate (a JSONL file, no database)."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from airace import stages
from airace.commands.common import app_context, parse_date, stage_lock
from airace.errors import UserError

if TYPE_CHECKING:
    pass


# Optional fields of an `annotate` input line and the types they take (None is allowed).
_OPTIONAL_FIELDS: dict[str, tuple[type, ...]] = {
    "title": (str,),
    "language": (str,),
    "published": (str,),
}


def check_item(item: Any, where: str) -> str | None:
    """Why an `annotate` input line is not acceptable (one line, starting with `where`), or None."""
    if not isinstance(item, dict):
        return f"{where}: expected a JSON object"
    if not isinstance(item.get("text"), str):
        return f'{where}: expected an object with a "text" string'
    if "id" in item and (isinstance(item["id"], bool) or not isinstance(item["id"], str | int)):
        return f'{where}: "id" must be a string or an integer, got {_shown(item["id"])}'
    for name, types in _OPTIONAL_FIELDS.items():
        value = item.get(name)
        if value is not None and not isinstance(value, types):
            return f'{where}: "{name}" must be a string, got {_shown(value)}'
    targets = item.get("targets")
    if targets is not None and (
        not isinstance(targets, list) or not all(isinstance(t, str) and t.strip() for t in targets)
    ):
        return f'{where}: "targets" must be a list of names (non-empty strings)'
    return None


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."


def _read_jsonl(path: Path) -> Any:
    stream = sys.stdin if str(path) == "-" else None
    try:
        f = stream or path.open(encoding="utf-8")
    except OSError as e:
        raise UserError(f"cannot read {path}: {e.strerror}") from None
    with f:
        try:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    item = json.loads(line)
                except json.JSONDecodeError as e:
                    raise UserError(f"{path}:{n}: not valid JSON ({e.msg})") from None
                problem = check_item(item, f"{path}:{n}")
                if problem:
                    raise UserError(problem)
                item.setdefault("id", n)
                yield item
        except UnicodeDecodeError:
            raise UserError(f"{path}: not UTF-8 text") from None


def _run_worker(app_ctx: Any, *, lease: float | None, idle_exit: bool) -> None:
    """`analyze --worker`: claim batches until stopped (SIGTERM/SIGINT end it after the batch)."""
    import signal

    from sqlalchemy.engine import make_url

    from nlp.analyze import worker_name

    # Said before the database is opened: a SQLite file is refused whether it exists or not.
    if make_url(app_ctx.settings.database_url).get_backend_name() != "postgresql":
        raise UserError(
            "--worker needs PostgreSQL: SQLite has a single writer, so one analysis process is "
            "the limit there (run plain 'airace analyze')"
        )
    analyzer = stages.load_analyzer(app_ctx.settings)
    stop: list[int] = []

    def on_signal(signum: int, frame: Any) -> None:
        stop.append(signum)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    name = worker_name()
    if lease is None:
        lease = app_ctx.settings.analyze_lease
    typer.echo(f"worker {name}: started (lease {lease:g}s)", err=True)
    try:
        summary = stages.analyze_worker(
            app_ctx.settings,
            app_ctx.sessions,
            analyzer=analyzer,
            lease=lease,
            idle_exit=idle_exit,
            should_stop=lambda: bool(stop),
        )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    skipped = ", ".join(f"{k} {v}" for k, v in sorted(summary.skipped.items())) or "0"
    typer.echo(
        f"worker {name}: analysed {summary.analysed}, skipped {skipped}, failed {summary.failed}"
    )
    for line in summary.failures:
        typer.echo(f"  failed: {line}", err=True)


def _analyze(app_ctx: Any, start: Any, reprocess: bool, limit: int | None) -> None:
    """Plain `airace analyze`: the pending articles, one committed batch at a time."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    analyzer = stages.load_analyzer(app_ctx.settings)
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=False,
        console=None,
        disable=not sys.stderr.isatty(),
    ) as bar:
        task = bar.add_task("analysing", total=None)

        def progress(summary: Any) -> None:
            bar.update(task, total=summary.total, completed=summary.processed)

        summary = stages.analyze(
            app_ctx.settings,
            app_ctx.sessions,
            analyzer=analyzer,
            since=start,
            reprocess=reprocess,
            limit=limit,
            progress=progress,
        )
    skipped = ", ".join(f"{k} {v}" for k, v in sorted(summary.skipped.items())) or "0"
    typer.echo(f"analysed {summary.analysed}, skipped {skipped}, failed {summary.failed}")
    for line in summary.failures:
        typer.echo(f"  failed: {line}", err=True)


def analyze_cmd(
    ctx: typer.Context,
    since: str | None = typer.Option(
        None, "--since", help="Only articles published (or fetched) on or after this date."
    ),
    reprocess: bool = typer.Option(
        False, "--reprocess", help="Analyse again articles already analysed by this version."
    ),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Stop after N articles."),
    worker: bool = typer.Option(
        False,
        "--worker",
        help="Run as one of several analysis workers sharing the backlog (PostgreSQL only).",
    ),
    lease: float | None = typer.Option(
        None,
        "--lease",
        min=1.0,
        help="With --worker: seconds a claimed batch stays reserved without a renewal "
        "(default: the analyze_lease setting).",
    ),
    idle_exit: bool = typer.Option(
        False, "--idle-exit", help="With --worker: exit when no article is left to analyse."
    ),
) -> None:
    """Analyse stored articles: entities, stance, themes, embeddings.

    Picks articles that are new or were analysed by an older pipeline version, in batches
    committed one by one; a killed run resumes where it stopped. With --worker, run as many
    processes as you like (on several machines) against one PostgreSQL database: they share
    the backlog, never analyse an article twice, and take over a dead worker's batch once its
    lease has passed. SQLite has one writer: --worker is refused there.

    Example: airace analyze --since 2025-01-01
    Example: airace --db postgresql+psycopg://db/airace analyze --worker --idle-exit
    """

    app_ctx = app_context(ctx)
    start = parse_date(since, "--since")
    if not worker and (idle_exit or lease is not None):
        raise UserError("--lease and --idle-exit go with --worker")
    if worker:
        if since is not None or reprocess or limit is not None:
            raise UserError("--worker takes the whole backlog: drop --since/--reprocess/--limit")
        _run_worker(app_ctx, lease=lease, idle_exit=idle_exit)
        return
    with stage_lock(app_ctx.settings, "analyze", "airace analyze"):
        _analyze(app_ctx, start, reprocess, limit)


def annotate_cmd(
    ctx: typer.Context,
    input: Path = typer.Argument(
        ..., help='JSONL file of {"id", "text", "title"?, "targets"?, ...}; - for stdin.'
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Output JSONL (default stdout)."
    ),
) -> None:
    """Analyse a JSONL file of texts without a database; one JSON result per line.

    Input line: {"id"?, "text", "title"?, "language"?, "published"?, "targets"?}; with
    "targets": ["Infosys", ...] the output also gives a stance for each named target, found
    in the text by name or knowledge-base alias (known to the knowledge base or not).
    Output line: {"id", "language", "entities": [...], "stances": [...], "themes": [...],
    "targets"?: [{"target", "entity", "found", "score", "label", "confidence", "evidence"}]}.
    A bad input line is one error naming the line; -o is written only when all went well.

    Example: airace annotate in.jsonl -o out.jsonl
    """
    # The output has no vectors: the embedding model is not loaded.
    items = list(_read_jsonl(input))
    analyzer = stages.load_analyzer(app_context(ctx).settings, embeddings=False)
    if output is None:
        for result in analyzer.annotate(items):
            sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
        return
    # Written to a temporary file beside the output, renamed over it at the end: a failed
    # run leaves no empty or partial file (and an older output stays as it was).
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
    except OSError as e:
        raise UserError(f"cannot write {output}: {e.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            n = 0
            for result in analyzer.annotate(items):
                out.write(json.dumps(result, ensure_ascii=False) + "\n")
                n += 1
        from airace.commands.train_cmd import _file_mode

        os.chmod(tmp, _file_mode())  # as a plain open() would have made it
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    typer.echo(f"annotated {n} texts -> {output}", err=True)


def register(app: typer.Typer) -> None:
    app.command("analyze")(analyze_cmd)
    app.command("annotate")(annotate_cmd)
