"""CLI command modules, one per area. Each has `register(app)`; import nothing heavy at top level."""

from airace.commands import (
    config_cmd,
    crawl_cmd,
    db_cmd,
    demo_cmd,
    eval_cmd,
    market_cmd,
    nlp_cmd,
    query_cmd,
    report_cmd,
    run_cmd,
    signal_cmd,
    train_cmd,
)

COMMAND_MODULES = [
    crawl_cmd,
    nlp_cmd,
    eval_cmd,
    train_cmd,
    market_cmd,
    signal_cmd,
    report_cmd,
    query_cmd,
    run_cmd,
    demo_cmd,
    db_cmd,
    config_cmd,
]
