"""`airace train stance`: refit the learned stance model from SEntFiN and our labelled sets."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from airace.commands.common import app_context
from airace.errors import UserError

if TYPE_CHECKING:
    from airace.config import Settings


def write_json_atomic(path: Path, data: object) -> None:
    """Write JSON to a temporary file beside `path`, then rename it over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, indent=1)
            fh.write("\n")
        os.chmod(tmp, _file_mode())  # mkstemp makes 0600; a model file is read by all
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _file_mode() -> int:
    """The mode a new file gets from the process's umask (0644 under the usual 022)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def train_stance(
    settings: Settings, data: Path | None, out: Path | None, own: list[Path] | None
) -> Path:
    """Fit the stance model (airace.stages.train_stance) and write it; returns the path."""
    from airace import stages
    from nlp.stance_model import MODEL_PATH

    report = stages.train_stance(
        settings, data=data, own=own, progress=lambda line: typer.echo(line, err=True)
    )
    target = out or MODEL_PATH
    try:
        write_json_atomic(target, report.model.as_json())
    except OSError as e:
        raise UserError(f"cannot write {target}: {e.strerror}") from None
    held = report.scores["sentfin_heldout"]
    typer.echo(
        f"stance model {report.model.id} -> {target}: SEntFiN held-out macro-F1 "
        f"{held['macro_f1']:.3f} (rules {held['rules_macro_f1']:.3f}, n {held['n']}), "
        f"per label {held['f1_by_label']}, ECE {held['ece']:.3f}"
    )
    return target


train_app = typer.Typer(
    help="Refit the learned parts of the analysis.\n\nExample: airace train stance",
    no_args_is_help=True,
)


@train_app.command("stance")
def stance_cmd(
    ctx: typer.Context,
    data: Path | None = typer.Option(
        None, "--data", help="SEntFiN.csv (default: the stance_train_data setting)."
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Where to write the model (default: nlp/stance_model.json)."
    ),
    own: list[Path] | None = typer.Option(
        None,
        "--own",
        help="A gold JSONL file of our own to fit too (repeatable; default: the dev set "
        "and the long-article training set).",
    ),
) -> None:
    """Refit the per-entity stance classifier (a few minutes on 2 cores).

    Reads SEntFiN (its held-out fifth, chosen by a hash of each headline, is never fitted)
    and our own labelled articles, fits a calibrated logistic regression over the rules'
    signals, sentence embeddings and hashed word features around the target, and writes the
    parameters with their provenance.

    Example: airace train stance --data ../shared/data/entity-stance/SEntFiN.csv -o model.json
    """
    train_stance(app_context(ctx).settings, data, out, own)


def register(app: typer.Typer) -> None:
    app.add_typer(train_app, name="train")
