"""Stance on real spaCy parses (the Analyzer's own pipelines), English and French.

The last tests run the whole analysis on tests/data/nlp_dev.jsonl and on the blind set of longer
articles (tests/data/nlp_stance_blind.jsonl) and check the scores stay above floors a little under
what was measured, so a regression fails.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from nlp.stance import StanceResult, StanceTarget, load_lexicon, score_stances
from nlp.text import article_text

pytestmark = pytest.mark.slow

DEV_SET = Path(__file__).parent / "data" / "nlp_dev.jsonl"
BLIND_SET = Path(__file__).parent / "data" / "nlp_stance_blind.jsonl"


@pytest.fixture(scope="module")
def analyzer() -> Any:
    from tests._nlp_models import shared_analyzer

    return shared_analyzer()


@pytest.fixture(scope="module")
def stance(analyzer: Any) -> Any:
    """stance(lang, title, body, *names) -> {name: StanceResult}, mentions found by name."""

    def run(lang: str, title: str, body: str, *names: str) -> dict[str, StanceResult]:
        nlp, _ = analyzer.pipeline(analyzer.model_for(lang))
        text, _ = article_text(title, body)
        doc = nlp(text)
        targets = [
            StanceTarget(
                name.lower(),
                name,
                [m.span() for m in re.finditer(r"(?<!\w)" + re.escape(name) + r"(?!\w)", text)],
            )
            for name in names
        ]
        return {r.key: r for r in score_stances(doc, targets, lang)}

    return run


def labels(results: dict[str, StanceResult]) -> dict[str, int]:
    return {k: r.label for k, r in results.items()}


# --- English ---------------------------------------------------------------------------------


def test_market_drop_is_negative_for_the_company_not_for_the_cause(stance) -> None:  # type: ignore[no-untyped-def]
    r = stance(
        "en",
        "Chip stocks slump",
        "Shares of Nvidia plunged 17% on Monday after DeepSeek published its paper.",
        "Nvidia",
        "DeepSeek",
    )
    assert labels(r) == {"nvidia": -1, "deepseek": 0}
    assert "plunged" in r["nvidia"].evidence
    assert -1.0 <= r["nvidia"].score < 0 and 0.0 <= r["nvidia"].confidence <= 1.0


def test_winner_and_loser_of_a_transitive_verb(stance) -> None:  # type: ignore[no-untyped-def]
    r = stance(
        "en", "Benchmarks", "DeepSeek crushed OpenAI on the maths tests.", "DeepSeek", "OpenAI"
    )
    assert labels(r) == {"deepseek": 1, "openai": -1}


def test_negation_turns_a_threat_into_reassurance(stance) -> None:  # type: ignore[no-untyped-def]
    r = stance(
        "en",
        "Analyst note",
        "DeepSeek is not a threat to Nvidia, the analyst wrote to clients.",
        "Nvidia",
    )
    assert r["nvidia"].label == 1


def test_negation_found_through_the_parse_only(stance) -> None:  # type: ignore[no-untyped-def]
    """The word "not" is five words before the cue: only the dependency path (the cue is the
    object of a negated verb) sees it, the word window does not. Without that path: -1."""
    r = stance(
        "en",
        "Analyst note",
        "The new chips do not pose any really serious threat to Nvidia.",
        "Nvidia",
    )
    assert r["nvidia"].label == 1
    r = stance("en", "Results", "Nvidia did not post an unusually large quarterly loss.", "Nvidia")
    assert r["nvidia"].label == 1


def test_the_clause_after_but_wins(stance) -> None:  # type: ignore[no-untyped-def]
    r = stance(
        "en",
        "AMD results",
        "AMD posted solid data centre sales, but the figure fell short of forecasts and the "
        "shares dropped 8%.",
        "AMD",
    )
    assert r["amd"].label == -1


def test_praise_is_positive_for_the_object(stance) -> None:  # type: ignore[no-untyped-def]
    r = stance(
        "en",
        "Developers like it",
        "Developers praised Gemini for its speed.",
        "Gemini",
    )
    assert r["gemini"].label == 1


def test_a_deal_is_neutral(stance) -> None:  # type: ignore[no-untyped-def]
    r = stance(
        "en",
        "Joint venture",
        "OpenAI, SoftBank and Oracle signed an agreement to build data centres in Texas.",
        "OpenAI",
        "SoftBank",
        "Oracle",
    )
    assert set(labels(r).values()) == {0}


# --- French ----------------------------------------------------------------------------------


def test_french_market_verbs(stance) -> None:  # type: ignore[no-untyped-def]
    r = stance(
        "fr",
        "Séance agitée",
        "Nvidia dégringole de 17 % tandis qu'Oracle bondit de 7 %.",
        "Nvidia",
        "Oracle",
    )
    assert labels(r) == {"nvidia": -1, "oracle": 1}


def test_french_negation(stance) -> None:  # type: ignore[no-untyped-def]
    r = stance(
        "fr",
        "Levée de fonds",
        "Mistral AI n'a pas réussi à convaincre les investisseurs américains.",
        "Mistral AI",
    )
    assert r["mistral ai"].label == -1


def test_french_contrast_with_mais(stance) -> None:  # type: ignore[no-untyped-def]
    r = stance(
        "fr",
        "Résultats",
        "Microsoft a publié de bons résultats, mais l'action a chuté de 6 % jeudi.",
        "Microsoft",
    )
    assert r["microsoft"].label == -1


def test_french_rhetorical_question_is_not_a_verdict(stance) -> None:  # type: ignore[no-untyped-def]
    r = stance(
        "fr",
        "Nvidia est-elle vraiment menacée ?",
        "Les commandes de Nvidia restent solides et les analystes saluent sa stratégie.",
        "Nvidia",
    )
    assert r["nvidia"].label == 1


def test_sarcasm_does_not_read_as_praise(stance) -> None:  # type: ignore[no-untyped-def]
    r = stance(
        "fr",
        "Bravo Nvidia, 600 milliards envolés en une séance",
        "Belle performance, vraiment : Nvidia a perdu en un jour la valeur du CAC 40.",
        "Nvidia",
    )
    assert r["nvidia"].label == -1


def test_results_follow_target_order_and_handle_edge_cases(stance, analyzer) -> None:  # type: ignore[no-untyped-def]
    r = stance("en", "Nothing", "A quiet day.", "Nvidia")
    x = r["nvidia"]
    assert (x.key, x.score, x.label, x.evidence) == ("nvidia", 0.0, 0, "")
    assert x.signals["no_cue"] == 1.0 and x.sentences == []
    nlp, _ = analyzer.pipeline(analyzer.model_for("en"))
    assert score_stances(nlp("Title\n\nBody."), [], "de") == []
    # Any other language is read with the English lexicon.
    assert load_lexicon("de") is load_lexicon("en")
    assert load_lexicon("fr").lookup("dégringole", "") is not None


# --- longer articles, speakers, idioms (second pass) ------------------------------------------


def test_a_person_quoted_is_damped_unless_the_title_is_about_them(analyzer) -> None:  # type: ignore[no-untyped-def]
    nlp, _ = analyzer.pipeline(analyzer.model_for("en"))
    text, _ = article_text(
        "Chip stocks rally",
        "Jensen Huang praised the new accelerators. Jensen Huang looked strong on stage.",
    )
    doc = nlp(text)
    spans = [m.span() for m in re.finditer("Jensen Huang", text)]
    as_person = score_stances(doc, [StanceTarget("huang", "Jensen Huang", spans, "person")], "en")
    as_other = score_stances(doc, [StanceTarget("huang", "Jensen Huang", spans)], "en")
    assert 0 < as_person[0].score < as_other[0].score


def test_idioms_that_only_look_negative_or_positive(stance) -> None:  # type: ignore[no-untyped-def]
    r = stance(
        "en",
        "Cerebras raises $1.1 billion ahead of planned listing",
        "Fidelity, one of the investors, declined to comment on the round.",
        "Cerebras",
        "Fidelity",
    )
    assert labels(r) == {"cerebras": 0, "fidelity": 0}


def test_a_relative_clause_is_about_its_antecedent(stance) -> None:  # type: ignore[no-untyped-def]
    r = stance(
        "en",
        "Cerebras prepares listing",
        "Cerebras prepares to revive its offering, which was delayed last year by a review of an "
        "investment from G42. TSMC, which rallied 5%, declined to say more.",
        "Cerebras",
        "G42",
        "TSMC",
    )
    assert r["g42"].label == 0
    assert r["tsmc"].label == 1


def test_a_french_verb_of_saying_with_an_object_reports_nothing(stance) -> None:  # type: ignore[no-untyped-def]
    r = stance(
        "fr",
        "Quelle surprise : Meta dépensera encore plus",
        "Meta a confirmé 65 milliards de dollars d'investissements, et l'action a atteint un "
        "nouveau record.",
        "Meta",
    )
    assert r["meta"].label == 1


def test_the_stock_of_the_previous_sentence_is_its_subject_not_an_entity_in_passing(stance) -> None:  # type: ignore[no-untyped-def]
    r = stance(
        "fr",
        "OVHcloud déçoit encore",
        "La croissance d'OVHcloud plafonne, très loin des rythmes affichés par AWS. L'action a "
        "perdu la moitié de sa valeur.",
        "OVHcloud",
        "AWS",
    )
    assert labels(r) == {"ovhcloud": -1, "aws": 0}


def test_the_headline_still_counts_in_a_long_article(stance) -> None:  # type: ignore[no-untyped-def]
    filler = " ".join(
        f"Analysts at broker {i} see demand for the chips and growth in the sector."
        for i in range(12)
    )
    r = stance("en", "Intel plunges on foundry delay", filler, "Intel")
    assert r["intel"].label == -1


def test_flippers_reverse_only_negative_cues(stance) -> None:  # type: ignore[no-untyped-def]
    # "résiste à la chute", "shrugs off the slump": the negative cue is reversed...
    assert (
        stance("en", "Dalvik shrugs off the slump", "Demand held.", "Dalvik")["dalvik"].label == 1
    )
    fr = stance("fr", "Orvane résiste à la débâcle", "La demande tient.", "Orvane")
    assert fr["orvane"].label == 1
    # ... but a positive one after "résiste" stays positive, and so does a better-than-peers one.
    fr = stance(
        "fr",
        "Orvane résiste mieux que ses concurrents",
        "Orvane a cédé 1 % jeudi, quand le secteur perdait 9 %.",
        "Orvane",
    )
    assert fr["orvane"].label == 1
    en = stance(
        "en",
        "Dalvik holds up better than its peers",
        "Dalvik lost far less than its rivals on Thursday.",
        "Dalvik",
    )
    assert en["dalvik"].label == 1


def test_gapped_coordination_shares_the_verb(stance) -> None:  # type: ignore[no-untyped-def]
    body = "Harrowgate closed down 14.5% and Pellam Grid 11.2%, as traders dumped the sector."
    r = stance("en", "Utilities slide on rate fears", body, "Harrowgate", "Pellam Grid")
    assert r["harrowgate"].label == -1 and r["pellam grid"].label == -1
    body = (
        "Sorelle a terminé en hausse de 6,1 % et Brevan Énergie de 4,3 %, portées par la demande."
    )
    r = stance("fr", "Les producteurs d'électricité s'envolent", body, "Sorelle", "Brevan Énergie")
    assert r["sorelle"].label == 1 and r["brevan énergie"].label == 1


def test_pluperfect_background_weighs_less_than_the_news(stance) -> None:  # type: ignore[no-untyped-def]
    body = (
        "Harrowgate fell 2% on Thursday after it trimmed its outlook. The stock had surged 70% "
        "over the previous year and had been a favourite of growth funds. It had also jumped "
        "15% in one session earlier this month."
    )
    r = stance("en", "Harrowgate trims its outlook", body, "Harrowgate")
    assert r["harrowgate"].label == -1
    body = (
        "Sorelle a reculé de 2 % jeudi après avoir abaissé sa prévision. Le titre avait bondi "
        "de 70 % sur un an et avait été le favori des gérants."
    )
    assert stance("fr", "Sorelle abaisse sa prévision", body, "Sorelle")["sorelle"].label == -1
    # Reported speech only shifts the tense back: "admitted the product had not lifted sales".
    body = "Its chief executive admitted that the new range had not boosted sales so far."
    r = stance("en", "Harrowgate disappoints", body, "Harrowgate")
    assert r["harrowgate"].label == -1


def test_a_headline_naming_nobody_goes_to_the_leads_subjects(stance) -> None:  # type: ignore[no-untyped-def]
    body = "Kestrin and Obrava were the busiest names of the session, on heavy volumes."
    r = stance("en", "Solar stocks routed as subsidies end", body, "Kestrin", "Obrava")
    assert r["kestrin"].label == -1 and r["obrava"].label == -1
    # Only the lead: an entity named later is not what the headline was about.
    body = "Trading was heavy all day. Kestrin rose 4% and Obrava gained 3% late in the session."
    r = stance("en", "Solar stocks claw back some losses", body, "Kestrin", "Obrava")
    assert r["kestrin"].label == 1 and r["obrava"].label == 1


def test_a_fronted_circumstance_is_not_about_the_subject(stance) -> None:  # type: ignore[no-untyped-def]
    body = "Dans la débâcle qui a emporté le secteur mardi, Orvane a plutôt bien tenu."
    assert stance("fr", "Orvane tient bon", body, "Orvane")["orvane"].label == 1


# --- the dev set -------------------------------------------------------------------------------


def _scores(analyzer: Any, path: Path) -> Any:
    """The evaluation report of the whole analysis on a gold file."""
    from nlp.evaluate import evaluate, read_jsonl

    gold = read_jsonl(path)
    fields = ("id", "text", "title", "language")
    predicted = list(analyzer.annotate({k: g[k] for k in fields if k in g} for g in gold))

    def resolve(name: str) -> str | None:
        entity = analyzer.kb.resolve(name)
        return entity.key if entity is not None else None

    return evaluate(gold, predicted, resolve)


def test_dev_set_scores_stay_above_the_floor(analyzer) -> None:  # type: ignore[no-untyped-def]
    """The whole analysis with the learned stance model stance-lr-words-20261201: entity F1
    0.994, stance macro-F1 0.906 (en 0.887, fr 0.929); the dev set is fitted on, so this guards regressions
    only. The scores are deterministic: each floor is about one pair under the measured figure
    (a float difference of another CPU may flip a near tie)."""
    report = _scores(analyzer, DEV_SET)
    assert report.overall.entities.f1 >= 0.99
    assert report.overall.stance.macro_f1 >= 0.90
    assert report.by_language["en"].stance.macro_f1 >= 0.875
    assert report.by_language["fr"].stance.macro_f1 >= 0.92


def test_blind_set_scores_stay_above_the_floor(analyzer) -> None:  # type: ignore[no-untyped-def]
    """42 longer articles, never fitted on (docs/nlp_stance.md), learned stance model
    stance-lr-words-20261201: stance macro-F1 0.700 (en 0.834, fr 0.548), entity F1 0.955.
    Floors about one pair under the (deterministic) figures."""
    report = _scores(analyzer, BLIND_SET)
    assert report.overall.entities.f1 >= 0.95
    assert report.overall.stance.macro_f1 >= 0.69
    assert report.by_language["en"].stance.macro_f1 >= 0.82
    assert report.by_language["fr"].stance.macro_f1 >= 0.535
