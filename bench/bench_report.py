"""Time the weekly briefing (2025-W05, PDF) on a 100,000- and a 1,000-article synthetic database.

Run by hand: `python bench/bench_report.py [--dir /tmp/airace-bench-report] [--repeat 2]`.
The databases are generated once with bench/synth.py into --dir and reused while their article
count matches. Target: the 100k report in under 20 s. Both timings and their ratio are printed,
with the stage split (context queries, charts + HTML, WeasyPrint) and the page count.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.harness import Timing, print_table, save_results  # noqa: E402

WEEK = "2025-W05"
TARGET_S = 20.0


def _database(directory: Path, n_articles: int) -> str:
    """A synthetic database of `n_articles` under `directory`, generated on first use."""
    from sqlalchemy import func, select

    from bench.synth import generate
    from db.engine import make_engine
    from db.models import Article

    path = directory / f"synth-{n_articles}.db"
    url = f"sqlite:///{path}"
    if path.exists():
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                have = conn.scalar(select(func.count()).select_from(Article))
        except Exception:
            have = None
        finally:
            engine.dispose()
        if have == n_articles:
            return url
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    directory.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    print(f"generating {n_articles:,} articles into {path} ...", flush=True)
    generate(url, n_articles, seed=0)
    print(f"  done in {time.perf_counter() - t0:.0f}s", flush=True)
    return url


def _time_report(url: str, out: Path, name: str, repeat: int) -> Timing:
    from db.engine import make_engine, make_sessionmaker
    from reports.context import iso_week
    from reports.render import render_weekly

    period = iso_week(WEEK)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    samples: list[float] = []
    last = None
    try:
        for _ in range(repeat):
            t0 = time.perf_counter()
            last = render_weekly(sessions, period.start, period.end, pdf_path=out)
            samples.append(time.perf_counter() - t0)
    finally:
        engine.dispose()
    assert last is not None
    extra = {
        "articles_in_week": last.article_count,
        "pages": last.pages,
        **{f"{k}_s": round(v, 2) for k, v in last.timings.items() if k != "total"},
    }
    return Timing(name, samples, extra=extra)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=Path("/tmp/airace-bench-report"))
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)

    small_url = _database(args.dir, 1_000)
    large_url = _database(args.dir, 100_000)
    # Warm the imports (WeasyPrint, matplotlib) outside the timings.
    _time_report(small_url, args.dir / "warmup.pdf", "warmup", 1)
    small = _time_report(small_url, args.dir / "w05-1k.pdf", f"{WEEK} on 1k articles", args.repeat)
    large = _time_report(
        large_url, args.dir / "w05-100k.pdf", f"{WEEK} on 100k articles", args.repeat
    )
    print_table([small, large], baseline=small, title=f"Weekly report, {WEEK} (PDF)")
    ratio = large.median / small.median if small.median else float("nan")
    verdict = "OK" if large.median < TARGET_S else "TOO SLOW"
    print(
        f"1k: {small.median:.2f}s  100k: {large.median:.2f}s  ratio {ratio:.1f}x  "
        f"target < {TARGET_S:.0f}s: {verdict}"
    )
    save_results("report", [small, large], baseline=small, params={"week": WEEK})
    return 0 if large.median < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
