"""Score `airace annotate` output against a gold file: entities (P/R/F1) and stance (accuracy, F1).

Gold line: {"id", "text", "title"?, "language"?, "entities": [{"name", "type", "ticker"}],
"stance": [{"entity", "stance"}]}. Predicted line: the annotate format, {"id", "language",
"entities": [{"name", "type", "ticker", "aliases", ...}], "stances": [{"entity", "label", ...}]}.

A predicted entity matches a gold entity when both resolve to the same canonical key (through an
injected resolver, in practice the knowledge base: any alias, ticker or name) or share a ticker.
Each gold entity is matched at most once. For stance, a gold entity the system missed, or found
without a stance, counts as a prediction of 0. Pure functions: no model, no file.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

Resolver = Callable[[str], str | None]
LABELS = (-1, 0, 1)


class GoldFormatError(ValueError):
    """A gold or prediction file that cannot be read; the message names the line."""


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Read a JSON-lines file (blank lines skipped) into dicts; GoldFormatError on a bad line."""
    rows = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise GoldFormatError(f"{path}:{number}: not JSON ({exc.msg})") from None
            if not isinstance(row, dict) or "id" not in row:
                raise GoldFormatError(f"{path}:{number}: expected an object with an 'id'")
            rows.append(row)
    return rows


def check_gold(rows: Sequence[dict[str, Any]]) -> None:
    """Raise GoldFormatError unless every gold line has text, entities and stance as specified."""
    seen: set[str] = set()
    for row in rows:
        where = f"gold line id={row.get('id')!r}"
        if row["id"] in seen:
            raise GoldFormatError(f"{where}: duplicate id")
        seen.add(row["id"])
        if not isinstance(row.get("text"), str):
            raise GoldFormatError(f"{where}: 'text' must be a string")
        for ent in row.get("entities", []):
            if not isinstance(ent, dict) or not ent.get("name"):
                raise GoldFormatError(f"{where}: each entity needs a 'name'")
        for pair in row.get("stance", []):
            if not isinstance(pair, dict) or pair.get("stance") not in LABELS:
                raise GoldFormatError(f"{where}: each stance needs an 'entity' and -1, 0 or 1")


def _norm(name: str) -> str:
    return re.sub(r"\s+", " ", name.strip().lower())


def _ticker(value: Any) -> str | None:
    return str(value).strip().upper() if value else None


@dataclass
class _Ent:
    """An entity reduced to what matching needs: canonical keys and ticker."""

    name: str
    keys: frozenset[str]
    ticker: str | None

    @property
    def resolved(self) -> bool:
        return not all(k.startswith("name:") for k in self.keys)

    def matches(self, other: _Ent) -> bool:
        """Same canonical key; or same ticker when one side is not in the knowledge base."""
        if self.keys & other.keys:
            return True
        unresolved = not (self.resolved and other.resolved)
        return bool(unresolved and self.ticker and self.ticker == other.ticker)


def _gold_ent(ent: dict[str, Any], resolve: Resolver) -> _Ent:
    ticker = _ticker(ent.get("ticker"))
    keys = {k for k in (resolve(ent["name"]), ticker and resolve(ticker)) if k}
    if not keys:
        keys = {"name:" + _norm(ent["name"])}
    return _Ent(ent["name"], frozenset(keys), ticker)


def _pred_ent(ent: dict[str, Any], resolve: Resolver) -> _Ent:
    ticker = _ticker(ent.get("ticker"))
    key = resolve(ent["name"])
    if key is None:
        for alias in ent.get("aliases") or ():
            key = resolve(alias)
            if key:
                break
    keys = {key} if key else set()
    if not keys:
        names = [ent["name"], *(ent.get("aliases") or ())]
        keys = {"name:" + _norm(n) for n in names}
    return _Ent(ent["name"], frozenset(keys), ticker)


