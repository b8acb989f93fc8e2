"""`airace eval signal` end to end through the real entry point, on real prices (SQLite file)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from db.engine import make_engine, make_sessionmaker
from db.migrations import upgrade
from tests.test_market_signal import SIGNAL_FIELDS, _build, _plant


@pytest.fixture
def store(tmp_path) -> str:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'signal.db'}"
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    _build(sessions, 300, hour_utc=15.0, seed=21)
    _plant(sessions, 0.5, target="day1", seed=22)
    engine.dispose()
    return url


def test_json_rows_say_their_variant_and_carry_every_field(cli, store) -> None:  # type: ignore[no-untyped-def]
    result = cli("--db", store, "eval", "signal", "--by", "language", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"rows", "portfolio", "excluded", "n_boot", "seed", "novel_only",
                         "novelty_computed", "since", "until"}  # fmt: skip
    assert {(r["variant"], r["window"]) for r in data["rows"]} == {
        ("contemporaneous", "0,1"),
        ("predictive", "1,1"),
    }
    assert {r["group"] for r in data["rows"]} == {"all", "en", "fr"}
    assert all(list(r) == SIGNAL_FIELDS for r in data["rows"])
    pred = next(r for r in data["rows"] if r["variant"] == "predictive" and r["group"] == "all")
    assert pred["n"] == 300 and pred["ic_low"] > 0.25
    assert data["portfolio"]["variant"] == "predictive" and data["portfolio"]["curve"]


def test_table_csv_and_portfolio(cli, store) -> None:  # type: ignore[no-untyped-def]
    result = cli("--db", store, "eval", "signal", "--window", "1,1", "--since", "2025-06-01")
    assert result.exit_code == 0, result.stderr
    # three weeks of a small store: figures shown, with the note
    assert "note (predictive 1,1, all): too few events to conclude" in result.stdout
    assert "contemporaneous" not in result.stdout
    assert "long-short (predictive [1,1], all news)" in result.stdout
    result = cli("--db", store, "eval", "signal", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == SIGNAL_FIELDS and len(rows) == 2
    result = cli("--db", store, "eval", "signal", "--portfolio", "--format", "csv")
    header = result.stdout.splitlines()[0]
    assert header == "day,longs,shorts,ret,cumulative,turnover"
    result = cli("--db", store, "eval", "signal", "--novel-only")
    assert "run `airace stories` first" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--window", "2,2"], "--window must be one of"),
        (["--window", "x"], "--window:"),
        (["--by", "ticker"], "--by must be one of"),
        (["--since", "2025-06-01", "--until", "2025-01-01"], "is after --until"),
        (["--since", "June"], "--since: expected a date"),
    ],
)
def test_user_mistakes_are_one_line_and_exit_2(cli, store, args, message) -> None:  # type: ignore[no-untyped-def]
    result = cli("--db", store, "eval", "signal", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
