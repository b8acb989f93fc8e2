"""Fit the learned stance model (nlp.stance_model) on SEntFiN and our own labelled articles.

Data:
- SEntFiN 1.0 (real English financial headlines, a label per entity; MIT; read from a path, never
  copied into the repository). The split is a rule, not a list: `split_of(headline)` hashes the
  headline's normalised text (sha256, lower case, spaces collapsed), so duplicates of one headline
  always fall on the same side. Buckets 0-19 of 100 are the HELD-OUT part, never used to fit or to
  choose anything; buckets 20-29 are the VALIDATION part (temperature, hyper-parameters); the
  rest is fitted.
- Our own gold files in the `airace eval nlp` format (English and French articles written for
  the project): fitted too, weighted OWN_WEIGHT; hyper-parameters also look at a grouped
  cross-validation on them. The blind set is never given here.

Each example goes through the very path of the analysis (`Analyzer.analyze` with the item's
entities as requested targets), so fitting and running see the same signals and texts.
scikit-learn is imported here only (fitting), never at run time.
"""

from __future__ import annotations

import ast
import csv
import datetime as dt
import hashlib
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nlp.evaluate import GoldFormatError, expected_calibration_error, read_jsonl
from nlp.stance_model import (
    StanceModel,
    decide,
    decides_learned,
    feature_names,
    signal_matrix,
    softmax,
    word_features,
)

if TYPE_CHECKING:
    from nlp.annotate import Analyzer
    from nlp.embeddings import Embedder

log = logging.getLogger(__name__)

HELDOUT_BUCKETS = range(0, 20)
VALIDATION_BUCKETS = range(20, 30)
SEED = 20261201
OWN_WEIGHT = 5.0
C_GRID = (0.3, 1.0)
WORD_DIM = 1 << 14  # hashed word features (nlp.stance_model.word_features)
CV_FOLDS = 3
LABELS = {"negative": -1, "neutral": 0, "positive": 1}
_PAIR = re.compile(r"""['"](.+?)['"]\s*:\s*['"](positive|negative|neutral)['"]""")


class TrainDataError(ValueError):
    """Training data that cannot be read; the message names the file and line."""


def split_of(headline: str) -> str:
    """ "heldout", "validation" or "train" for a SEntFiN headline (a stable hash of its text)."""
    norm = " ".join(headline.lower().split())
    bucket = int(hashlib.sha256(norm.encode("utf-8")).hexdigest()[:8], 16) % 100
    if bucket in HELDOUT_BUCKETS:
        return "heldout"
    if bucket in VALIDATION_BUCKETS:
        return "validation"
    return "train"


@dataclass
class Example:
    """One labelled (text, target) pair, in the annotate input form."""

    item: dict[str, Any]  # {"id", "text", "title"?, "language", "targets": [one name]}
    label: int
    source: str  # "sentfin" or the gold file's name
    group: str  # the article (or headline): folds never split one


def parse_decisions(raw: str) -> dict[str, int]:
    """SEntFiN's `Decisions` (a Python dict repr) as {entity: -1/0/+1}; tolerates the rows whose
    keys hold an unescaped apostrophe ("{'Moody's': 'neutral'}")."""
    try:
        value = ast.literal_eval(raw)
        if isinstance(value, dict):
            return {str(k): LABELS[str(v)] for k, v in value.items() if str(v) in LABELS}
    except (ValueError, SyntaxError):
        pass
    return {k: LABELS[v] for k, v in _PAIR.findall(raw)}


def read_sentfin(path: Path) -> list[tuple[str, dict[str, int]]]:
    """(headline, {entity: label}) for each row of SEntFiN.csv."""
    try:
        fh = path.open(encoding="utf-8", newline="")
    except OSError as e:
        raise TrainDataError(f"cannot read {path}: {e.strerror}") from None
    rows = []
    with fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or not {"Title", "Decisions"} <= set(reader.fieldnames):
            raise TrainDataError(f"{path}: expected SEntFiN columns Title and Decisions")
        for number, row in enumerate(reader, start=2):
            title = (row.get("Title") or "").strip()
            labels = parse_decisions(row.get("Decisions") or "")
            if not title or not labels:
                raise TrainDataError(f"{path}:{number}: no headline or no label")
            rows.append((title, labels))
    return rows


