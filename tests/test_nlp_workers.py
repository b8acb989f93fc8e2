"""Parallel analysis workers on PostgreSQL: one killed mid-batch, every article analysed once.

A trigger (created by the test in its throwaway database, not part of the schema) logs every
committed write of an article's analysis with the worker that held the claim, so a double
analysis shows up as two log rows for one article even though the analysis tables would only
keep the last write.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from db.engine import make_engine, make_sessionmaker
from db.migrations import upgrade
from db.models import Article

REPO = Path(__file__).resolve().parent.parent

COMPANIES_EN = ["Nvidia", "Microsoft", "Google", "Amazon", "Meta", "AMD", "Oracle", "Broadcom"]
COMPANIES_FR = ["Mistral AI", "Nvidia", "Microsoft", "Google", "ASML", "Meta"]
EN = [
    "{a} said on Tuesday it would spend more on data centres this year, and {b} answered with "
    "a cheaper cloud offer for model training. Analysts expect the race for chips to go on.",
    "Shares of {a} rose after the company showed a new model that writes code. {b} is said to "
    "be working on a rival system, and investors are watching both closely.",
    "{a} signed a long power contract to run its AI clusters. Executives at {b} warned that "
    "electricity, not chips, could limit the next generation of models.",
]
FR = [
    "{a} a présenté mardi un nouveau modèle de langage, plus rapide et moins cher. Selon des "
    "analystes, {b} devra répondre vite pour garder ses clients.",
    "Les investisseurs saluent l'accord entre {a} et {b} sur des puces pour l'intelligence "
    "artificielle. Le contrat porte sur plusieurs années.",
]
N_ARTICLES = 60

LOG_DDL = [
    "CREATE TABLE analysis_log (article_id integer NOT NULL, worker text, "
    "at timestamptz NOT NULL DEFAULT clock_timestamp())",
    """CREATE FUNCTION log_analysis() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO analysis_log (article_id, worker) VALUES (NEW.id, NEW.claimed_by);
      RETURN NEW;
    END $$""",
    "CREATE TRIGGER articles_analysis_log AFTER UPDATE OF analysed_at ON articles FOR EACH ROW "
    "WHEN (NEW.analysed_at IS DISTINCT FROM OLD.analysed_at) EXECUTE FUNCTION log_analysis()",
]


def _articles() -> list[Article]:
    out = []
    for i in range(N_ARTICLES):
        if i % 3 == 2:
            lang, templates, names = "fr", FR, COMPANIES_FR
        else:
            lang, templates, names = "en", EN, COMPANIES_EN
        a, b = names[i % len(names)], names[(i + 3) % len(names)]
        body = templates[i % len(templates)].format(a=a, b=b) + f" Dossier {i}."
        out.append(
            Article(
                url=f"https://workers.example/{i}",
                title=f"{a} et {b}" if lang == "fr" else f"{a} and {b}",
                text=body,
                language=lang,
                content_hash=f"w{i}",
                # five days, so the workers add to shared entity_days rows
                published_at=dt.datetime(2025, 1, 20 + i % 5, 12, tzinfo=dt.UTC),
            )
        )
    return out


def _start_worker(db_url: str, lease: int) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRACE_")}
    env["AIRACE_ANALYSIS_BATCH_SIZE"] = "4"
    env["PYTHONPATH"] = str(REPO)
    args = ["analyze", "--worker", "--idle-exit", "--lease", str(lease)]
    return subprocess.Popen(
        [sys.executable, "-m", "airace", "--db", db_url, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )


@pytest.mark.postgres
@pytest.mark.slow
def test_three_workers_one_killed_every_article_analysed_once(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as s:
        for ddl in LOG_DDL:
            s.execute(text(ddl))
        s.add_all(_articles())

    workers = [_start_worker(postgres_url, lease=3) for _ in range(3)]
    victim = workers[0]
    victim_name = f"%:{victim.pid}"
    held_at_kill: list[int] = []
    try:
        # Kill the victim mid-batch, once it has committed a batch and holds a new one.
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and victim.poll() is None:
            with sessions() as s:
                done = s.scalar(
                    text("SELECT count(*) FROM analysis_log WHERE worker LIKE :w"),
                    {"w": victim_name},
                )
                held = list(
                    s.scalars(select(Article.id).where(Article.claimed_by.like(victim_name)))
                )
            if done and held:
                os.kill(victim.pid, signal.SIGKILL)
                held_at_kill = held
                break
            time.sleep(0.02)
        assert held_at_kill, "the victim never held a batch after committing one"
        outputs = [w.communicate(timeout=120) for w in workers[1:]]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
                w.wait()
    victim.wait()
    assert victim.returncode == -signal.SIGKILL
    for w, (_, err) in zip(workers[1:], outputs, strict=True):
        assert w.returncode == 0, err[-2000:]

    with sessions() as s:
        log = s.execute(text("SELECT article_id, worker FROM analysis_log")).all()
        statuses = dict(
            s.execute(select(Article.status, func.count()).group_by(Article.status)).tuples().all()
        )
        claimed = s.scalar(select(func.count()).where(Article.claimed_by.is_not(None)))
        all_ids = sorted(s.scalars(select(Article.id)))
    # Every article analysed, exactly once (one committed analysis write each), none still claimed.
    per_article: dict[int, list[str]] = {}
    for article_id, worker in log:
        per_article.setdefault(article_id, []).append(worker)
    assert statuses == {"analysed": N_ARTICLES}
    assert sorted(per_article) == all_ids
    assert {k: v for k, v in per_article.items() if len(v) > 1} == {}
    assert claimed == 0
    # The victim's batch at the time of the kill was taken over by the survivors.
    for article_id in held_at_kill:
        assert not per_article[article_id][0].endswith(f":{victim.pid}")
    # The survivors' own counts plus what the victim committed add up to the total.
    by_victim = sum(1 for w, *_ in per_article.values() if w.endswith(f":{victim.pid}"))
    reported = 0
    for out, _ in outputs:
        line = next(x for x in out.splitlines() if x.startswith("worker "))
        reported += int(line.split("analysed ", 1)[1].split(",", 1)[0])
    assert by_victim > 0
    assert reported + by_victim == N_ARTICLES
    # Three workers adding to the entity_days rollup at once (one killed mid-batch) leave it
    # equal to a rebuild from the mentions and stances they committed.
    from db import entity_days
    from db.models import EntityDay

    def rollup() -> dict:
        with sessions() as s:
            return {
                (r.entity_id, r.day): (
                    r.articles,
                    r.mentions,
                    r.stanced,
                    r.favourable,
                    r.unfavourable,
                )
                for r in s.scalars(select(EntityDay))
                if any((r.articles, r.mentions, r.stanced, r.favourable, r.unfavourable))
            }

    kept = rollup()
    with sessions.begin() as s:
        entity_days.rebuild(s)
    assert kept and kept == rollup()
    engine.dispose()


def test_worker_is_refused_on_sqlite(cli, sqlite_url: str) -> None:
    result = cli("--db", sqlite_url, "analyze", "--worker")
    assert result.exit_code == 2
    assert "--worker needs PostgreSQL" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_worker_options_need_worker(cli, sqlite_url: str) -> None:
    for extra in (["--idle-exit"], ["--lease", "600"]):
        result = cli("--db", sqlite_url, "analyze", *extra)
        assert result.exit_code == 2, extra
        assert "--lease and --idle-exit go with --worker" in result.stderr
