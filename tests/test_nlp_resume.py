"""`airace analyze` killed or cut off mid-batch: whole batches or nothing, and a rerun resumes.

- a real `airace analyze` process SIGKILLs itself while it writes the second batch: the first
  batch is stored, the second not at all, and the rerun analyses exactly the rest;
- a PostgreSQL connection terminated from a second connection is one line and exit 1;
- a worker that lost its claim while analysing stores nothing for that article.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, event, func, select, text

from db.claims import claim_articles
from db.engine import make_engine, make_sessionmaker
from db.migrations import upgrade
from db.models import Article, Embedding, Mention, Theme
from nlp.analyze import analyze_pending
from tests._nlp_models import shared_analyzer

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parent.parent
BATCH = 4
ARTICLES = 12

COMPANIES = ["Nvidia", "Microsoft", "Google", "Amazon", "Meta", "AMD"]
TOPICS = [
    "a new data center campus for training large models",
    "a cheaper inference chip for cloud customers",
    "a partnership with a European research lab",
    "a quarterly forecast that beat what analysts expected",
]


def _text(i: int) -> tuple[str, str]:
    company, topic = COMPANIES[i % len(COMPANIES)], TOPICS[i % len(TOPICS)]
    other = COMPANIES[(i + 1) % len(COMPANIES)]
    title = f"{company} announces {topic} (story {i})"
    body = (
        f"{company} on Tuesday announced {topic}. Executives said demand for AI computing kept "
        f"growing through the year, and that {other} remained a close rival. The shares rose "
        f"{i + 2} percent in early trading as investors weighed the cost of the plan."
    )
    return title, body


def _fill(sessions, n: int = ARTICLES) -> list[int]:  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        rows = [
            Article(
                url=f"https://news.example/r/{i}",
                title=_text(i)[0],
                text=_text(i)[1],
                language="en",
                content_hash=f"r{i}",
            )
            for i in range(n)
        ]
        s.add_all(rows)
        s.flush()
        return [a.id for a in rows]


def _state(sessions) -> dict[int, tuple[int | None, dt.datetime | None, str | None]]:  # type: ignore[no-untyped-def]
    with sessions() as s:
        return {
            a.id: (a.analysis_version, a.analysed_at, a.claimed_by)
            for a in s.scalars(select(Article).order_by(Article.id))
        }


def _rows_of(sessions, model, ids) -> int:  # type: ignore[no-untyped-def]
    with sessions() as s:
        return int(
            s.scalar(select(func.count()).select_from(model).where(model.article_id.in_(ids))) or 0
        )


# `airace analyze` that SIGKILLs itself just before writing the analysis of article number
# `kill_at` (counted over the run): the second article of the second batch.
KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from sqlalchemy import Engine, event
    kill_at = int(sys.argv[1])
    seen = []
    def before(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith("DELETE FROM MENTIONS"):
            seen.append(1)
            if len(seen) == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
    event.listen(Engine, "before_cursor_execute", before)
    from airace.cli import main
    main(sys.argv[2:])
    """
)


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRACE_")}
    env.update(
        AIRACE_ANALYSIS_BATCH_SIZE=str(BATCH),
        AIRACE_DATA_DIR=str(tmp_path / "data"),
        XDG_CONFIG_HOME=str(tmp_path / "xdg"),
    )
    return env


