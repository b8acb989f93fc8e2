"""What a new user meets first: a missing or empty database named as such, empty results said in
one line, usage errors for impossible options, no third-party progress noise."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.query_data import build_store


@pytest.fixture
def store_url(sqlite_url: str) -> str:
    return build_store(sqlite_url)


@pytest.fixture
def empty_url(db_url: str) -> str:
    return build_store(db_url, rows=False)


# --------------------------------------------------------------------------------------------
# 5. a missing or empty database


@pytest.mark.parametrize(
    "args",
    [
        ["query", "articles", "--entity", "Google"],
        ["query", "entities"],
        ["search", "NVDA", "--keywords-only"],
        ["sql", "select 1"],
        ["report", "weekly", "--week", "2025-W05"],
        ["db", "current"],
    ],
)
def test_a_missing_database_is_named_and_not_created(cli, tmp_path: Path, args) -> None:
    missing = tmp_path / "no-such-folder" / "airace.db"
    r = cli("--db", str(missing), *args)
    assert r.exit_code == 2, r.stdout
    assert r.stderr == (
        f"airace: error: no database at {missing} (folder {missing.parent} does not exist): "
        "run `airace demo` or `airace crawl`, or point --db at another database\n"
    )
    assert not missing.parent.exists()
    in_folder = tmp_path / "airace.db"
    r = cli("--db", f"sqlite:///{in_folder}", *args)
    assert r.exit_code == 2 and f"no database at {in_folder}: run" in r.stderr
    assert not in_folder.exists()


def test_commands_that_make_a_database_still_make_one(cli, tmp_path: Path) -> None:
    target = tmp_path / "new" / "airace.db"
    r = cli("--db", str(target), "db", "upgrade")
    assert r.exit_code == 0, r.stderr and target.is_file()
    saved = tmp_path / "note.txt"
    saved.write_text("date 2025-01 A note\n\n" + "Nvidia and OpenAI sign a chip deal. " * 40)
    target2 = tmp_path / "other" / "airace.db"
    r = cli("--db", str(target2), "ingest", str(saved), "--all")
    assert target2.is_file(), r.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["query", "articles", "--entity", "Google"],
        ["query", "entities", "--since", "2025-01-20"],
        ["query", "reactions", "--ticker", "NVDA"],
        ["search", "NVDA", "--keywords-only"],
    ],
)
def test_an_empty_database_says_so(cli, empty_url: str, args) -> None:
    r = cli("--db", empty_url, *args, "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout) == []
    assert r.stderr.count("\n") == 1
    assert "has no articles: run `airace demo` or `airace crawl`" in r.stderr
    assert "unknown entity" not in r.stderr


def test_a_bad_database_url_is_the_users_mistake(cli) -> None:
    for url in ("nosuchdb://x/y", "postgresql+nodriver://u@h/d"):
        r = cli("--db", url, "query", "articles")
        assert r.exit_code == 2 and r.stderr.startswith("airace: error: bad database URL")
        assert r.stderr.count("\n") == 1


# --------------------------------------------------------------------------------------------
# 6. empty results and impossible options


@pytest.mark.parametrize("fmt", ["table", "json", "jsonl", "csv"])
def test_a_query_with_no_rows_says_so_once(cli, store_url: str, fmt: str) -> None:
    args = ["query", "articles", "--entity", "Nvidia", "--since", "2030-01-01", "--format", fmt]
    r = cli("--db", store_url, *args)
    assert r.exit_code == 0 and r.stderr == "no articles match\n"
    if fmt == "json":
        assert json.loads(r.stdout) == []
    elif fmt == "csv":
        assert next(csv.reader(io.StringIO(r.stdout)))[:3] == ["id", "url", "title"]
        assert r.stdout.count("\n") == 1
    else:
        assert r.stdout == ""


@pytest.mark.parametrize(
    "args, message",
    [
        (["query", "reactions", "--window", "0,3"], "'0,3' is not computed; choose 0,0 | 0,1"),
        (["query", "reactions", "--window", "0,x"], "window must look like 0,1"),
        (["query", "articles", "--since", "2025-02-01", "--until", "2025-01-01"], "is after"),
        (["query", "reactions", "--since", "2025-02-01", "--until", "2025-01-01"], "is after"),
        (["query", "entities", "--since", "2025-02-01", "--until", "2025-01-01"], "is after"),
    ],
)
def test_impossible_options_are_usage_errors(cli, store_url: str, args, message) -> None:
    r = cli("--db", store_url, *args)
    assert r.exit_code == 2 and message in r.stderr and r.stderr.count("\n") == 1, r.stderr


def test_entities_without_dates_say_which_period_they_looked_at(cli, store_url: str) -> None:
    import datetime as dt

    today = dt.datetime.now(dt.UTC).date()
    r = cli("--db", store_url, "query", "entities", "--format", "json")
    assert r.exit_code == 0 and json.loads(r.stdout) == []
    assert r.stderr == (
        f"no entity mentioned in {today - dt.timedelta(days=6)}..{today}; the newest article "
        "is from 2025-01-27 (try --until 2025-01-27)\n"
    )
    r = cli("--db", store_url, "query", "entities", "--until", "2025-01-27")
    assert r.exit_code == 0 and "2025-01-21..2025-01-27 against 2025-01-14..2025-01-20" in r.stdout


# --------------------------------------------------------------------------------------------
# 12. no third-party progress noise


@pytest.mark.slow
def test_loading_a_torch_model_prints_no_progress_bars(store_url: str, tmp_path: Path) -> None:
    from nlp.embeddings import resolve_model_path

    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))}
    # A model given by path takes the sentence-transformers path (the numpy encoder serves
    # only the bundled name), which is where "Loading weights 0/103" came from.
    env["AIRACE_EMBEDDING_MODEL"] = resolve_model_path("all-MiniLM-L6-v2")
    r = subprocess.run(
        [sys.executable, "-m", "airace", "--db", store_url, "search", "Nvidia", "-f", "json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert "Loading weights" not in r.stderr and "it/s" not in r.stderr, r.stderr
    assert r.stderr == ""
