"""A crawl's Scrapy child dies with its parent; the run it left behind is marked died next time."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crawler.runner import CrawlOptions, run_crawl
from crawler.sources import SourceConfig
from db.engine import make_engine, make_sessionmaker
from db.migrations import upgrade
from db.models import Article, CrawlRun, Duplicate

REPO = Path(__file__).resolve().parent.parent
SITES = Path(__file__).parent / "data" / "sites"
sys.path.insert(0, str(SITES))
from loopback import LoopbackServer  # noqa: E402

PAGES = 300


@pytest.fixture
def site() -> Iterator[LoopbackServer]:
    server = LoopbackServer(SITES / "news", generated=PAGES).start()
    yield server
    server.stop()


OPTIONS = dict(
    user_agent="airace-test/1",
    robots_obey=True,
    download_maxsize=5_000_000,
    retry_after=3600.0,
    download_delay=0.03,
    autothrottle=False,
    concurrent_requests_per_domain=1,
    download_timeout=5,
    retry_times=0,
    log_level="ERROR",
    batch_size=5,
)

# The parent: what `airace crawl` does, in a process the test can SIGKILL.
PARENT = textwrap.dedent(
    """
    import json, sys
    from crawler.runner import CrawlOptions, run_crawl
    from crawler.sources import SourceConfig
    options = CrawlOptions(**json.loads(sys.argv[3]))
    source = SourceConfig(name="gen", kind="sitemap", urls=(sys.argv[2],),
                          allowed_domains=("127.0.0.1",), always_relevant=True)
    def progress(event):
        if event["event"] == "started":
            print(json.dumps({"child": event["pid"]}), flush=True)
    run_crawl(sys.argv[1], [source], options, progress=progress)
    """
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie waiting for its reaper has stopped running
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _count(sessions) -> int:  # type: ignore[no-untyped-def]
    with sessions() as s:
        return int(s.scalar(select(func.count()).select_from(Article)) or 0)


def _wait_for(predicate, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


@pytest.mark.slow
def test_a_killed_parent_takes_its_crawl_child_along(site, sqlite_url) -> None:
    engine = make_engine(sqlite_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            PARENT,
            sqlite_url,
            site.base + "/gen/sitemap.xml",
            json.dumps(OPTIONS),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert parent.stdout is not None
        child = json.loads(parent.stdout.readline())["child"]
        assert _wait_for(lambda: _count(sessions) >= 10, 60), "the crawl stored nothing"
        os.kill(parent.pid, signal.SIGKILL)  # no cleanup code of the parent runs
        parent.wait()
        killed_at = time.monotonic()
        assert _wait_for(lambda: not _alive(child), 3), "the crawl child outlived its parent"
        gone_after = time.monotonic() - killed_at
        kept = _count(sessions)
        time.sleep(1.0)
        assert _count(sessions) == kept < PAGES  # nothing is written any more
        with sessions() as s:
            (run,) = s.scalars(select(CrawlRun)).all()
            assert run.status == "running" and run.pid == parent.pid

        resumed = run_crawl(
            sqlite_url,
            [
                SourceConfig(
                    name="gen",
                    kind="sitemap",
                    urls=(site.base + "/gen/sitemap.xml",),
                    allowed_domains=("127.0.0.1",),
                    always_relevant=True,
                )
            ],
            CrawlOptions(**{**OPTIONS, "download_delay": 0}),  # type: ignore[arg-type]
        )
        assert resumed.status == "finished"
        assert resumed.totals["new"] == PAGES - kept
        with sessions() as s:
            old = s.get(CrawlRun, run.id)
            assert old is not None and old.status == "died" and old.finished_at is not None
            assert f"process {parent.pid} died" in old.stats["message"]
            assert s.scalar(select(func.count(func.distinct(Article.url)))) == PAGES
            assert s.scalar(select(func.count()).select_from(Article)) == PAGES
            assert s.scalar(select(func.count()).select_from(Duplicate)) == 0
        print(f"child gone {gone_after:.2f}s after its parent's SIGKILL")
    finally:
        parent.kill()
        parent.wait()
        engine.dispose()


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


@pytest.mark.slow
def test_airace_crawl_whose_child_is_killed_exits_1(site, sqlite_url, tmp_path) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text(
        textwrap.dedent(
            f"""
            [[sources]]
            name = "gen"
            kind = "sitemap"
            urls = ["{site.base}/gen/sitemap.xml"]
            allowed_domains = ["127.0.0.1"]
            always_relevant = true
            """
        ),
        encoding="utf-8",
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AIRACE_")},
        "AIRACE_SOURCES_FILE": str(sources),
        "AIRACE_DOWNLOAD_DELAY": "0.05",
        "AIRACE_AUTOTHROTTLE": "false",
        "AIRACE_CONCURRENT_REQUESTS_PER_DOMAIN": "1",
        "AIRACE_HTTP_CACHE": "false",
        "AIRACE_DATA_DIR": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "airace", "--db", sqlite_url, "crawl", "--json"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    engine = make_engine(sqlite_url)
    try:
        assert _wait_for(lambda: bool(_children(proc.pid)), 30), "no crawl child started"
        sessions = make_sessionmaker(engine)
        assert _wait_for(lambda: _count(sessions) >= 5, 60)
        for child in _children(proc.pid):
            os.kill(child, signal.SIGKILL)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
        proc.wait()
        engine.dispose()
    assert proc.returncode == 1, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines[-1].startswith("airace: crawl run 1 failed: crawl process exited with code -9")
    assert "Traceback" not in err
    assert json.loads(out)["status"] == "failed"
