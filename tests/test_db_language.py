"""db.language: the one EN/FR guesser, shared by the crawler and the analysis."""

from __future__ import annotations

import pytest

from crawler.extract import guess_language
from db.language import en_or_fr
from nlp.text import detect_language


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("The chip maker said that its new model is cheaper to train than the old one.", "en"),
        (
            "Le fabricant de puces a dit que son modèle est moins cher à entraîner que l’ancien.",
            "fr",
        ),
        ("Die Firma hat heute ein neues Modell für das Training vorgestellt.", None),
        ("Nvidia Mistral", None),
    ],
)
def test_en_or_fr(text: str, lang: str | None) -> None:
    assert en_or_fr(text) == lang


def test_crawler_and_nlp_use_the_same_guesser() -> None:
    assert guess_language is en_or_fr
    mixed = "the and of de la le " * 3  # as many French as English function words
    assert en_or_fr(mixed) is None
    assert (
        detect_language("Le modèle est dans la course et il a été présenté par la société.") == "fr"
    )
