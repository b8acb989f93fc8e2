"""Distributed crawling: two crawl workers share one Redis frontier against a loopback site.

Every page is fetched once and every article stored once; when one worker is killed halfway,
the other re-queues its in-flight requests once its lease has expired and finishes the crawl.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from db.engine import make_engine, make_sessionmaker
from db.migrations import upgrade
from db.models import Article, Duplicate
from tests.conftest import REDIS_URL

SITES = Path(__file__).parent / "data" / "sites"
sys.path.insert(0, str(SITES))
from loopback import LoopbackServer  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
N_PAGES = 60

needs_redis = pytest.mark.skipif(not REDIS_URL, reason="AIRACE_TEST_REDIS_URL is not set")


@pytest.fixture
def site() -> Iterator[LoopbackServer]:
    server = LoopbackServer(SITES / "news", generated=N_PAGES).start()
    yield server
    server.stop()


@pytest.fixture
def prefix() -> Iterator[str]:
    """A unique Redis key prefix; every key under it is deleted afterwards."""
    import redis

    name = f"airace-test-{uuid.uuid4().hex[:10]}"
    yield name
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{name}:*"))
    if keys:
        client.delete(*keys)
    client.close()


def _sources_file(tmp_path: Path, site: LoopbackServer) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(
        "[[sources]]\n"
        'name = "gen-sitemap"\n'
        'kind = "sitemap"\n'
        f'urls = ["{site.base}/gen/sitemap.xml"]\n'
        'allowed_domains = ["127.0.0.1"]\n'
        "always_relevant = true\n",
        encoding="utf-8",
    )
    return path


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRACE_")}
    env.update(
        {
            "AIRACE_REDIS_URL": str(REDIS_URL),
            "AIRACE_DOWNLOAD_DELAY": "0.1",
            "AIRACE_AUTOTHROTTLE": "false",
            "AIRACE_ROBOTS_OBEY": "false",
            "AIRACE_CONCURRENT_REQUESTS_PER_DOMAIN": "2",
            "PYTHONPATH": str(REPO),
        }
    )
    return env


def _airace(db_url: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "airace", "--db", db_url, *args]


def _seed(db_url: str, sources: Path, prefix: str) -> None:
    done = subprocess.run(
        _airace(db_url, "crawl", "seed", "--sources", str(sources), "--redis-key", prefix),
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    assert "seeded 1 start URLs from 1 sources" in done.stdout


def _worker(db_url: str, sources: Path, prefix: str) -> subprocess.Popen[str]:
    # The lease must outlast a heartbeat delayed by a busy machine (the beat runs on the crawl's
    # reactor): at 2 s, a loaded 2-core machine let live workers' requests be re-queued as dead.
    args = ["crawl", "distributed", "--idle-exit", "--no-cache", "--lease", "6"]
    return subprocess.Popen(
        _airace(db_url, *args, "--sources", str(sources), "--redis-key", prefix),
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )


def _stored(sessions) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with sessions() as s:
        return (
            int(s.scalar(select(func.count()).select_from(Article)) or 0),
            int(s.scalar(select(func.count()).select_from(Duplicate)) or 0),
        )


def _stored_paths(sessions) -> set[str]:  # type: ignore[no-untyped-def]
    """URL paths of the articles and duplicates committed so far."""
    from urllib.parse import urlsplit

    with sessions() as s:
        urls = list(s.scalars(select(Article.url))) + list(s.scalars(select(Duplicate.url)))
    return {urlsplit(u).path for u in urls}


def _article_hits(site: LoopbackServer) -> dict[str, int]:
    return {p: n for p, n in site.hits.items() if p.startswith("/gen/article-")}


def _setup(tmp_path: Path, site: LoopbackServer, prefix: str):  # type: ignore[no-untyped-def]
    db_url = f"sqlite:///{tmp_path / 'airace.db'}"
    engine = make_engine(db_url)
    upgrade(engine)
    sources = _sources_file(tmp_path, site)
    _seed(db_url, sources, prefix)
    return db_url, engine, make_sessionmaker(engine), sources


@pytest.mark.redis
@needs_redis
def test_two_workers_fetch_every_page_once(
    tmp_path: Path, site: LoopbackServer, prefix: str
) -> None:
    db_url, engine, sessions, sources = _setup(tmp_path, site, prefix)
    workers = [_worker(db_url, sources, prefix) for _ in range(2)]
    try:
        outputs = [w.communicate(timeout=90) for w in workers]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
    for w, (out, err) in zip(workers, outputs, strict=True):
        assert w.returncode == 0, err[-3000:]
        assert "(distributed): finished" in out
    hits = _article_hits(site)
    assert site.hits["/gen/sitemap.xml"] == 1
    assert len(hits) == N_PAGES and set(hits.values()) == {1}, hits
    articles, duplicates = _stored(sessions)
    assert articles + duplicates == N_PAGES
    # Both workers took part.
    fetched = [int(out.split("fetched ", 1)[1].split(",", 1)[0]) for out, _ in outputs]
    assert sum(fetched) == N_PAGES and min(fetched) > 0, fetched
    engine.dispose()


def _child_pid(pid: int) -> int | None:
    """The crawl process started by the `airace crawl` process `pid` (it does the crawling)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                return int(entry.name)
    return None


