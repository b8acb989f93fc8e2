"""Commands are module-level functions: each module registers them on any app, and each runs
alone on a fresh Typer app (no other command module loaded)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer
from typer.testing import CliRunner

from airace.commands import COMMAND_MODULES, crawl_cmd, report_cmd
from airace.config import Settings
from airace.context import AppContext
from db.models import Article


def _commands(group: typer.Typer) -> list[typer.models.CommandInfo]:
    found = list(group.registered_commands)
    for sub in group.registered_groups:
        assert sub.typer_instance is not None
        found += _commands(sub.typer_instance)
        if sub.typer_instance.registered_callback is not None:
            found.append(sub.typer_instance.registered_callback)  # type: ignore[arg-type]
    return found


def test_every_command_is_a_module_level_function() -> None:
    for module in COMMAND_MODULES:
        app = typer.Typer()
        module.register(app)
        commands = _commands(app)
        assert commands, module.__name__
        for info in commands:
            fn = info.callback
            assert fn is not None and "<locals>" not in fn.__qualname__, fn
            assert getattr(module, fn.__name__) is fn, f"{module.__name__}.{fn.__name__}"


def _app(module: object) -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """A bare root, as airace.cli has, without its other commands."""

    module.register(app)  # type: ignore[attr-defined]
    return app


def _sources(tmp_path: Path) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(
        '[[sources]]\nname = "one"\nkind = "feed"\nurls = ["http://127.0.0.1:9/feed.xml"]\n'
        '[[sources]]\nname = "two"\nkind = "sitemap"\nurls = ["http://127.0.0.1:9/s.xml"]\n'
        "enabled = false\n",
        encoding="utf-8",
    )
    return path


def test_crawl_list_alone_and_its_old_spelling(settings: Settings, tmp_path: Path) -> None:
    app, obj = _app(crawl_cmd), AppContext(settings)
    runner = CliRunner()
    new = runner.invoke(app, ["crawl", "list", "--sources", str(_sources(tmp_path))], obj=obj)
    assert new.exit_code == 0, new.output
    lines = new.stdout.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["one", "two"]
    assert "(disabled)" in lines[1] and "deprecated" not in new.stderr
    old = runner.invoke(app, ["crawl", "--list", "--sources", str(_sources(tmp_path))], obj=obj)
    assert old.exit_code == 0 and old.stdout == new.stdout
    assert "'crawl --list' is deprecated; use 'crawl list'" in old.stderr


def test_report_list_alone_counts_weeks(settings: Settings) -> None:
    obj = AppContext(settings, may_create=True)  # the test fills a new database
    with obj.sessions.begin() as s:
        for n, day in enumerate((27, 28, 29)):
            s.add(
                Article(
                    url=f"https://example.org/{n}",
                    title=f"Story {n}",
                    text="Written for the tests.",
                    published_at=dt.datetime(2025, 1, day, 12, tzinfo=dt.UTC),
                    content_hash=f"h{n}",
                )
            )
    result = CliRunner().invoke(_app(report_cmd), ["report", "list"], obj=obj)
    obj.close()
    assert result.exit_code == 0, result.output
    assert "2025-W05        3 articles   airace report weekly --week 2025-W05" in result.stdout
