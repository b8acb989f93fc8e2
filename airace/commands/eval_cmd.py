"""`airace eval nlp`: score the analysis (entities, stance) against a gold JSONL file."""

from __future__ import annotations

import json
import re
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from airace import stages
from airace.commands.common import app_context
from airace.commands.signal_cmd import eval_signal
from airace.errors import UserError

if TYPE_CHECKING:
    from airace.config import Settings
    from nlp.kb import KnowledgeBase


class EvalFormat(StrEnum):
    """Output formats of `eval nlp`."""

    table = "table"
    json = "json"


eval_app = typer.Typer(
    help="Score the analysis against gold files, and the stance against prices.\n\n"
    "Example: airace eval nlp tests/data/nlp_dev.jsonl",
    no_args_is_help=True,
)
eval_app.command("signal")(eval_signal)


@eval_app.command("nlp")
def eval_nlp(
    ctx: typer.Context,
    gold_path: Path = typer.Argument(..., metavar="GOLD.jsonl", help="Gold file."),
    fmt: EvalFormat = typer.Option(EvalFormat.table, "--format", "-f", help="table or json."),
    ids: str | None = typer.Option(
        None, "--ids", help="Only gold lines whose id matches this regular expression."
    ),
    load: Path | None = typer.Option(
        None,
        "--load",
        help="Score saved `airace annotate` output instead of running the analysis.",
    ),
    save: Path | None = typer.Option(
        None, "--save", "-o", help="Also write the predictions (annotate format) here."
    ),
    errors: bool = typer.Option(
        False, "--errors", help="List each missed, spurious or mislabelled entity."
    ),
    targets: bool = typer.Option(
        False,
        "--targets",
        help="Give each gold stance entity as a target (measures stance, not discovery).",
    ),
) -> None:
    """Score entities (precision, recall, F1) and stance (accuracy, macro-F1) on a gold file.

    Per language and per stance label, with the confusion matrix and the reliability table
    (stated confidence against observed accuracy). Gold lines: {"id", "text", "title"?, "language"?, "entities": [{"name", "type",
    "ticker"}], "stance": [{"entity", "stance"}]}. Entities match by knowledge-base alias
    or ticker; a gold entity the system missed counts as a stance of 0.

    Example: airace eval nlp tests/data/nlp_dev.jsonl --ids '-h' --format json
    """
    from nlp.evaluate import GoldFormatError, check_gold, evaluate, format_table, read_jsonl
    from nlp.kb import load_kb

    if not gold_path.is_file():
        raise UserError(f"gold file not found: {gold_path}")
    try:
        pattern = re.compile(ids) if ids else None
    except re.error as exc:
        raise UserError(f"--ids: not a regular expression ({exc})") from None
    try:
        gold = read_jsonl(gold_path)
        check_gold(gold)
        predicted = read_jsonl(load) if load else None
    except (GoldFormatError, OSError) as exc:
        raise UserError(str(exc)) from None
    if pattern is not None:
        gold = [row for row in gold if pattern.search(str(row["id"]))]
    if not gold:
        raise UserError(f"no gold line to score in {gold_path}")

    kb = load_kb()
    if predicted is None:
        predicted = _run_analysis(app_context(ctx).settings, kb, gold, targets=targets)
    if save is not None:
        with save.open("w", encoding="utf-8") as fh:
            for line in predicted:
                fh.write(json.dumps(line, ensure_ascii=False) + "\n")

    def resolve(name: str) -> str | None:
        entity = kb.resolve(name)
        return entity.key if entity is not None else None

    report = evaluate(gold, predicted, resolve)
    if fmt is EvalFormat.json:
        data = report.as_dict()
        if not errors:
            data.pop("errors")
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    typer.echo(format_table(report))
    if errors:
        for err in report.errors:
            typer.echo(json.dumps(err, ensure_ascii=False))


def _run_analysis(
    settings: Settings, kb: KnowledgeBase, gold: list[dict], *, targets: bool
) -> list[dict]:
    """Run the real analysis (the Analyzer of `airace annotate`) on the gold texts; with
    `targets`, each gold stance entity is given as a target."""
    analyzer = stages.load_analyzer(settings, embeddings=False, kb=kb)
    fields = ("id", "text", "title", "language", "published")
    items = []
    for row in gold:
        item = {k: row[k] for k in fields if row.get(k) is not None}
        if targets:
            item["targets"] = [p["entity"] for p in row.get("stance", [])]
        items.append(item)
    return list(analyzer.annotate(items))


def register(app: typer.Typer) -> None:
    app.add_typer(eval_app, name="eval")
