"""`airace query articles|entities|reactions`, `airace search`, `airace sql`, `airace browse`.

Each command opens the store, calls one function of db/queries.py, db/search.py or the
read-only engine, and prints the rows with airace.output.emit. JSON field names are listed in
docs/queries.md and in each command's help; they are stable. Table output shortens long text to
fit a terminal; json, jsonl and csv carry every field in full.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import typer

from airace import stages
from airace.commands.common import app_context, parse_date
from airace.context import check_database_url
from airace.errors import UserError
from airace.output import Format, emit

FORMAT_HELP = "table, json, jsonl or csv (csv opens in a spreadsheet)."


def _format_option() -> Any:
    return typer.Option(Format.table, "--format", "-f", help=FORMAT_HELP)


def _short(value: str | None, width: int) -> str:
    text = " ".join((value or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _room(fixed: int, least: int = 24) -> int:
    """Width left for the one free-text column of a table once `fixed` columns are drawn."""
    import shutil

    return max(least, shutil.get_terminal_size((100, 24)).columns - fixed)


def _day(value: Any) -> str:
    return value.date().isoformat() if isinstance(value, dt.datetime) else str(value or "")


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value * 100:+.1f}%"


def _signed(value: float | None) -> str:
    return "" if value is None else f"{value:+.2f}"


STANCE_MARK = {"favourable": "+", "unfavourable": "-", "neutral": "=", None: ""}


def _lookup(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call a db.queries function, turning an unknown name or bad value into a UserError."""
    from db.queries import LookupFailed

    try:
        return fn(*args, **kwargs)
    except (LookupFailed, ValueError) as e:
        raise UserError(str(e.args[0] if e.args else e)) from None


def _check_limit(limit: int) -> int:
    if limit < 1:
        raise UserError(f"--limit must be at least 1, got {limit}")
    return limit


def _dates(since: str | None, until: str | None) -> tuple[dt.date | None, dt.date | None]:
    """--since and --until parsed; --since after --until is a usage error."""
    first, last = parse_date(since, "--since"), parse_date(until, "--until")
    if first is not None and last is not None and first > last:
        raise UserError(f"--since {first} is after --until {last}")
    return first, last


