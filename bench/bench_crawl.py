"""Crawl throughput: the full airace pipeline vs a bare Scrapy spider, on the same loopback site.

Run by hand: `.venv/bin/python bench/bench_crawl.py [--pages 1000] [--rounds 2]`.

A threaded HTTP server on 127.0.0.1 serves a sitemap of N generated AI-news article pages
(tests/data/sites/loopback.py). Each round runs, one after the other:

- bare: a Scrapy spider that reads the sitemap and fetches every page, doing nothing with it;
- full: `crawler.runner.run_crawl` on a fresh SQLite database: fetch, extract (trafilatura +
  metadata), quality, relevance, dedupe (hash + SimHash), store in committed batches.

Both run in a child process with the same Scrapy settings (16 concurrent requests, no delay, no
AutoThrottle, robots.txt obeyed, no HTTP cache). The crawl interval is timed from the child's
"started" line to its "done" line (Python/Scrapy start-up excluded on both sides); the
end-to-end wall time of the child is shown too. Target: full >= 0.6 x bare pages/s.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "data" / "sites"))

from bench.harness import Timing, print_table, save_results  # noqa: E402

CONCURRENCY = 16


def _common_settings() -> dict[str, Any]:
    return {
        "CONCURRENT_REQUESTS": CONCURRENCY,
        "CONCURRENT_REQUESTS_PER_DOMAIN": CONCURRENCY,
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "HTTPCACHE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "RETRY_TIMES": 0,
    }


def bare_child(sitemap_url: str) -> int:
    """Child mode: a bare spider fetching every page of the sitemap (no parsing, no storing)."""
    import scrapy
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    class BareSpider(scrapy.Spider):
        name = "bare"

        async def start(self):  # type: ignore[no-untyped-def]
            yield scrapy.Request(sitemap_url, callback=self.parse_sitemap)

        def parse_sitemap(self, response):  # type: ignore[no-untyped-def]
            response.selector.remove_namespaces()
            for loc in response.xpath("//url/loc/text()").getall():
                yield scrapy.Request(loc.strip(), callback=self.parse_page)

        def parse_page(self, response):  # type: ignore[no-untyped-def]
            self.crawler.stats.inc_value("bare/pages")

    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.setdict({**_common_settings(), "ITEM_PIPELINES": {}, "EXTENSIONS": {}}, "cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(BareSpider)
    process.crawl(crawler)
    print(json.dumps({"event": "started"}), flush=True)
    process.start()
    pages = crawler.stats.get_value("bare/pages", 0)
    print(json.dumps({"event": "done", "pages": pages}), flush=True)
    return 0


def run_bare(sitemap_url: str) -> tuple[float, float, int]:
    """(crawl seconds, wall seconds, pages) of one bare run."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--bare-child", sitemap_url],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert proc.stdout is not None
    started = done = 0.0
    pages = 0
    for line in proc.stdout:
        event = json.loads(line)
        if event["event"] == "started":
            started = time.perf_counter()
        elif event["event"] == "done":
            done, pages = time.perf_counter(), int(event["pages"])
    proc.wait()
    return done - started, time.perf_counter() - t0, pages


def run_full(sitemap_url: str, workdir: Path, round_no: int) -> tuple[float, float, int]:
    """(crawl seconds, wall seconds, articles stored) of one full-pipeline run."""
    from crawler.runner import CrawlOptions, run_crawl
    from crawler.sources import SourceConfig
    from db.engine import make_engine
    from db.migrations import upgrade

    url = f"sqlite:///{workdir / f'full-{round_no}.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    source = SourceConfig(
        name="bench", kind="sitemap", urls=(sitemap_url,), allowed_domains=("127.0.0.1",)
    )
    options = CrawlOptions(
        user_agent="airace-bench/1",
        robots_obey=True,
        retry_after=3600.0,
        download_delay=0,
        autothrottle=False,
        download_timeout=30,
        download_maxsize=5_000_000,
        concurrent_requests=CONCURRENCY,
        concurrent_requests_per_domain=CONCURRENCY,
        http_cache_dir=None,
        retry_times=0,
        batch_size=50,
    )
    marks: dict[str, float] = {}

    def progress(event: dict[str, Any]) -> None:
        if event["event"] in ("started", "done"):
            marks[event["event"]] = time.perf_counter()

    t0 = time.perf_counter()
    summary = run_crawl(url, [source], options, progress=progress)
    wall = time.perf_counter() - t0
    if summary.status != "finished":
        raise SystemExit(f"full crawl failed: {summary.message}")
    return marks["done"] - marks["started"], wall, summary.totals["new"]


def main(argv: list[str] | None = None) -> int:
    """Run the rounds and print pages/s for both sides and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--bare-child", metavar="SITEMAP_URL", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.bare_child:
        return bare_child(args.bare_child)

    from loopback import LoopbackServer

    server = LoopbackServer(REPO / "tests" / "data" / "sites" / "news", generated=args.pages)
    server.start()
    sitemap = server.base + "/gen/sitemap.xml"
    bare = Timing("bare Scrapy spider (fetch only)", [])
    full = Timing("airace full pipeline", [])
    walls: dict[str, list[float]] = {"bare": [], "full": []}
    try:
        with tempfile.TemporaryDirectory(prefix="airace-bench-crawl-") as tmp:
            for r in range(args.rounds):
                seconds, wall, pages = run_bare(sitemap)
                assert pages == args.pages, f"bare spider fetched {pages} pages"
                bare.samples.append(seconds)
                walls["bare"].append(wall)
                seconds, wall, stored = run_full(sitemap, Path(tmp), r)
                assert stored == args.pages, f"full pipeline stored {stored} articles"
                full.samples.append(seconds)
                walls["full"].append(wall)
                print(
                    f"round {r + 1}: bare {args.pages / bare.samples[-1]:.0f} pages/s, "
                    f"full {args.pages / full.samples[-1]:.0f} pages/s",
                    flush=True,
                )
    finally:
        server.stop()
    for t, side in ((bare, "bare"), (full, "full")):
        t.extra["pages"] = args.pages
        t.extra["pages/s"] = round(args.pages / t.median, 1)
        t.extra["wall (median)"] = f"{sorted(walls[side])[len(walls[side]) // 2]:.2f} s"
    print_table([bare, full], baseline=bare, title=f"crawl of {args.pages} loopback pages")
    ratio = bare.median / full.median
    print(
        f"\nbare {bare.extra['pages/s']} pages/s, full {full.extra['pages/s']} pages/s: "
        f"full/bare = {ratio:.2f} (target >= 0.60)"
    )
    save_results("crawl", [bare, full], baseline=bare, params={"pages": args.pages})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
