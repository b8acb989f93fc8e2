"""Start-up time of the CLI: `airace --help` and `airace query --help` against `python -c pass`.

    python bench/bench_cli_start.py [--repeat 10]

Each command runs once untimed (warm file cache), then `--repeat` times; the table shows the
median, p95, peak RSS and the ratio to the bare interpreter measured in the same run. It also
lists the heavy libraries (spaCy, torch, Scrapy, WeasyPrint, ...) that `airace --help` imported:
the answer should be none. Results are appended to bench/results/cli_start.jsonl.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.harness import measure_cmds, print_table, save_results  # noqa: E402

HEAVY = (
    "spacy",
    "torch",
    "sentence_transformers",
    "scrapy",
    "twisted",
    "weasyprint",
    "matplotlib",
    "pandas",
    "yfinance",
    "trafilatura",
    "numpy",
    "sqlalchemy",
    "alembic",
)

_PROBE = """
import sys
from airace.cli import main
try:
    main({args!r})
except SystemExit:
    pass
heavy = {heavy!r}
print(json.dumps({{"modules": len(sys.modules),
                  "heavy": sorted(h for h in heavy if h in sys.modules)}}))
"""


def airace_command() -> list[str]:
    """The installed `airace` script next to this interpreter, else `python -m airace`."""
    script = Path(sys.executable).parent / "airace"
    if script.exists():
        return [str(script)]
    found = shutil.which("airace")
    return [found] if found else [sys.executable, "-m", "airace"]


def imported_on_help(args: list[str]) -> dict[str, Any]:
    """Run `airace ARGS` in a fresh interpreter; how many modules, which heavy ones?"""
    code = "import json\n" + _PROBE.format(args=args, heavy=HEAVY)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10, help="timed runs per command")
    args = parser.parse_args(argv)
    airace = airace_command()
    # Interleaved round by round: the machine's load hits every command alike.
    rows = measure_cmds(
        {
            "python -c pass": [sys.executable, "-c", "pass"],
            "airace --help": [*airace, "--help"],
            "airace query --help": [*airace, "query", "--help"],
            "python -m airace --help": [sys.executable, "-m", "airace", "--help"],
        },
        args.repeat,
    )
    base = rows[0]
    print_table(rows, baseline=base, title=f"CLI start ({args.repeat} runs each, {airace[0]})")
    probes = {" ".join(a): imported_on_help(a) for a in (["--help"], ["query", "--help"])}
    print()
    for args_text, probe in probes.items():
        heavy = ", ".join(probe["heavy"]) or "none"
        print(f"airace {args_text}: {probe['modules']} modules; heavy libraries: {heavy}")
    path = save_results("cli_start", rows, baseline=base, params={"repeat": args.repeat, **probes})
    print(f"results appended to {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