def _where(url: str) -> str:
    """The database as a person names it: a SQLite file's path, else the URL without password."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.get_backend_name() == "sqlite" and u.database:
        return u.database
    return u.render_as_string(hide_password=True)


def _empty_store(ctx: typer.Context, session: Any) -> bool:
    """True (after saying so on stderr) when the database holds no article at all."""
    from db.queries import has_articles

    if has_articles(session):
        return False
    where = _where(app_context(ctx).settings.database_url)
    typer.echo(
        f"the database at {where} has no articles: run `airace demo` or `airace crawl`",
        err=True,
    )
    return True


def _emit(
    rows: list[dict[str, Any]],
    fmt: Format,
    columns: Any,
    *,
    none: str,
    table: list[dict[str, Any]] | None = None,
    table_columns: list[str] | None = None,
    title: str | None = None,
) -> None:
    """Print rows; with none, one line on stderr (`none`, unless empty: already said) and, for
    json/csv, [] or the header row."""
    if not rows:
        if none:
            typer.echo(none, err=True)
        if fmt is not Format.table:
            emit([], fmt, columns=columns)
        return
    if fmt is not Format.table:
        emit(rows, fmt, columns=columns)
        return
    emit(table or [], fmt, columns=table_columns, title=title)


query_app = typer.Typer(
    help=(
        "Query articles, entities and reactions (field names: docs/queries.md).\n\n"
        "Example: airace query articles --entity Google --format json"
    ),
    no_args_is_help=True,
)


@query_app.command("articles")
def query_articles(
    ctx: typer.Context,
    entity: str | None = typer.Option(
        None, "--entity", "-e", help="Entity name, key or alias (Google finds Alphabet)."
    ),
    ticker: str | None = typer.Option(
        None, "--ticker", "-t", help="Articles about entities listed as this ticker."
    ),
    theme: str | None = typer.Option(None, "--theme", help="Theme name, e.g. efficiency."),
    stance: str | None = typer.Option(
        None,
        "--stance",
        help="favourable, unfavourable or neutral (toward --entity when given).",
    ),
    since: str | None = typer.Option(None, "--since", help="First day, YYYY-MM-DD (UTC)."),
    until: str | None = typer.Option(None, "--until", help="Last day, YYYY-MM-DD (UTC)."),
    lang: str | None = typer.Option(None, "--lang", help="Language code: en or fr."),
    source: str | None = typer.Option(None, "--source", help="Source name."),
    limit: int = typer.Option(50, "--limit", "-n", help="Most rows to print."),
    novel_only: bool = typer.Option(
        False, "--novel-only", help="First reports of a story only (see `airace stories`)."
    ),
    fmt: Format = _format_option(),
) -> None:
    """Newest articles matching every filter, with their entities (ticker, stance).

    JSON fields: id, url, title, source, language, published_at, entities [key, name, type,
    ticker, mentions, salience, stance, stance_score], themes [theme, score].

    Example: airace query articles --entity Google --since 2025-01-01 --format json
    """
    from db.queries import articles

    first, last = _dates(since, until)
    none = "no articles match"
    with app_context(ctx).sessions() as session:
        if _empty_store(ctx, session):
            rows, none = [], ""
        else:
            rows = _lookup(
                articles,
                session,
                entity=entity,
                ticker=ticker,
                theme=theme,
                stance=stance,
                since=first,
                until=last,
                lang=lang,
                source=source,
                limit=_check_limit(limit),
                novel_only=novel_only,
            )
    table = [
        {
            "id": r["id"],
            "date": _day(r["published_at"]),
            "source": _short(r["source"], 14),
            "lang": r["language"] or "",
            "title": _short(r["title"], _room(84)),
            "entities": _short(
                ", ".join(
                    e["name"]
                    + (f" ({e['ticker']})" if e["ticker"] else "")
                    + STANCE_MARK[e["stance"]]
                    for e in r["entities"]
                ),
                30,
            ),
        }
        for r in rows
    ]
    _emit(
        rows,
        fmt,
        _article_columns(),
        none=none,
        table=table,
        table_columns=["id", "date", "source", "lang", "title", "entities"],
    )


@query_app.command("entities")
def query_entities(
    ctx: typer.Context,
    since: str | None = typer.Option(
        None, "--since", help="First day (default: 6 days before --until)."
    ),
    until: str | None = typer.Option(None, "--until", help="Last day (default: today, UTC)."),
    type_: str | None = typer.Option(
        None, "--type", help="company, ai_lab, model, product, person, government, ..."
    ),
    limit: int = typer.Option(50, "--limit", "-n", help="Most rows to print."),
    fmt: Format = _format_option(),
) -> None:
    """Most-mentioned entities of a period, net stance, and trend against the previous period.

    The previous period has the same length and ends the day before --since.
    JSON fields: id, key, name, type, ticker, articles, mentions, favourable, unfavourable,
    net_stance, articles_prev, net_stance_prev, articles_change, stance_change, trend
    (up | down | flat | new).

    Example: airace query entities --since 2025-01-20 --until 2025-01-26 --type company
    """
    from db.models import ENTITY_TYPES
    from db.queries import ENTITY_FIELDS, default_period, entities, newest_article_day

    if type_ is not None and type_ not in ENTITY_TYPES:
        raise UserError(f"--type must be one of {', '.join(ENTITY_TYPES)}, got {type_!r}")
    first, last = _dates(since, until)
    first, last = default_period(last, first)
    if first > last:
        raise UserError(f"--since {first} is after --until {last} (today, by default)")
    days = (last - first).days + 1
    prev = f"{first - dt.timedelta(days=days)}..{first - dt.timedelta(days=1)}"
    period = f"{first}..{last}"
    none = f"no entity mentioned in {period}"
    newest: dt.date | None = None
    with app_context(ctx).sessions() as session:
        if _empty_store(ctx, session):
            rows, none = [], ""
        else:
            rows = _lookup(
                entities, session, since=first, until=last, type=type_, limit=_check_limit(limit)
            )
            newest = newest_article_day(session) if not rows else None
    if not rows and newest is not None and newest < first:
        none += f"; the newest article is from {newest} (try --until {newest})"
    elif since is None and until is None and rows:
        typer.echo(f"period {period} (against {prev}); --since/--until for another", err=True)
    table = [
        {
            "name": _short(r["name"], 24),
            "type": r["type"],
            "ticker": r["ticker"] or "",
            "articles": r["articles"],
            "prev": r["articles_prev"],
            "trend": r["trend"],
            "net stance": _signed(r["net_stance"]),
            "change": _signed(r["stance_change"]),
        }
        for r in rows
    ]
    _emit(
        rows,
        fmt,
        ENTITY_FIELDS,
        none=none,
        table=table,
        table_columns=list(table[0]) if table else None,
        title=f"{period} against {prev}",
    )


@query_app.command("reactions")
def query_reactions(
    ctx: typer.Context,
    ticker: str | None = typer.Option(None, "--ticker", "-t", help="Only this ticker."),
    entity: str | None = typer.Option(
        None, "--entity", "-e", help="Only stories mentioning this entity (name or alias)."
    ),
    window: str = typer.Option(
        "0,1", "--window", "-w", help="Event window in sessions: 0,0 | 0,1 | -1,1 | 0,5."
    ),
    min_abs_car: float | None = typer.Option(
        None, "--min-abs-car", help="Only moves with |CAR| at least this (0.05 = 5%)."
    ),
    since: str | None = typer.Option(None, "--since", help="First event day, YYYY-MM-DD."),
    until: str | None = typer.Option(None, "--until", help="Last event day, YYYY-MM-DD."),
    limit: int = typer.Option(20, "--limit", "-n", help="Most rows to print."),
    fmt: Format = _format_option(),
) -> None:
    """The biggest moves (largest |CAR| first) with the stories behind them.

    JSON fields: article_id, title, url, published_at, ticker, event_date, window, link_type,
    link_weight, via, stance, stance_score, raw_return, abnormal_return (day 0), car, t_stat,
    benchmark, model. Returns are fractions (-0.17 = -17%).

    Example: airace query reactions --ticker NVDA --window 0,1 --min-abs-car 0.05
    """
    from db.queries import REACTION_FIELDS, parse_window, reactions
    from db.reactions import WINDOWS

    choices = " | ".join(f"{a},{b}" for a, b in WINDOWS)
    try:
        span = parse_window(window)
    except ValueError as e:
        raise UserError(f"--window: {e}; choose {choices}") from None
    if span not in WINDOWS:
        raise UserError(f"--window: {window!r} is not computed; choose {choices}")
    first, last = _dates(since, until)
    none = "no reactions match"
    with app_context(ctx).sessions() as session:
        if _empty_store(ctx, session):
            rows, none = [], ""
        else:
            rows = _lookup(
                reactions,
                session,
                ticker=ticker,
                entity=entity,
                window=span,
                min_abs_car=min_abs_car,
                since=first,
                until=last,
                limit=_check_limit(limit),
            )
    table = [
        {
            "day": str(r["event_date"]),
            "ticker": r["ticker"],
            "CAR": _pct(r["car"]),
            "AR0": _pct(r["abnormal_return"]),
            "t": "" if r["t_stat"] is None else f"{r['t_stat']:.1f}",
            "link": r["link_type"],
            "stance": STANCE_MARK[r["stance"]],
            "story": _short(r["title"], _room(76)),
        }
        for r in rows
    ]
    _emit(
        rows,
        fmt,
        REACTION_FIELDS,
        none=none,
        table=table,
        table_columns=list(table[0]) if table else None,
    )


def search_cmd(
    ctx: typer.Context,
    text: str = typer.Argument(..., help="What to look for: words, names, tickers."),
    limit: int = typer.Option(10, "--limit", "-n", help="Most rows to print."),
    since: str | None = typer.Option(None, "--since", help="First day, YYYY-MM-DD (UTC)."),
    keywords_only: bool = typer.Option(
        False, "--keywords-only", help="Skip the embedding model (fast start, exact words)."
    ),
    fmt: Format = _format_option(),
) -> None:
    """Semantic search over articles blended with keyword matching (names, tickers exactly).

    Uses the `embedding_model` setting; only vectors of that model are compared. A ticker,
    name or alias in the text also finds the articles linked to that entity (NVDA: the Nvidia
    stories). JSON fields: id, url, title, source, language, published_at, score (fused),
    similarity (cosine), semantic_rank, keyword_rank, entity_rank.

    Example: airace search "cheaper training of reasoning models" --limit 5
    """
    from db.search import SEARCH_FIELDS, search

    if not text.strip():
        raise UserError("search text is empty")
    actx = app_context(ctx)
    encoder = None if keywords_only else stages.search_encoder(actx.settings)
    none = f"nothing matches {text!r}"
    with actx.sessions() as session:
        if _empty_store(ctx, session):
            rows, none = [], ""
        else:
            rows = search(
                session,
                text,
                encoder=encoder,
                limit=_check_limit(limit),
                since=parse_date(since, "--since"),
            )
    table = [
        {
            "id": r["id"],
            "date": _day(r["published_at"]),
            "source": _short(r["source"], 14),
            "title": _short(r["title"], _room(62)),
            "sim": "" if r["similarity"] is None else f"{r['similarity']:.2f}",
            "kw": r["keyword_rank"] or "",
            "ent": r["entity_rank"] or "",
        }
        for r in rows
    ]
    _emit(
        rows,
        fmt,
        SEARCH_FIELDS,
        none=none,
        table=table,
        table_columns=["id", "date", "source", "title", "sim", "kw", "ent"],
    )


def sql_cmd(
    ctx: typer.Context,
    statement: str = typer.Argument(
        ..., help="One read-only statement: SELECT, WITH, VALUES or EXPLAIN."
    ),
    limit: int = typer.Option(1000, "--limit", "-n", help="Most rows to fetch and print."),
    timeout: float | None = typer.Option(
        None,
        "--timeout",
        help="Seconds before the statement is stopped (default: sql_timeout).",
    ),
    fmt: Format = _format_option(),
) -> None:
    """Run one read-only SQL statement against the store; anything else is refused.

    Exactly one SELECT, WITH (reads only), VALUES or EXPLAIN without ANALYZE, checked by a
    SQL parser before the database is opened, then run in a read-only transaction (SQLite:
    a read-only file that allows only reads) with a timeout. Connects with sql_database_url
    when set (a SELECT-only role, docs/deployment.md). Field names are the column names.

    Example: airace sql "SELECT language, count(*) AS n FROM articles GROUP BY language"
    """
    from airace import stages

    result = stages.sql(
        app_context(ctx).settings, statement, limit=_check_limit(limit), timeout=timeout
    )
    if fmt is Format.table:
        rows = [{k: _cell(v) for k, v in r.items()} for r in result.rows]
    else:
        rows = [{k: _jsonable_cell(v) for k, v in r.items()} for r in result.rows]
    emit(rows, fmt, columns=result.columns)
    if result.truncated:
        typer.echo(f"(first {limit} rows shown; raise --limit for more)", err=True)


def browse_cmd(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8001, "--port", "-p", help="Port (0: any free port)."),
    open_browser: bool = typer.Option(False, "--open", "-o", help="Open a web browser."),
) -> None:
    """Open the SQLite store in Datasette with canned queries and facets (pip install airace[browse]).

    The canned queries and facets are in airace/datasette_metadata.json.

    Example: airace browse --open
    """
    from pathlib import Path

    from airace.child_process import run_tied

    argv = datasette_argv(
        app_context(ctx).settings.database_url, host=host, port=port, open_browser=open_browser
    )
    metadata = Path(argv[argv.index("--metadata") + 1])
    try:  # SIGTERM, SIGHUP and Ctrl-C stop Datasette, then the temporary file goes
        code = run_tied(argv)
    finally:
        metadata.unlink(missing_ok=True)
    raise typer.Exit(code)


def _article_columns() -> tuple[str, ...]:
    from db.queries import ARTICLE_FIELDS

    return ARTICLE_FIELDS


# --------------------------------------------------------------------------------------------
# sql


def _jsonable_cell(value: Any) -> Any:
    from decimal import Decimal

    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _cell(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(bytes(value))} bytes>"
    value = _jsonable_cell(value)
    return _short(value, 60) if isinstance(value, str) else value


# --------------------------------------------------------------------------------------------
# browse


def datasette_argv(
    url: str, *, host: str = "127.0.0.1", port: int = 8001, open_browser: bool = False
) -> list[str]:
    """The `datasette serve` command for the SQLite store at `url`, with airace's metadata.

    Raises UserError when Datasette is not installed or the store is not a SQLite file.
    """
    import importlib.util
    import sys
    from pathlib import Path

    from sqlalchemy.engine import make_url

    check_database_url(url, must_exist=True)
    u = make_url(url)
    if u.get_backend_name() != "sqlite":
        raise UserError(
            "browse works on a SQLite store only; for PostgreSQL use `airace sql` or a SQL client"
        )
    if importlib.util.find_spec("datasette") is None:
        raise UserError("Datasette is not installed: pip install 'airace[browse]'")
    path = Path(u.database or "").expanduser()
    if not path.is_file():
        raise UserError(f"no database at {path}")
    metadata = write_datasette_metadata(path)
    argv = [sys.executable, "-m", "datasette", "serve", str(path), "--metadata", str(metadata)]
    argv += ["--host", host, "--port", str(port)]
    return [*argv, "--open"] if open_browser else argv


def write_datasette_metadata(db_path: Any) -> Any:
    """Write the shipped metadata, keyed by this file's database name, to a temporary file."""
    import json
    import tempfile
    from importlib.resources import files
    from pathlib import Path

    meta = json.loads(files("airace").joinpath("datasette_metadata.json").read_text("utf-8"))
    # Datasette names a database after its file's stem; the shipped file says "airace".
    meta["databases"] = {Path(db_path).stem: meta["databases"]["airace"]}
    fd, name = tempfile.mkstemp(prefix="airace-datasette-", suffix=".json")
    with open(fd, "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=2)
    return Path(name)


def register(app: typer.Typer) -> None:
    app.add_typer(query_app, name="query")
    app.command("search")(search_cmd)
    app.command("sql")(sql_cmd)
    app.command("browse")(browse_cmd)
