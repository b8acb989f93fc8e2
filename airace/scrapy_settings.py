"""Scrapy settings of `scrapy crawl` run from the repository (scrapy.cfg points here).

The crawler's Scrapy-only constants (crawler/settings.py) plus the user's airace Settings
(defaults < airace.toml < AIRACE_* environment), mapped exactly as `airace crawl` maps them
(airace/stages.py -> crawler.runner.scrapy_settings), so a `scrapy crawl` and an `airace crawl`
are equally polite and store into the same database. `-s NAME=VALUE` overrides any of them.
"""

from __future__ import annotations

from airace.config import load_settings as _load_settings
from airace.stages import crawl_options as _crawl_options
from crawler.runner import scrapy_settings as _scrapy_settings
from crawler.settings import *  # noqa: F403 - the Scrapy project settings, extended below

_settings = _load_settings()
globals().update(_scrapy_settings(_crawl_options(_settings, log_level="INFO")))
AIRACE_DATABASE_URL = _settings.database_url
AIRACE_SOURCES_FILE = _settings.sources_file
AIRACE_RETRY_AFTER = _settings.crawl_retry_after