@dataclass
class PRF:
    """Precision, recall and F1 from counts."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


@dataclass
class StanceScores:
    """Stance accuracy and macro-F1 over gold (entity, stance) pairs."""

    pairs: list[tuple[int, int]] = field(default_factory=list)  # (gold, predicted)
    # Stated confidence of each prediction (None: the entity was missed, no stance stated).
    confidences: list[float | None] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return sum(g == p for g, p in self.pairs) / len(self.pairs) if self.pairs else 0.0

    def f1_by_label(self) -> dict[int, float]:
        """F1 of each label that occurs in the gold or the predictions."""
        out = {}
        for label in LABELS:
            tp = sum(g == p == label for g, p in self.pairs)
            n_pred = sum(p == label for _, p in self.pairs)
            n_gold = sum(g == label for g, _ in self.pairs)
            if n_pred == 0 and n_gold == 0:
                continue
            out[label] = 2 * tp / (n_pred + n_gold)
        return out

    @property
    def macro_f1(self) -> float:
        f1s = self.f1_by_label()
        return sum(f1s.values()) / len(f1s) if f1s else 0.0

    def confusion(self) -> dict[str, int]:
        """Counts keyed "gold>predicted", e.g. "-1>0"."""
        out: dict[str, int] = {}
        for g, p in self.pairs:
            out[f"{g:+d}>{p:+d}"] = out.get(f"{g:+d}>{p:+d}", 0) + 1
        return dict(sorted(out.items()))

    def matrix(self) -> list[list[int]]:
        """Confusion matrix: rows gold -1, 0, +1; columns predicted -1, 0, +1."""
        return [[sum(g == gl and p == pl for g, p in self.pairs) for pl in LABELS] for gl in LABELS]

    def reliability(self) -> list[dict[str, float]]:
        """Stated confidence against observed accuracy (pairs with a stated confidence)."""
        stated = [(c, g == p) for (g, p), c in zip(self.pairs, self.confidences, strict=True)
                  if c is not None]  # fmt: skip
        return reliability([c for c, _ in stated], [ok for _, ok in stated])

    def as_dict(self) -> dict[str, Any]:
        return {
            "accuracy": round(self.accuracy, 4),
            "macro_f1": round(self.macro_f1, 4),
            "f1_by_label": {f"{k:+d}": round(v, 4) for k, v in self.f1_by_label().items()},
            "n": len(self.pairs),
            "confusion": self.confusion(),
            "matrix": self.matrix(),
            "reliability": self.reliability(),
        }


@dataclass
class Scores:
    """Entity and stance scores of a group of articles."""

    articles: int = 0
    entities: PRF = field(default_factory=PRF)
    stance: StanceScores = field(default_factory=StanceScores)

    def as_dict(self) -> dict[str, Any]:
        return {
            "articles": self.articles,
            "entities": self.entities.as_dict(),
            "stance": self.stance.as_dict(),
        }


@dataclass
class EvalReport:
    """Overall scores, scores per gold language, and the individual errors."""

    overall: Scores
    by_language: dict[str, Scores]
    missing_predictions: list[str]
    errors: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "overall": self.overall.as_dict(),
            "by_language": {k: v.as_dict() for k, v in sorted(self.by_language.items())},
            "missing_predictions": self.missing_predictions,
            "errors": self.errors,
        }


def evaluate(
    gold: Iterable[dict[str, Any]], predicted: Iterable[dict[str, Any]], resolve: Resolver
) -> EvalReport:
    """Score predicted annotate lines against gold lines (matched by id).

    An article with no prediction counts as one where nothing was found.
    """
    preds = {str(p["id"]): p for p in predicted}
    overall = Scores()
    by_language: dict[str, Scores] = {}
    missing: list[str] = []
    errors: list[dict[str, Any]] = []
    for row in gold:
        art_id = str(row["id"])
        pred = preds.get(art_id)
        if pred is None:
            missing.append(art_id)
            pred = {"entities": [], "stances": []}
        lang = row.get("language") or pred.get("language") or "?"
        groups = [overall, by_language.setdefault(lang, Scores())]
        ents, stance_pairs, article_errors = _score_article(row, pred, resolve)
        for group in groups:
            group.articles += 1
            group.entities.tp += ents.tp
            group.entities.fp += ents.fp
            group.entities.fn += ents.fn
            group.stance.pairs.extend((g, p) for g, p, _ in stance_pairs)
            group.stance.confidences.extend(c for _, _, c in stance_pairs)
        errors.extend({"id": art_id, **e} for e in article_errors)
    return EvalReport(overall, by_language, missing, errors)


def _score_article(
    row: dict[str, Any], pred: dict[str, Any], resolve: Resolver
) -> tuple[PRF, list[tuple[int, int, float | None]], list[dict[str, Any]]]:
    gold_ents = [_gold_ent(e, resolve) for e in row.get("entities", [])]
    pred_raw = [e for e in pred.get("entities", []) if e.get("name")]
    pred_ents = [_pred_ent(e, resolve) for e in pred_raw]
    errors: list[dict[str, Any]] = []
    # Greedy one-to-one matching, gold order.
    used: set[int] = set()
    match_of: dict[int, int] = {}
    for gi, g in enumerate(gold_ents):
        for pi, p in enumerate(pred_ents):
            if pi not in used and g.matches(p):
                used.add(pi)
                match_of[gi] = pi
                break
    prf = PRF(tp=len(match_of), fp=len(pred_ents) - len(used), fn=len(gold_ents) - len(match_of))
    errors.extend(
        {"kind": "missed_entity", "entity": g.name}
        for gi, g in enumerate(gold_ents)
        if gi not in match_of
    )
    errors.extend(
        {"kind": "spurious_entity", "entity": p.name}
        for pi, p in enumerate(pred_ents)
        if pi not in used
    )
    # Predicted labels by predicted entity; stances name the entity by its (canonical) name.
    label_of_name: dict[str, int] = {}
    confidence_of_name: dict[str, float] = {}
    for st in pred.get("stances", []):
        label = int(st.get("label", 0))
        name = _norm(str(st.get("entity", "")))
        label_of_name.setdefault(name, label)
        confidence_of_name.setdefault(name, float(st.get("confidence", 0.0)))
    # Targets given with the input ("targets" in annotate): their stance is what was asked for.
    of_target = {
        _norm(str(t.get("target", ""))): (int(t.get("label", 0)), float(t.get("confidence", 0)))
        for t in pred.get("targets") or ()
        if t.get("found")
    }
    pairs: list[tuple[int, int, float | None]] = []
    for pair in row.get("stance", []):
        gold_label = int(pair["stance"])
        if _norm(pair["entity"]) in of_target:
            predicted, confidence = of_target[_norm(pair["entity"])]
            pairs.append((gold_label, predicted, confidence))
            if predicted != gold_label:
                errors.append({"kind": "stance", "entity": pair["entity"], "gold": gold_label,
                               "pred": predicted})  # fmt: skip
            continue
        target = _gold_ent({"name": pair["entity"]}, resolve)
        # Use the entity record of the gold list when it is there (it carries the ticker).
        for g in gold_ents:
            if _norm(g.name) == _norm(pair["entity"]):
                target = g
                break
        predicted = 0
        stated: float | None = None
        found = False
        for p in pred_ents:
            if target.matches(p):
                predicted = label_of_name.get(_norm(p.name), 0)
                stated = confidence_of_name.get(_norm(p.name))
                found = True
                break
        if not found:
            for name, label in label_of_name.items():
                if target.matches(_pred_ent({"name": name}, resolve)):
                    predicted, stated = label, confidence_of_name.get(name)
                    break
        pairs.append((gold_label, predicted, stated))
        if predicted != gold_label:
            errors.append(
                {"kind": "stance", "entity": pair["entity"], "gold": gold_label, "pred": predicted}
            )
    return prf, pairs, errors


RELIABILITY_EDGES = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def reliability(
    confidence: Sequence[float] | np.ndarray,
    correct: Sequence[bool] | np.ndarray,
    edges: Sequence[float] = RELIABILITY_EDGES,
) -> list[dict[str, float]]:
    """Stated confidence against observed accuracy, per bin of confidence ([lo, hi); the last
    bin includes 1.0): {"from", "to", "n", "confidence" (mean stated), "accuracy" (observed)}."""
    import numpy as np

    conf = np.asarray(confidence, dtype=float)
    ok = np.asarray(correct, dtype=bool)
    rows = []
    for i, (lo, hi) in enumerate(itertools.pairwise(edges)):
        last = i == len(edges) - 2
        mask = (conf >= lo) & ((conf <= hi) if last else (conf < hi))
        n = int(mask.sum())
        if n:
            rows.append({"from": lo, "to": hi, "n": n,
                         "confidence": round(float(conf[mask].mean()), 4),
                         "accuracy": round(float(ok[mask].mean()), 4)})  # fmt: skip
    return rows


def expected_calibration_error(
    confidence: Sequence[float] | np.ndarray, correct: Sequence[bool] | np.ndarray
) -> float:
    """Mean |stated confidence - observed accuracy| over the bins, weighted by their size."""
    rows = reliability(confidence, correct)
    total = sum(r["n"] for r in rows)
    return sum(r["n"] * abs(r["confidence"] - r["accuracy"]) for r in rows) / max(total, 1)


def format_table(report: EvalReport) -> str:
    """A plain-text report: scores overall and per language, F1 per stance label, the confusion
    matrix and the reliability table (stated confidence against observed accuracy)."""
    head = (
        f"{'group':<8} {'articles':>8} {'ent P':>6} {'ent R':>6} {'ent F1':>6} "
        f"{'pairs':>6} {'st acc':>6} {'st mF1':>6} {'F1 -1':>6} {'F1 0':>6} {'F1 +1':>6}"
    )
    lines = [head, "-" * len(head)]
    groups = [("all", report.overall), *sorted(report.by_language.items())]
    for name, s in groups:
        f1 = s.stance.f1_by_label()
        per_label = " ".join(f"{f1[k]:>6.3f}" if k in f1 else f"{'-':>6}" for k in LABELS)
        lines.append(
            f"{name:<8} {s.articles:>8} {s.entities.precision:>6.3f} {s.entities.recall:>6.3f} "
            f"{s.entities.f1:>6.3f} {len(s.stance.pairs):>6} {s.stance.accuracy:>6.3f} "
            f"{s.stance.macro_f1:>6.3f} {per_label}"
        )
    for name, s in groups:
        lines += ["", f"stance confusion, {name} (rows gold, columns predicted):"]
        lines.append(f"{'':>8}" + "".join(f"{f'pred {k:+d}':>9}" for k in LABELS))
        for label, row in zip(LABELS, s.stance.matrix(), strict=True):
            lines.append(f"{f'gold {label:+d}':>8}" + "".join(f"{n:>9}" for n in row))
    for name, s in groups:
        table = s.stance.reliability()
        if not table:
            continue
        lines += ["", f"reliability, {name} (stated confidence vs observed accuracy):"]
        lines.append(f"{'bin':>11} {'n':>5} {'stated':>7} {'observed':>8}")
        for r in table:
            lines.append(
                f"{r['from']:.1f}-{r['to']:.1f}{'':>4} {r['n']:>5} {r['confidence']:>7.3f} "
                f"{r['accuracy']:>8.3f}"
            )
    if report.missing_predictions:
        lines.append(f"no prediction for {len(report.missing_predictions)} article(s)")
    return "\n".join(lines)
