"""`airace ingest`, `airace extract` and `airace crawl` through the real CLI."""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from db.engine import make_engine, make_sessionmaker
from db.models import Article, CrawlRun, Duplicate

SITES = Path(__file__).parent / "data" / "sites"
NEWS = SITES / "news"
INGEST = SITES / "ingest"
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(SITES))
from loopback import LoopbackServer  # noqa: E402


def _rows(db: Path) -> tuple[list[Article], list[Duplicate]]:
    engine = make_engine(f"sqlite:///{db}")
    with make_sessionmaker(engine)() as s:
        rows = list(s.scalars(select(Article).order_by(Article.id)))
        dups = list(s.scalars(select(Duplicate)))
    engine.dispose()
    return rows, dups


def _warc(path: Path, base: str) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        for rel, status in [
            ("fr/2025/02/mistral-ai-levee-de-fonds.html", "200 OK"),
            ("2025/01/container-tomatoes.html", "200 OK"),
            ("missing.html", "404 Not Found"),
        ]:
            body = (NEWS / rel).read_bytes() if status.startswith("200") else b"gone"
            headers = StatusAndHeaders(
                status, [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
            )
            record = writer.create_warc_record(
                f"{base}/{rel}", "response", payload=io.BytesIO(body), http_headers=headers
            )
            writer.write_record(record)


def test_ingest_txt_html_jsonl_and_warc(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "a.db"
    warc = tmp_path / "crawl.warc.gz"
    _warc(warc, "https://news.example.fr")
    result = cli(
        "--db",
        str(db),
        "ingest",
        str(INGEST / "note-fr.txt"),
        str(INGEST / "recipe.txt"),
        str(INGEST / "articles.jsonl"),
        str(NEWS / "2025" / "01" / "chip-export-limits.html"),
        str(warc),
        "--json",
    )
    assert result.exit_code == 1, result.stderr  # the line that is not JSON failed
    summary = json.loads(result.stdout)
    # txt: 2 records, jsonl: 4 lines (one not JSON), html: 1, warc: 2 HTML 200 responses.
    assert summary["read"] == 9
    assert summary["new"] == 4  # note-fr, GPU prices, chip limits, Mistral
    assert summary["irrelevant"] == 3  # recipe, ferry, tomatoes
    assert summary["duplicates"] == 1  # the copied GPU story
    assert summary["errors"] == 1 and "articles.jsonl:3" in summary["error_samples"][0]
    rows, dups = _rows(db)
    by_title = {r.title: r for r in rows}
    note = by_title["Les laboratoires européens accélèrent sur l'IA générative"]
    assert note.published_precision == "month"
    assert note.published_at == dt.datetime(2025, 2, 1, tzinfo=dt.UTC)
    assert note.language == "fr" and note.url.startswith("file://")
    assert not note.text.startswith("date")
    gpu = by_title["GPU rental prices fall as new clusters come online"]
    assert gpu.url == "https://example.org/news/gpu-rental-prices"  # tracking removed
    assert gpu.authors == ["Ivy Moreau"] and gpu.published_precision == "exact"
    assert dups[0].article_id == gpu.id and dups[0].method == "content_hash"
    mistral = next(r for r in rows if "mistral" in r.url)
    assert mistral.url.startswith("https://news.example.fr/") and mistral.language == "fr"

    # Ingesting again adds nothing.
    again = cli("--db", str(db), "ingest", str(INGEST), "--json")
    assert again.exit_code == 1 and json.loads(again.stdout)["new"] == 0


def test_ingest_user_errors(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    missing = cli("--db", str(tmp_path / "a.db"), "ingest", str(tmp_path / "nope.html"))
    assert missing.exit_code == 2 and "no such file" in missing.stderr
    (tmp_path / "x.pdf").write_bytes(b"%PDF")
    bad = cli("--db", str(tmp_path / "a.db"), "ingest", str(tmp_path / "x.pdf"))
    assert bad.exit_code == 2 and "unknown file type" in bad.stderr
    date = cli("--db", str(tmp_path / "a.db"), "ingest", str(INGEST), "--since", "yesterday")
    assert date.exit_code == 2 and "--since" in date.stderr


def test_extract_prints_only_the_text(cli) -> None:  # type: ignore[no-untyped-def]
    page = NEWS / "2025" / "01" / "chip-export-limits.html"
    result = cli("extract", str(page))
    assert result.exit_code == 0
    assert result.stdout.startswith("Washington widens AI chip export limits")
    assert "export of advanced AI chips" in result.stdout
    assert "Most read" not in result.stdout and "{" not in result.stdout
    piped = cli("extract", input=page.read_text(encoding="utf-8"))
    assert piped.stdout == result.stdout
    meta = json.loads(cli("extract", "--json", str(page)).stdout)
    assert meta["authors"] == ["Dana Whitfield"] and meta["published_precision"] == "exact"
    missing = cli("extract", "/no/such/file.html")
    assert missing.exit_code == 2 and "cannot read" in missing.stderr


@pytest.fixture
def site() -> Iterator[LoopbackServer]:
    server = LoopbackServer(NEWS, slow_seconds=3.5).start()
    yield server
    server.stop()


def _sources_file(tmp_path: Path, base: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(
        f'[[sources]]\nname = "loop-feed"\nkind = "feed"\nurls = ["{base}/feed.xml"]\n'
        f'[[sources]]\nname = "loop-listing"\nkind = "listing"\n'
        f'urls = ["{base}/section/index.html"]\nlink_selector = "a.article-link"\n'
        f'next_selector = "a.next"\nenabled = false\n',
        encoding="utf-8",
    )
    return path


def test_crawl_command(cli, tmp_path: Path, site: LoopbackServer) -> None:  # type: ignore[no-untyped-def]
    sources = _sources_file(tmp_path, site.base)
    (tmp_path / "airace.toml").write_text(
        "download_delay = 0\nautothrottle = false\ndownload_timeout = 2\n"
        "download_maxsize = 100000\nconcurrent_requests_per_domain = 8\n"
        f'data_dir = "{tmp_path / "data"}"\n',
        encoding="utf-8",
    )
    db = tmp_path / "c.db"
    result = cli(
        "--db", str(db), "crawl", "--sources", str(sources), "--source", "loop-listing", "--json"
    )
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["status"] == "finished" and list(summary["per_source"]) == ["loop-listing"]
    assert summary["totals"]["new"] == 4 and summary["totals"]["irrelevant"] == 1
    rows, _ = _rows(db)
    assert len(rows) == 4
    engine = make_engine(f"sqlite:///{db}")
    with make_sessionmaker(engine)() as s:
        run = s.get(CrawlRun, summary["run_id"])
        assert run is not None and run.sources == ["loop-listing"] and run.new == 4
    engine.dispose()
    assert (tmp_path / "data" / "http-cache").is_dir()  # the HTTP cache lives in data_dir

    table = cli("--db", str(db), "crawl", "--sources", str(sources), "--source", "loop-listing")
    assert table.exit_code == 0 and "loop-listing" in table.stdout and "total" in table.stdout


def test_crawl_user_errors(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.toml"
    bad.write_text('[[sources]]\nname = "x"\nkind = "rss"\nurls = ["http://a/"]\n')
    r = cli("--db", str(tmp_path / "d.db"), "crawl", "--sources", str(bad))
    assert r.exit_code == 2 and "'kind' must be one of" in r.stderr and "Traceback" not in r.stderr
    r = cli("--db", str(tmp_path / "d.db"), "crawl", "--source", "no-such-source")
    assert r.exit_code == 2 and "unknown source 'no-such-source'" in r.stderr
    r = cli("--db", str(tmp_path / "d.db"), "crawl", "--since", "2025-13-01")
    assert r.exit_code == 2 and "--since" in r.stderr
    r = cli("--db", str(tmp_path / "d.db"), "crawl", "--sources", str(tmp_path / "none.toml"))
    assert r.exit_code == 2 and "not found" in r.stderr
    listed = cli("crawl", "--list")
    assert listed.exit_code == 0 and "techcrunch-ai" in listed.stdout


@pytest.mark.slow
def test_scrapy_crawl_works_from_the_repository(tmp_path: Path, site: LoopbackServer) -> None:
    sources = _sources_file(tmp_path, site.base)
    db = tmp_path / "s.db"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "scrapy",
            "crawl",
            "listing",
            "-a",
            "source=loop-listing",
            "-s",
            f"AIRACE_SOURCES_FILE={sources}",
            "-s",
            f"AIRACE_DATABASE_URL=sqlite:///{db}",
            "-s",
            "DOWNLOAD_DELAY=0",
            "-s",
            "AUTOTHROTTLE_ENABLED=0",
            "-s",
            f"HTTPCACHE_DIR={tmp_path / 'cache'}",
            "-s",
            "LOG_LEVEL=WARNING",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    rows, _ = _rows(db)
    assert len(rows) == 4