@pytest.mark.redis
@needs_redis
def test_crawl_completes_when_one_worker_is_killed(
    tmp_path: Path, site: LoopbackServer, prefix: str
) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    db_url, engine, sessions, sources = _setup(tmp_path, site, prefix)
    victim, survivor = (_worker(db_url, sources, prefix) for _ in range(2))
    inflight = ""
    committed: set[str] = set()
    try:
        # Kill the victim's crawl process (and the victim) a third of the way, with requests
        # in flight: as if its machine died.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and victim.poll() is None:
            crawl_pid = _child_pid(victim.pid)
            keys = [k.decode() for k in client.scan_iter(match=f"{prefix}:*:inflight:*")]
            inflight = next((k for k in keys if k.endswith(f":{crawl_pid}")), "")
            if sum(_stored(sessions)) >= N_PAGES // 3 and inflight and client.hlen(inflight):
                assert crawl_pid is not None
                committed = _stored_paths(sessions)  # before the kill: all of it was committed
                os.kill(crawl_pid, signal.SIGKILL)
                os.kill(victim.pid, signal.SIGKILL)
                break
            time.sleep(0.02)
        assert victim.wait(timeout=10) == -signal.SIGKILL, "the crawl ended before the kill"
        _, err = survivor.communicate(timeout=90)
    finally:
        for w in (victim, survivor):
            if w.poll() is None:
                w.kill()
            w.wait()
    assert survivor.returncode == 0, err[-3000:]
    articles, duplicates = _stored(sessions)
    assert articles + duplicates == N_PAGES
    hits = _article_hits(site)
    assert len(hits) == N_PAGES
    # The victim's in-flight requests went back to the queue and were fetched again: those on
    # the wire and those fetched but not yet through extraction and the store (how many depends
    # on how busy the machine is). What had been committed before the kill is never fetched
    # again, but for a page committed whose acknowledgement the kill cut (at most the victim's
    # concurrency, 2).
    assert not client.exists(inflight)
    assert committed, "the victim had stored nothing before the kill"
    refetched = {p for p, n in hits.items() if n > 1}
    assert len(refetched & committed) <= 2, sorted(refetched & committed)
    assert len(refetched) <= N_PAGES - len(committed), hits
    client.close()
    engine.dispose()


def test_unreachable_redis_is_one_line_and_exit_2(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    sources = tmp_path / "sources.toml"
    sources.write_text(
        '[[sources]]\nname = "x"\nkind = "feed"\nurls = ["http://127.0.0.1:9/feed.xml"]\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("AIRACE_REDIS_URL", "redis://127.0.0.1:1/0")
    db = f"sqlite:///{tmp_path / 'a.db'}"
    for mode in ("seed", "distributed"):
        result = cli("--db", db, "crawl", mode, "--sources", str(sources))
        assert result.exit_code == 2, result.stderr
        assert "cannot reach Redis at redis://127.0.0.1:1/0" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
        # The older spelling still works: a deprecation note, then the same one-line error.
        old = cli("--db", db, "crawl", f"--{mode}", "--sources", str(sources))
        assert old.exit_code == 2, old.stderr
        note, error = old.stderr.strip().splitlines()
        assert f"'crawl --{mode}' is deprecated; use 'crawl {mode}'" in note
        assert "cannot reach Redis at redis://127.0.0.1:1/0" in error
