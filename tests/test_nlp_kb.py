"""The knowledge base: size, required entities, tickers, aliases, parents, exposures, validation."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from nlp.kb import KBError, load_kb, normalize_name


@pytest.fixture(scope="module")
def kb():
    return load_kb()


def test_size_and_types(kb) -> None:
    assert len(kb.entities) >= 150
    by_type = Counter(e.type for e in kb.entities)
    for typ, least in {
        "company": 40,
        "ai_lab": 20,
        "model": 10,
        "product": 10,
        "person": 40,
    }.items():
        assert by_type[typ] >= least, typ
    assert by_type["government"] >= 5
    assert kb.version


@pytest.mark.parametrize(
    ("name", "key", "ticker"),
    [
        ("Nvidia", "nvidia", "NVDA"),
        ("NVIDIA", "nvidia", "NVDA"),
        ("Google", "alphabet", "GOOGL"),
        ("Facebook", "meta", "META"),
        ("Meta Platforms Inc.", "meta", "META"),
        ("SoftBank", "softbank", "9984.T"),
        ("Taiwan Semiconductor", "tsmc", "TSM"),
        ("Super Micro", "supermicro", "SMCI"),
        ("Constellation Energy", "constellation", "CEG"),
        ("Vistra", "vistra", "VST"),
        ("Tencent", "tencent", "0700.HK"),
        ("Samsung", "samsung", "005930.KS"),
        ("NVDA", "nvidia", "NVDA"),
        ("the Nvidia", "nvidia", "NVDA"),
        ("Microsoft's", "microsoft", "MSFT"),
    ],
)
def test_companies_resolve_to_their_ticker(kb, name: str, key: str, ticker: str) -> None:
    e = kb.resolve(name)
    assert e is not None and e.key == key and e.ticker == ticker


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Open AI", "openai"),
        ("Mistral", "mistral"),
        ("DeepMind", "google-deepmind"),
        ("R1", "deepseek-r1"),
        ("DeepSeek-R1", "deepseek-r1"),
        ("Le Chat", "le-chat"),
        ("Union européenne", "eu"),
        ("Commission européenne", "european-commission"),
        ("Jensen Huang", "jensen-huang"),
        ("Anthropik", "anthropic"),  # fuzzy
        ("Microsfot", "microsoft"),  # fuzzy
    ],
)
def test_aliases_and_fuzzy(kb, name: str, key: str) -> None:
    e = kb.resolve(name)
    assert e is not None and e.key == key


def test_unknown_and_strict(kb) -> None:
    assert kb.resolve("Zorvane Robotics") is None
    assert kb.resolve("") is None
    assert kb.lookup("R1", strict=True) is None  # a context alias: never linked without context
    assert kb.lookup("Claude", strict=True) is None
    assert kb.lookup("Anthropik") is None  # exact lookups are not fuzzy


def test_parents_and_exposures(kb) -> None:
    assert kb.by_key["google-deepmind"].parent == "alphabet"
    assert kb.by_key["sam-altman"].parent == "openai"
    assert kb.by_key["deepseek-r1"].parent == "deepseek"
    openai = {x.ticker: x for x in kb.by_key["openai"].exposures}
    assert openai["MSFT"].relation == "investor" and openai["MSFT"].weight > 0.5
    assert openai["ORCL"].relation == "partner" and openai["9984.T"].weight > 0
    anthropic = {x.ticker: x.relation for x in kb.by_key["anthropic"].exposures}
    assert anthropic == {"AMZN": "investor", "GOOGL": "investor"}
    assert kb.tickers("google-deepmind")[0] == ("GOOGL", "parent", 0.8)
    assert ("MSFT", "exposure", 0.6) in kb.tickers("sam-altman")  # via the person's lab


def test_surname_is_a_context_alias(kb) -> None:
    huang = kb.by_key["jensen-huang"]
    assert any(c.text == "Huang" and c.requires == ("jensen-huang",) for c in huang.context_aliases)
    # too short to be safe alone
    assert not any(c.text == "Son" for c in kb.by_key["masayoshi-son"].context_aliases)


def test_relevance_terms(kb) -> None:
    terms = kb.relevance_terms()
    for t in ("OpenAI", "DeepSeek", "Nvidia", "ChatGPT", "intelligence artificielle", "Sam Altman"):
        assert t in terms
    assert "White House" not in terms and "Apple" not in terms
    assert len(terms) == len(set(terms))


def test_records_for_the_database(kb) -> None:
    records = {r["key"]: r for r in kb.records()}
    assert records["alphabet"]["ticker"] == "GOOGL" and "Google" in records["alphabet"]["aliases"]
    assert records["google-deepmind"]["parent"] == "alphabet"
    assert {x["ticker"] for x in records["openai"]["exposures"]} >= {"MSFT", "ORCL", "9984.T"}


def test_normalize_name() -> None:
    assert normalize_name("L’Oréal ") == "oreal"
    assert normalize_name("The Nvidia's") == "nvidia"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("entities:\n- {key: Bad Key, name: X, type: company}\n", "bad key"),
        ("entities:\n- {key: x, name: X, type: robot}\n", "type"),
        ("entities:\n- {key: x, name: X, type: company, parent: nope}\n", "unknown parent"),
        (
            "entities:\n- {key: x, name: X, type: company}\n- {key: x, name: Y, type: company}\n",
            "duplicate",
        ),
        ("entities:\n- {key: x, name: X, type: company, colour: red}\n", "unknown field"),
        (
            "entities:\n- {key: x, name: X, type: ai_lab, exposures: [{ticker: A, relation: friend, weight: 2}]}\n",
            "exposure",
        ),
        ("entities: [", "cannot read"),
    ],
)
def test_malformed_files_fail_with_one_clear_line(
    tmp_path: Path, content: str, message: str
) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text(content)
    with pytest.raises(KBError, match=message):
        load_kb([f])
