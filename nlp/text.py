"""Text clean-up before NLP: Unicode, apostrophes, quotes, spaces; language detection; sanity checks.

French models tokenise "l'IA" and "d'OpenAI" correctly only with a straight apostrophe, so the
typographic ones are normalised first. Offsets reported by the analysis refer to the normalised
text ("TITLE\\n\\nBODY", see `article_text`).
"""

from __future__ import annotations

import re
import unicodedata

from db.language import WORDS, en_or_fr, words

_TRANSLATE = str.maketrans(
    {
        "\u2019": "'",  # right single quotation mark (typographic apostrophe)
        "\u2018": "'",
        "\u02bc": "'",  # modifier letter apostrophe
        "\u2032": "'",  # prime
        "\u00b4": "'",  # acute accent used as an apostrophe
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u00ab": '"',  # « »: French guillemets become plain quotes
        "\u00bb": '"',
        "\u2039": '"',
        "\u203a": '"',
        "\u00a0": " ",  # no-break spaces (French puts them before : ; ! ? and inside « »)
        "\u202f": " ",
        "\u2007": " ",
        "\u2009": " ",
        "\u200a": " ",
        "\u2002": " ",
        "\u2003": " ",
        "\u3000": " ",
        "\u2010": "-",  # hyphen, non-breaking hyphen, figure dash
        "\u2011": "-",
        "\u2012": "-",
        "\u2212": "-",  # minus sign
        "\u2026": "...",
        "\t": " ",
        "\r": "\n",
        "\u2028": "\n",
        "\u2029": "\n",
        "\u00ad": None,  # soft hyphen
        "\u200b": None,  # zero-width characters
        "\u200c": None,
        "\u200d": None,
        "\u2060": None,
        "\ufeff": None,
    }
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r" {2,}")
_SPACE_NL = re.compile(r" *\n *")
_BLANK_LINES = re.compile(r"\n{3,}")
# Guillemets become plain quotes, but the spaces French leaves inside them must go too.
_QUOTE_INNER = re.compile(r'" ([^"\n]{0,400}?) "')


def normalize_text(text: str) -> str:
    """NFC, straight apostrophes and quotes, plain spaces, no control or zero-width characters,
    at most one blank line between paragraphs, no leading/trailing space."""
    if not text:
        return ""
    t = unicodedata.normalize("NFC", text.replace("\r\n", "\n")).translate(_TRANSLATE)
    t = _CONTROL.sub("", t)
    t = _SPACES.sub(" ", t)
    t = _QUOTE_INNER.sub(r'"\1"', t)
    t = _SPACE_NL.sub("\n", t)
    t = _BLANK_LINES.sub("\n\n", t)
    return t.strip()


def article_text(title: str | None, body: str | None) -> tuple[str, int]:
    """The text the analysis reads, "TITLE\\n\\nBODY" normalised, and the title's length.

    Offsets below the title length are in the title. An empty title gives just the body.
    """
    t = normalize_text(title or "").replace("\n", " ")
    b = normalize_text(body or "")
    if not t:
        return b, 0
    if b.startswith(t):  # extractors often repeat the title as the first line
        b = b[len(t) :].lstrip()
    return (f"{t}\n\n{b}" if b else t), len(t)


# --- language --------------------------------------------------------------------------------


def detect_language(text: str, default: str = "en") -> str:
    """ISO 639-1 code of the text's language.

    English and French (the languages with full pipelines) are told apart by function words
    (db.language.en_or_fr, the guesser the crawler uses too), which is fast and deterministic;
    anything else goes to langdetect (seeded). Returns `default` for text too short to tell.
    """
    guess = en_or_fr(text)
    if guess is not None:
        return guess
    sample = text[:3000]
    if len(words(sample)) < 3:
        return default
    try:
        from langdetect import DetectorFactory, detect
        from langdetect.lang_detect_exception import LangDetectException

        DetectorFactory.seed = 0
        try:
            return str(detect(sample)).split("-")[0]
        except LangDetectException:
            return default
    except ImportError:  # pragma: no cover - langdetect is a dependency
        return default


# --- sanity checks for stored articles --------------------------------------------------------

MAX_CHARS = 300_000  # longer than any news article; spaCy's own limit is 1,000,000
MIN_WORDS = 5


def check_text(text: str) -> str | None:
    """Why `text` (normalised) cannot be analysed, or None when it can.

    Reasons: "empty", "binary" (replacement or unprintable characters), "too_long", "no_sentence"
    (fewer than a handful of words).
    """
    if not text or not text.strip():
        return "empty"
    if len(text) > MAX_CHARS:
        return "too_long"
    sample = text[:20_000]
    bad = sum(1 for c in sample if c == "\ufffd" or (unicodedata.category(c) in ("Co", "Cn", "Cs")))
    letters = sum(1 for c in sample if c.isalpha())
    if bad > 0.02 * len(sample) or letters < 0.4 * len(sample):
        return "binary"
    if len(WORDS.findall(sample)) < MIN_WORDS:
        return "no_sentence"
    return None
