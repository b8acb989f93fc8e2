"""The learned stance model: its parts (fast), the shipped file, and the analysis that uses it.

Texts here are written for the tests; no SEntFiN headline is quoted (the split and parsing tests
use invented headlines in SEntFiN's format).
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nlp.evaluate import expected_calibration_error, reliability
from nlp.stance_model import (
    MODEL_PATH,
    OTHER_MARK,
    TARGET_MARK,
    StanceModel,
    StanceModelError,
    decide,
    feature_names,
    load_stance_model,
    signal_matrix,
    target_text,
    word_features,
)
from nlp.stance_train import parse_decisions, read_sentfin, sentfin_examples, split_of

# --- pure parts ------------------------------------------------------------------------------


def test_target_text_marks_the_target_and_masks_the_others() -> None:
    text = "Orvane beats Kestrel\n\nOrvane rose 4% while Kestrel fell. Weather was mild."

    def at(word: str, start: int = 0) -> tuple[int, int]:
        i = text.index(word, start)
        return (i, i + len(word))

    title, lead = (0, 20), (22, text.index(" Weather"))
    target = [at("Orvane"), at("Orvane", 10)]
    others = [at("Kestrel"), at("Kestrel", 30)]
    out = target_text(text, [title, lead], target, others)
    assert out == f"{TARGET_MARK} beats {OTHER_MARK} {TARGET_MARK} rose 4% while {OTHER_MARK} fell."
    # the evidence sentence is added when it is not among the first ones
    third = (text.index("Weather"), len(text))
    assert target_text(text, [title], target, [], evidence=third).endswith("Weather was mild.")


def test_word_features_say_which_words_sit_next_to_the_target() -> None:
    dim = 1 << 14
    a = word_features(f"{TARGET_MARK} jumps as {OTHER_MARK} slumps", dim)
    b = word_features(f"{OTHER_MARK} jumps as {TARGET_MARK} slumps", dim)
    # the same words, but on the other side of the target: not the same features

    def col(name: str) -> int:
        return zlib.crc32(name.encode("utf-8")) % dim

    assert col("R:jumps") in a and col("R:jumps") not in b
    assert col("L:jumps") in b and col("L:jumps") not in a
    assert a == sorted(set(a)) and all(0 <= i < dim for i in a)
    # stable across processes (crc32, not Python's salted hash), case-insensitive
    assert word_features(f"{TARGET_MARK} JUMPS", dim) == word_features(f"{TARGET_MARK} jumps", dim)
    # words far from the target only count as plain words and pairs
    far = " ".join(["filler"] * 10)
    near = word_features(f"{TARGET_MARK} gains {far}", dim)
    away = word_features(f"{TARGET_MARK} {far} gains", dim)
    assert len(near) > len(away)


def test_word_weights_move_the_probabilities() -> None:
    k = len(feature_names())
    dim = 64
    text = f"{TARGET_MARK} soars"
    word_coef = np.zeros((3, dim))
    word_coef[2, word_features(text, dim)] = 1.0  # every feature of the text favours +1
    model = StanceModel("m", "all-MiniLM-L6-v2", np.zeros(k), np.ones(k), np.zeros((3, k + 2)),
                        np.zeros(3), 1.0, {}, word_dim=dim, word_coef=word_coef)  # fmt: skip
    sig = signal_matrix([{}, {}], ["en", "en"])
    emb = np.zeros((2, 2))
    p = model.predict_proba(sig, emb, [text, "nothing here"])
    assert p[0].argmax() == 2 and np.allclose(p[1], 1 / 3)
    with pytest.raises(ValueError, match="texts"):
        model.predict_proba(sig, emb)
    again = StanceModel.from_json(json.loads(json.dumps(model.as_json())))
    assert np.allclose(
        again.predict_proba(sig, emb, [text, "x"]), model.predict_proba(sig, emb, [text, "x"])
    )
    bad = model.as_json() | {"word_coef": [[0.0] * 3] * 3}
    with pytest.raises(StanceModelError, match="word weights"):
        StanceModel.from_json(bad)


def test_split_is_a_stable_rule_and_duplicates_stay_together() -> None:
    a = split_of("Zentro Motors posts record quarterly profit")
    assert a == split_of("  zentro motors POSTS record   quarterly profit ")
    names = [f"Headline number {i} about Company{i}" for i in range(2000)]
    shares = {s: sum(split_of(n) == s for n in names) / len(names) for s in
              ("heldout", "validation", "train")}  # fmt: skip
    assert 0.17 < shares["heldout"] < 0.23 and 0.08 < shares["validation"] < 0.12


def test_decisions_with_an_unescaped_apostrophe_are_read() -> None:
    assert parse_decisions("{'Kestrel Bank': 'positive', 'Orvane': 'negative'}") == {
        "Kestrel Bank": 1,
        "Orvane": -1,
    }
    # the quirk of 13 SEntFiN rows: a key with an apostrophe inside single quotes
    assert parse_decisions("{'Halden's': 'neutral'}") == {"Halden's": 0}


def test_sentfin_reader_and_examples(tmp_path: Path) -> None:
    csv_path = tmp_path / "s.csv"
    csv_path.write_text(
        "S No.,Title,Decisions,Words\n"
        "1,Orvane shares jump on strong orders,{'Orvane': 'positive'},6\n"
        "2,\"Kestrel, Halden slip\",\"{'Kestrel': 'negative', 'Halden's': 'negative'}\",3\n",
        encoding="utf-8",
    )
    rows = read_sentfin(csv_path)
    assert rows[1] == ("Kestrel, Halden slip", {"Kestrel": -1, "Halden's": -1})
    examples = [ex for split in ("train", "validation", "heldout")
                for ex in sentfin_examples(rows, split)]  # fmt: skip
    assert sorted(ex.item["targets"][0] for ex in examples) == ["Halden's", "Kestrel", "Orvane"]


def test_reliability_bins_and_calibration_error() -> None:
    conf = [0.55, 0.58, 0.95, 0.99, 1.0]
    ok = [True, False, True, True, True]
    table = reliability(conf, ok)
    assert [(r["from"], r["n"], r["accuracy"]) for r in table] == [(0.5, 2, 0.5), (0.9, 3, 1.0)]
    assert expected_calibration_error(conf, ok) == pytest.approx(
        (2 * abs(0.565 - 0.5) + 3 * abs((0.95 + 0.99 + 1.0) / 3 - 1.0)) / 5, abs=1e-3
    )


def test_model_round_trip_and_decision() -> None:
    k = len(feature_names())
    rng = np.random.default_rng(0)
    model = StanceModel("m1", "all-MiniLM-L6-v2", np.zeros(k), np.ones(k),
                        rng.normal(size=(3, k + 4)), np.zeros(3), 2.0, {"seed": 1})  # fmt: skip
    again = StanceModel.from_json(json.loads(json.dumps(model.as_json())))
    sig = signal_matrix([{"rule_score": 0.5}, {"rule_score": -0.5}], ["en", "fr"])
    emb = rng.normal(size=(2, 4))
    p = again.predict_proba(sig, emb)
    assert p.shape == (2, 3) and np.allclose(p.sum(axis=1), 1.0)
    assert np.allclose(p, model.predict_proba(sig, emb), atol=1e-5)
    # the temperature flattens: T=2 gives less extreme probabilities than T=1
    model.temperature = 1.0
    assert p.max() <= model.predict_proba(sig, emb).max() + 1e-9
    score, label, confidence = decide(np.array([0.1, 0.2, 0.7]))
    assert (label, round(score, 3), confidence) == (1, 0.6, 0.7)
    bad = model.as_json() | {"features": ["other"]}
    with pytest.raises(StanceModelError, match="refit"):
        StanceModel.from_json(bad)


def test_the_shipped_model_says_where_it_comes_from() -> None:
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    prov = data["provenance"]
    assert "held out" in prov["split"] and prov["seed"] and prov["command"]
    assert prov["scores"]["sentfin_heldout"]["n"] > 2000
    assert data["embedding_model"] == "all-MiniLM-L6-v2"
    model = load_stance_model()
    assert model.id == data["id"] and model.coef.shape == (3, len(feature_names()) + 384)
    assert model.word_dim > 0 and model.word_coef is not None
    assert model.word_coef.shape == (3, model.word_dim)
    assert MODEL_PATH.stat().st_size < 2_000_000


# --- the analysis with the learned model (real spaCy pipelines and sentence model) ----------


@pytest.fixture(scope="module")
def analyzer() -> Any:
    from tests._nlp_models import shared_analyzer

    return shared_analyzer()


@pytest.mark.slow
def test_targets_on_request_get_a_stance_known_to_the_kb_or_not(analyzer: Any) -> None:
    item = {
        "id": 1,
        "language": "en",
        "text": "Halvorsen Foods shares surged 12% after the grocer raised its full-year profit "
        "forecast, while Nvidia slipped 3% on export worries.",
        "targets": ["Halvorsen Foods", "NVIDIA", "Zentro Motors"],
    }
    (out,) = analyzer.annotate([item])
    by = {t["target"]: t for t in out["targets"]}
    assert by["Halvorsen Foods"]["found"] and by["Halvorsen Foods"]["label"] == 1
    assert by["NVIDIA"]["found"] and by["NVIDIA"]["entity"] == "Nvidia"
    assert by["NVIDIA"]["label"] == -1
    assert by["Zentro Motors"] == {"target": "Zentro Motors", "entity": None, "found": False,
                                   "score": 0.0, "label": 0, "confidence": 0.0, "evidence": ""}  # fmt: skip
    for t in (by["Halvorsen Foods"], by["NVIDIA"]):
        assert 1 / 3 <= t["confidence"] <= 1 and -1 <= t["score"] <= 1 and t["evidence"]
    # the entities found on their own are still there, with the same stance for Nvidia
    stances = {s["entity"]: s for s in out["stances"]}
    assert stances["Nvidia"]["label"] == by["NVIDIA"]["label"]


@pytest.mark.slow
def test_learned_model_reads_favourable_framing_the_rules_miss(analyzer: Any) -> None:
    """Favourable framing without a market verb: the rules see no cue (0); the model reads it."""
    from nlp.annotate import Analyzer

    rules = Analyzer(embedding_model=None, stance_model=None, kb=analyzer.kb)
    rules._pipelines = analyzer._pipelines
    item = {
        "id": 1,
        "language": "en",
        "title": "Orvane's new accelerator wins over the biggest cloud buyers",
        "text": "Cloud providers are lining up for Orvane's new accelerator, which engineers "
        "describe as the most efficient chip they have tested this year. Orders from three "
        "hyperscalers already exceed the company's own forecast.",
        "targets": ["Orvane"],
    }
    (learned_out,) = analyzer.annotate([item])
    (rules_out,) = rules.annotate([item])
    assert learned_out["targets"][0]["label"] == 1
    assert rules_out["targets"][0]["label"] != learned_out["targets"][0]["label"] or (
        learned_out["targets"][0]["confidence"] != rules_out["targets"][0]["confidence"]
    )
