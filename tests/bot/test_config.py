"""Settings.from_env: defaults, overrides and refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT, ConfigError, Settings


def test_defaults_live_inside_the_project():
    settings = Settings.from_env({})

    assert settings.state_dir == PROJECT_ROOT / "var"
    assert settings.catalog_path == PROJECT_ROOT / "data/catalog/movies.jsonl"
    assert settings.database_url == f"sqlite:///{PROJECT_ROOT / 'var' / 'bot.sqlite3'}"
    assert settings.rasa_url == "http://localhost:5005"
    assert settings.index_dir == PROJECT_ROOT / "var" / "index"
    assert settings.embedding_cache_path == PROJECT_ROOT / "var" / "embeddings.npz"


def test_every_setting_can_be_overridden(tmp_path):
    settings = Settings.from_env(
        {
            "BOT_CATALOG": str(tmp_path / "items.csv"),
            "BOT_DATABASE_URL": "postgresql://bot@db/bot",
            "BOT_STATE_DIR": str(tmp_path / "state"),
            "BOT_RASA_URL": "http://rasa:5005",
            "BOT_SHARED_DATA": str(tmp_path / "shared"),
        }
    )

    assert settings.catalog_path == tmp_path / "items.csv"
    assert settings.database_url == "postgresql://bot@db/bot"
    assert settings.state_dir == tmp_path / "state"
    assert settings.rasa_url == "http://rasa:5005"
    assert settings.shared_data_dir == tmp_path / "shared"
    assert settings.index_dir == tmp_path / "state" / "index"


def test_database_defaults_to_sqlite_inside_the_state_dir(tmp_path):
    settings = Settings.from_env({"BOT_STATE_DIR": str(tmp_path)})

    assert settings.database_url == f"sqlite:///{tmp_path / 'bot.sqlite3'}"


def test_reads_the_process_environment_when_no_mapping_is_given(monkeypatch, tmp_path):
    monkeypatch.setenv("BOT_STATE_DIR", str(tmp_path))

    assert Settings.from_env().state_dir == tmp_path


def test_variables_without_the_bot_prefix_are_ignored():
    assert Settings.from_env({"PATH": "/bin", "ROBOT_MODE": "x"}).rasa_url == "http://localhost:5005"


def test_unknown_bot_setting_raises_naming_the_key():
    with pytest.raises(ConfigError, match="BOT_CATLOG"):
        Settings.from_env({"BOT_CATLOG": "movies.jsonl"})


@pytest.mark.parametrize("url", ["var/bot.sqlite3", "localhost:5432/bot", ""])
def test_database_url_without_scheme_raises(url):
    with pytest.raises(ConfigError, match="BOT_DATABASE_URL"):
        Settings.from_env({"BOT_DATABASE_URL": url})


def test_settings_are_immutable():
    settings = Settings.from_env({})
    with pytest.raises(AttributeError):
        settings.state_dir = Path("/elsewhere")  # type: ignore[misc]


def test_the_tracker_database_must_not_be_the_engine_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'one.sqlite3'}"
    with pytest.raises(ConfigError, match="BOT_TRACKER_URL"):
        Settings.from_env({"BOT_DATABASE_URL": url, "BOT_TRACKER_URL": url})


def test_retention_must_be_a_whole_number_of_days():
    with pytest.raises(ConfigError, match="BOT_RETENTION_DAYS"):
        Settings.from_env({"BOT_RETENTION_DAYS": "a year"})


def test_agent_tokens_name_each_agent_and_default_to_none():
    assert Settings.from_env({}).agent_tokens == {}
    assert Settings.from_env({}).rasa_token is None
    settings = Settings.from_env({"BOT_AGENT_TOKENS": " anna:0123456789abcdef , ben:fedcba9876543210,",
                                  "BOT_RASA_TOKEN": "r"})
    assert settings.agent_tokens == {"anna": "0123456789abcdef", "ben": "fedcba9876543210"}
    assert settings.rasa_token == "r"


@pytest.mark.parametrize(("value", "message"), [
    ("anna", "entry 1 must be name:token"),
    ("anna:0123456789abcdef,:0123456789abcdef", "entry 2 must be name:token"),
    ("anna:short", "token of 'anna' is shorter than 16"),
    ("anna:0123456789abcdef,anna:fedcba9876543210", "names 'anna' twice"),
])
def test_malformed_agent_tokens_are_refused_without_echoing_tokens(value, message):
    with pytest.raises(ConfigError, match=message) as refused:
        Settings.from_env({"BOT_AGENT_TOKENS": value})
    assert "0123456789abcdef" not in str(refused.value)


def test_the_handoff_timeout_is_a_positive_number_of_minutes():
    assert Settings.from_env({}).handoff_timeout_minutes == 10
    assert Settings.from_env({"BOT_HANDOFF_TIMEOUT_MINUTES": "3"}).handoff_timeout_minutes == 3
    with pytest.raises(ConfigError, match="BOT_HANDOFF_TIMEOUT_MINUTES='0' must be a whole number of minutes"):
        Settings.from_env({"BOT_HANDOFF_TIMEOUT_MINUTES": "0"})


def test_rate_limits_default_and_are_positive():
    defaults = Settings.from_env({})
    assert (defaults.rate_limit_per_key, defaults.rate_limit_per_user) == (600, 60)
    with pytest.raises(ConfigError, match="BOT_RATE_LIMIT_PER_USER"):
        Settings.from_env({"BOT_RATE_LIMIT_PER_USER": "-1"})


def test_the_chat_rate_limit_per_sender_is_a_whole_number_and_0_turns_it_off():
    assert Settings.from_env({}).rate_limit_per_sender == 30
    assert Settings.from_env({"BOT_RATE_LIMIT_PER_SENDER": "0"}).rate_limit_per_sender == 0
    with pytest.raises(ConfigError, match="BOT_RATE_LIMIT_PER_SENDER='fast' must be a whole number"):
        Settings.from_env({"BOT_RATE_LIMIT_PER_SENDER": "fast"})


def test_the_redis_url_needs_a_redis_scheme_and_is_not_echoed():
    assert Settings.from_env({}).redis_url is None
    assert Settings.from_env({"BOT_REDIS_URL": "redis://127.0.0.1:6379/0"}).redis_url == "redis://127.0.0.1:6379/0"
    with pytest.raises(ConfigError, match="BOT_REDIS_URL must start with redis://") as refused:
        Settings.from_env({"BOT_REDIS_URL": "http://user:s3cret@127.0.0.1:6379"})
    assert "s3cret" not in str(refused.value)


def test_outreach_is_off_unless_an_intent_is_named():
    assert Settings.from_env({}).outreach_intent is None
    assert Settings.from_env({"BOT_OUTREACH_INTENT": "request_recommendations"}).outreach_intent == "request_recommendations"
    with pytest.raises(ConfigError, match="BOT_OUTREACH_INTENT='recommend me' is not an intent name"):
        Settings.from_env({"BOT_OUTREACH_INTENT": "recommend me"})
