"""Cold-process `airace search`: semantic (model + keywords) against `--keywords-only`.

    python bench/bench_search.py --db sqlite:///airace-demo/airace.db [--repeat 5] [--query TEXT]

Each command is a fresh `airace` process (import, open the database, embed the query, rank,
print), run once untimed (warm file cache), then `--repeat` times, interleaved round by round.
The table shows the median, p95, peak RSS and the ratio of the semantic search to the keyword
search measured in the same run. Target: a semantic search under 2 s on the demo database.
Results are appended to bench/results/search.jsonl.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.bench_cli_start import airace_command  # noqa: E402
from bench.harness import measure_cmds, print_table, save_results  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="database URL or SQLite path (the demo's)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per command")
    parser.add_argument("--query", default="cheaper training of reasoning models")
    args = parser.parse_args(argv)
    airace = [*airace_command(), "--db", args.db, "search", args.query, "--format", "json"]
    rows = measure_cmds(
        {"search --keywords-only": [*airace, "--keywords-only"], "search (semantic)": airace},
        args.repeat,
    )
    base = rows[0]
    print_table(rows, baseline=base, title=f"cold airace search ({args.repeat} runs each)")
    ratio = rows[1].median / base.median if base.median else float("nan")
    print(f"semantic / keywords-only: {ratio:.2f}x (median {rows[1].median:.2f} s)")
    path = save_results(
        "search", rows, baseline=base, params={"repeat": args.repeat, "query": args.query}
    )
    print(f"results appended to {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
