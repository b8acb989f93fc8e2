"""Content fingerprints: an exact hash and a 64-bit SimHash for near-duplicate (syndicated) copies."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_WORD = re.compile(r"\w+", re.UNICODE)
SIMHASH_BITS = 64
# Two texts whose SimHashes differ in at most this many bits are the same story.
NEAR_DUPLICATE_DISTANCE = 3


def normalised_words(text: str) -> list[str]:
    """Lower-cased NFKC word tokens: layout, punctuation and case do not change a fingerprint."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def content_hash(text: str) -> str:
    """SHA-256 (hex) of the normalised words of a text."""
    return hashlib.sha256(" ".join(normalised_words(text)).encode("utf-8")).hexdigest()


def simhash(text: str, shingle: int = 3) -> int:
    """Charikar SimHash over word shingles, as a signed 64-bit integer (fits a BIGINT column)."""
    words = normalised_words(text)
    grams = (
        [" ".join(words[i : i + shingle]) for i in range(len(words) - shingle + 1)]
        if len(words) >= shingle
        else [" ".join(words)]
    )
    weights = [0] * SIMHASH_BITS
    for gram in grams:
        h = int.from_bytes(hashlib.blake2b(gram.encode("utf-8"), digest_size=8).digest(), "big")
        for bit in range(SIMHASH_BITS):
            weights[bit] += 1 if h >> bit & 1 else -1
    value = sum(1 << bit for bit, w in enumerate(weights) if w > 0)
    return value - (1 << 64) if value >= 1 << 63 else value


def hamming(a: int, b: int) -> int:
    """Number of differing bits between two (signed or unsigned) 64-bit fingerprints."""
    return ((a ^ b) & ((1 << 64) - 1)).bit_count()
