"""The `airace` command line: a thin layer over the library packages.

Each area has its own module in airace/commands/ with a `register(app)` function. Commands open the
database through `AppContext`, call one library function, and turn known errors into one line on
stderr with exit code 2. Heavy libraries (spaCy, torch, Scrapy, WeasyPrint) are imported inside the
commands that need them so `airace --help` stays fast.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import typer

from airace import __version__
from airace.commands import COMMAND_MODULES
from airace.config import ConfigError, load_settings_with_origins
from airace.context import AppContext
from airace.errors import UserError

app = typer.Typer(
    name="airace",
    help=(
        "Follow the AI race in the news and in the markets: crawl news, read it with spaCy and "
        "embeddings, link stories to stock moves, and brief weekly.\n\n"
        "Example: airace demo --out ./airace-demo"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"airace {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    config: Path | None = typer.Option(
        None,
        "--config",
        help="TOML settings file (default: ./airace.toml, then the user config dir).",
    ),
    db: str | None = typer.Option(
        None, "--db", help="Database URL, e.g. sqlite:///airace.db (env AIRACE_DATABASE_URL)."
    ),
    verbose: int = typer.Option(
        0, "--verbose", "-v", count=True, help="More logging (-vv: debug)."
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Global options apply to every command."""
    if verbose < 2:
        quiet_libraries()
    if db and "://" not in db:
        db = f"sqlite:///{Path(db).expanduser()}"  # a bare path means a SQLite file
    loaded = load_settings_with_origins(config, overrides={"database_url": db})
    logging.basicConfig(
        level=[logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)],
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    ctx.obj = AppContext(
        settings=loaded.settings,
        origins=loaded.origins,
        config_file=str(loaded.config_file) if loaded.config_file else None,
        verbose=verbose,
    )
    ctx.call_on_close(ctx.obj.close)


def quiet_libraries() -> None:
    """No third-party progress bars or chatter in normal output (-vv shows them).

    Hugging Face libraries read these variables when first imported, which happens later, inside
    the commands that load a model; a child process (the crawler) inherits them. A variable the
    user has set wins.
    """
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # "Loading weights 0/103"
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # its fork warning
    for name in ("weasyprint", "fontTools", "sentence_transformers", "transformers"):
        logging.getLogger(name).setLevel(logging.ERROR)


for _module in COMMAND_MODULES:
    _module.register(app)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `airace` script: known errors become one line and exit code 2."""
    try:
        rc = app(args=argv, prog_name="airace", standalone_mode=False)
    except (UserError, ConfigError) as e:
        _fail(str(e))
    except typer.Abort:
        _fail("aborted", code=130)
    except KeyboardInterrupt:
        _fail("interrupted", code=130)
    except typer.TyperException as e:
        # Typer's (vendored) click usage errors: print one line, not a traceback or a panel.
        ectx = getattr(e, "ctx", None)
        if type(e).__name__ == "NoArgsIsHelpError" and ectx is not None:
            typer.echo(ectx.get_help())
            sys.exit(0)
        hint = f" (see '{ectx.command_path} --help')" if ectx is not None else ""
        message = e.format_message() if hasattr(e, "format_message") else str(e)
        _fail(f"{message}{hint}", code=getattr(e, "exit_code", 2) or 2)
    except Exception as e:
        # A database that cannot be reached or upgraded is not a bug in airace: say so in one
        # line (exit 1); -v shows the traceback.
        from sqlalchemy.exc import SQLAlchemyError

        if not isinstance(e, SQLAlchemyError) or _verbose(argv):
            raise
        if _connection_lost(e):
            _fail(
                "database: the connection to the database was lost (the server closed it); "
                "what was committed is kept: run the command again to resume",
                code=1,
            )
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        _fail(f"database: {first} (run with -v for details)", code=1)
    sys.exit(rc if isinstance(rc, int) else 0)


def _connection_lost(e: BaseException) -> bool:
    """True when `e` (or what caused it) is a database connection that went away."""
    from sqlalchemy.exc import DBAPIError

    seen: set[int] = set()
    err: BaseException | None = e
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        if isinstance(err, DBAPIError) and err.connection_invalidated:
            return True
        err = err.__cause__ or err.__context__
    return False


def _verbose(argv: list[str] | None) -> bool:
    args = sys.argv[1:] if argv is None else argv
    return any(a in {"-v", "-vv", "--verbose"} for a in args)


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"airace: error: {message}", err=True)
    sys.exit(code)
