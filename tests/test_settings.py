"""Settings: defaults, TOML, environment, flags, and errors that list every problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.news.model.errors import ConfigError
from bot.settings import SETTINGS, load_settings, unknown_variables

ROOT = Path(__file__).resolve().parents[1]


def test_defaults_without_file_or_environment() -> None:
    settings = load_settings(environ={})
    assert settings.db == "shopwire.db"
    assert settings.poll_interval == 900
    assert settings.max_body_bytes == 10 * 1024 * 1024
    assert settings.max_concurrency == 16
    assert settings.max_per_host == 2
    assert settings.discord_token is None


def test_environment_overrides_file_and_flags_override_environment(tmp_path: Path) -> None:
    config = tmp_path / "shopwire.toml"
    config.write_text(
        '[shopwire]\npoll_interval = 600\ndb = "from-file.db"\nallow_private_urls = true\n'
    )
    settings = load_settings(
        config_file=config,
        environ={"SHOPWIRE_POLL_INTERVAL": "60", "SHOPWIRE_DB": "from-env.db"},
        overrides={"db": "from-flag.db"},
    )
    assert settings.poll_interval == 60
    assert settings.db == "from-flag.db"
    assert settings.allow_private_urls is True


def test_config_file_named_by_environment(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("max_per_host = 3\n")
    settings = load_settings(environ={"SHOPWIRE_CONFIG": str(config)})
    assert settings.max_per_host == 3


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('poll_intervall = 5\ndiscord_token = "x"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(
            config_file=config,
            environ={
                "SHOPWIRE_POLL_INTERVAL": "2",
                "SHOPWIRE_MAX_CONCURRENCY": "many",
                "SHOPWIRE_SEED_CATALOGUE": "perhaps",
                "SHOPWIRE_LOG_LEVEL": "LOUD",
            },
        )
    problems = "\n".join(caught.value.problems)
    assert len(caught.value.problems) == 6, problems
    assert "unknown setting 'poll_intervall'" in problems
    assert "DISCORD_TOKEN" in problems  # the token is refused in files, with a hint
    assert "poll_interval: 2 must be at least 5" in problems
    assert "SHOPWIRE_MAX_CONCURRENCY: 'many' is not a whole number" in problems
    assert "SHOPWIRE_SEED_CATALOGUE: 'perhaps' is not true or false" in problems
    assert "LOUD" in problems


def test_missing_config_file_is_a_clear_problem(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(config_file=tmp_path / "nope.toml", environ={})


def test_token_comes_from_environment_and_is_never_shown() -> None:
    settings = load_settings(environ={"DISCORD_TOKEN": "secret-token-value"})
    assert settings.discord_token == "secret-token-value"
    assert "secret-token-value" not in repr(settings)
    assert "secret-token-value" not in str(settings)


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [s.name for s in SETTINGS if f"SHOPWIRE_{s.name.upper()}" not in readme]
    assert missing == []


def test_every_settings_field_can_be_set_from_the_environment() -> None:
    from dataclasses import fields

    from bot.settings import Settings

    declared = {spec.name for spec in SETTINGS}
    missing = [
        f.name
        for f in fields(Settings)
        if f.name not in {"discord_token", "llm_api_key"} and f.name not in declared
    ]
    assert missing == []
    settings = load_settings(environ={"SHOPWIRE_ADMIN_ROLE": "News Desk"})
    assert settings.admin_role == "News Desk"


def test_llm_lines_are_off_by_default_and_configured_from_the_environment() -> None:
    assert load_settings(environ={}).llm_base_url is None
    assert load_settings(environ={"SHOPWIRE_LLM_BASE_URL": ""}).llm_base_url is None
    settings = load_settings(
        environ={
            "SHOPWIRE_LLM_BASE_URL": "http://127.0.0.1:8080/v1",
            "SHOPWIRE_LLM_MODEL": "small-model",
            "SHOPWIRE_LLM_TIMEOUT": "4.5",
            "SHOPWIRE_LLM_API_KEY": "sk-secret-llm-key",
        }
    )
    assert settings.llm_base_url == "http://127.0.0.1:8080/v1"
    assert settings.llm_model == "small-model"
    assert settings.llm_timeout == 4.5
    assert settings.llm_api_key == "sk-secret-llm-key"
    assert "sk-secret-llm-key" not in repr(settings)
    assert load_settings(environ={}).llm_timeout == 10.0


def test_llm_settings_are_checked_and_the_key_never_comes_from_a_file(tmp_path: Path) -> None:
    config = tmp_path / "llm.toml"
    config.write_text('llm_base_url = "ftp://models.example"\nllm_api_key = "sk-from-file"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(config_file=config, environ={"SHOPWIRE_LLM_TIMEOUT": "0"})
    problems = "\n".join(caught.value.problems)
    assert "llm_base_url must be an http:// or https:// URL" in problems
    assert "SHOPWIRE_LLM_API_KEY" in problems  # the key is refused in files, with a hint
    assert "sk-from-file" not in problems
    assert "llm_timeout: 0.0 must be between" in problems
    assert "llm_model: must be set when llm_base_url is" in problems
    with pytest.raises(ConfigError) as caught:
        load_settings(
            environ={
                "SHOPWIRE_LLM_BASE_URL": "https://user:sk-in-url@models.example/v1",
                "SHOPWIRE_LLM_MODEL": "m",
            }
        )
    assert "must not hold a user or password" in caught.value.problems[0]
    assert "sk-in-url" not in str(caught.value.problems)


def test_story_defaults_are_the_clusterers() -> None:
    from datetime import timedelta

    from bot.news.stories import StoryConfig
    from bot.settings import Settings

    config, settings = StoryConfig(), Settings()
    assert settings.story_threshold == config.threshold
    assert timedelta(hours=settings.story_window_hours) == config.window


def test_a_misspelt_setting_is_named_with_the_closest_one(tmp_path: Path) -> None:
    config = tmp_path / "shopwire.toml"
    config.write_text("poll_intervall = 60\nmax_post_age_hour = 3\nzzz = 1\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(config_file=config, environ={})
    assert list(caught.value.problems) == [
        f"config file {config}: unknown setting 'poll_intervall' (did you mean poll_interval?)",
        f"config file {config}: unknown setting 'max_post_age_hour'"
        " (did you mean max_post_age_hours?)",
        f"config file {config}: unknown setting 'zzz'",
    ]


def test_a_misspelt_environment_variable_is_not_ignored_in_silence() -> None:
    # It was: SHOPWIRE_POLL_INTERVL=60 left the poll interval at 900 without a word.
    env = {
        "SHOPWIRE_POLL_INTERVL": "60",
        "SHOPWIRE_POLL_INTERVAL": "60",
        "SHOPWIRE_WHATEVER": "1",
        "SHOPWIRE_CONFIG": "x.toml",
        "SHOPWIRE_TEST_POSTGRES_URL": "postgresql://",
        "PATH": "/bin",
    }
    assert unknown_variables(env) == [
        "SHOPWIRE_POLL_INTERVL is not a setting and is ignored"
        " (did you mean SHOPWIRE_POLL_INTERVAL?)",
        "SHOPWIRE_WHATEVER is not a setting and is ignored",
    ]
