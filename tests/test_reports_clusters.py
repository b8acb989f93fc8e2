"""Story clusters from float32 embedding bytes, and the small pure helpers of the briefing."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from reports.clusters import cluster_articles, decode_vectors
from reports.context import Period, iso_week, last_complete_week, significance_stars
from reports.i18n import format_date, format_pct, labels


def _rows(mat: np.ndarray, start_id: int = 1) -> list[tuple[int, int, bytes]]:
    return [(start_id + i, mat.shape[1], v.astype("<f4").tobytes()) for i, v in enumerate(mat)]


def test_clusters_group_near_duplicates_and_pick_the_central_member() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=32), rng.normal(size=32)
    story_a = [a + 0.05 * rng.normal(size=32) for _ in range(4)]
    story_a.append(a)  # the centre itself represents the story best
    story_b = [b + 0.05 * rng.normal(size=32) for _ in range(2)]
    noise = [rng.normal(size=32) for _ in range(5)]
    mat = np.array(story_a + story_b + noise)
    clusters = cluster_articles(_rows(mat))
    assert [len(c.article_ids) for c in clusters[:2]] == [5, 2]
    assert clusters[0].article_ids == [1, 2, 3, 4, 5] and clusters[0].representative == 5
    assert sum(len(c.article_ids) for c in clusters) == 12


def test_vectors_of_another_dimension_or_broken_bytes_are_left_out() -> None:
    rows = [
        (1, 4, np.ones(4, "<f4").tobytes()),
        (2, 4, np.ones(4, "<f4").tobytes()),
        (3, 8, np.ones(8, "<f4").tobytes()),
        (4, 4, b"\x00\x01"),
    ]
    ids, mat = decode_vectors(rows)
    assert ids.tolist() == [1, 2] and mat.shape == (2, 4)
    assert np.allclose(np.linalg.norm(mat, axis=1), 1.0)
    assert cluster_articles([]) == []


def test_weeks_stars_and_formats() -> None:
    assert iso_week("2025-W05") == Period(dt.date(2025, 1, 27), dt.date(2025, 2, 2))
    assert iso_week("2025w5").label == "2025-W05"
    for bad in ["2025-W54", "W05", "2025-05-01", "next"]:
        with pytest.raises(ValueError):
            iso_week(bad)
    assert last_complete_week(dt.date(2025, 2, 5)).label == "2025-W05"
    assert Period(dt.date(2025, 1, 1), dt.date(2025, 1, 3)).prev_start == dt.date(2024, 12, 29)
    assert [significance_stars(t) for t in (None, 1.0, -1.7, 2.0, -3.1)] == [
        "",
        "",
        "*",
        "**",
        "***",
    ]
    assert format_pct(-0.1684, "en") == "−16.8%"
    assert format_pct(-0.1684, "fr") == "−16,8\u202f%"
    assert format_date(dt.date(2025, 2, 1), "fr", long=True) == "1er février 2025"
    assert labels("fr")["market"] == "Mouvements de marché"
    assert set(labels("en")) == set(labels("fr"))
    with pytest.raises(ValueError):
        labels("de")


def test_components_follow_long_chains() -> None:
    from reports.clusters import _components

    a, b = np.arange(0, 99), np.arange(1, 100)
    assert set(_components(100, a, b).tolist()) == {0}
    assert _components(3, np.array([], dtype=int), np.array([], dtype=int)).tolist() == [0, 1, 2]
