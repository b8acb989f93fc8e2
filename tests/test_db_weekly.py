"""The moved report queries: weeks counted in SQL, rendered briefings, one CAR group statistic."""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy.orm import Session, sessionmaker

from db.articles import articles_per_week
from db.models import Article
from db.reactions import cross_sectional
from db.weekly import group_stats, recent_reports, save_report

UTC = dt.UTC


def _article(s: Session, n: int, when: dt.datetime | None) -> None:
    s.add(
        Article(
            url=f"https://example.org/{n}",
            title=f"Story {n}",
            text="A story written for the tests.",
            published_at=when,
            content_hash=f"h{n}",
        )
    )


def test_articles_per_week_counts_iso_weeks_in_utc(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        _article(s, 1, dt.datetime(2025, 1, 27, 0, 30, tzinfo=UTC))  # Monday of 2025-W05
        _article(s, 2, dt.datetime(2025, 2, 2, 23, 59, tzinfo=UTC))  # Sunday of 2025-W05
        # 00:30 in Paris on Monday 3 February is still Sunday 2 February in UTC: W05.
        paris = dt.timezone(dt.timedelta(hours=1))
        _article(s, 3, dt.datetime(2025, 2, 3, 0, 30, tzinfo=paris))
        _article(s, 4, dt.datetime(2025, 2, 3, 9, 0, tzinfo=UTC))  # 2025-W06
        _article(s, 5, dt.datetime(2024, 12, 30, 12, 0, tzinfo=UTC))  # ISO 2025-W01
        _article(s, 6, None)  # undated: not counted
    with sessions() as s:
        weeks = articles_per_week(s)
        assert weeks == [((2025, 6), 1), ((2025, 5), 3), ((2025, 1), 1)]
        assert articles_per_week(s, limit=1) == [((2025, 6), 1)]


def test_save_and_list_reports(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        ids = [
            save_report(
                s,
                kind="weekly",
                period_start=dt.date(2025, 1, 27),
                period_end=dt.date(2025, 2, 2),
                language=lang,
                pdf_path=f"/tmp/briefing-2025-W05-{lang}.pdf",
                html_path=None,
                article_count=n,
            )
            for lang, n in (("en", 3), ("fr", 4))
        ]
    with sessions() as s:
        last = recent_reports(s, limit=1)
        assert [r.id for r in last] == [ids[1]] and last[0].language == "fr"
        assert [r.article_count for r in recent_reports(s)] == [4, 3]


def test_one_group_statistic() -> None:
    values = [0.01, 0.03, -0.01, 0.05]
    agg = cross_sectional("x", values)
    mean = sum(values) / 4
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / 3)
    assert math.isclose(agg.mean_car, mean) and agg.std is not None
    assert math.isclose(agg.std, sd) and agg.t_stat is not None
    assert math.isclose(agg.t_stat, mean / (sd / 2))
    stats = group_stats(values)
    assert (stats.n, stats.mean, stats.t_stat) == (4, agg.mean_car, agg.t_stat)
    assert (group_stats([0.02]).mean, group_stats([0.02]).t_stat) == (0.02, None)
    assert (group_stats([]).n, group_stats([]).mean) == (0, None)
    assert group_stats([0.01, 0.01]).t_stat is None  # no spread, no t
