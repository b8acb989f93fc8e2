"""`airace demo`: the whole pipeline offline on the sample site, and its user errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from airace.demo import prepare_out_dir, sources_toml, subset_articles
from airace.errors import UserError


def test_sources_file_for_the_site_is_valid(tmp_path: Path) -> None:
    from crawler.sources import load_sources

    path = tmp_path / "demo-sources.toml"
    path.write_text(sources_toml("http://127.0.0.1:8765"), encoding="utf-8")
    sources = load_sources(path)
    assert sorted(s.kind for s in sources) == ["feed", "listing", "sitemap"]
    assert not any(s.always_relevant for s in sources)
    listing = next(s for s in sources if s.kind == "listing")
    assert listing.link_selector == "a.article-link" and listing.next_selector == "a.next"


def test_subset_covers_the_briefing_week_in_both_languages() -> None:
    articles = subset_articles()
    assert 15 <= len(articles) < 40
    assert {a.lang for a in articles} == {"en", "fr"}
    assert any(a.slug == "nvidia-closes-down-deepseek-selloff" for a in articles)


def test_out_dir_must_be_a_folder(tmp_path: Path) -> None:
    file = tmp_path / "file.txt"
    file.write_text("x")
    with pytest.raises(UserError, match="not a folder"):
        prepare_out_dir(file, None)


def test_a_foreign_database_is_never_replaced(tmp_path: Path, cli) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "airace.db").write_bytes(b"precious")
    result = cli("demo", "--out", str(out))
    assert result.exit_code == 2
    assert "not made by airace demo" in result.stderr
    assert (out / "airace.db").read_bytes() == b"precious"


def test_a_previous_demo_database_is_replaced(tmp_path: Path) -> None:
    (tmp_path / "airace.db").write_bytes(b"old")
    (tmp_path / "demo-sources.toml").write_text("")
    url = prepare_out_dir(tmp_path, None)
    assert url == f"sqlite:///{(tmp_path / 'airace.db').resolve()}"
    assert not (tmp_path / "airace.db").exists()


def test_bad_language_is_a_user_error(tmp_path: Path, cli) -> None:
    result = cli("demo", "--out", str(tmp_path / "d"), "--lang", "de")
    assert result.exit_code == 2 and "--lang" in result.stderr


def test_a_database_that_cannot_be_opened_is_one_line(tmp_path: Path, cli) -> None:
    result = cli("demo", "--out", str(tmp_path / "d"), "--db", "nosuchdriver://x")
    assert result.exit_code == 2
    assert "cannot open the database nosuchdriver://x" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_demo_end_to_end_names_nvidias_deepseek_move(tmp_path: Path, cli) -> None:
    """The real demo on the --subset of articles: crawl, analysis, prices, reactions, PDF."""
    import pypdf

    out = tmp_path / "demo"
    result = cli("demo", "--out", str(out), "--subset")
    assert result.exit_code == 0, result.stderr[-3000:]

    pdf = out / "briefing-2025-W05-en.pdf"
    assert pdf.is_file() and (out / "briefing-2025-W05-en.html").is_file()
    assert "airace demo: done" in result.stdout
    assert "query articles --entity Nvidia" in result.stdout
    assert str(pdf) in result.stdout

    engine = create_engine(f"sqlite:///{out / 'airace.db'}")
    with engine.connect() as conn:
        n_articles = conn.execute(text("select count(*) from articles")).scalar_one()
        langs = set(conn.execute(text("select distinct language from articles")).scalars())
        n_dupes = conn.execute(text("select count(*) from duplicates")).scalar_one()
        ar = conn.execute(
            text(
                "select abnormal_return from reactions where ticker = 'NVDA' and "
                "event_date = '2025-01-27' and window_start = 0 and window_end = 0 limit 1"
            )
        ).scalar_one()
    engine.dispose()
    assert n_articles >= 15 and langs == {"en", "fr"}
    assert n_dupes >= 1  # the syndicated copy
    assert ar < -0.03  # NVDA fell 16.97% on a day its benchmark fell less

    pages = pypdf.PdfReader(pdf).pages
    pdf_text = "\n".join(p.extract_text() for p in pages)
    flat = " ".join(pdf_text.split())
    assert "NVDA" in flat
    # The market-moves row: NVDA, its session, its raw day-0 return (-16.97%) and its day-0
    # abnormal return as the report prints them.
    shown = f"{abs(ar) * 100:.1f}%"
    row = rf"NVDA .{{0,40}}2025-01-27 [−-]17\.0% [−-]{re.escape(shown)}"
    assert re.search(row, flat), flat[:3000]
    assert "16.97%" in flat  # the story behind the move


@pytest.mark.slow
def test_the_commands_the_demo_prints_and_the_readme_examples_work_as_typed(
    tmp_path: Path,
) -> None:
    """Run the demo as a user does (the installed script), then every command it prints and the
    README's query, search and sql examples, in one shell, exactly as written."""
    import os
    import subprocess
    import sys

    from tests.test_readme import README

    script = Path(sys.executable).parent / "airace"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRACE_")}
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if Path(p) != script.parent
    )
    env["HOME"] = str(tmp_path / "home")  # no user config, no default database
    demo = subprocess.run(
        [str(script), "demo", "--subset"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert demo.returncode == 0, demo.stderr[-3000:]
    lines = demo.stdout.split("Explore further", 1)[1].splitlines()[1:]
    block = [ln.strip() for ln in lines if ln.startswith("  ")]
    assert block[0].startswith("export AIRACE_DATABASE_URL=sqlite:///")
    assert str(tmp_path / "airace-demo" / "airace.db") in block[0]
    commands = [c for c in block[1:] if not c.endswith(" browse")]
    assert commands and all(c.startswith(str(script)) for c in commands), commands

    readme = README.read_text(encoding="utf-8")
    section = readme.split("### Querying the store", 1)[1].split("### One cycle", 1)[0]
    examples = [
        ln.split("  #", 1)[0].strip()
        for ln in re.findall(r"^airace (?:query|search|sql) .*$", section, flags=re.M)
    ]
    assert len(examples) >= 6
    # as the README says: put airace on PATH (the venv's bin) and export the variable
    env_path = {**env, "PATH": f"{script.parent}{os.pathsep}{env['PATH']}"}
    for cmd in [*commands, *examples]:
        run = subprocess.run(
            ["bash", "-c", f"{block[0]} && {cmd}"],
            cwd=tmp_path,
            env=env_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, (cmd, run.stderr[-2000:])
        assert "Traceback" not in run.stderr and "Loading weights" not in run.stderr, cmd
        out = run.stdout
        if " > " in cmd:  # the README saves to a file
            out = (tmp_path / cmd.rsplit(" > ", 1)[1].strip()).read_text(encoding="utf-8")
        assert out.strip() or "no " in run.stderr or "nothing" in run.stderr, cmd
    found = subprocess.run(
        ["bash", "-c", f"{block[0]} && airace search NVDA --keywords-only -f json"],
        cwd=tmp_path,
        env=env_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    titles = [r["title"] for r in __import__("json").loads(found.stdout)]
    assert titles and all("Nvidia" in t or "NVDA" in t or "chip" in t.lower() for t in titles[:3])
    # without the variable, the default database does not exist and the error points at the demo
    bare = subprocess.run(
        [str(script), "query", "articles"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert bare.returncode == 2 and "export AIRACE_DATABASE_URL=sqlite:///" in bare.stderr