def sentfin_examples(rows: Sequence[tuple[str, dict[str, int]]], split: str) -> list[Example]:
    """The examples of one split ("train", "validation", "heldout"), one per entity label."""
    out = []
    for i, (title, labels) in enumerate(rows):
        if split_of(title) != split:
            continue
        for name, label in labels.items():
            item = {"id": f"s{i}:{name}", "text": title, "language": "en", "targets": [name]}
            out.append(Example(item, label, "sentfin", f"s{i}"))
    return out


def gold_examples(path: Path) -> list[Example]:
    """One example per (article, entity) of a gold file of `airace eval nlp`."""
    try:
        rows = read_jsonl(path)
    except GoldFormatError as e:
        raise TrainDataError(str(e)) from None
    out = []
    for row in rows:
        for pair in row.get("stance", []):
            item = {k: row[k] for k in ("text", "title", "language") if row.get(k)}
            item["id"] = f"{row['id']}:{pair['entity']}"
            item["targets"] = [pair["entity"]]
            out.append(Example(item, int(pair["stance"]), path.name, str(row["id"])))
    return out


@dataclass
class Inputs:
    """What the classifier reads for each example found in its text."""

    examples: list[Example]
    signals: np.ndarray
    languages: list[str]
    texts: list[str]
    rule_labels: list[int]
    embeddings: np.ndarray | None = None
    missing: int = 0  # examples whose target was not found in the text
    rule_confidences: list[float] = field(default_factory=list)
    by_rules: list[bool] = field(default_factory=list)  # the rules decide (decides_learned)

    @property
    def y(self) -> np.ndarray:
        return np.array([e.label for e in self.examples])


def collect(analyzer: Analyzer, examples: Sequence[Example]) -> Inputs:
    """Run the analysis (rules only) on each example; keep the target's signals and text.

    Examples of one text are analysed together (one parse) with all their targets.
    """
    by_text: dict[tuple[str, str, str], list[int]] = {}
    for i, ex in enumerate(examples):
        key = (ex.item.get("title", ""), ex.item["text"], ex.item.get("language", ""))
        by_text.setdefault(key, []).append(i)
    items = []
    for n, ((title, text, lang), idxs) in enumerate(by_text.items()):
        item: dict[str, Any] = {"id": n, "text": text, "language": lang or None}
        if title:
            item["title"] = title
        item["targets"] = [examples[i].item["targets"][0] for i in idxs]
        items.append((item, idxs))
    kept: list[Example] = []
    signals: list[dict[str, float]] = []
    languages: list[str] = []
    texts: list[str] = []
    rule_labels: list[int] = []
    rule_confidences: list[float] = []
    by_rules: list[bool] = []
    missing = 0
    results = analyzer.analyze(item for item, _ in items)
    for (_, idxs), r in zip(items, results, strict=True):
        text_of = {id(s): t for s, t in r.pending}
        stances = [s for _, s in r.target_stances] or [None] * len(idxs)
        for i, stance in zip(idxs, stances, strict=True):
            if stance is None or id(stance) not in text_of:
                missing += 1
                continue
            kept.append(examples[i])
            signals.append(stance.signals)
            languages.append(r.language or "en")
            texts.append(text_of[id(stance)])
            rule_labels.append(stance.label)
            rule_confidences.append(stance.confidence)
            by_rules.append(not decides_learned(stance.signals))
    return Inputs(kept, signal_matrix(signals, languages), languages, texts, rule_labels,
                  missing=missing, rule_confidences=rule_confidences,
                  by_rules=by_rules)  # fmt: skip


def embed(inputs: Inputs, embedder: Embedder) -> Inputs:
    inputs.embeddings = embedder.encode(inputs.texts).astype(np.float64)
    return inputs


def macro_f1(gold: Sequence[int] | np.ndarray, pred: Sequence[int] | np.ndarray) -> float:
    """Mean F1 of the labels present in gold or predictions."""
    g, p = np.asarray(gold), np.asarray(pred)
    f1s = []
    for label in (-1, 0, 1):
        tp = int(np.sum((g == label) & (p == label)))
        n = int(np.sum(g == label) + np.sum(p == label))
        if n:
            f1s.append(2 * tp / n)
    return float(np.mean(f1s)) if f1s else 0.0