def test_sigkill_mid_batch_keeps_whole_batches_and_the_rerun_does_the_rest(
    db_url, tmp_path
) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    ids = _fill(sessions)
    killed = subprocess.run(
        [sys.executable, "-c", KILLER, str(BATCH + 2), "--db", db_url, "analyze"],
        cwd=tmp_path,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert killed.returncode == -9, killed.stderr[-2000:]
    state = _state(sessions)
    done = [i for i in ids if state[i][0] is not None]
    first, second = ids[:BATCH], ids[BATCH : 2 * BATCH]
    assert done == first  # the first batch entirely, nothing of the second
    assert _rows_of(sessions, Mention, second) == 0
    assert _rows_of(sessions, Theme, second) == 0
    assert _rows_of(sessions, Embedding, second) == 0
    assert _rows_of(sessions, Embedding, first) == BATCH
    assert all(state[i][2] is not None for i in second)  # claimed by the dead process
    first_at = {i: state[i][1] for i in first}

    rerun = subprocess.run(
        [sys.executable, "-m", "airace", "--db", db_url, "analyze"],
        cwd=tmp_path,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert f"analysed {ARTICLES - BATCH}," in rerun.stdout  # nothing lost, nothing twice
    state = _state(sessions)
    assert all(v[0] is not None and v[2] is None for v in state.values())
    assert {i: state[i][1] for i in first} == first_at  # the first batch was not redone
    assert _rows_of(sessions, Embedding, ids) == ARTICLES
    engine.dispose()


@pytest.mark.postgres
def test_a_terminated_postgres_connection_is_one_line_and_a_rerun_resumes(
    cli, postgres_url, tmp_path, monkeypatch
) -> None:
    engine = make_engine(postgres_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    ids = _fill(sessions, 2 * BATCH)
    monkeypatch.setenv("AIRACE_ANALYSIS_BATCH_SIZE", str(BATCH))
    monkeypatch.setenv("AIRACE_DATA_DIR", str(tmp_path / "data"))
    admin: Engine = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    claims: list[int] = []

    def terminate_second_claim(conn, cursor, statement, params, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if "FOR UPDATE SKIP LOCKED" not in statement.upper():  # a batch's claim
            return
        claims.append(1)
        if len(claims) == 2:  # the administrator ends this session from another connection
            pid = conn.connection.dbapi_connection.info.backend_pid
            with admin.connect() as other:
                assert other.scalar(text("SELECT pg_terminate_backend(:p, 5000)"), {"p": pid})

    event.listen(Engine, "before_cursor_execute", terminate_second_claim)
    try:
        r = cli("--db", postgres_url, "analyze")
    finally:
        event.remove(Engine, "before_cursor_execute", terminate_second_claim)
        admin.dispose()
    assert r.exit_code == 1, r.stderr
    errors = [line for line in r.stderr.splitlines() if line.startswith("airace:")]
    assert errors == [
        "airace: error: database: the connection to the database was lost (the server closed "
        "it); what was committed is kept: run the command again to resume"
    ]
    assert "Traceback" not in r.stderr and "autoflush" not in r.stderr
    state = _state(sessions)
    assert [i for i in ids if state[i][0] is not None] == ids[:BATCH]
    r = cli("--db", postgres_url, "analyze")
    assert r.exit_code == 0 and f"analysed {BATCH}," in r.stdout, r.stderr
    assert all(v[0] is not None for v in _state(sessions).values())
    engine.dispose()


def test_results_of_a_lost_claim_are_not_stored(sessions, monkeypatch) -> None:
    ids = _fill(sessions, BATCH)
    victim = ids[1]
    analyzer = shared_analyzer()
    real = analyzer.analyze
    lease = dt.timedelta(minutes=10)

    def analyze_while_another_worker_takes_over(items):  # type: ignore[no-untyped-def]
        results = list(real(items))
        # Our lease ran out while we were analysing: another worker claimed the article.
        later = dt.datetime.now(dt.UTC) + lease + dt.timedelta(seconds=1)
        with sessions.begin() as s:
            taken = claim_articles(
                s, worker="thief:1", condition=Article.id == victim, limit=1, lease=lease, now=later
            )
        assert taken == [victim]
        return iter(results)

    monkeypatch.setattr(analyzer, "analyze", analyze_while_another_worker_takes_over)
    summary = analyze_pending(sessions, analyzer, batch_size=BATCH, lease=lease)
    assert summary.analysed == BATCH - 1
    state = _state(sessions)
    assert state[victim][0] is None and state[victim][2] == "thief:1"
    assert _rows_of(sessions, Mention, [victim]) == 0
    assert _rows_of(sessions, Embedding, [victim]) == 0
    others = [i for i in ids if i != victim]
    assert all(state[i][0] is not None and state[i][2] is None for i in others)


def test_a_batch_that_fails_to_store_leaves_no_claim_behind(sessions, monkeypatch) -> None:
    """The store raising (a unique key, a lost lock) frees the batch at once, not at the lease's
    end: the next run, on any host, can take it."""
    import nlp.analyze as analyze_mod

    ids = _fill(sessions, BATCH)

    def store_fails(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("UNIQUE constraint failed: entities.key")

    monkeypatch.setattr(analyze_mod, "_store", store_fails)
    with pytest.raises(RuntimeError, match="UNIQUE"):
        analyze_pending(sessions, shared_analyzer(), batch_size=BATCH)
    state = _state(sessions)
    assert all(state[i] == (None, None, None) for i in ids)  # nothing stored, nothing claimed


def test_three_analyses_at_once_on_one_sqlite_database(sqlite_url, tmp_path) -> None:
    """The issue's scenario: three `airace analyze` started together. One analyses; the others
    say the stage is taken (or find nothing left); no traceback, every article once."""
    engine = make_engine(sqlite_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    ids = _fill(sessions, 2 * BATCH)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "airace", "--db", sqlite_url, "analyze"],
            cwd=tmp_path,
            env=_env(tmp_path),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    analysed = 0
    for p, (out, err) in zip(procs, outs, strict=True):
        assert "Traceback" not in err and "UNIQUE" not in err, err[-2000:]
        if p.returncode == 1:
            assert "airace: not started: analyze is already running (" in err
        else:
            assert p.returncode == 0, err[-2000:]
            analysed += int(out.split("analysed ", 1)[1].split(",", 1)[0])
    assert analysed == len(ids)
    assert sorted(p.returncode for p in procs).count(1) >= 1  # they really overlapped
    state = _state(sessions)
    assert all(v[0] is not None and v[2] is None for v in state.values())
    engine.dispose()
