"""Stance quality in one run: the learned model beside the old rules-only method.

    .venv/bin/python bench/bench_stance.py [--sentfin PATH] [--limit N]

1. SEntFiN held-out part (nlp.stance_train.split_of: the fifth never fitted or chosen on), the
   gold entities given as targets (`"targets"` of annotate): it measures stance, not discovery;
   and without targets (the entities the analysis finds itself; a gold entity missed is a 0).
2. Our blind set (tests/data/nlp_stance_blind.jsonl, aggregate figures only: never fitted) and
   our dev set (fitted on: shown for reference), entities found by the analysis itself, per
   language; and the same with the gold entities given as targets.

For each: macro-F1, F1 per label, accuracy, and for the learned model the expected calibration
error and the reliability table (stated confidence against observed accuracy). Appends the
figures to bench/results/stance.jsonl.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

REPO = Path(__file__).resolve().parent.parent
BLIND = REPO / "tests" / "data" / "nlp_stance_blind.jsonl"
DEV = REPO / "tests" / "data" / "nlp_dev.jsonl"


def sentfin_items(path: Path, limit: int | None) -> tuple[list[dict[str, Any]], list[dict]]:
    """Annotate items (one per held-out headline, its entities as targets) and gold lines."""
    from nlp.stance_train import read_sentfin, split_of

    items, gold = [], []
    for i, (title, labels) in enumerate(read_sentfin(path)):
        if split_of(title) != "heldout":
            continue
        items.append({"id": i, "text": title, "language": "en", "targets": list(labels)})
        gold.append({"id": i, "language": "en", "text": title, "entities": [],
                     "stance": [{"entity": k, "stance": v} for k, v in labels.items()]})  # fmt: skip
        if limit and len(items) >= limit:
            break
    return items, gold


def gold_items(path: Path, targets: bool) -> tuple[list[dict[str, Any]], list[dict]]:
    from nlp.evaluate import read_jsonl

    gold = read_jsonl(path)
    items = []
    for row in gold:
        item = {k: row[k] for k in ("id", "text", "title", "language") if row.get(k)}
        if targets:
            item["targets"] = [p["entity"] for p in row.get("stance", [])]
        items.append(item)
    return items, gold


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sentfin", type=Path, default=None, help="SEntFiN.csv")
    ap.add_argument("--limit", type=int, default=None, help="held-out headlines (default: all)")
    args = ap.parse_args(argv)

    from airace.config import Settings
    from airace.stages import default_sentfin
    from bench.harness import RESULTS_DIR
    from nlp.annotate import Analyzer
    from nlp.evaluate import evaluate

    sentfin = args.sentfin or default_sentfin(Settings())
    learned = Analyzer(embedding_model=None).load()
    rules = Analyzer(embedding_model=None, stance_model=None, kb=learned.kb)
    rules._pipelines = learned._pipelines  # the same parsers: loaded once
    model = learned.stance_model
    assert model is not None
    print(f"learned model: {model.id} (embedding {model.embedding_model})", flush=True)

    def resolve(name: str) -> str | None:
        entity = learned.kb.resolve(name)
        return entity.key if entity is not None else None

    sets: list[tuple[str, list[dict[str, Any]], list[dict]]] = []
    if sentfin.is_file():
        items, gold = sentfin_items(sentfin, args.limit)
        sets.append(("SEntFiN held-out (targets given)", items, gold))
        untargeted = [{k: v for k, v in item.items() if k != "targets"} for item in items]
        sets.append(("SEntFiN held-out (entities found)", untargeted, gold))
    else:
        print(f"SEntFiN not found at {sentfin}: skipped", flush=True)
    sets.append(("blind set, entities found", *gold_items(BLIND, targets=False)))
    sets.append(("blind set, targets given", *gold_items(BLIND, targets=True)))
    sets.append(("dev set (fitted on), entities found", *gold_items(DEV, targets=False)))

    records = []
    for name, items, gold in sets:
        for method, analyzer in (("learned", learned), ("rules (old)", rules)):
            t0 = time.perf_counter()
            predicted = list(analyzer.annotate(items))
            seconds = time.perf_counter() - t0
            report = evaluate(gold, predicted, resolve)
            groups = [("all", report.overall), *sorted(report.by_language.items())]
            for lang, scores in groups:
                st = scores.stance
                f1 = st.f1_by_label()
                rel = st.reliability()
                ece = sum(r["n"] * abs(r["confidence"] - r["accuracy"]) for r in rel) / max(
                    sum(r["n"] for r in rel), 1
                )
                rec = {"set": name, "method": method, "group": lang, "pairs": len(st.pairs),
                       "macro_f1": round(st.macro_f1, 4), "accuracy": round(st.accuracy, 4),
                       "f1": {f"{k:+d}": round(v, 4) for k, v in f1.items()},
                       "entity_f1": round(scores.entities.f1, 4), "ece": round(ece, 4),
                       "seconds": round(seconds, 1)}  # fmt: skip
                records.append(rec)
                if lang == "all" and method == "learned":
                    rec["reliability"] = rel
    print()
    head = f"{'set':<38} {'method':<12} {'group':<5} {'pairs':>5} {'mF1':>6} {'acc':>6} "
    head += f"{'F1 -1':>6} {'F1 0':>6} {'F1 +1':>6} {'ECE':>6}"
    print(head)
    print("-" * len(head))
    for r in records:
        f1 = r["f1"]
        print(
            f"{r['set']:<38} {r['method']:<12} {r['group']:<5} {r['pairs']:>5} "
            f"{r['macro_f1']:>6.3f} {r['accuracy']:>6.3f} {f1.get('-1', 0):>6.3f} "
            f"{f1.get('+0', 0):>6.3f} {f1.get('+1', 0):>6.3f} {r['ece']:>6.3f}"
        )
    for r in records:
        if "reliability" in r:
            print(f"\nreliability, learned, {r['set']} (stated vs observed):")
            for b in r["reliability"]:
                print(f"  {b['from']:.1f}-{b['to']:.1f}  n {b['n']:>5}  stated "
                      f"{b['confidence']:.3f}  observed {b['accuracy']:.3f}")  # fmt: skip
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    with (RESULTS_DIR / "stance.jsonl").open("a", encoding="utf-8") as fh:
        at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        for r in records:
            fh.write(json.dumps({"bench": "stance", "at": at, "model": model.id, **r}) + "\n")


if __name__ == "__main__":
    main()
