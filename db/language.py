"""English or French? One guesser by function words, for the crawler and the analysis alike.

It lives here, on the floor every package may import (crawler/ and nlp/ may not import each
other). It only tells English from French, fast and deterministically; nlp.text.detect_language
hands anything else to langdetect.
"""

from __future__ import annotations

import re

WORDS = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)
_EN = frozenset(
    [
        "the",
        "and",
        "of",
        "to",
        "in",
        "is",
        "that",
        "for",
        "on",
        "with",
        "as",
        "was",
        "by",
        "it",
        "are",
        "be",
        "this",
        "from",
        "at",
        "have",
        "has",
        "which",
        "its",
        "their",
        "they",
        "will",
        "would",
        "but",
        "not",
        "an",
        "been",
        "were",
        "or",
        "more",
        "said",
        "after",
        "over",
        "than",
    ]
)
_FR = frozenset(
    [
        "le",
        "la",
        "les",
        "des",
        "du",
        "de",
        "et",
        "un",
        "une",
        "est",
        "dans",
        "que",
        "qui",
        "pour",
        "sur",
        "par",
        "pas",
        "au",
        "aux",
        "avec",
        "ce",
        "cette",
        "ses",
        "son",
        "sont",
        "plus",
        "a",
        "été",
        "ont",
        "mais",
        "leur",
        "elle",
        "il",
        "nous",
        "selon",
        "comme",
        "aussi",
    ]
)


ELIDED = ("l'", "d'", "qu'", "n'", "s'", "c'")


def words(text: str, limit: int = 3000) -> list[str]:
    """The lower-cased words of the first `limit` characters (apostrophes normalised first)."""
    return [w.lower() for w in WORDS.findall(text[:limit].replace("\u2019", "'"))]


def en_or_fr(text: str) -> str | None:
    """'en' or 'fr' when function words say so clearly, else None (too short, or another language).

    Clearly: the winner's function words are at least 3 and 12% of the words, and at least twice
    the other language's.
    """
    found = words(text)
    if len(found) < 3:
        return None
    en = sum(w in _EN for w in found)
    fr = sum(w in _FR or w.startswith(ELIDED) for w in found)
    if max(en, fr) >= max(3, 0.12 * len(found)) and max(en, fr) >= 2 * min(en, fr):
        return "en" if en > fr else "fr"
    return None
