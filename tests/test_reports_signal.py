"""The briefing page "What the news said and what the market did", in English and French.

Real bundled prices and the real event study (tests/test_market_signal.py builds the store);
the signal summary is computed by the caller's helper and passed to the renderer as plain data.
"""

from __future__ import annotations

import datetime as dt
import html
import re

from airace.config import Settings
from airace.stages import briefing_signal
from reports.render import render_weekly
from tests.test_market_signal import _build, _plant

START, END = dt.date(2025, 6, 16), dt.date(2025, 6, 22)


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def test_page_shows_ic_hit_rate_intervals_and_the_long_short_curve(sessions, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _build(sessions, 450, hour_utc=15.0, seed=11)
    _plant(sessions, 0.5, target="day1", seed=12)
    signal = briefing_signal(Settings(signal_bootstrap_samples=300), sessions, END)
    recent, full = signal["periods"]
    assert recent["since"] == dt.date(2025, 3, 24) and full["since"] is None
    pred = next(r for r in full["rows"] if r["variant"] == "predictive")
    assert pred["ic_low"] > 0.3  # the planted link, since the start of the data

    out = render_weekly(
        sessions, START, END, lang="en", html_path=tmp_path / "en.html",
        pdf_path=tmp_path / "en.pdf", signal=signal,
    )  # fmt: skip
    page = (tmp_path / "en.html").read_text(encoding="utf-8")
    text = _text(page)
    assert "What the news said and what the market did" in text
    assert "Trailing 13 weeks (24 March 2025 to 22 June 2025)" in text
    assert "Since the start of the data" in text
    assert f"Predictive [1,1] {pred['n']:,}" in text
    assert (
        f"{pred['ic']:+.2f} [{pred['ic_low']:+.2f}, {pred['ic_high']:+.2f}]".replace("-", "−")
        in text
    )
    assert "Long-short portfolio on first reports" in text
    assert (tmp_path / "en_assets" / "chart-long-short.png").stat().st_size > 5000
    assert 'src="en_assets/chart-long-short.png"' in page
    assert "Stories not grouped yet" in text  # the stories stage has not run on this store
    assert out.pages and out.pages >= 2

    render_weekly(sessions, START, END, lang="fr", html_path=tmp_path / "fr.html", signal=signal)
    fr = _text((tmp_path / "fr.html").read_text(encoding="utf-8"))
    assert "Ce que disait l'actualité, ce qu'a fait le marché" in fr
    assert "13 dernières semaines (24 mars 2025 au 22 juin 2025)" in fr
    assert "Prédictive [1,1]" in fr
    assert f"{pred['ic']:+.2f}".replace(".", ",").replace("-", "−") in fr

    # without the summary, no page
    render_weekly(sessions, START, END, lang="en", html_path=tmp_path / "none.html")
    assert "What the news said" not in (tmp_path / "none.html").read_text(encoding="utf-8")


def test_page_says_too_few_events_when_that_is_the_truth(sessions, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _build(sessions, 12, hour_utc=15.0, seed=13)
    _plant_small(sessions)
    signal = briefing_signal(Settings(signal_bootstrap_samples=200), sessions, END)
    render_weekly(sessions, START, END, lang="en", html_path=tmp_path / "en.html", signal=signal)
    text = _text((tmp_path / "en.html").read_text(encoding="utf-8"))
    assert "Too few events to conclude anything (n = " in text
    assert "Too few days to conclude anything" in text
    render_weekly(sessions, START, END, lang="fr", html_path=tmp_path / "fr.html", signal=signal)
    fr = _text((tmp_path / "fr.html").read_text(encoding="utf-8"))
    assert "Trop peu d'événements pour conclure" in fr


def _plant_small(sessions) -> None:  # type: ignore[no-untyped-def]
    import pytest

    with pytest.raises(AssertionError):  # fewer than 100 reactions: _plant refuses
        _plant(sessions, 0.5, target="day1", seed=14)
    from sqlalchemy import select

    from db.models import Entity, Reaction, Stance

    with sessions.begin() as s:
        entity_of = {t: i for i, t in s.execute(select(Entity.id, Entity.ticker))}
        for k, (aid, ticker) in enumerate(
            s.execute(
                select(Reaction.article_id, Reaction.ticker).where(
                    Reaction.window_start == 0, Reaction.window_end == 1
                )
            ).all()
        ):
            score = 0.6 if k % 2 else -0.6
            s.add(Stance(article_id=aid, entity_id=entity_of[ticker], score=score,
                         label=1 if score > 0 else -1, confidence=0.8))  # fmt: skip
