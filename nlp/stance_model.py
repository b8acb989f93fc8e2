"""The learned per-entity stance: a calibrated classifier over the rules' signals and the text.

For each (article, target) the rules of nlp.stance give numeric signals (their score, the
title's and the body's sums, positive and negative evidence, agreement, position: title, lead,
the article's main entity, person) and the spans of the sentences that mention the target. The
first of those sentences (title and lead come first) and the rules' evidence sentence are
joined, the target's mentions replaced by a marker and the other entities masked, and embedded
with the local sentence model (all-MiniLM-L6-v2 by default); the same text also gives hashed
word features (`word_features`: words, word pairs, and the words next to the target with their
side). A multinomial logistic regression over [signals, language x signals, embedding, words]
gives p(-1), p(0), p(+1), calibrated by a temperature fitted on held-apart data; label = argmax, score = p(+1) - p(-1), confidence =
the probability of the label.

Who decides (`decides_learned`): the classifier, for a lone headline or short text, and, in an
article, for a target the rules found no cue about (favourable or unfavourable framing without a
market verb: the rules' commonest miss). In an article where the rules found cues, their label
stands (on our long articles the rules, tuned for them, were better than the classifier fitted
mostly on headlines); its confidence is then the rules' confidence mapped to observed accuracy
by a logistic fit (`rule_calibration`).

The fitted parameters ship as `nlp/stance_model.json` with their provenance (data, split rule,
seed, scores, command); `airace train stance` (nlp.stance_train) refits them. Only numpy is
needed here: nothing is downloaded, and the file is read once per process.

French: the embedding model is English-only, so French sentences get a weak embedding; the
classifier also sees the language, and the language x signals features let it lean on the
(bilingual) rules for French. See docs/nlp_stance.md for the per-language figures.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

MODEL_PATH = Path(__file__).with_name("stance_model.json")
TARGET_MARK = "TARGET"
OTHER_MARK = "OTHER"
# Sentences of a target joined for its embedding (title and lead first), plus the evidence one.
CONTEXT_SENTENCES = 2
CONTEXT_CHARS = 500
# The rules' signals the classifier reads, in this order (nlp.stance.StanceResult.signals).
SIGNALS = (
    "rule_score",
    "rule_label_pos",
    "rule_label_neg",
    "title_total",
    "body_total",
    "positive",
    "negative",
    "evidence_sentences",
    "agreement",
    "in_title",
    "in_lead",
    "main",
    "person",
    "mention_sentences",
    "no_cue",
)
LANGUAGES = ("en", "fr")
# Words of the embedded text as hashed indicators (a stable crc32, so no vocabulary ships):
# each word, each word pair, and the words within WORD_WINDOW of a TARGET mark with their side
# (before / after the first mark). The embedding alone cannot tell two entities of one headline
# apart well; these say which words sit next to the target.
WORD_WINDOW = 6
_WORD = re.compile(r"[a-zà-ÿ0-9]+|[%$€+\-]")


class StanceModelError(ValueError):
    """A stance model file that cannot be read or does not fit this code."""


def signal_matrix(signals: Sequence[dict[str, float]], languages: Sequence[str]) -> np.ndarray:
    """(n, k) features from the rules' signals: the signals, is-French, French x signals."""
    base = np.array([[s.get(name, 0.0) for name in SIGNALS] for s in signals], dtype=np.float64)
    base = base.reshape(len(signals), len(SIGNALS))
    fr = np.array([[1.0 if lang == "fr" else 0.0] for lang in languages]).reshape(-1, 1)
    return np.hstack([base, fr, base * fr])


def word_features(text: str, dim: int) -> list[int]:
    """The hashed word features of one embedded text: sorted column indexes in [0, dim)."""
    words = _WORD.findall(text.lower())
    marks = [i for i, w in enumerate(words) if w == TARGET_MARK.lower()]
    names = []
    for i, w in enumerate(words):
        if w in (TARGET_MARK.lower(), OTHER_MARK.lower()):
            continue
        names.append("u:" + w)
        if marks and min(abs(i - m) for m in marks) <= WORD_WINDOW:
            names += [("L:" if i < marks[0] else "R:") + w, "n:" + w]
        if i + 1 < len(words):
            names.append(f"b:{w}_{words[i + 1]}")
    return sorted({zlib.crc32(n.encode("utf-8")) % dim for n in names})


def feature_names() -> list[str]:
    return [*SIGNALS, "lang_fr", *(f"fr_x_{n}" for n in SIGNALS)]


def target_text(
    text: str,
    sentences: Sequence[tuple[int, int]],
    target_spans: Sequence[tuple[int, int]],
    other_spans: Sequence[tuple[int, int]],
    evidence: tuple[int, int] | None = None,
) -> str:
    """The text embedded for one target: its first sentences (and the evidence sentence) with
    the target's mentions replaced by TARGET and other entities' by OTHER."""
    chosen = list(sentences[:CONTEXT_SENTENCES])
    if evidence is not None and evidence not in chosen:
        chosen.append(evidence)
    if not chosen:
        chosen = [(0, min(len(text), CONTEXT_CHARS))]
    marks = sorted(
        [(s, e, TARGET_MARK) for s, e in target_spans]
        + [(s, e, OTHER_MARK) for s, e in other_spans]
    )
    parts = []
    for start, end in sorted(chosen):
        pieces, cursor = [], start
        for s, e, mark in marks:
            if s < cursor or e > end:
                continue
            pieces += [text[cursor:s], mark]
            cursor = e
        pieces.append(text[cursor:end])
        parts.append(" ".join("".join(pieces).split()))
    joined = " ".join(parts)
    return joined[:CONTEXT_CHARS]


