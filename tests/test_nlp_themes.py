"""The theme set, its ticker baskets and labels, and the scorer in English and French."""

from __future__ import annotations

from nlp.text import article_text
from nlp.themes import THEMES, score_themes, theme_baskets, theme_labels

NAMES = {
    "efficiency", "capex", "chips_export", "open_models", "energy",
    "bubble", "funding", "launches", "regulation", "talent",
}  # fmt: skip


def test_documented_theme_set_with_tickers_and_labels() -> None:
    assert set(THEMES) == NAMES
    baskets = theme_baskets()
    assert set(baskets) == NAMES and all(baskets.values())
    assert "NVDA" in baskets["efficiency"] and "VST" in baskets["efficiency"]
    assert {"MSFT", "GOOGL", "META", "AMZN"} <= set(baskets["capex"])
    assert "CEG" in baskets["energy"]
    fr, en = theme_labels("fr"), theme_labels("en")
    assert set(fr) == set(en) == NAMES
    assert fr["energy"] != en["energy"] and fr["funding"] == "Levées de fonds"
    assert all(name in THEMES[name].name for name in NAMES)


def test_scores_english() -> None:
    text, tl = article_text(
        "Cheaper model shakes chip stocks",
        "A lab trained its reasoning model at a fraction of the cost, using fewer chips. "
        "Investors asked whether the capex plans for new data centres still make sense.",
    )
    scores = score_themes(text, tl)
    assert scores["efficiency"] > 0.5
    assert scores["chips_export"] > 0.3 and scores["capex"] > 0.3
    assert "talent" not in scores and all(0 <= s <= 1 for s in scores.values())


def test_scores_french() -> None:
    text, tl = article_text(
        "Une start-up parisienne lève 300 millions",
        "La levée de fonds, menée par des investisseurs américains, valorise la société. "
        "Elle compte recruter des chercheurs et construire une centrale nucléaire.",
    )
    scores = score_themes(text, tl)
    assert scores["funding"] > 0.6
    assert "talent" in scores and "energy" in scores


def test_title_weighs_more_and_nothing_scores_nothing() -> None:
    in_title = score_themes("Export controls tighten\n\nA quiet day.", 22)
    in_body = score_themes("A quiet day\n\nExport controls tighten.", 11)
    assert in_title["chips_export"] > in_body["chips_export"]
    assert score_themes("The weather was mild and the garden grew.", 0) == {}
