"""`analyze_pending` on SQLite and PostgreSQL, and the analyze / annotate commands."""

from __future__ import annotations

import datetime as dt
import json
import socket

import pytest
from sqlalchemy import func, select

import nlp.analyze as analyze_mod
from db.entities import mentions_of_article, stances_of_article, themes_of_article
from db.models import Article, Embedding, Entity, Exposure, Mention
from nlp.analyze import analyze_pending
from nlp.embeddings import from_bytes
from tests._nlp_models import shared_analyzer

pytestmark = pytest.mark.slow

GOOD = [
    (
        "Nvidia slides as DeepSeek unveils a cheaper model",
        "Shares of Nvidia fell 9% on Monday after DeepSeek released R1, a reasoning model it "
        "says cost far less to train. Analysts at Kelverton Advisory said the sell-off was "
        "overdone. Microsoft and Google did not comment.",
        "en",
    ),
    (
        "Mistral AI lève 400 millions d\u2019euros",
        "La start-up parisienne Mistral AI a bouclé une levée de fonds auprès d\u2019ASML et de "
        "fonds américains. Arthur Mensch, son patron, veut recruter des chercheurs. "
        "Le Chat compte déjà des millions d\u2019utilisateurs.",
        None,
    ),
    (
        "Anthropic expands its deal with Amazon",
        "Anthropic said Amazon would invest more, and AWS remains its main cloud. Dario Amodei "
        "called it a strong partnership. Claude usage grew quickly among developers.",
        "en",
    ),
]
BAD = [
    ("", "", "empty"),
    ("Junk", "\ufffd" * 400, "binary"),
    ("Long", "word " * 70_000, "too_long"),
]


@pytest.fixture(scope="module")
def analyzer():
    return shared_analyzer()


def _add_articles(sessions, published: dt.datetime | None = None) -> dict[str, int]:
    ids = {}
    with sessions.begin() as s:
        for i, (title, text, lang) in enumerate(GOOD):
            a = Article(url=f"https://news.example/good/{i}", title=title, text=text,
                        language=lang, content_hash=f"g{i}", published_at=published)  # fmt: skip
            s.add(a)
            s.flush()
            ids[f"good{i}"] = a.id
        for i, (title, text, reason) in enumerate(BAD):
            a = Article(url=f"https://news.example/bad/{i}", title=title, text=text,
                        content_hash=f"b{i}", published_at=published)  # fmt: skip
            s.add(a)
            s.flush()
            ids[reason] = a.id
    return ids


def test_analyze_writes_everything_and_a_second_run_does_nothing(sessions, analyzer) -> None:
    ids = _add_articles(sessions)
    seen = []
    summary = analyze_pending(
        sessions, analyzer, batch_size=2, progress=lambda s: seen.append(s.processed)
    )
    assert summary.analysed == 3 and summary.failed == 0
    assert summary.skipped == {"empty": 1, "binary": 1, "too_long": 1}
    assert seen[0] == 0 and seen[-1] == 6 and summary.total == 6

    with sessions() as s:
        assert (
            s.scalar(select(func.count()).select_from(Entity).where(Entity.origin == "kb")) >= 150
        )
        assert s.scalar(select(func.count()).select_from(Exposure)) > 20
        en = {e.key: m for m, e in mentions_of_article(s, ids["good0"])}
        assert {"nvidia", "deepseek", "deepseek-r1", "microsoft", "alphabet"} <= set(en)
        assert en["nvidia"].in_title and en["nvidia"].count == 2 and en["nvidia"].salience > 0.5
        assert any(k.startswith("cand-") for k in en)  # Kelverton Advisory, discovered
        fr = {e.key for _, e in mentions_of_article(s, ids["good1"])}
        assert {"mistral", "asml", "arthur-mensch", "le-chat"} <= fr
        stances = {e.key: st for st, e in stances_of_article(s, ids["good0"])}
        assert "nvidia" in stances and -1 <= stances["nvidia"].score <= 1
        assert stances["nvidia"].label in (-1, 0, 1)
        assert "funding" in themes_of_article(s, ids["good1"])
        emb = s.get(Embedding, ids["good0"])
        assert emb.model == "all-MiniLM-L6-v2" and emb.dim == 384 and len(emb.vector) == 384 * 4
        assert abs(float((from_bytes(emb.vector) ** 2).sum()) - 1) < 1e-4
        rows = {a.id: a for a in s.scalars(select(Article))}
        assert rows[ids["good1"]].language == "fr" and rows[ids["good1"]].status == "analysed"
        assert (
            rows[ids["binary"]].status == "skipped"
            and rows[ids["binary"]].status_reason == "binary"
        )
        assert all(
            a.analysis_version == analyzer.version and a.claimed_by is None for a in rows.values()
        )

    again = analyze_pending(sessions, analyzer, batch_size=2)
    assert again.processed == 0 and again.total == 0


