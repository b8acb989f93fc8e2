"""Benchmark `airace analyze --worker`: throughput of 1 and 2 workers on PostgreSQL, in one run.

    .venv/bin/python bench/bench_workers.py [--pg URL] [--articles 160] [--words 300] [--rounds 1]

For each round and each worker count (1, 2; alternating which goes first, so load changes hit
both): a fresh PostgreSQL database, W `analyze --worker` processes started on an empty backlog
and left to load their models, then N synthetic articles (bench_analyze's invented EN/FR
templates) inserted in one transaction. The clock runs from the first claim until the last article is
analysed, so model loading and the idle polling interval are not counted; the workers are then stopped with SIGTERM.

Prints articles/s for 1 and 2 workers and their ratio, and appends the results to
bench/results/workers.jsonl. `--pg` is an admin URL (a database is created and dropped per round).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_analyze import make_articles
from bench.harness import REPO, Timing, print_table, save_results

BATCH = 16  # articles per claimed batch (AIRACE_ANALYSIS_BATCH_SIZE), small enough to share


def _round(admin_url: str, workers: int, articles: list[dict[str, str]]) -> float:
    """Seconds for `workers` warm workers to analyse `articles` on a fresh database."""
    from sqlalchemy import create_engine, func, select, text
    from sqlalchemy.engine import make_url

    from db.engine import make_engine, make_sessionmaker
    from db.migrations import upgrade
    from db.models import Article

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"airace_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    procs: list[subprocess.Popen[str]] = []
    try:
        upgrade(engine)
        sessions = make_sessionmaker(engine)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRACE_")}
        env.update({"AIRACE_ANALYSIS_BATCH_SIZE": str(BATCH), "PYTHONPATH": str(REPO)})
        for _ in range(workers):
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "airace", "--db", url, "analyze", "--worker"],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                    env=env,
                    cwd=REPO,
                )
            )
        for p in procs:  # "worker host:pid: started" once its models are loaded
            assert p.stderr is not None
            seen = ""
            while "started" not in seen:
                line = p.stderr.readline()
                if not line:
                    raise RuntimeError(f"worker did not start: {seen[-2000:]}")
                seen += line
        time.sleep(2.5)  # let every worker sync the knowledge base and start polling
        with sessions.begin() as s:
            s.add_all(
                Article(
                    url=f"https://bench.example/{name}/{i}",
                    title=a["title"],
                    text=a["text"],
                    language=a["lang"],
                    content_hash=f"{name}-{i}",
                )
                for i, a in enumerate(articles)
            )
        # The clock starts at the first claim: a worker polls an empty backlog every 2 s.
        claimed = select(func.count()).where(Article.claimed_by.is_not(None))
        pending = select(func.count()).where(Article.analysis_version.is_(None))
        while True:
            with sessions() as s:
                if s.scalar(claimed) or not s.scalar(pending):
                    break
            time.sleep(0.02)
        started = time.monotonic()
        while True:
            with sessions() as s:
                if not s.scalar(pending):
                    break
            if any(p.poll() is not None for p in procs):
                raise RuntimeError("a worker died during the benchmark")
            time.sleep(0.05)
        return time.monotonic() - started
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--articles", type=int, default=160)
    parser.add_argument("--words", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    articles = make_articles(args.articles, args.words, args.seed)
    samples: dict[int, list[float]] = {1: [], 2: []}
    for r in range(args.rounds):
        for workers in (1, 2) if r % 2 == 0 else (2, 1):
            seconds = _round(args.pg, workers, articles)
            samples[workers].append(seconds)
            print(
                f"round {r + 1}: {workers} worker(s): {seconds:.1f}s, "
                f"{len(articles) / seconds:.1f} articles/s",
                file=sys.stderr,
            )
    rows = [
        Timing(
            f"{w} worker{'s' if w > 1 else ''}",
            samples[w],
            extra={"articles_per_s": round(len(articles) / min(samples[w]), 2)},
        )
        for w in (1, 2)
    ]
    print_table(rows, baseline=rows[0], title=f"analyze --worker, {len(articles)} articles")
    one, two = (len(articles) / min(samples[w]) for w in (1, 2))
    print(f"1 worker: {one:.1f} articles/s; 2 workers: {two:.1f} articles/s; ratio {two / one:.2f}")
    save_results(
        "workers",
        rows,
        baseline=rows[0],
        params={
            "articles": args.articles,
            "words": args.words,
            "batch": BATCH,
            "cpus": os.cpu_count(),
        },
    )


if __name__ == "__main__":
    main()
