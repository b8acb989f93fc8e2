"""The command line: help everywhere, fast start, one-line errors, db and config commands."""

from __future__ import annotations

import json
import subprocess
import sys

import typer

from airace.cli import app

HEAVY = ["spacy", "torch", "scrapy", "weasyprint", "sentence_transformers", "matplotlib", "pandas"]


def _commands(group: typer.Typer, prefix: tuple[str, ...] = ()):
    cmd = typer.main.get_command(group)
    stack = [(prefix, cmd)]
    while stack:
        path, c = stack.pop()
        sub = getattr(c, "commands", None)
        if sub:
            for name, child in sub.items():
                stack.append(((*path, name), child))
        yield path, c


def test_every_command_has_help_with_an_example(cli) -> None:
    paths = [p for p, _ in _commands(app) if p]
    top = {p[0] for p in paths}
    for name in [
        "crawl",
        "ingest",
        "extract",
        "analyze",
        "annotate",
        "prices",
        "react",
        "report",
        "query",
        "search",
        "sql",
        "schedule",
        "run",
        "demo",
        "db",
        "config",
    ]:
        assert name in top, name
    for path in paths:
        result = cli(*path, "--help")
        assert result.exit_code == 0, (path, result.stderr)
        assert "Example" in result.stdout, f"airace {' '.join(path)} --help has no example"


def test_help_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys\nfrom airace.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        f"print('HEAVY=' + ','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "HEAVY="


def test_unknown_option_is_one_line_and_exit_2(cli) -> None:
    result = cli("--no-such-option")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "No such option" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreadable_config_is_one_line_and_exit_2(cli, tmp_path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("x = [")
    result = cli("--config", str(bad), "config", "show")
    assert result.exit_code == 2 and "not valid TOML" in result.stderr
    assert result.stderr.count("\n") == 1


def test_db_upgrade_and_config_show(cli, tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    first = cli("--db", url, "db", "upgrade")
    assert first.exit_code == 0 and "upgraded from empty" in first.stdout
    again = cli("--db", url, "db", "upgrade")
    assert "already at" in again.stdout
    shown = cli("--db", url, "config", "show", "--format", "json")
    rows = {r["name"]: r for r in json.loads(shown.stdout)}
    assert rows["database_url"]["value"] == url and rows["database_url"]["origin"] == "cli"


def test_python_dash_m_works() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "airace", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("airace ")


def test_unreachable_database_is_one_line_and_exit_1(cli) -> None:
    result = cli("--db", "postgresql+psycopg://nobody@127.0.0.1:1/none", "query", "articles")
    assert result.exit_code == 1
    assert result.stderr.startswith("airace: error: database: ")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