@dataclass
class StanceModel:
    """A fitted classifier: standardisation, weights, bias, temperature, and its provenance."""

    id: str
    embedding_model: str
    mean: np.ndarray  # (k,) over the signal features
    scale: np.ndarray  # (k,)
    coef: np.ndarray  # (3, k + dim)
    intercept: np.ndarray  # (3,)
    temperature: float
    provenance: dict[str, Any]
    rule_calibration: tuple[float, float] = (1.0, 0.0)  # P(correct) = sigmoid(a * conf + b)
    word_dim: int = 0  # hashed word features (word_features); 0: none
    word_coef: np.ndarray | None = None  # (3, word_dim)

    @property
    def dim(self) -> int:
        return int(self.coef.shape[1] - self.mean.shape[0])

    def features(self, signals: np.ndarray, embeddings: np.ndarray) -> np.ndarray:
        return np.hstack([(signals - self.mean) / self.scale, embeddings])

    def logits(
        self, signals: np.ndarray, embeddings: np.ndarray, texts: Sequence[str] | None = None
    ) -> np.ndarray:
        out = self.features(signals, embeddings) @ self.coef.T + self.intercept
        if self.word_dim and self.word_coef is not None:
            if texts is None or len(texts) != len(out):
                raise ValueError("this stance model reads the embedded texts too")
            for i, text in enumerate(texts):
                out[i] += self.word_coef[:, word_features(text, self.word_dim)].sum(axis=1)
        return np.asarray(out)

    def predict_proba(
        self, signals: np.ndarray, embeddings: np.ndarray, texts: Sequence[str] | None = None
    ) -> np.ndarray:
        """(n, 3) calibrated probabilities of -1, 0, +1 (`texts`: the embedded texts)."""
        return softmax(self.logits(signals, embeddings, texts) / self.temperature)

    def rule_confidence(self, confidence: float) -> float:
        """The rules' heuristic confidence as a probability of being right."""
        a, b = self.rule_calibration
        return float(1.0 / (1.0 + np.exp(-(a * confidence + b))))

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "embedding_model": self.embedding_model,
            "features": feature_names(),
            "mean": [round(float(x), 6) for x in self.mean],
            "scale": [round(float(x), 6) for x in self.scale],
            "coef": [[round(float(x), 6) for x in row] for row in self.coef],
            "intercept": [round(float(x), 6) for x in self.intercept],
            "temperature": round(float(self.temperature), 6),
            "rule_calibration": [round(float(x), 6) for x in self.rule_calibration],
            "word_dim": self.word_dim,
            "word_coef": None
            if self.word_coef is None
            else [[round(float(x), 4) for x in row] for row in self.word_coef],
            "provenance": self.provenance,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StanceModel:
        try:
            model = cls(
                id=str(data["id"]),
                embedding_model=str(data["embedding_model"]),
                mean=np.asarray(data["mean"], dtype=np.float64),
                scale=np.asarray(data["scale"], dtype=np.float64),
                coef=np.asarray(data["coef"], dtype=np.float64),
                intercept=np.asarray(data["intercept"], dtype=np.float64),
                temperature=float(data["temperature"]),
                provenance=dict(data.get("provenance") or {}),
                rule_calibration=tuple(float(x) for x in data.get("rule_calibration", (1, 0))),  # type: ignore[arg-type]
                word_dim=int(data.get("word_dim") or 0),
                word_coef=None
                if data.get("word_coef") is None
                else np.asarray(data["word_coef"], dtype=np.float64),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise StanceModelError(f"stance model: missing or bad field ({e})") from None
        if list(data.get("features") or []) != feature_names():
            raise StanceModelError("stance model: its features are not this code's (refit it)")
        k = len(feature_names())
        if model.mean.shape != (k,) or model.coef.ndim != 2 or model.coef.shape[0] != 3:
            raise StanceModelError("stance model: weights of the wrong shape")
        if model.word_dim and (
            model.word_coef is None or model.word_coef.shape != (3, model.word_dim)
        ):
            raise StanceModelError("stance model: word weights of the wrong shape")
        return model


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True))


def load_stance_model(path: Path | None = None) -> StanceModel:
    """The fitted model at `path` (default: the one shipped in the package), read once."""
    return _load(str(path or MODEL_PATH))


@lru_cache(maxsize=4)
def _load(path: str) -> StanceModel:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise StanceModelError(f"cannot read stance model {path}: {e.strerror}") from None
    except json.JSONDecodeError as e:
        raise StanceModelError(f"stance model {path} is not JSON ({e.msg})") from None
    if not isinstance(data, dict):
        raise StanceModelError(f"stance model {path}: expected a JSON object")
    return StanceModel.from_json(data)


def decides_learned(signals: dict[str, float]) -> bool:
    """Whether the classifier decides this stance (else the rules do): see the module docstring."""
    return not signals.get("article") or bool(signals.get("no_cue"))


def decide(probs: np.ndarray) -> tuple[float, int, float]:
    """(score, label, confidence) from the probabilities of -1, 0, +1."""
    index = int(np.argmax(probs))
    return float(probs[2] - probs[0]), index - 1, float(probs[index])
