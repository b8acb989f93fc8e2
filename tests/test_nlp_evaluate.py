"""The eval scorer on hand-made predictions (no model), and `airace eval nlp` on saved ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlp.evaluate import (
    GoldFormatError,
    StanceScores,
    check_gold,
    evaluate,
    format_table,
    read_jsonl,
)

ALIASES = {
    "nvidia": "nvidia",
    "nvda": "nvidia",
    "google": "alphabet",
    "alphabet": "alphabet",
    "googl": "alphabet",
    "deepseek": "deepseek",
    "openai": "openai",
}


def resolve(name: str) -> str | None:
    return ALIASES.get(name.strip().lower())


def gold_line(art_id: str, entities: list[tuple[str, str | None, int]], lang: str = "en") -> dict:
    return {
        "id": art_id,
        "text": "...",
        "language": lang,
        "entities": [{"name": n, "type": "company", "ticker": t} for n, t, _ in entities],
        "stance": [{"entity": n, "stance": s} for n, _, s in entities],
    }


def pred_line(art_id: str, entities: list[tuple[str, str | None, int]]) -> dict:
    return {
        "id": art_id,
        "language": "en",
        "entities": [
            {"name": n, "type": "company", "ticker": t, "aliases": [], "mentions": 1}
            for n, t, _ in entities
        ],
        "stances": [{"entity": n, "score": s / 2, "label": s} for n, _, s in entities],
    }


def test_perfect_prediction_scores_one() -> None:
    ents = [("Nvidia", "NVDA", -1), ("DeepSeek", None, 1)]
    report = evaluate([gold_line("a", ents)], [pred_line("a", ents)], resolve)
    assert report.overall.entities.f1 == 1.0
    assert report.overall.stance.accuracy == 1.0
    assert report.overall.stance.macro_f1 == 1.0
    assert report.errors == []


def test_entities_match_by_alias_and_by_ticker() -> None:
    gold = [gold_line("a", [("Google", "GOOGL", 0), ("Acme Robotics", "ACME", 1)])]
    # "Alphabet" is an alias of the same KB entity; "Acme" is unknown to the KB but shares a ticker.
    pred = [pred_line("a", [("Alphabet", None, 0), ("Acme", "acme", 1)])]
    report = evaluate(gold, pred, resolve)
    assert report.overall.entities.as_dict()["tp"] == 2
    assert report.overall.stance.accuracy == 1.0


def test_a_shared_ticker_does_not_merge_two_known_entities() -> None:
    # A product carrying its parent's ticker must not count as the parent.
    gold = [gold_line("a", [("Nvidia", "NVDA", 1)])]
    pred = [pred_line("a", [("OpenAI", "NVDA", 1)])]
    report = evaluate(gold, pred, resolve)
    assert report.overall.entities.tp == 0


def test_missed_and_spurious_entities_and_missed_stance_counts_as_zero() -> None:
    gold = [gold_line("a", [("Nvidia", "NVDA", -1), ("DeepSeek", None, 1)])]
    pred = [pred_line("a", [("Nvidia", "NVDA", -1), ("Tech", None, 0)])]
    report = evaluate(gold, pred, resolve)
    ents = report.overall.entities
    assert (ents.tp, ents.fp, ents.fn) == (1, 1, 1)
    assert ents.precision == ents.recall == ents.f1 == 0.5
    # DeepSeek was missed: its gold +1 is compared with a prediction of 0.
    assert report.overall.stance.pairs == [(-1, -1), (1, 0)]
    kinds = sorted(e["kind"] for e in report.errors)
    assert kinds == ["missed_entity", "spurious_entity", "stance"]


def test_an_article_without_prediction_counts_as_nothing_found() -> None:
    gold = [gold_line("a", [("Nvidia", "NVDA", -1)]), gold_line("b", [("OpenAI", None, 0)])]
    report = evaluate(gold, [pred_line("a", [("Nvidia", "NVDA", -1)])], resolve)
    assert report.missing_predictions == ["b"]
    assert report.overall.entities.recall == 0.5
    assert report.overall.stance.pairs == [(-1, -1), (0, 0)]


def test_macro_f1_averages_the_labels_seen() -> None:
    scores = StanceScores(pairs=[(1, 1), (1, 0), (0, 0), (-1, -1), (-1, 1)])
    f1 = scores.f1_by_label()
    assert f1[1] == pytest.approx(2 * 1 / (2 + 2))
    assert f1[0] == pytest.approx(2 * 1 / (2 + 1))
    assert f1[-1] == pytest.approx(2 * 1 / (1 + 2))
    assert scores.macro_f1 == pytest.approx((0.5 + 2 / 3 + 2 / 3) / 3)
    assert scores.accuracy == pytest.approx(3 / 5)
    assert scores.confusion()["-1>+1"] == 1


def test_scores_are_split_by_language() -> None:
    gold = [gold_line("a", [("Nvidia", "NVDA", -1)]), gold_line("b", [("OpenAI", None, 1)], "fr")]
    pred = [pred_line("a", [("Nvidia", "NVDA", -1)]), pred_line("b", [("OpenAI", None, 0)])]
    report = evaluate(gold, pred, resolve)
    assert report.by_language["en"].stance.accuracy == 1.0
    assert report.by_language["fr"].stance.accuracy == 0.0
    table = format_table(report)
    assert table.splitlines()[2].startswith("all")
    assert json.loads(json.dumps(report.as_dict()))["by_language"]["fr"]["articles"] == 1


def test_read_jsonl_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "gold.jsonl"
    path.write_text('{"id": "a", "text": "x"}\n\n{oops\n', encoding="utf-8")
    with pytest.raises(GoldFormatError, match=r"gold.jsonl:3"):
        read_jsonl(path)


def test_check_gold_rejects_bad_labels_and_duplicates() -> None:
    line = gold_line("a", [("Nvidia", "NVDA", -1)])
    with pytest.raises(GoldFormatError, match="duplicate"):
        check_gold([line, line])
    bad = gold_line("b", [("Nvidia", "NVDA", -1)])
    bad["stance"][0]["stance"] = "negative"
    with pytest.raises(GoldFormatError, match="-1, 0 or 1"):
        check_gold([bad])


def test_the_dev_set_is_well_formed() -> None:
    rows = read_jsonl(Path(__file__).parent / "data" / "nlp_dev.jsonl")
    check_gold(rows)
    assert len(rows) >= 60
    langs = [r["language"] for r in rows]
    assert 0.4 < langs.count("fr") / len(rows) < 0.6
    for row in rows:
        names = {e["name"] for e in row["entities"]}
        assert {s["entity"] for s in row["stance"]} <= names, row["id"]


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_cli_scores_saved_predictions(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    gold = _write(tmp_path / "gold.jsonl", [gold_line("a", [("Nvidia", "NVDA", -1)])])
    pred = _write(tmp_path / "pred.jsonl", [pred_line("a", [("Nvidia", "NVDA", -1)])])
    result = cli("eval", "nlp", str(gold), "--load", str(pred), "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["overall"]["entities"]["f1"] == 1.0
    assert data["overall"]["stance"]["macro_f1"] == 1.0
    table = cli("eval", "nlp", str(gold), "--load", str(pred))
    assert "st mF1" in table.stdout


def test_cli_user_mistakes_are_one_line(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    missing = cli("eval", "nlp", str(tmp_path / "nope.jsonl"))
    assert missing.exit_code == 2
    assert "not found" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n", encoding="utf-8")
    assert cli("eval", "nlp", str(bad)).exit_code == 2
    gold = _write(tmp_path / "gold.jsonl", [gold_line("a", [("Nvidia", "NVDA", -1)])])
    assert cli("eval", "nlp", str(gold), "--ids", "(").exit_code == 2
    assert cli("eval", "nlp", str(gold), "--ids", "zzz").exit_code == 2
