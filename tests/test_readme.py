"""The README's command examples name real commands and real options."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import typer

from airace.cli import app

README = Path(__file__).resolve().parent.parent / "README.md"
GLOBAL_OPTIONS = {"--config", "--db", "-v", "--verbose", "--version", "-h", "--help"}


def _example_lines() -> list[str]:
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```(?:bash|cron)\n(.*?)```", text, flags=re.S)
    lines = []
    for block in blocks:
        for line in block.splitlines():
            line = line.split("#", 1)[0] if " #" in line else line
            for part in re.split(r"&&|\|", line):
                m = re.search(r"(?:^|\s|/)airace\s+(.*)$", part.strip())
                if m and not part.strip().startswith(("pip", "bash", "python")):
                    lines.append(m.group(1).strip())
    return lines


def _resolve(argv: list[str]):  # type: ignore[no-untyped-def]
    """Walk the Click command tree; return (command, options used)."""
    cmd = typer.main.get_command(app)
    options: list[str] = []
    args = iter(argv)
    for tok in args:
        if tok.startswith("-"):
            options.append(tok.split("=", 1)[0])
            if tok in {"--db", "--config"}:
                next(args, None)
            continue
        sub = getattr(cmd, "commands", None)
        if sub and tok in sub:
            cmd = sub[tok]
    return cmd, options


def test_readme_has_examples() -> None:
    assert len(_example_lines()) > 25


def test_every_readme_example_uses_real_commands_and_options() -> None:
    problems = []
    for line in _example_lines():
        argv = shlex.split(line.replace(">", " "))
        cmd, options = _resolve(argv)
        # A group that runs alone (report lists, crawl crawls) is a command too.
        is_group = getattr(cmd, "commands", None) and not cmd.invoke_without_command
        if is_group and not any(o in {"-h", "--help"} for o in options):
            problems.append(f"{line!r}: names a group, not a command")
        known = {o for p in cmd.params for o in (*p.opts, *p.secondary_opts)} | GLOBAL_OPTIONS
        problems += [f"{line!r}: unknown option {o}" for o in options if o not in known]
    assert not problems, "\n".join(problems)
