"""Smoke test: the main commands, through the CLI, on a fresh PostgreSQL database.

crawl (a loopback news site) -> analyze -> prices update --from-csv -> react -> report weekly ->
query / search / sql, each one exiting 0 with output that shows it saw the data.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PRICES_DIR

SITES = Path(__file__).parent / "data" / "sites"
sys.path.insert(0, str(SITES))
from loopback import LoopbackServer  # noqa: E402

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def site() -> Iterator[LoopbackServer]:
    server = LoopbackServer(SITES / "news", slow_seconds=0.5).start()
    yield server
    server.stop()


def test_main_commands_on_postgres(
    cli, postgres_url: str, site: LoopbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    for name, value in {
        "AIRACE_DOWNLOAD_DELAY": "0",
        "AIRACE_AUTOTHROTTLE": "false",
        "AIRACE_ROBOTS_OBEY": "false",
        "AIRACE_DOWNLOAD_TIMEOUT": "2",
        "AIRACE_CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    }.items():
        monkeypatch.setenv(name, value)
    sources = tmp_path / "sources.toml"
    sources.write_text(
        '[[sources]]\nname = "loop-feed"\nkind = "feed"\n'
        f'urls = ["{site.base}/feed.xml"]\nallowed_domains = ["127.0.0.1"]\n',
        encoding="utf-8",
    )

    def ok(*args: str) -> str:
        result = cli("--db", postgres_url, *args)
        assert result.exit_code == 0, f"airace {' '.join(args)}: {result.stderr[-2000:]}"
        return result.stdout

    crawl = json.loads(ok("crawl", "--sources", str(sources), "--no-cache", "--json"))
    assert crawl["status"] == "finished" and crawl["totals"]["new"] >= 5, crawl
    analysed = ok("analyze")
    assert analysed.startswith("analysed ") and not analysed.startswith("analysed 0"), analysed
    ok("prices", "update", "--from-csv", str(PRICES_DIR))
    ok("react")
    pdf = tmp_path / "w05.pdf"
    ok("report", "weekly", "--week", "2025-W05", "-o", str(pdf))
    assert pdf.stat().st_size > 1000
    assert "loop-feed" in ok("query", "articles", "--limit", "3")
    ok("query", "entities")
    ok("query", "reactions")
    ok("search", "Nvidia", "--limit", "3")
    count = ok("sql", "SELECT count(*) AS n FROM articles")
    assert str(crawl["totals"]["new"]) in count
