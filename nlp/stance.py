"""Stance toward each target entity of an article: favourable (+1), neutral (0), unfavourable (-1).

Placeholder: the interface is final, the scoring arrives in the next commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class StanceTarget:
    """An entity whose stance is wanted, with where it is mentioned."""

    key: str  # KB key (or candidate key)
    name: str  # canonical name
    spans: list[tuple[int, int]]  # char offsets of the entity's mentions in doc.text


@dataclass
class StanceResult:
    """The stance of an article toward one target."""

    key: str
    score: float  # [-1, 1]
    label: int  # -1, 0, +1
    confidence: float  # [0, 1]
    evidence: str  # the sentence that decided it


def score_stances(doc: Any, targets: list[StanceTarget], lang: str) -> list[StanceResult]:
    """Score the stance of the parsed article `doc` toward each target, in the order given.

    `doc` is a spaCy Doc of "TITLE\\n\\nBODY" parsed with the full pipeline for `lang`
    ("en", "fr"; anything else is treated as "en").
    """
    return [StanceResult(t.key, 0.0, 0, 0.0, "") for t in targets]
