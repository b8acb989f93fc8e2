"""Text normalisation, language detection and the checks that skip bad articles."""

from __future__ import annotations

import pytest

from nlp.text import MAX_CHARS, article_text, check_text, detect_language, normalize_text


def test_apostrophes_quotes_and_spaces() -> None:
    raw = "L\u2019IA d\u2019OpenAI\u00a0: \u00ab\u00a0un pari\u00a0\u00bb\r\n\r\n\r\nqu\u2019Nvidia\u200b  gagne"
    assert normalize_text(raw) == "L'IA d'OpenAI : \"un pari\"\n\nqu'Nvidia gagne"
    assert normalize_text("a\u2014b \u201cquoted\u201d\tx\u00ady") == 'a\u2014b "quoted" xy'
    assert normalize_text("") == ""
    assert normalize_text("  \x00ok\x07  ") == "ok"


def test_article_text_joins_title_and_body() -> None:
    text, title_len = article_text("Nvidia\u2019s day", "Nvidia\u2019s day\nBody here.")
    assert text == "Nvidia's day\n\nBody here." and title_len == len("Nvidia's day")
    assert article_text(None, "Only a body.") == ("Only a body.", 0)
    assert article_text("Only a title", "") == ("Only a title", len("Only a title"))


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        (
            "Shares of the chip maker fell sharply on Monday after the launch of a cheaper model.",
            "en",
        ),
        ("Les actions du fabricant de puces ont chuté lundi après le lancement d'un modèle.", "fr"),
        (
            "Die Aktien des Chipherstellers sind am Montag nach der Vorstellung stark gefallen.",
            "de",
        ),
        (
            "Las acciones del fabricante de chips cayeron con fuerza el lunes tras el lanzamiento.",
            "es",
        ),
    ],
)
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_detect_language_short_text_gives_default() -> None:
    assert detect_language("Nvidia", default="en") == "en"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   \n ", "empty"),
        ("\ufffd" * 200, "binary"),
        ("%$#@!&*()" * 50, "binary"),
        ("word " * (MAX_CHARS // 4), "too_long"),
        ("Nvidia. Up.", "no_sentence"),
        ("Nvidia shares rose on Monday after strong results.", None),
    ],
)
def test_check_text(text: str, reason: str | None) -> None:
    assert check_text(text) == reason
