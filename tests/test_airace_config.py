"""Settings layers: defaults < config file < environment < command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from airace.config import ConfigError, load_settings, load_settings_with_origins


def test_defaults_put_the_database_in_the_data_dir(tmp_path: Path) -> None:
    s = load_settings(env={}, cwd=tmp_path, overrides={"data_dir": str(tmp_path / "d")})
    assert s.database_url == f"sqlite:///{tmp_path / 'd' / 'airace.db'}"
    assert s.robots_obey is True


def test_precedence(tmp_path: Path) -> None:
    (tmp_path / "airace.toml").write_text(
        'download_delay = 3.5\nuser_agent = "from-file"\nbenchmark_tickers = ["SPY"]\n'
    )
    loaded = load_settings_with_origins(
        env={"AIRACE_USER_AGENT": "from-env", "AIRACE_BENCHMARK_TICKERS": "QQQ, SMH"},
        overrides={"database_url": "sqlite:///cli.db"},
        cwd=tmp_path,
    )
    s = loaded.settings
    assert s.download_delay == 3.5 and loaded.origins["download_delay"].endswith("airace.toml")
    assert s.user_agent == "from-env" and loaded.origins["user_agent"] == "env AIRACE_USER_AGENT"
    assert s.benchmark_tickers == ["QQQ", "SMH"]
    assert s.database_url == "sqlite:///cli.db" and loaded.origins["database_url"] == "cli"


def test_explicit_config_file_wins_over_cwd(tmp_path: Path) -> None:
    (tmp_path / "airace.toml").write_text("download_delay = 1.5\n")
    other = tmp_path / "other.toml"
    other.write_text("[airace]\ndownload_delay = 9\n")
    assert load_settings(other, env={}, cwd=tmp_path).download_delay == 9.0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("nonsense = 1\n", "unknown setting 'nonsense'"),
        ("download_delay = [1\n", "not valid TOML"),
        ('robots_obey = "perhaps"\n', "expects true/false"),
    ],
)
def test_bad_config_file(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "airace.toml").write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_settings(env={}, cwd=tmp_path)


def test_bad_env_value(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="AIRACE_ANALYSIS_BATCH_SIZE"):
        load_settings(env={"AIRACE_ANALYSIS_BATCH_SIZE": "many"}, cwd=tmp_path)


def test_missing_explicit_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "nope.toml", env={}, cwd=tmp_path)


def test_readme_documents_every_setting() -> None:
    from airace.config import describe

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    missing = [name for name, _, _ in describe() if f"| `{name}` |" not in readme]
    assert not missing, f"README's settings table lacks {missing}"