def test_reprocess_version_bump_since_and_limit(sessions, analyzer, monkeypatch) -> None:
    old = dt.datetime(2024, 1, 5, tzinfo=dt.UTC)
    _add_articles(sessions, published=old)
    assert analyze_pending(sessions, analyzer, since=dt.date(2025, 1, 1)).processed == 0
    assert analyze_pending(sessions, analyzer, limit=2).processed == 2
    assert analyze_pending(sessions, analyzer).processed == 4
    assert analyze_pending(sessions, analyzer).processed == 0

    again = analyze_pending(sessions, analyzer, reprocess=True, batch_size=4)
    assert again.analysed == 3 and again.processed == 6
    with sessions() as s:  # rows replaced, not duplicated
        assert (
            s.scalar(select(func.count()).select_from(Mention).where(Mention.article_id == 1)) < 12
        )

    monkeypatch.setattr(analyzer, "version", analyzer.version + 1)
    assert analyze_pending(sessions, analyzer, since=dt.date(2024, 1, 1)).processed == 6


def test_a_killed_run_leaves_nothing_half_written_and_the_next_run_resumes(
    sessions, analyzer, monkeypatch
) -> None:
    ids = _add_articles(sessions)
    dead_worker = f"{socket.gethostname()}:{2**22 + 12345}"  # no such process
    monkeypatch.setattr(analyze_mod, "worker_name", lambda: dead_worker)
    real_save = analyze_mod.save_analysis
    calls = {"n": 0}

    def dying_save(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:  # the first article of the second batch
            raise KeyboardInterrupt("killed")
        return real_save(*args, **kwargs)

    monkeypatch.setattr(analyze_mod, "save_analysis", dying_save)
    with pytest.raises(KeyboardInterrupt):
        analyze_pending(sessions, analyzer, batch_size=2)
    with sessions() as s:
        by_id = {a.id: a for a in s.scalars(select(Article))}
        done = [i for i, a in by_id.items() if a.status == "analysed"]
        assert done == [ids["good0"], ids["good1"]]
        untouched = [ids["good2"], ids["empty"]]  # the second batch, rolled back
        assert all(
            by_id[i].status == "new" and by_id[i].analysis_version is None for i in untouched
        )
        # an interrupted batch frees its claims on the way out (a SIGKILLed one cannot: see
        # tests/test_nlp_resume.py)
        assert all(by_id[i].claimed_by is None for i in untouched)
        assert not s.scalars(select(Mention).where(Mention.article_id.in_(untouched))).all()

    monkeypatch.setattr(analyze_mod, "save_analysis", real_save)
    monkeypatch.setattr(analyze_mod, "worker_name", lambda: f"{socket.gethostname()}:1")
    resumed = analyze_pending(sessions, analyzer, batch_size=2)
    assert resumed.analysed == 1 and resumed.processed == 4


def test_a_failing_article_is_counted_and_the_run_goes_on(sessions, analyzer, monkeypatch) -> None:
    ids = _add_articles(sessions)
    real_read = type(analyzer)._read

    def flaky_read(self, doc, r, finder):
        if "Anthropic" in r.text[:40]:
            raise ValueError("boom")
        return real_read(self, doc, r, finder)

    monkeypatch.setattr(type(analyzer), "_read", flaky_read)
    summary = analyze_pending(sessions, analyzer)
    assert summary.analysed == 2 and summary.failed == 1 and "boom" in summary.failures[0]
    with sessions() as s:
        a = s.get(Article, ids["good2"])
        assert a.status == "failed" and "boom" in a.status_reason


def test_analyze_and_annotate_commands(cli, tmp_path, analyzer, monkeypatch) -> None:
    import airace.stages

    monkeypatch.setattr(
        airace.stages, "make_analyzer", lambda settings, embeddings=True, kb=None: analyzer
    )
    db = tmp_path / "cli.db"
    missing = cli("--db", str(db), "analyze", "--limit", "5")
    assert missing.exit_code == 2 and f"no database at {db}" in missing.stderr
    assert not db.exists()
    assert cli("--db", str(db), "db", "upgrade").exit_code == 0
    result = cli("--db", str(db), "analyze", "--limit", "5")
    assert result.exit_code == 0, result.stderr
    assert "analysed 0" in result.stdout

    src = tmp_path / "in.jsonl"
    src.write_text(
        json.dumps(
            {"id": 7, "title": "Nvidia rallies", "text": "Nvidia rose 4% after strong results."}
        )
        + "\n\n"
        + json.dumps(
            {
                "id": "x",
                "text": "L\u2019action d\u2019OpenAI n\u2019est pas cotée en Bourse.",
                "language": "fr",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    result = cli("annotate", str(src), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [x["id"] for x in lines] == [7, "x"]
    assert lines[0]["entities"][0]["ticker"] == "NVDA" and lines[1]["language"] == "fr"
    assert set(lines[0]) >= {"id", "language", "entities", "stances", "themes"}

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1, "text": "ok"}\n{not json\n')
    result = cli("annotate", str(bad))
    assert result.exit_code == 2 and "bad.jsonl:2: not valid JSON" in result.stderr
    assert result.stderr.count("\n") == 1
    assert cli("annotate", str(tmp_path / "missing.jsonl")).exit_code == 2