def f1_by_label(gold: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    out = {}
    for label in (-1, 0, 1):
        tp = int(np.sum((gold == label) & (pred == label)))
        n = int(np.sum(gold == label) + np.sum(pred == label))
        out[f"{label:+d}"] = round(2 * tp / n, 4) if n else 0.0
    return out


def word_matrix(texts: Sequence[str], dim: int = WORD_DIM) -> Any:
    """(n, dim) sparse 0/1 matrix of the hashed word features of each text."""
    from scipy import sparse

    rows, cols = [], []
    for i, text in enumerate(texts):
        idx = word_features(text, dim)
        rows += [i] * len(idx)
        cols += idx
    data = np.ones(len(rows))
    return sparse.csr_matrix((data, (rows, cols)), shape=(len(texts), dim))


def _stack(parts: Sequence[Inputs], weights: Sequence[float]) -> tuple[Any, ...]:
    sig = np.vstack([p.signals for p in parts])
    emb = np.vstack([p.embeddings for p in parts if p.embeddings is not None])
    texts = [t for p in parts for t in p.texts]
    y = np.concatenate([p.y for p in parts])
    w = np.concatenate([np.full(len(p.examples), wt) for p, wt in zip(parts, weights, strict=True)])
    return sig, emb, texts, y, w


def _design(sig: np.ndarray, emb: np.ndarray, texts: Sequence[str], mean: Any, scale: Any) -> Any:
    from scipy import sparse

    dense = sparse.csr_matrix(np.hstack([(sig - mean) / scale, emb]))
    return sparse.hstack([dense, word_matrix(texts)]).tocsr()


def _fit(
    sig: np.ndarray, emb: np.ndarray, texts: Sequence[str], y: np.ndarray, w: np.ndarray, c: float
) -> Any:
    from sklearn.linear_model import LogisticRegression

    mean = sig.mean(axis=0)
    scale = sig.std(axis=0)
    scale[scale < 1e-6] = 1.0
    clf = LogisticRegression(C=c, max_iter=3000, random_state=SEED)
    clf.fit(_design(sig, emb, texts, mean, scale), y, sample_weight=w)
    return clf, mean, scale


def _logits(fitted: Any, sig: np.ndarray, emb: np.ndarray, texts: Sequence[str]) -> np.ndarray:
    clf, mean, scale = fitted
    return np.asarray(clf.decision_function(_design(sig, emb, texts, mean, scale)))


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The temperature that minimises the log-loss of softmax(logits / T) (grid, then refined)."""
    index = y + 1

    def nll(t: float) -> float:
        p = softmax(logits / t)
        return float(-np.mean(np.log(p[np.arange(len(y)), index] + 1e-12)))

    grid = np.arange(0.3, 4.01, 0.05)
    best = min(grid, key=nll)
    fine = np.arange(max(0.05, best - 0.05), best + 0.051, 0.005)
    return float(min(fine, key=nll))


@dataclass
class TrainReport:
    """What a fit produced: the model and the figures that go into its provenance."""

    model: StanceModel
    scores: dict[str, Any] = field(default_factory=dict)


def train(
    analyzer: Analyzer,
    embedder: Embedder,
    sentfin_path: Path,
    own_paths: Sequence[Path],
    *,
    model_id: str | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> TrainReport:
    """Fit the stance model; see the module docstring. `analyzer` must run the rules alone."""
    started = dt.datetime.now(dt.UTC)
    rows = read_sentfin(sentfin_path)
    parts: dict[str, Inputs] = {}
    for split in ("train", "validation", "heldout"):
        progress(f"SEntFiN {split}: analysing")
        parts[split] = embed(collect(analyzer, sentfin_examples(rows, split)), embedder)
    own_examples = [ex for p in own_paths for ex in gold_examples(p)]
    progress(f"own sets: analysing {len(own_examples)} pairs")
    own = embed(collect(analyzer, own_examples), embedder)

    # Hyper-parameter: C, on the SEntFiN validation part and a grouped CV over our own sets.
    groups = np.array([ex.group for ex in own.examples])
    unique = sorted(set(groups))
    rng = np.random.default_rng(SEED)
    fold_of_group = dict(zip(unique, rng.permutation(len(unique)) % CV_FOLDS, strict=True))
    folds = np.array([fold_of_group[g] for g in groups])
    tr, va = parts["train"], parts["validation"]
    choice: dict[float, dict[str, float]] = {}
    oof_by_c: dict[float, np.ndarray] = {}
    for c in C_GRID:
        progress(f"C={c}: fitting")
        oof = np.zeros((len(own.examples), 3))
        for k in range(CV_FOLDS):
            sel = folds != k
            sub = _subset(own, sel)
            sig, emb, texts, y, w = _stack([tr, sub], [1.0, OWN_WEIGHT])
            fitted = _fit(sig, emb, texts, y, w, c)
            assert own.embeddings is not None
            held = [own.texts[i] for i in np.flatnonzero(~sel)]
            oof[~sel] = _logits(fitted, own.signals[~sel], own.embeddings[~sel], held)
        sig, emb, texts, y, w = _stack([tr, own], [1.0, OWN_WEIGHT])
        fitted = _fit(sig, emb, texts, y, w, c)
        assert va.embeddings is not None
        val_pred = _logits(fitted, va.signals, va.embeddings, va.texts).argmax(axis=1) - 1
        own_pred = np.where(own.by_rules, own.rule_labels, oof.argmax(axis=1) - 1)
        choice[c] = {
            "sentfin_validation": macro_f1(va.y, np.where(va.by_rules, va.rule_labels, val_pred)),
            "own_cv": macro_f1(own.y, own_pred),
        }
        oof_by_c[c] = oof
    best_c = max(C_GRID, key=lambda c: choice[c]["sentfin_validation"] + choice[c]["own_cv"])
    progress(f"chosen C={best_c}: {choice[best_c]}")

    sig, emb, texts, y, w = _stack([tr, own], [1.0, OWN_WEIGHT])
    fitted = _fit(sig, emb, texts, y, w, best_c)
    assert va.embeddings is not None
    val_logits = _logits(fitted, va.signals, va.embeddings, va.texts)
    temperature = fit_temperature(
        np.vstack([val_logits, oof_by_c[best_c]]), np.concatenate([va.y, own.y])
    )
    clf, mean, scale = fitted
    rule_calibration = fit_rule_calibration([va, own])
    if list(clf.classes_) != [-1, 0, 1]:
        raise TrainDataError(f"training data lacks a label: classes {list(clf.classes_)}")
    coef = np.asarray(clf.coef_, dtype=np.float64)
    model = StanceModel(
        id=model_id or f"stance-lr-words-{started:%Y%m%d}",
        embedding_model=embedder.name,
        mean=mean,
        scale=scale,
        coef=coef[:, : coef.shape[1] - WORD_DIM],
        intercept=np.asarray(clf.intercept_, dtype=np.float64),
        temperature=temperature,
        provenance={},
        rule_calibration=rule_calibration,
        word_dim=WORD_DIM,
        word_coef=coef[:, coef.shape[1] - WORD_DIM :],
    )
    scores: dict[str, Any] = {}
    for name, part in (("sentfin_validation", va), ("sentfin_heldout", parts["heldout"])):
        scores[name] = score_inputs(model, part)
    oof = oof_by_c[best_c] / temperature
    own_pred = np.where(own.by_rules, own.rule_labels, oof.argmax(axis=1) - 1)
    langs = np.array(own.languages)
    scores["own_cv"] = {
        "macro_f1": round(choice[best_c]["own_cv"], 4),
        "n": len(own.examples),
        "by_language": {
            lang: round(macro_f1(own.y[langs == lang], own_pred[langs == lang]), 4)
            for lang in ("en", "fr")
        },
        "rules_macro_f1": round(macro_f1(own.y, own.rule_labels), 4),
        "decided_by_rules": int(np.sum(own.by_rules)),
    }
    model.provenance = {
        "data": {
            "sentfin": "SEntFiN 1.0 (SEntFiN.csv, sha256 570af7ba58f7...; MIT; Sinha et al. 2022)",
            "own": [p.name for p in own_paths],
            "pairs": {k: len(v.examples) for k, v in parts.items()} | {"own": len(own.examples)},
            "targets_not_found": {k: v.missing for k, v in parts.items()} | {"own": own.missing},
        },
        "split": "sha256(lower-cased, space-collapsed headline)[:8] as int % 100: 0-19 held out "
        "(never fitted or chosen on), 20-29 validation (C, temperature), 30-99 fitted",
        "seed": SEED,
        "classifier": f"multinomial logistic regression over the rules' signals, the embedding "
        f"and {WORD_DIM} hashed word features (words, word pairs, words near the target by "
        f"side), C={best_c} (grid {list(C_GRID)}), "
        f"own sets weighted {OWN_WEIGHT}, temperature {temperature:.3f} on validation + "
        f"out-of-fold own predictions; it decides headlines and article targets the rules "
        f"found no cue about, the rules decide the others (their confidence mapped by "
        f"sigmoid({rule_calibration[0]:.3f} * c + {rule_calibration[1]:.3f}))",
        "choice": {str(c): {k: round(v, 4) for k, v in d.items()} for c, d in choice.items()},
        "scores": scores,
        "features": len(feature_names()) + emb.shape[1] + WORD_DIM,
        "command": "airace train stance",
        "fitted_at": started.isoformat(timespec="seconds"),
    }
    return TrainReport(model, scores)


def fit_rule_calibration(parts: Sequence[Inputs]) -> tuple[float, float]:
    """(a, b) of P(rules right) = sigmoid(a * rule confidence + b), over the examples the rules
    decide (no fitting on the held-out part: callers pass validation and our own sets)."""
    from sklearn.linear_model import LogisticRegression

    conf = np.concatenate([np.array(p.rule_confidences)[np.array(p.by_rules, dtype=bool)]
                           for p in parts if p.by_rules])  # fmt: skip
    ok = np.concatenate([(p.y == np.array(p.rule_labels))[np.array(p.by_rules, dtype=bool)]
                         for p in parts if p.by_rules])  # fmt: skip
    if len(set(ok.tolist())) < 2:
        return (0.0, 0.0)
    clf = LogisticRegression(C=10.0).fit(conf.reshape(-1, 1), ok.astype(int))
    return (float(clf.coef_[0][0]), float(clf.intercept_[0]))


def _subset(inputs: Inputs, mask: np.ndarray) -> Inputs:
    assert inputs.embeddings is not None
    idx = np.flatnonzero(mask)
    return Inputs(
        [inputs.examples[i] for i in idx],
        inputs.signals[idx],
        [inputs.languages[i] for i in idx],
        [inputs.texts[i] for i in idx],
        [inputs.rule_labels[i] for i in idx],
        inputs.embeddings[idx],
        rule_confidences=[inputs.rule_confidences[i] for i in idx],
        by_rules=[inputs.by_rules[i] for i in idx],
    )


def score_inputs(model: StanceModel, inputs: Inputs) -> dict[str, Any]:
    """Macro-F1, F1 per label, accuracy and calibration of the analysis's stances on collected
    inputs (the classifier or the rules, as `decides_learned` says), with the rules alone beside
    them (targets not found are left out of both)."""
    assert inputs.embeddings is not None
    probs = model.predict_proba(inputs.signals, inputs.embeddings, inputs.texts)
    decided = [decide(p) for p in probs]
    by_rules = np.array(inputs.by_rules, dtype=bool)
    rules = np.array(inputs.rule_labels)
    pred = np.where(by_rules, rules, np.array([d[1] for d in decided]))
    conf = np.where(
        by_rules,
        [model.rule_confidence(c) for c in inputs.rule_confidences],
        np.array([d[2] for d in decided]),
    )
    y = inputs.y
    return {
        "n": len(y),
        "macro_f1": round(macro_f1(y, pred), 4),
        "f1_by_label": f1_by_label(y, pred),
        "accuracy": round(float(np.mean(pred == y)), 4),
        "ece": round(expected_calibration_error(conf, pred == y), 4),
        "rules_macro_f1": round(macro_f1(y, rules), 4),
        "decided_by_rules": int(by_rules.sum()),
    }
